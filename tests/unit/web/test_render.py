"""HTML rendering: escaping, exact highlights, chips and verdicts (no model, no server)."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser

import pytest

from assistant.answer.claims import check_claim
from assistant.answer.compose import UNSURE
from assistant.types import (
    Answer,
    Citation,
    Document,
    DocumentMeta,
    PassageHit,
    Sentence,
    Statement,
)
from assistant.web.render import (
    NOT_FOUND,
    check_help,
    highlight_terms,
    render_answer,
    render_check,
    render_documents,
    render_source,
    render_turn,
)

EVIL = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
TEXT = (
    "Sign up now: get the newsletter\n\n"
    f"Lee told NHK that ties matter {EVIL}.\n\n"
    f"The summit took place in Nara {IMG}.\n"
    "Related Articles"
)


class _Collect(HTMLParser):
    """Text content and attributes of every element whose class holds ``cls``."""

    def __init__(self, cls: str) -> None:
        super().__init__()
        self.cls, self.found, self.tags, self._stack = cls, [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if self.cls in (attrs.get("class") or "").split():
            self.found.append([attrs, ""])
            self._stack.append(len(self.found) - 1)
        elif self._stack:
            self._stack.append(None)

    def handle_endtag(self, tag):
        if self._stack:
            self._stack.pop()

    def handle_data(self, data):
        for i in {i for i in self._stack if i is not None}:
            self.found[i][1] += data


def collect(html: str, cls: str) -> tuple[list[tuple[dict, str]], list[str]]:
    parser = _Collect(cls)
    parser.feed(html)
    return [tuple(x) for x in parser.found], parser.tags


def _sentences(text: str) -> list[Sentence]:
    out, pos = [], 0
    kinds = ["promo", "body", "body", "furniture"]
    for n, line in enumerate(x for x in text.split("\n") if x):
        start = text.index(line, pos)
        out.append(Sentence(n, "evil.txt", start, start + len(line), line, n, n, kinds[n]))
        pos = start + len(line)
    return out


@pytest.fixture
def doc() -> Document:
    meta = DocumentMeta(title=f"Title {EVIL}", credit="AFP")
    return Document("evil.txt", "evil.txt", "evil.txt", "txt", "0" * 64, meta, 4, "2026-01-13T10:00:00Z")


@pytest.fixture
def sentences() -> list[Sentence]:
    return _sentences(TEXT)


def _citation(n: int, s: Sentence) -> Citation:
    return Citation(n, s.doc_id, "Title", s.doc_id, s.start, s.end, s.text, 0.8)


def test_source_marks_cited_sentences_at_their_offsets(doc, sentences):
    c1, c2 = _citation(1, sentences[1]), _citation(2, sentences[2])
    html = render_source(doc, TEXT, sentences, [c1, c2], active=2)
    marks, _ = collect(html, "cite")
    assert [(m["data-cids"], text) for m, text in marks] == [("1", c1.text), ("2", c2.text)]
    for attrs, text in marks:
        assert TEXT[int(attrs["data-start"]) : int(attrs["data-end"])] == text
    active, _ = collect(html, "cite-active")
    assert [text for _, text in active] == [c2.text]


def test_source_escapes_everything_and_keeps_text_verbatim(doc, sentences):
    html = render_source(doc, TEXT, sentences, [_citation(1, sentences[1])])
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    _, tags = collect(html, "x")
    assert "script" not in tags and "img" not in tags
    body, _ = collect(html, "source-text")
    assert body[0][1] == TEXT  # unescaped by the parser: the full text, character for character


def test_boilerplate_is_muted_not_hidden(doc, sentences):
    html = render_source(doc, TEXT, sentences)
    muted, _ = collect(html, "boilerplate")
    assert [t for _, t in muted] == ["Sign up now: get the newsletter", "Related Articles"]


def test_meta_says_unknown(doc, sentences):
    html = render_source(doc, TEXT, sentences)
    unknown, _ = collect(html, "unknown")
    assert [t for _, t in unknown] == ["unknown", "unknown"]  # publisher, published
    assert "Title &lt;script&gt;" in html


def test_two_citations_of_one_sentence_share_one_mark(doc, sentences):
    html = render_source(doc, TEXT, sentences, [_citation(1, sentences[1]), _citation(3, sentences[1])])
    marks, _ = collect(html, "cite")
    assert len(marks) == 1 and marks[0][0]["data-cids"] == "1 3"


def test_overlapping_or_out_of_range_citations_are_not_double_marked(doc, sentences):
    s = sentences[1]
    bad = Citation(2, s.doc_id, "T", s.doc_id, s.start + 3, s.end + 5, "x", 0.5)
    outside = Citation(3, s.doc_id, "T", s.doc_id, len(TEXT), len(TEXT) + 4, "x", 0.5)
    html = render_source(doc, TEXT, sentences, [_citation(1, s), bad, outside])
    marks, _ = collect(html, "cite")
    assert len(marks) == 1
    body, _ = collect(html, "source-text")
    assert body[0][1] == TEXT


def _answer(found: bool, sentences: list[Sentence]) -> Answer:
    s = sentences[1]
    citation = _citation(1, s)
    passage = PassageHit(s.doc_id, "Title", s.doc_id, s.start, s.end, s.text, 0.42)
    if not found:
        return Answer(EVIL, False, NOT_FOUND, (), (passage,))
    return Answer(EVIL, True, f"{s.text} [1]", (citation,), (passage,), (Statement(s.text, (1,)),))


def test_answer_has_chips_and_escaped_statements(sentences):
    html = render_answer(_answer(True, sentences))
    chips, tags = collect(html, "cite-chip")
    assert chips[0][0]["data-cite"] == "1" and chips[0][1] == "[1]"
    assert "script" not in tags
    statements, _ = collect(html, "statement")
    assert statements[0][1].startswith(sentences[1].text)


def test_answer_without_statements_turns_markers_into_chips(sentences):
    answer = _answer(True, sentences)
    plain = Answer(answer.question, True, answer.answer + " [7]", answer.citations, answer.passages)
    chips, _ = collect(render_answer(plain), "cite-chip")
    assert [a["data-cite"] for a, _ in chips] == ["1", "1"]  # in the text and in the references
    assert "[7]" in render_answer(plain)  # unknown marker left as text


def test_an_unsure_answer_says_so_above_its_statements(sentences):
    sure = _answer(True, sentences)
    notes, _ = collect(render_answer(replace(sure, unsure=True)), "unsure-note")
    assert len(notes) == 1 and notes[0][1] == UNSURE and notes[0][0]["role"] == "note"
    assert "unsure-note" not in render_answer(sure)


def test_not_found_says_so_and_labels_closest_passages(sentences):
    html = render_answer(_answer(False, sentences))
    assert "The sources don&#x27;t say." in html
    assert "Closest passages (not an answer)" in html
    assert "cite-chip" not in html


def test_turn_escapes_question_and_hides_sources(doc, sentences):
    answer = _answer(True, sentences)
    source = render_source(doc, TEXT, sentences, answer.citations)
    html = render_turn(1, EVIL, answer, {doc.doc_id: source})
    assert "<script>" not in html
    hidden, _ = collect(html, "turn-sources")
    assert "hidden" in hidden[0][0]


def test_highlight_terms_marks_words_and_escapes():
    html = highlight_terms("Lee told <b>NHK</b> things", {"nhk", "lee"})
    assert html == '<mark class="term">Lee</mark> told &lt;b&gt;<mark class="term">NHK</mark>&lt;/b&gt; things'


def test_check_rendering(sentences, doc):
    import numpy as np

    from assistant.answer.claims import Candidate

    def judge(claims, evidence):  # type: ignore[no-untyped-def]
        return np.array([[0.05, 0.9, 0.05]] * len(claims), dtype=np.float32)

    claim = EVIL + " Lee told NHK"
    html = render_check(check_claim(claim, [Candidate(sentences[1], "", doc.title)], [doc], judge))
    assert "contradicted by the sources" in html and "contradicts the claim" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "only the indexed articles" in check_help()


def test_documents_table(doc):
    html = render_documents([doc])
    assert "evil.txt" in html and "<script>" not in html and "2026-01-13 10:00:00" in html
    assert "No article" in render_documents([])
