"""A batch of files through `add` (CLI, web service, Python API): one bad file costs only itself.

Every file gets its own line, a parser that blows up refuses one file, hidden files are
refused aloud, copies get the mode of a new file, and messages name the file as the
user knows it, with deceptive names shown escaped and flagged.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.config import Config
from assistant.core import Assistant
from assistant.ingest import loaders
from assistant.types import FileOutcome
from assistant.web import render
from assistant.web.service import Service
from tests.conftest import FakeEmbedder

HTML = (
    "<html><head><title>Quito buses</title></head><body><article><h1>Quito buses</h1>"
    "<p>Quito bought 40 electric buses on Monday, the city said.</p></article></body></html>"
)


def batch(folder: Path) -> dict[str, Path]:
    """A .txt, a .md and an .html article."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "bridge.txt": "Tartu opens a bridge\n\nThe city of Tartu opened a pedestrian bridge on Friday.\n",
        "port.md": "# Port deal\n\nThe port of Accra signed a deal with a shipping firm on Tuesday.\n",
        "buses.html": HTML,
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return {name: folder / name for name in files}


def exploding_html(path: Path, data: bytes):  # type: ignore[no-untyped-def]
    raise RuntimeError("the parser fell over")


@pytest.fixture
def service(seeds_copy: Path, tmp_path: Path) -> Service:
    config = Config(docs_dir=seeds_copy, index_dir=tmp_path / "index")
    return Service(Assistant.open(config, embedder=FakeEmbedder()))


def test_cli_a_parser_that_raises_refuses_its_file_and_adds_the_rest(
    run, monkeypatch: pytest.MonkeyPatch, seeds_copy: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    files = batch(tmp_path / "in")
    monkeypatch.setattr(loaders, "load_html", exploding_html)
    result = run("add", *map(str, files.values()))
    assert result.exit_code == 0, result.output
    assert result.exception is None and "Traceback" not in result.output
    assert result.stdout.strip() == "Added 2, updated 0, skipped 0, refused 1; 4 documents in the index."
    assert sorted(line for line in result.stderr.splitlines() if not line.startswith("Updating")) == [
        f"added {files['bridge.txt']}",
        f"added {files['port.md']}",
        f"refused {files['buses.html']}: the HTML reader failed on it (RuntimeError)",
    ]
    assert not (seeds_copy / "buses.html").exists()


def test_web_a_parser_that_raises_refuses_its_file_and_adds_the_rest(
    service: Service, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = batch(tmp_path / "upload" / "0123abcd")
    monkeypatch.setattr(loaders, "load_html", exploding_html)
    names = {path: f"my {name}" for name, path in files.items()}
    html = service.add(list(files.values()), names=names)
    assert "Added 2, updated 0, skipped 0, refused 1." in html
    assert '<li class="error-text">refused <code class="file-name">my buses.html</code>: the HTML reader failed' in html
    assert '<li>added <code class="file-name">my bridge.txt</code> as <code class="file-name">bridge.txt</code>' in html
    assert str(tmp_path) not in html  # the user's names, never the temporary paths
    assert {"bridge.txt", "port.md"} <= {d.doc_id for d in service.documents()}


def test_any_exception_while_reading_one_file_costs_that_file_alone(
    service: Service, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = batch(tmp_path / "in")
    real_load = loaders.load

    def load(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
        if path.name == "port.md":
            raise KeyError("surprise")
        return real_load(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loaders, "load", load)
    report = service.assistant.add(list(files.values()))
    assert sorted(report.added) == ["bridge.txt", "buses.html"]
    assert [str(o) for o in report.files if o.status == "refused"] == [
        f"refused {files['port.md']}: could not be read (KeyError)"
    ]
    assert len(report.files) == 3


@pytest.mark.parametrize("name", [".draft.txt", ".notes.md"])
def test_a_hidden_file_is_refused_with_its_reason_and_not_copied(
    run, seeds_copy: Path, tmp_path: Path, name: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text("A draft about the council budget for Monday.\n", encoding="utf-8")
    result = run("add", str(path))
    assert result.exit_code == 1
    assert result.stderr == f"refused {path}: a hidden file (its name starts with a dot); rename it to add it\n"
    assert result.stdout.strip() == "Added 0, updated 0, skipped 0, refused 1; 2 documents in the index."
    assert not (seeds_copy / name).exists()
    assert not [p for p in seeds_copy.iterdir() if p.name.startswith(".")]  # no temporary left behind either


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640)])
def test_a_copied_article_gets_the_mode_of_a_new_file(
    service: Service, tmp_path: Path, mask: int, expected: int
) -> None:
    source = batch(tmp_path / "in")["bridge.txt"]
    source.chmod(0o600)  # like an upload's private temporary
    with umask(mask):
        service.assistant.add([source])
    copied = service.assistant.config.docs_dir / "bridge.txt"
    assert stat.S_IMODE(copied.stat().st_mode) == expected


def test_deceptive_names_are_escaped_and_flagged_in_messages_and_the_sources_tab(
    service: Service, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bidi = "invoice\u202eexa.txt"  # shows as 'invoicetxt.axe'
    cyrillic = "000_c282072937\u0430\u0441f8e.txt"  # Cyrillic а and с: passes for a seed's name
    (folder / bidi).write_text("The council approved an invoice for road works on Monday.\n", encoding="utf-8")
    (folder / cyrillic).write_text("A second article about the harbour of Tallinn on Sunday.\n", encoding="utf-8")
    html = service.add([folder / bidi, folder / cyrillic])
    assert "\u202e" not in html and "invoice\\u202eexa.txt" in html
    assert "holds invisible or control characters" in html and "mixes Cyrillic and Latin letters" in html
    table = render.render_documents(service.documents())
    assert "\u202e" not in table and "invoice\\u202eexa.txt" in table
    assert table.count('class="name-warning"') == 2
    line = str(FileOutcome(str(folder / bidi), "added", bidi))
    assert "\u202e" not in line and line.endswith("invoice\\u202eexa.txt [holds invisible or control characters]")


def test_file_names_in_html_are_always_escaped() -> None:
    html = render.file_name("<img src=x onerror=alert(1)>.txt")
    assert html == '<code class="file-name">&lt;img src=x onerror=alert(1)&gt;.txt</code>'


def test_the_runtime_fixtures_of_every_format_are_added(run) -> None:  # type: ignore[no-untyped-def]
    """The files .ci/run adds with a runtime-only install: one per format, all readable."""
    folder = Path(__file__).resolve().parents[1] / "data" / "runtime"
    files = sorted(folder.iterdir())
    assert {p.suffix for p in files} == {".txt", ".md", ".html", ".pdf"}
    result = run("add", *map(str, files))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Added 4, updated 0, skipped 0, refused 0; 6 documents in the index."
