"""What a user adds lives in the library folder, never in the shipped docs folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
ARTICLE = "Otters in Nara\n\nA family of otters was seen swimming in the Saho River in Nara on Monday.\n"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path, Path]:
    docs = tmp_path / "seeds"
    docs.mkdir()
    for path in SEEDS.iterdir():
        if path.is_file():
            shutil.copyfile(path, docs / path.name)
    return docs, tmp_path / "library", tmp_path / "index"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_an_added_article_goes_to_the_library_and_its_removal_deletes_the_copy(folders, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from assistant import Assistant, Config
    from tests.web_fixtures import embedder

    docs, library, index = folders
    shipped = _snapshot(docs)
    config = Config(docs_dir=docs, index_dir=index, library_dir=library)
    assistant = Assistant.open(config, embedder=embedder())
    upload = tmp_path / "otters.txt"
    upload.write_text(ARTICLE, encoding="utf-8")
    report = assistant.add([upload])
    assert report.added == ["library/otters.txt"]
    assert (library / "otters.txt").read_text(encoding="utf-8") == ARTICLE
    assert _snapshot(docs) == shipped  # the docs folder is as shipped
    answer = assistant.ask("What was seen swimming in the Saho River?")
    assert answer.found and answer.citations[0].doc_id == "library/otters.txt"
    cited = answer.citations[0]
    assert Path(cited.file).read_text(encoding="utf-8")[cited.start : cited.end] == cited.text

    reopened = Assistant.open(config, embedder=embedder())  # a new process finds it in the library
    assert "library/otters.txt" in {d.doc_id for d in reopened.documents()}

    reopened.remove("library/otters.txt")
    assert not (library / "otters.txt").exists()
    assert _snapshot(docs) == shipped
    again = Assistant.open(config, embedder=embedder())
    assert "library/otters.txt" not in {d.doc_id for d in again.documents()}
    seeds = {p.name for p in docs.glob("*.txt")}
    assert {d.doc_id for d in again.documents()} == seeds


def test_without_a_library_an_article_is_added_to_the_docs_folder(folders, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from assistant import Assistant, Config
    from tests.web_fixtures import embedder

    docs, _, index = folders
    assistant = Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=embedder())
    upload = tmp_path / "otters.txt"
    upload.write_text(ARTICLE, encoding="utf-8")
    assert assistant.add([upload]).added == ["otters.txt"]
    assert (docs / "otters.txt").exists()


def test_the_cli_keeps_the_default_seeds_as_shipped(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from assistant.cli import _library

    monkeypatch.delenv("ASSISTANT_LIBRARY", raising=False)
    assert _library(Path("seeds")) == Path("library")
    assert _library(tmp_path / "mine") is None
    monkeypatch.setenv("ASSISTANT_LIBRARY", str(tmp_path / "lib"))
    assert _library(tmp_path / "mine") == tmp_path / "lib"
    monkeypatch.setenv("ASSISTANT_LIBRARY", "")
    assert _library(Path("seeds")) is None
