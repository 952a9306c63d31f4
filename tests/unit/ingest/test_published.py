"""Every article's date: from metadata, the page, the PDF, a dateline, or what the text implies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant import Assistant, Config
from assistant.ingest.extract import _pdf_date
from assistant.ingest.published import dateline, implied_date
from assistant.types import Sentence
from tests.conftest import SEEDS

DATED = Path(__file__).resolve().parents[2] / "data" / "dated"


@pytest.fixture
def dated(tmp_path: Path, fake_embedder) -> Assistant:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs"
    shutil.copytree(DATED, docs)
    return Assistant.open(Config(docs_dir=docs, index_dir=tmp_path / "index"), embedder=fake_embedder)


def test_each_kind_of_date_source_is_found_and_named(dated: Assistant) -> None:
    got = {d.doc_id: (d.dating.published, d.dating.source, d.dating.inferred) for d in dated.documents()}
    assert got == {
        "2026-01-05-kessel-floods.md": ("2026-01-05", "metadata", False),  # front matter
        "kessel-floods-update.txt": ("2026-01-12", "text", False),  # dateline
        "kessel-floods-recovery.html": ("2026-01-19", "html", False),  # <meta article:published_time>
        "kessel-drought.txt": ("2025-08-28", "metadata", False),  # metadata.json sidecar
    }


def test_a_dateline_keeps_the_line_it_came_from(dated: Assistant) -> None:
    doc = next(d for d in dated.documents() if d.doc_id == "kessel-floods-update.txt")
    start, end = doc.dating.evidence
    assert dated.text(doc.doc_id)[start:end] == "Published 3:12 PM EST, Mon January 12, 2026"


def test_dates_in_the_text_are_resolved_against_the_article_date(dated: Assistant) -> None:
    doc = next(d for d in dated.documents() if d.doc_id == "kessel-floods-recovery.html")
    text = dated.text(doc.doc_id)
    told = {text[start:end]: value for start, end, value in doc.dating.mentions}
    assert told["Thursday"] == "2026-01-15"  # 'The Harlow Bridge reopened on Thursday' told on Mon 19 Jan
    assert told["Friday"] == "2026-01-16"


def test_the_seeds_dates_are_inferred_with_the_sentence_they_came_from(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    assistant = Assistant.open(Config(docs_dir=docs, index_dir=tmp_path / "index"), embedder=fake_embedder)
    doc = next(d for d in assistant.documents() if d.doc_id.startswith("000_"))
    assert (doc.dating.published, doc.dating.source, doc.dating.inferred) == ("2026-01-13", "text", True)
    start, end = doc.dating.evidence
    assert "talks on Jan 13" in assistant.text(doc.doc_id)[start:end]
    assert doc.meta.published is None  # the sidecar's null stays null: the date is given as inferred


def test_a_sidecar_date_wins_and_an_edit_redates_the_text(dated: Assistant) -> None:
    sidecar = dated.config.docs_dir / "metadata.json"
    value = json.loads(sidecar.read_text())
    value["kessel-floods-update.txt"] = {"published": "2026-01-13"}
    sidecar.write_text(json.dumps(value))
    with open(dated.config.docs_dir / "kessel-drought.txt", "a", encoding="utf-8") as f:
        f.write("\nThe council will meet again next month.\n")  # a change: the folder is synced
    dated.update()
    doc = next(d for d in dated.documents() if d.doc_id == "kessel-floods-update.txt")
    assert (doc.dating.published, doc.dating.source) == ("2026-01-13", "metadata")
    text = dated.text(doc.doc_id)
    told = {text[start:end]: value for start, end, value in doc.dating.mentions}
    assert told["Friday"] == "2026-01-09"  # still the Friday before, now counted from Tue 13 Jan


def test_an_index_of_the_old_format_is_rebuilt_when_opened(dated: Assistant, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    index = dated.config.index_dir
    manifest = index / (index / "CURRENT").read_text().strip() / "manifest.json"
    data = json.loads(manifest.read_text())
    data["format_version"] = 1
    manifest.write_text(json.dumps(data))
    told: list[str] = []
    reopened = Assistant.open(dated.config, embedder=fake_embedder, notify=told.append)
    assert any("rebuilding" in m for m in told)
    assert {d.dating.published for d in reopened.documents()} >= {"2026-01-05", "2026-01-19"}


def test_dateline_forms_from_news_sites() -> None:
    def sentences(text: str) -> list[Sentence]:
        return [Sentence(0, "d", 0, len(text), text, 0, 0)]

    updated = "Jan. 28, 2025 Updated Jan. 29, 2025, 4:47 p.m. ET"
    assert str(dateline(updated, sentences(updated))[0]) == "2025-01-28"  # published, not updated
    ap = "Published 3:12 PM EST, Thu January 8, 2026"
    assert str(dateline(ap, sentences(ap))[0]) == "2026-01-08"
    body = "The minister said on Jan 13 that talks would go on, as they had since October 2025 in Seoul. " * 2
    assert dateline(body, sentences(body)) is None  # a long sentence telling a date is no dateline
    assert str(implied_date(sentences(body))[0]) == "2026-01-13"


def test_a_pdf_creation_date_is_its_date() -> None:
    assert _pdf_date("D:20260113083000+00'00'") == "2026-01-13"
    assert _pdf_date(None) is None


def test_a_copyright_year_in_a_page_footer_is_no_publication_date() -> None:
    from assistant.ingest import loaders

    page = Path(__file__).resolve().parents[2] / "data" / "runtime" / "buses.html"  # '<footer>Copyright 2026 …'
    assert loaders.load(page).meta.published is None
