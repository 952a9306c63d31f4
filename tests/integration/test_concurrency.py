"""Concurrency: writers queue on the index lock, readers keep answering and pick up new generations.

Writers are real ``assistant add`` processes; most run the CLI with the fake embedder
swapped in (see test_crash.FAKE_CLI), the end-to-end ones run it exactly as a user does.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import core
from assistant.cli import cli
from assistant.config import Config
from assistant.core import Assistant
from assistant.errors import IndexLocked
from assistant.index import store
from assistant.ingest.loaders import read_text
from assistant.types import Answer
from tests.conftest import SEEDS, FakeEmbedder
from tests.integration.test_crash import FAKE_CLI, Watched, consistent_state, folder_state, write_articles

DAM = (
    "Ruvuma dam completed\n\n"
    "The Ruvuma dam was completed in March after six years of work, the energy ministry said.\n\n"
    "The dam was financed by a loan of 300 million dollars from a regional development bank.\n"
)
HOLD_LOCK = (
    "import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); "
    "print('held', flush=True); time.sleep(float(sys.argv[2]))"
)


def assert_slices(answer: Answer) -> None:
    """What a reader checks: every citation and passage is the exact slice of its file."""
    for item in (*answer.citations, *answer.passages):
        assert read_text(Path(item.file))[item.start : item.end] == item.text, item


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _start(argv0: list[str], docs: Path, index: Path, *args: str) -> subprocess.Popen[str]:
    argv = [*argv0, *args, "--docs", str(docs), "--index", str(index)]
    return subprocess.Popen(argv, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen[str], timeout: float = 300) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    return out


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, Path]:
    """A docs folder (the seeds) and its index, built with the fake embedder."""
    docs, index = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(SEEDS, docs)
    Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=FakeEmbedder())
    return docs, index


FAKE = [sys.executable, "-c", FAKE_CLI]


def test_two_adds_at_once_queue_on_the_lock_and_both_land(library: tuple[Path, Path], tmp_path: Path) -> None:
    docs, index = library
    rng = random.Random(7)
    first = write_articles(tmp_path / "first", 60, "first", rng)
    second = write_articles(tmp_path / "second", 60, "second", rng)
    with store.WriterLock(index):  # both must reach the lock and wait on it
        argv = [[*FAKE, "add", str(b[0].parent), "--docs", str(docs), "--index", str(index)] for b in (first, second)]
        writers = [Watched(a, tmp_path, index) for a in argv]
        # Each announces its update just before asking for the lock (while opening, if it
        # sees the other's copies, or when indexing its own).
        assert all(w.wait_for("updating", timeout=120) for w in writers), [w.stderr for w in writers]
        time.sleep(0.5)
        assert [w.proc.poll() for w in writers] == [None, None], "a writer went ahead while the lock was held"
        assert store.current_generation(index) == "gen-000001"
    for w in writers:
        w.finish()
    outputs = [w.stdout.decode() for w in writers]
    assert any(o.strip().endswith("122 documents in the index.") for o in outputs), outputs
    state = consistent_state(index)
    assert state == folder_state(docs)
    assert {p.name for p in first + second} <= set(state)


def test_two_adds_racing_without_help_both_land(library: tuple[Path, Path], tmp_path: Path) -> None:
    docs, index = library
    rng = random.Random(8)
    batches = [write_articles(tmp_path / f"batch{n}", 40, f"b{n}", rng) for n in range(4)]
    for pair in (batches[:2], batches[2:]):
        procs = [_start(FAKE, docs, index, "add", str(batch[0].parent)) for batch in pair]
        for p in procs:
            _finish(p)
    state = consistent_state(index)
    assert len(state) == 2 + 160 and state == folder_state(docs)
    assert not list(index.rglob(".tmp-*"))


def test_a_writer_that_cannot_get_the_lock_says_why(
    library: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, index = library
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(index / ".lock"), "60"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexLocked, match="Another process is writing the index at .*waited 1 s. Try again"):
            with store.WriterLock(index, timeout=1.0):
                pass
        # Through the CLI (lock timeout shortened from 120 s): one line, exit 1, the index untouched.
        monkeypatch.setattr(store.WriterLock.__init__, "__defaults__", (1.0,))
        monkeypatch.setattr(core, "load_embedder", lambda model=None, **_: FakeEmbedder())
        article = tmp_path / "dam.txt"
        article.write_text(DAM, encoding="utf-8")
        result = CliRunner().invoke(cli, ["add", str(article), "--docs", str(docs), "--index", str(index)])
        assert result.exit_code == 1
        lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
        assert len(lines) == 1 and "Another process is writing the index" in lines[0], result.stderr
        assert "Traceback" not in result.output
        assert store.current_generation(index) == "gen-000001"
    finally:
        holder.kill()
        holder.wait()


def test_a_reader_keeps_answering_while_adds_run_and_refresh_picks_them_up(
    library: tuple[Path, Path], tmp_path: Path
) -> None:
    docs, index = library
    reader = Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=FakeEmbedder(), update=False)
    rng = random.Random(9)
    batches = [write_articles(tmp_path / f"batch{n}", 40, f"r{n}", rng) for n in range(3)]
    (tmp_path / "batch2" / "dam.txt").write_text(DAM, encoding="utf-8")

    def writer() -> None:
        for batch in batches:
            _finish(_start(FAKE, docs, index, "add", str(batch[0].parent)))

    thread = threading.Thread(target=writer)
    thread.start()
    asked, seen, refreshed = 0, [2], 0
    while thread.is_alive():
        answer = reader.ask("What did Lee tell NHK?")
        assert_slices(answer)
        assert answer.passages
        asked += 1
        refreshed += reader.refresh()
        seen.append(len(reader.documents()))
    thread.join()
    assert asked >= 10
    assert seen == sorted(seen), "a reader never sees the index go back"
    refreshed += reader.refresh()
    assert refreshed >= 1 and len(reader.documents()) == 2 + 121
    answer = reader.ask("When was the Ruvuma dam completed?")
    assert answer.passages[0].doc_id == "dam.txt"
    assert_slices(answer)


# --- end to end with the real model --------------------------------------------------------

REAL = [sys.executable, "-m", "assistant"]


@pytest.mark.slow
def test_two_real_cli_adds_at_once_both_land(tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(SEEDS, docs)
    dam, bridge = tmp_path / "in1" / "dam.txt", tmp_path / "in2" / "bridge.txt"
    for path, text in ((dam, DAM), (bridge, "Tartu bridge\n\nTartu opened a steel bridge over the river.\n")):
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
    Assistant.open(Config(docs_dir=docs, index_dir=index))  # the real model, loaded once per session
    procs = [_start(REAL, docs, index, "add", str(p)) for p in (dam, bridge)]
    for p in procs:
        _finish(p)
    assert set(consistent_state(index)) == {*os.listdir(SEEDS)} - {"metadata.json"} | {"dam.txt", "bridge.txt"}


@pytest.mark.slow
def test_a_real_reader_answers_during_a_cli_add_and_refresh_finds_the_new_article(tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(SEEDS, docs)
    reader = Assistant.open(Config(docs_dir=docs, index_dir=index))
    article = tmp_path / "in" / "dam.txt"
    article.parent.mkdir()
    article.write_text(DAM, encoding="utf-8")
    proc = _start(REAL, docs, index, "add", str(article))
    answers = 0
    while proc.poll() is None:
        answer = reader.ask("What did Lee tell NHK?")
        assert answer.found and "NHK" in answer.answer
        assert_slices(answer)
        answers += 1
        time.sleep(0.05)
    assert "Added 1," in _finish(proc)
    assert answers >= 1
    assert reader.refresh() is True
    answer = reader.ask("When was the Ruvuma dam completed?")
    assert answer.found and any(c.doc_id == "dam.txt" and "in March" in c.text for c in answer.citations)
    assert_slices(answer)
