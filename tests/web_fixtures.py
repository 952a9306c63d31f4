"""A real web server over a tmp copy of the seeds (plus one hostile article) for web tests.

Imported by tests/e2e/test_web_api.py and tests/e2e/test_browser.py; each module starts its own
server (module-scoped fixture), and the embedding model is loaded once per session.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
HOSTILE_NAME = "zz_markup.txt"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SENTENCE = f"The Nara deer office warned visitors about the text {SCRIPT} printed on its leaflets."
HOSTILE_TEXT = (
    "Deer leaflets in Nara\n\n"
    f"{HOSTILE_SENTENCE}\n\n"
    f"A second leaflet carried the markup {IMG} in place of a photograph of the deer.\n"
)
HOSTILE_QUESTION = "What did the Nara deer office warn visitors about?"


@dataclass(frozen=True)
class Served:
    url: str
    assistant: object  # assistant.core.Assistant


@functools.cache
def embedder() -> object:
    """The real model, loaded once per test session."""
    from assistant.index.embed import load_embedder

    return load_embedder(None)


def docs_folder(root: Path) -> Path:
    """A copy of the seeds (with their metadata) and one article full of markup."""
    docs = root / "docs"
    docs.mkdir()
    for path in SEEDS.iterdir():
        if path.is_file() and path.suffix in (".txt", ".json"):
            shutil.copyfile(path, docs / path.name)
    (docs / HOSTILE_NAME).write_text(HOSTILE_TEXT, encoding="utf-8")
    return docs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(app: object) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yield its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the test server did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_tmp(root: Path) -> Iterator[Served]:
    """A real Assistant over a tmp docs folder and index, served by the web app."""
    from assistant import Assistant, Config
    from assistant.web.app import create_app

    config = Config(docs_dir=docs_folder(root), index_dir=root / "index")
    assistant = Assistant.open(config, embedder=embedder())
    with running(create_app(assistant)) as url:
        yield Served(url, assistant)
