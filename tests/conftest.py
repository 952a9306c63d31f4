"""Shared fixtures: a deterministic fake embedder for unit tests, one real assistant for end-to-end tests."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# The model's ONNX export goes to a cache for this test session only. Subprocesses that
# import this module (the crash tests' writers, killed without cleanup) inherit the
# session's cache instead of making their own; the session removes it at exit.
if os.environ.get("ASSISTANT_TEST_CACHE_OWNER") is None:
    os.environ["ASSISTANT_CACHE_DIR"] = tempfile.mkdtemp(prefix="assistant-model-cache-")
    os.environ["ASSISTANT_TEST_CACHE_OWNER"] = str(os.getpid())
    atexit.register(shutil.rmtree, os.environ["ASSISTANT_CACHE_DIR"], ignore_errors=True)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = ROOT / "tests" / "data" / "gold_seeds.jsonl"


class FakeEmbedder:
    """Bag of hashed words: similar wording, similar vectors; deterministic and instant."""

    name = "fake-hash-64"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0
        self.texts_encoded = 0

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                word = word.strip(".,;:!?\"'“”’()")
                if word:
                    h = int.from_bytes(hashlib.md5(word.encode()).digest()[:4], "little")
                    out[i, h % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out


@pytest.fixture(autouse=True)
def yielded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``assistant add`` lowers its process's CPU priority; run in-process by CliRunner it
    must not lower pytest's: each call is recorded here instead."""
    import assistant.cli

    calls: list[int] = []
    monkeypatch.setattr(assistant.cli, "yield_to_questions", lambda: calls.append(1))
    return calls


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


class FakeSession:
    """Stands in for the reader's ONNX session: a candidate's logit grows with how many of
    the question's rarer word pieces it holds (none: far below the shipped threshold); no
    answer words (the span heads point at [CLS]). Deterministic and instant."""

    def run(self, _outputs: object, feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        ids, types = feed["input_ids"], feed["token_type_ids"]
        logits = np.zeros((len(ids), 1), dtype=np.float32)
        for i, (row, kind) in enumerate(zip(ids, types, strict=True)):
            asked = {
                t for t, k in zip(row, kind, strict=True) if k == 0 and t > 2999
            }  # rarer words: not [CLS], [SEP], "the", "did"
            held = {t for t, k in zip(row, kind, strict=True) if k == 1}
            logits[i, 0] = 2.0 * len(asked & held) - 6.0
        null = np.zeros(ids.shape, dtype=np.float32)
        null[:, 0] = 10.0
        return [logits, null, null]


def fake_reader():  # type: ignore[no-untyped-def]
    """The shipped reader's decisions (its manifest) over a ``FakeSession``: for unit tests
    that need answers but not the model's judgement."""
    from assistant.search.reader import Reader, ReaderSpec

    return Reader(FakeSession(), ReaderSpec.load())


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the seeds folder."""
    target = tmp_path / "docs"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, seeds_copy: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """``assistant ARGS --docs <seeds copy> --index <tmp>`` in-process with the fake embedder; index built."""
    from assistant import core
    from assistant.cli import cli

    monkeypatch.setattr(core, "load_embedder", lambda model=None, **_: FakeEmbedder())
    where = ["--docs", str(seeds_copy), "--index", str(tmp_path / "index")]

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, *where])

    assert invoke("index").exit_code == 0
    return invoke


def run_cli(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m assistant ARGS`` as a user runs it: a process of its own, the real model, offline."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=600,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a copy of the seeds, shared by a module's CLI tests."""
    base = tmp_path_factory.mktemp("cli")
    shutil.copytree(SEEDS, base / "seeds")
    return base


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The real model over the seeds, in a fresh index; loaded once per test session."""
    from assistant import Assistant, Config

    base = tmp_path_factory.mktemp("real")
    docs = base / "docs"
    shutil.copytree(SEEDS, docs)
    return Assistant.open(Config(docs_dir=docs, index_dir=base / "index"))


def assert_verifiable(answer: Mapping[str, Any] | Any) -> None:
    """Every citation and listed passage is the exact slice of its file; the answer is made of them."""
    d = answer if isinstance(answer, Mapping) else answer.to_dict()
    for item in list(d["citations"]) + list(d["passages"]):
        text = Path(item["file"]).read_bytes().decode("utf-8")
        assert text[item["start"] : item["end"]] == item["text"], item
    by_id = {c["id"]: c for c in d["citations"]}
    if d["found"]:
        assert d["citations"], "a found answer cites something"
        # every statement is verbatim one of its citations; a twin source shares the statement
        for statement in d["statements"]:
            assert statement["text"] in d["answer"]
            assert statement["text"] in {by_id[i]["text"] for i in statement["citations"]}
            markers = "".join(f"[{i}]" for i in statement["citations"])
            assert f"{statement['text']} {markers}" in d["answer"]
        assert sorted(i for s in d["statements"] for i in s["citations"]) == sorted(by_id)
        span = d.get("answer_span")
        if span is not None:  # the reader's answer words: a slice of the same file, inside their citation
            cited = by_id[span["citation"]]
            assert cited["start"] <= span["start"] < span["end"] <= cited["end"]
            assert Path(cited["file"]).read_bytes().decode("utf-8")[span["start"] : span["end"]] == span["text"]
    else:
        assert d.get("answer_span") is None
        assert not d["citations"]
        assert "don't say" in d["answer"]
