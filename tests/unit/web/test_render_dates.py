"""Dates in the web app's HTML: escaped, beside each citation, and the note of an answer from another time."""

from __future__ import annotations

from assistant.types import Answer, Citation, DateSpan, Dating, Document, DocumentMeta, Statement
from assistant.web import render


def _answer(note: str | None) -> Answer:
    citation = Citation(
        1, "a.txt", "A", "/a.txt", 0, 30, "It reopened on Thursday <b>.", 1.0,
        published="2026-01-19", published_from="html",
        dates=(DateSpan(15, 23, "Thursday", "2026-01-15", "Thu 15 Jan 2026"),),
    )  # fmt: skip
    return Answer(
        "q",
        True,
        "It reopened on Thursday <b>. [1]",
        (citation,),
        (),
        (Statement(citation.text, (1,)),),
        time_note=note,
    )


def test_a_citation_shows_its_article_date_and_what_its_dates_resolve_to() -> None:
    html = render.render_answer(_answer(None))
    assert "[1] 19 Jan 2026" in html
    assert "Thursday = Thu 15 Jan 2026" in html
    assert "<b>" not in html  # source text stays escaped
    assert "time-note" not in html


def test_the_time_note_is_apart_from_the_statements_and_escaped() -> None:
    html = render.render_answer(_answer("Nothing in the sources is from <the week of 5 Jan 2026>; the closest:"))
    assert '<p class="time-note" role="note">Nothing in the sources is from &lt;the week of 5 Jan 2026&gt;' in html
    assert html.index("time-note") < html.index('class="statement"')


def test_the_sources_tab_says_where_a_date_came_from() -> None:
    doc = Document(
        "a.txt", "/a.txt", "/a.txt", "txt", "0", DocumentMeta(), 3, "2026-01-20T00:00:00",
        dating=Dating("2026-01-13", "text", True, (0, 10)),
    )  # fmt: skip
    assert "13 Jan 2026 (inferred from the text)" in render.render_documents([doc])
    assert "13 Jan 2026 (inferred from the text)" in render.render_meta(doc)
    undated = Document("b.txt", "/b.txt", "/b.txt", "txt", "0", DocumentMeta(), 3, "2026-01-20T00:00:00")
    assert ">unknown<" in render.render_documents([undated])
