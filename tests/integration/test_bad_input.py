"""Hostile input through the CLI: one clear line each, never a traceback, the index left as it was.

``assistant add`` runs in-process (CliRunner) with the fake embedder where the model is
irrelevant; real processes where the point is what a user sees (no traceback on stderr),
including one with read permission truly denied, and one with the real model against an
index built with another model.
"""

from __future__ import annotations

import ctypes
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from assistant import core
from assistant.cli import cli
from assistant.config import Config
from assistant.core import Assistant
from assistant.index import store
from tests.conftest import FakeEmbedder
from tests.integration.test_crash import FAKE_CLI, consistent_state, write_articles

LEGACY = (
    "Caf\u00e9 owners in Lyon said \u201cwe are open\u201d on Monday, despite the strike. "
    "The mayor\u2019s office agreed.\n\nThe strike is expected to end by Friday, unions said.\n"
)


def _html_scripts_only() -> str:
    return (
        "<html><head><style>body { color: red }</style><script>var a = 1;</script></head>"
        "<body><script>document.write('hello')</script><style>p {}</style></body></html>"
    )


def _pdf_without_text(path: Path) -> None:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.rect(50, 50, 200, 300, fill=1)  # a scanned page: marks, no text layer
    c.showPage()
    c.save()


BAD: dict[str, tuple[object, str]] = {
    # name: (content, the reason the user reads)
    "empty.txt": (b"", "the file is empty"),
    "blank.txt": (" \n\t\n   \n", "the file holds only whitespace"),
    "photo.txt": (
        bytes.fromhex("89504e470d0a1a0a") + bytes(range(256)) * 4,
        "looks like a binary file (a PNG image), not text",
    ),
    "scripts.html": (_html_scripts_only(), "no article text found in the HTML"),
    "scan.pdf": (_pdf_without_text, "the PDF has no text layer (scanned?); it needs OCR first"),
    "notes.docx": (b"PK\x03\x04 not really a document", "'.docx' files are not supported"),
}


def make_bad(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    content = BAD[name][0]
    if callable(content):
        content(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(str(content), encoding="utf-8")
    return path


def assert_refused(result: Result, index: Path, generation: str, reason: str) -> None:
    """Exit 1, exactly one line on stderr naming the reason, no traceback, same generation."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and reason in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert store.current_generation(index) == generation


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_file_is_refused_in_one_line_and_nothing_changes(
    run, seeds_copy: Path, tmp_path: Path, name: str
) -> None:  # type: ignore[no-untyped-def]
    index = tmp_path / "index"
    generation = store.current_generation(index)
    path = make_bad(tmp_path / "in", name)
    result = run("add", str(path))
    assert_refused(result, index, generation, f"refused {path}: {BAD[name][1]}")
    assert result.stdout.strip() == "Added 0, updated 0, skipped 0, refused 1; 2 documents in the index."
    assert not (seeds_copy / name).exists()  # a refused file is not copied into the docs folder


def test_a_missing_path_is_refused(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    index = tmp_path / "index"
    missing = tmp_path / "nowhere" / "article.txt"
    assert_refused(
        run("add", str(missing)), index, store.current_generation(index), f"refused {missing}: no such file or folder"
    )


def test_an_oversized_file_is_refused_with_the_limit_and_the_fix(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    index = tmp_path / "index"
    big = tmp_path / "big.txt"
    big.write_text("The council met on Monday to discuss the budget. " * 100, encoding="utf-8")
    result = run("add", "--max-file-mb", "0.001", str(big))
    assert_refused(
        result, index, store.current_generation(index), "4.8 KB is over the 1.0 KB limit; raise --max-file-mb"
    )


def test_cp1252_text_is_accepted_and_cited_from_its_utf8_copy(run, seeds_copy: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes(LEGACY.encode("cp1252"))
    result = run("add", str(legacy))
    assert result.exit_code == 0 and "Added 1," in result.stdout, result.output
    data = store.load(tmp_path / "index")
    doc = data.documents["legacy.txt"]
    assert data.texts["legacy.txt"] == LEGACY
    assert Path(doc.file).parent == (tmp_path / "index" / "texts").resolve()  # offsets point into UTF-8, not cp1252
    assert Path(doc.file).read_bytes().decode("utf-8") == LEGACY
    assert (seeds_copy / "legacy.txt").read_bytes() == LEGACY.encode("cp1252")  # the article itself, byte for byte
    consistent_state(tmp_path / "index")


def test_a_folder_of_a_thousand_files_takes_the_good_and_lists_the_bad(run, seeds_copy: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "dump"
    good = write_articles(folder / "good", 980, "dump", random.Random(3), html=5)
    bad = []
    for n in range(4):
        for name in ("empty.txt", "blank.txt", "photo.txt", "scripts.html", "scan.pdf"):
            path = make_bad(folder / f"bad{n}", name)
            bad.append(path)
    make_bad(folder / "bad0", "notes.docx")  # other formats inside a folder are passed over silently
    result = run("add", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Added 980, updated 0, skipped 0, refused 20; 982 documents in the index."
    listed = sorted(line for line in result.stderr.splitlines() if line.startswith("refused "))
    assert listed == sorted(f"refused {p}: {BAD[p.name][1]}" for p in bad)
    added = {line for line in result.stderr.splitlines() if line.startswith("added ")}
    assert added == {f"added {p}" for p in good}  # every file has its own line
    assert "Traceback" not in result.output
    state = consistent_state(tmp_path / "index")
    assert {p.name for p in good} <= set(state) and not {p.name for p in bad} & set(state)


def test_a_docs_folder_without_a_readable_article_is_one_clear_line(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(core, "load_embedder", lambda model=None, **_: FakeEmbedder())
    docs = tmp_path / "docs"
    for name in ("empty.txt", "photo.txt", "scan.pdf"):
        make_bad(docs, name)
    result = CliRunner().invoke(cli, ["index", "--docs", str(docs), "--index", str(tmp_path / "index")])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: No readable article in {docs}"), result.stderr
    assert "the PDF has no text layer" in errors[0]
    assert store.current_generation(tmp_path / "index") is None
    missing = CliRunner().invoke(cli, ["index", "--docs", str(tmp_path / "nope"), "--index", str(tmp_path / "index")])
    assert missing.exit_code == 1
    errors = [line for line in missing.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: The docs folder {tmp_path / 'nope'} does not exist."], missing.stderr


# --- real processes ---------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _without_root_file_access() -> None:
    """In the child, before exec: drop the capabilities that let root read any file."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _add_in_a_real_process(paths: list[Path], docs: Path, index: Path) -> subprocess.CompletedProcess[str]:
    """``assistant add`` (fake embedder) in a child that, even as root, cannot read a chmod 000 file."""
    argv = [sys.executable, "-c", FAKE_CLI, "add", *map(str, paths), "--docs", str(docs), "--index", str(index)]
    drop = _without_root_file_access if os.geteuid() == 0 else None
    return subprocess.run(argv, env=_env(), capture_output=True, text=True, timeout=120, preexec_fn=drop)


@pytest.fixture
def secret(seeds_copy: Path, tmp_path: Path) -> Path:
    """An index over the seeds, and a folder with one good article and one unreadable one."""
    Assistant.open(Config(docs_dir=seeds_copy, index_dir=tmp_path / "index"), embedder=FakeEmbedder())
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("The council of Accra met on Monday to approve the budget.\n", encoding="utf-8")
    path = folder / "secret.txt"
    path.write_text("The council met in secret on Monday.\n", encoding="utf-8")
    path.chmod(0)
    return path


def test_an_unreadable_file_in_a_folder_is_listed_and_the_rest_added(
    secret: Path, seeds_copy: Path, tmp_path: Path
) -> None:
    proc = _add_in_a_real_process([secret.parent], seeds_copy, tmp_path / "index")
    assert proc.returncode == 0, proc.stderr
    assert f"refused {secret}: no permission to read the file\n" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout.startswith("Added 1, updated 0, skipped 0, refused 1;")
    assert set(consistent_state(tmp_path / "index")) == {
        "000_c282072937a0cf8e.txt",
        "003_64419fa70da9995d.txt",
        "good.txt",
    }


def test_an_unreadable_file_named_on_the_command_line_is_one_line(
    secret: Path, seeds_copy: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    generation = store.current_generation(index)
    proc = _add_in_a_real_process([secret], seeds_copy, index)
    assert proc.returncode == 1 and proc.stderr == f"refused {secret}: no permission to read the file\n", proc.stderr
    assert store.current_generation(index) == generation


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "Error: The question is empty. Ask something about the articles."),
        ("   \n ", "Error: The question is empty. Ask something about the articles."),
        ("x" * 2001, "Error: The question is 2,001 characters long; the limit is 2,000. Ask something shorter."),
        ("???", "Error: The question has no words in it. Ask something about the articles."),
        ("😀 😀 …", "Error: The question has no words in it. Ask something about the articles."),
    ],
)
def test_a_bad_question_is_one_line_from_a_real_process(tmp_path: Path, question: str, message: str) -> None:
    argv = [sys.executable, "-m", "assistant", "ask", question, "--docs", str(tmp_path), "--index", str(tmp_path / "i")]
    proc = subprocess.run(argv, env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == message + "\n"


@pytest.mark.slow
def test_an_index_built_with_another_model_is_refused_by_the_real_cli(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=FakeEmbedder())
    generation = store.current_generation(index)
    for args in (["ask", "What did Lee tell NHK?"], ["add", str(seeds_copy / "000_c282072937a0cf8e.txt")]):
        argv = [sys.executable, "-m", "assistant", *args, "--docs", str(seeds_copy), "--index", str(index)]
        proc = subprocess.run(argv, env=_env(), capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1
        errors = [line for line in proc.stderr.splitlines() if line.strip()]
        assert "Traceback" not in proc.stderr
        assert errors[-1] == (
            f"Error: The index at {index} was built with model fake-hash-64 (64 dims); this run uses "
            "sentence-transformers/all-MiniLM-L6-v2 (384 dims). Use the same --model, or rebuild with "
            "'assistant index --rebuild'."
        ), proc.stderr
        assert store.current_generation(index) == generation


def test_asking_without_update_and_without_an_index_is_one_line(tmp_path: Path) -> None:
    index = tmp_path / "none"
    argv = [
        sys.executable,
        "-m",
        "assistant",
        "ask",
        "--no-update",
        "Who met?",
        "--docs",
        str(tmp_path),
        "--index",
        str(index),
    ]
    proc = subprocess.run(argv, env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == f"Error: No index at {index}. Run 'assistant index' first.\n"
    assert not index.exists()
