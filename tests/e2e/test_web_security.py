"""The upload event and the queue against a real server, as a hostile client would use them.

A client can call the page's upload event through Gradio's queue naming any path as an
uploaded file, and a page served on another local port can send requests through the
user's browser. Neither may read a file of the server, add or remove anything.
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web_fixtures import docs_folder, embedder, free_port, running

pytestmark = pytest.mark.slow

MAX_FILE_BYTES = 64 * 1024
SECRET = "The vault code of the harbour office is 4-8-15-16-23-42, the clerk said."
ARTICLE = "Otters in Nara\n\nA family of otters was seen swimming in the Saho River in Nara on Monday.\n"


@dataclass(frozen=True)
class Server:
    url: str
    root: Path  # holds docs/, index/ and the files beside them
    upload_dir: Path  # Gradio's upload folder for this server
    assistant: Any


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from assistant import Assistant, Config
    from assistant.web.app import create_app

    root = tmp_path_factory.mktemp("web_security")
    upload_dir = root / "gradio-uploads"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_TEMP_DIR", str(upload_dir))  # an upload folder of its own, to look into
        config = Config(docs_dir=docs_folder(root), index_dir=root / "index", max_file_bytes=MAX_FILE_BYTES)
        assistant = Assistant.open(config, embedder=embedder())
        with running(create_app(assistant)) as url:
            yield Server(url, root, upload_dir, assistant)


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=120) as client:
        yield client


def _event_id(http: httpx.Client, button: str) -> int:
    """The fn_index of the first event a click on the button with ``button`` as elem_id runs."""
    config = http.get("config").json()
    ids = [c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == button]
    assert ids, f"no component {button!r}"
    for dep in config["dependencies"]:
        if [ids[0], "click"] in dep["targets"] and dep.get("backend_fn"):
            return dep["id"]
    raise AssertionError(f"no click event on {button!r}")


def call_event(http: httpx.Client, button: str, data: list[Any], headers: dict[str, str] | None = None) -> dict:
    """Run an event through the queue the way the page does; the final message."""
    session = uuid.uuid4().hex
    body = {"data": data, "fn_index": _event_id(http, button), "session_hash": session, "event_data": None}
    joined = http.post("gradio_api/queue/join", json=body, headers=headers or {})
    if joined.status_code != 200:
        return {"status": joined.status_code, "body": joined.json()}
    with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session}, headers=headers or {}) as sse:
        for line in sse.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the event never completed")


def file_data(path: Path | str) -> dict[str, Any]:
    """What a client sends for 'a file I uploaded': any path at all."""
    return {"path": str(path), "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


def docs_listed(http: httpx.Client) -> set[str]:
    return {d["doc_id"] for d in http.get("api/docs").json()["documents"]}


def copies_of(folder: Path, target: Path, secret: bytes) -> list[Path]:
    """Regular files (not links) under ``folder`` named like ``target`` or holding ``secret``."""
    if not folder.exists():
        return []
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return [p for p in files if p.name == target.name or secret in p.read_bytes()]


def assert_refused_and_nothing_kept(server: Server, http: httpx.Client, target: Path, secret: bytes) -> None:
    """The event fails or refuses the path; nothing is copied, indexed or served."""
    docs_dir = server.assistant.config.docs_dir
    before_docs, before_files = docs_listed(http), sorted(p.name for p in docs_dir.iterdir())
    result = call_event(http, "add-articles", [[file_data(target)]])
    assert result.get("success") is False or "not a file uploaded to this page" in json.dumps(result), result
    assert "Added 1" not in json.dumps(result)
    assert docs_listed(http) == before_docs
    assert sorted(p.name for p in docs_dir.iterdir()) == before_files
    assert copies_of(server.upload_dir, target, secret) == []  # not even into Gradio's cache
    for where in (target, server.upload_dir / target.name):
        served = http.get(f"gradio_api/file={where}")
        assert served.status_code in (403, 404) and secret not in served.content


def test_the_upload_event_refuses_a_system_file(server: Server, http: httpx.Client) -> None:
    hostname = Path("/etc/hostname")
    if not hostname.is_file():
        pytest.skip("this machine has no /etc/hostname")
    # Its content may be as short as 'vm': looked for by name, and served bytes compared whole.
    assert_refused_and_nothing_kept(server, http, hostname, b"\0never\0")
    assert http.get(f"gradio_api/file={hostname}").status_code == 403


def test_the_upload_event_refuses_a_file_beside_the_docs_folder(server: Server, http: httpx.Client) -> None:
    beside = server.root / "secret-notes.txt"
    beside.write_text(f"Harbour notes\n\n{SECRET}\n", encoding="utf-8")
    assert_refused_and_nothing_kept(server, http, beside, SECRET.encode())


def test_the_upload_event_refuses_a_link_inside_the_upload_folder(server: Server, http: httpx.Client) -> None:
    target = server.root / "linked-secret.txt"
    target.write_text(f"Harbour notes\n\n{SECRET} (linked)\n", encoding="utf-8")
    link = server.upload_dir / ("0" * 40) / "notes.txt"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    assert_refused_and_nothing_kept(server, http, link, b"(linked)")
    assert target.read_bytes().endswith(b"(linked)\n")  # the link's target is left alone


def _upload(http: httpx.Client, name: str, content: bytes) -> httpx.Response:
    return http.post("gradio_api/upload", files=[("files", (name, content, "text/plain"))])


def test_a_real_upload_is_added_under_its_own_name_and_its_temporary_deleted(
    server: Server, http: httpx.Client
) -> None:
    uploaded = _upload(http, "otters.txt", ARTICLE.encode())
    assert uploaded.status_code == 200, uploaded.text
    (temporary,) = uploaded.json()
    assert Path(temporary).resolve().is_relative_to(server.upload_dir.resolve())
    result = call_event(http, "add-articles", [[file_data(temporary)]])
    html = result["output"]["data"][0]
    assert "Added 1, updated 0, skipped 0, refused 0." in html
    assert '<li>added <code class="file-name">otters.txt</code></li>' in html
    assert str(server.upload_dir) not in html  # the user's file name, not Gradio's temporary path
    assert "otters.txt" in docs_listed(http)
    assert not Path(temporary).exists()  # the temporary is gone once added
    copied = server.assistant.config.docs_dir / "otters.txt"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(copied.stat().st_mode) == 0o666 & ~umask  # not the temporary's 0600
    answer = http.post("api/ask", json={"question": "Where were the otters seen swimming?"}).json()
    assert answer["found"] and answer["citations"][0]["doc_id"] == "otters.txt"


def test_a_refused_upload_is_deleted_too(server: Server, http: httpx.Client) -> None:
    uploaded = _upload(http, "empty.txt", b" \n")
    (temporary,) = uploaded.json()
    html = call_event(http, "add-articles", [[file_data(temporary)]])["output"]["data"][0]
    assert "refused 1" in html and "empty.txt" in html and "the file holds only whitespace" in html
    assert not Path(temporary).exists()


def test_gradio_refuses_an_upload_over_the_size_limit(http: httpx.Client) -> None:
    response = _upload(http, "huge.txt", b"The council met on Monday. " * (MAX_FILE_BYTES // 20))
    assert response.status_code == 413


# --- origins -----------------------------------------------------------------------------


def _other_origin() -> str:
    return f"http://localhost:{free_port()}"


def test_the_queue_refuses_a_page_from_another_local_port(server: Server, http: httpx.Client) -> None:
    doc = "000_c282072937a0cf8e.txt"
    result = call_event(http, "remove-article", [doc], headers={"Origin": _other_origin()})
    assert result["status"] == 403 and result["body"]["error"]["code"] == "cross_origin"
    assert doc in docs_listed(http)  # nothing was removed


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "gradio_api/queue/join"),
        ("GET", "gradio_api/queue/data"),
        ("POST", "gradio_api/upload"),
        ("POST", "api/ask"),
    ],
)
def test_every_route_refuses_another_origin(http: httpx.Client, method: str, path: str) -> None:
    for origin in (_other_origin(), "http://127.0.0.1:1", "null", "http://evil.example"):
        response = http.request(method, path, headers={"Origin": origin}, json={"question": "Who?"})
        assert response.status_code == 403, (origin, response.text)
        assert response.json()["error"]["code"] == "cross_origin"
    preflight = http.options(path, headers={"Origin": _other_origin(), "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403


def test_the_apps_own_origin_is_accepted(server: Server, http: httpx.Client) -> None:
    own = server.url.rstrip("/")
    response = http.post("api/ask", json={"question": "What did Lee tell NHK?"}, headers={"Origin": own})
    assert response.status_code == 200 and response.json()["found"]
    result = call_event(http, "add-articles", [[]], headers={"Origin": own})
    assert result["success"] is True


def test_a_bad_question_logs_one_line_not_a_traceback(http: httpx.Client, server: Server, capfd) -> None:  # type: ignore[no-untyped-def]
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server.url, verbose=False)
    capfd.readouterr()
    with pytest.raises(AppError, match="empty"):
        client.predict("   ", api_name="/ask")
    assert "Traceback" not in capfd.readouterr().err
