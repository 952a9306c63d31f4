"""HTML for the web app. Every piece of document, question or claim text goes through esc().

Nothing here reads files or calls the assistant: functions take the core's dataclasses
and return HTML strings, so that they can be tested on their own.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from assistant import display
from assistant.answer.claims import LIMITS, MEANING, ClaimCheck
from assistant.answer.compose import UNSURE, YES_NO
from assistant.types import Answer, AnswerSpan, Citation, Document, FileOutcome, PassageHit, Sentence
from assistant.web import render_dates

UNKNOWN = "unknown"
NOT_FOUND = "The sources don't say."
_WORD = re.compile(r"\w+(?:[’'-]\w+)*")
_MARKER = re.compile(r"\[(\d+)\]")
_STOPWORDS = frozenset(
    "a an and are as at be been but by did do does for from had has have he her his how i in "
    "is it its of on or our she so than that the their them then there these they this to "
    "was we were what when where which who whom why will with would you".split()
)


def esc(text: object) -> str:
    """Escape text for HTML content and attribute values."""
    return html.escape(str(text), quote=True)


def _score(value: float) -> str:
    return f"{value:.2f}"


# ---------------------------------------------------------------------------- answers


def chip(citation_id: int, citation: Citation | None = None) -> str:
    """A clickable ``[n]`` marker; the page's script opens the cited sentence."""
    title = ""
    if citation is not None:
        where = f", p. {citation.page}" if citation.page else ""
        title = f' title="{esc(display.title(citation.title) + where)}"'
    return f'<button type="button" class="cite-chip" data-cite="{citation_id}"{title}>[{citation_id}]</button>'


def render_answer(answer: Answer) -> str:
    """The answer's statements with citation chips, or a plain not-found reply."""
    if not answer.found:
        return (
            '<div class="answer not-found">'
            + render_dates.time_note(answer)
            + f'<p class="not-found-text">{esc(NOT_FOUND)}</p>'
            + render_passages(answer.passages, title="Closest passages (not an answer)", open_=True)
            + "</div>"
        )
    by_id = {c.id: c for c in answer.citations}
    if answer.statements:
        parts = [
            f'<span class="statement">{_with_words(s.text, answer.answer_span if n == 0 else None)}'
            + "".join(" " + chip(c, by_id.get(c)) for c in s.citations)
            + "</span>"
            for n, s in enumerate(answer.statements)
        ]
        body = " ".join(parts)
    else:  # no statement structure: turn the [n] markers of the plain text into chips
        body = _MARKER.sub(
            lambda m: chip(int(m[1]), by_id.get(int(m[1]))) if int(m[1]) in by_id else m[0],
            esc(answer.answer),
        )
    note = render_dates.time_note(answer)
    if answer.unsure:
        note += f'<p class="unsure-note" role="note">{esc(UNSURE)}</p>'
    if answer.yes_no:
        note += f'<p class="yes-no yes-no-{esc(answer.yes_no)}">{esc(YES_NO[answer.yes_no])}</p>'
    return f'<div class="answer found">{note}<p>{body}</p>{_references(answer.citations)}</div>'


def _with_words(text: str, span: AnswerSpan | None) -> str:
    """``text`` escaped, its first occurrence of the reader's answer words in bold."""
    at = text.find(span.text) if span is not None and span.text else -1
    if span is None or at < 0:
        return esc(text)
    end = at + len(span.text)
    return f'{esc(text[:at])}<strong class="answer-words">{esc(text[at:end])}</strong>{esc(text[end:])}'


def _references(citations: Sequence[Citation]) -> str:
    """The cited articles, each once, with the chips of the citations it holds."""
    by_doc: dict[str, list[Citation]] = {}
    for c in citations:
        by_doc.setdefault(c.doc_id, []).append(c)
    items = "".join(
        f'<li><span class="ref-title">{esc(display.title(cits[0].title))}</span> '
        + " ".join(chip(c.id, c) for c in cits)
        + "".join(render_dates.citation_dates(c) for c in cits)
        + "</li>"
        for cits in by_doc.values()
    )
    return f'<ul class="refs">{items}</ul>' if items else ""


def render_passages(passages: Sequence[PassageHit], *, title: str = "Retrieved passages", open_: bool = False) -> str:
    """An expandable list of passages with their article, closest first (the raw score only
    in a tooltip: a number without a scale tells a reader nothing)."""
    if not passages:
        return f'<p class="muted">{esc(title)}: none.</p>'
    items = "".join(
        f'<li class="passage" title="retrieval score {_score(p.score)}: the higher, the closer to the question">'
        f'<span class="passage-doc">{esc(display.title(p.title))}'
        + (f", p. {p.page}" if p.page else "")
        + f'</span><blockquote class="passage-text">{esc(p.text)}</blockquote></li>'
        for p in passages
    )
    opened = " open" if open_ else ""
    return (
        f'<details class="passages"{opened}><summary>{esc(title)} ({len(passages)})</summary>'
        f'<ol class="passage-list">{items}</ol></details>'
    )


def render_turn(number: int, question: str, answer: Answer, sources: Mapping[str, str]) -> str:
    """One question and its answer, with the cited articles kept hidden for the source panel.

    Args:
        number: the turn's ordinal in the conversation.
        question: the question as the user typed it.
        answer: the core's answer.
        sources: doc_id -> render_source(...) HTML of each cited article.
    """
    resolved = ""
    if answer.resolved_question and answer.resolved_question.strip() != question.strip():
        resolved = f'<p class="resolved muted">Understood as: {esc(answer.resolved_question)}</p>'
    passages = render_passages(answer.passages) if answer.found else ""
    hidden = "".join(sources.values())
    return (
        f'<section class="turn" data-turn="{number}">'
        f'<div class="question"><span class="who">You</span><p>{esc(question)}</p></div>'
        f'<div class="reply"><span class="who">Answer</span>{resolved}{render_answer(answer)}'
        f"{passages}</div>"
        f'<div class="turn-sources" hidden>{hidden}</div></section>'
    )


def render_transcript(turns: Sequence[str]) -> str:
    """The whole conversation, oldest first."""
    if not turns:
        return (
            '<div class="transcript empty"><p class="muted">Ask a question about the articles. '
            "Every sentence of an answer is quoted from a source; click its [n] to see it "
            "in its article.</p></div>"
        )
    return '<div class="transcript">' + "".join(turns) + "</div>"


def render_error(question: str, message: str) -> str:
    """A turn whose question could not be answered (bad input or a broken index)."""
    return (
        f'<section class="turn error"><div class="question"><span class="who">You</span>'
        f'<p>{esc(question)}</p></div><div class="reply"><p class="error-text">{esc(message)}</p>'
        "</div></section>"
    )


# ---------------------------------------------------------------------------- sources


def render_meta(doc: Document) -> str:
    """The article's header: title and what is known about it, 'unknown' elsewhere."""
    meta = doc.meta
    rows = [
        ("Publisher", meta.publisher),
        ("Published", render_dates.published_text(doc.dating) or meta.published),
        ("Credit", meta.credit),
    ]
    rows += [
        (name, value)
        for name, value in (("Section", meta.section), ("Author", meta.author), ("URL", meta.url))
        if value
    ]
    cells = "".join(
        f'<div><dt>{name}</dt><dd class="{"" if value else "unknown"}">{esc(value or UNKNOWN)}</dd></div>'
        for name, value in rows
    )
    cells += f"<div><dt>File</dt><dd>{file_name(doc.doc_id)}</dd></div>"
    return f'<header class="source-head"><h3>{esc(display.title(doc.title))}</h3><dl class="meta">{cells}</dl></header>'


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str
    cids: tuple[int, ...] = ()


def _spans(sentences: Iterable[Sentence], citations: Iterable[Citation], length: int) -> list[_Span]:
    """Non-overlapping spans to mark: cited ranges first, then the other sentences."""
    kinds = {(s.start, s.end): s.kind for s in sentences}
    cited: dict[tuple[int, int], list[int]] = {}
    for c in citations:
        cited.setdefault((c.start, c.end), []).append(c.id)
    spans: list[_Span] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return 0 <= start < end <= length and all(end <= a or start >= b for a, b in taken)

    for (start, end), ids in sorted(cited.items()):
        if free(start, end):
            spans.append(_Span(start, end, kinds.get((start, end), "body"), tuple(sorted(ids))))
            taken.append((start, end))
    for (start, end), kind in sorted(kinds.items()):
        if free(start, end):
            spans.append(_Span(start, end, kind))
            taken.append((start, end))
    return sorted(spans, key=lambda s: s.start)


def render_source(
    doc: Document,
    text: str,
    sentences: Sequence[Sentence],
    citations: Sequence[Citation] = (),
    *,
    active: int | None = None,
    words: AnswerSpan | None = None,
) -> str:
    """The full article, cited sentences marked at their exact offsets.

    Each cited range becomes one ``<mark class="cite" data-cids data-start data-end>``
    whose text is exactly ``text[start:end]``; the one holding citation ``active`` also
    has the class ``cite-active``, and the reader's answer ``words`` inside a cited range
    are a ``<strong class="answer-words">`` at their offsets. Boilerplate sentences are
    shown muted, not hidden.
    """
    out: list[str] = []
    pos = 0
    for span in _spans(sentences, citations, len(text)):
        out.append(esc(text[pos : span.start]))
        piece = _piece(text, span, words)
        content = span.kind in ("body", "headline")
        kind_class = f"kind-{esc(span.kind)}" + ("" if content else " boilerplate")
        where = f'data-start="{span.start}" data-end="{span.end}"'
        if span.cids:
            active_class = " cite-active" if active in span.cids else ""
            ids = " ".join(str(i) for i in span.cids)
            label = ", ".join(f"[{i}]" for i in span.cids)
            out.append(
                f'<mark class="cite {kind_class}{active_class}" data-cids="{ids}" {where} '
                f'title="{esc(label)}">{piece}</mark>'
            )
        else:
            title = "" if content else f' title="{esc(span.kind)}: shown, never cited"'
            out.append(f'<span class="sent {kind_class}" {where}{title}>{piece}</span>')
        pos = span.end
    out.append(esc(text[pos:]))
    return (
        f'<article class="source-doc" data-doc="{esc(doc.doc_id)}">{render_meta(doc)}'
        f'<div class="source-text">{"".join(out)}</div></article>'
    )


def _piece(text: str, span: _Span, words: AnswerSpan | None) -> str:
    """A marked range's text, escaped, with the answer words in it in bold."""
    if words is None or words.citation not in span.cids or not span.start <= words.start < words.end <= span.end:
        return esc(text[span.start : span.end])
    return (
        esc(text[span.start : words.start])
        + f'<strong class="answer-words" data-start="{words.start}" data-end="{words.end}">'
        + esc(text[words.start : words.end])
        + "</strong>"
        + esc(text[words.end : span.end])
    )


def render_documents(documents: Sequence[Document]) -> str:
    """A table of the indexed articles."""
    if not documents:
        return '<p class="muted">No article is indexed.</p>'
    rows = "".join(
        "<tr>"
        f"<td>{esc(display.title(d.title))}</td><td>{file_name(d.doc_id)}</td>"
        f"<td>{esc(d.meta.publisher or UNKNOWN)}</td><td>{esc(render_dates.published_text(d.dating) or d.meta.published or UNKNOWN)}</td>"
        f"<td>{esc(d.meta.credit or UNKNOWN)}</td><td>{esc(d.format)}</td>"
        f'<td class="num">{d.n_sentences}</td><td>{esc(d.added_at[:19].replace("T", " "))}</td>'
        "</tr>"
        for d in documents
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "Title",
            "File",
            "Publisher",
            "Published",
            "Credit",
            "Format",
            "Sentences",
            "Indexed (UTC)",
        )
    )
    return f'<table class="doc-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


# ---------------------------------------------------------------------------- claims


def content_words(text: str) -> set[str]:
    """Lower-cased words of ``text`` that carry meaning (used only for highlighting)."""
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _STOPWORDS}


def highlight_terms(text: str, terms: set[str]) -> str:
    """``text`` escaped, with the words found in ``terms`` marked."""
    out: list[str] = []
    pos = 0
    for m in _WORD.finditer(text):
        if m[0].lower() in terms:
            out.append(esc(text[pos : m.start()]))
            out.append(f'<mark class="term">{esc(m[0])}</mark>')
            pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def render_check(result: ClaimCheck, articles: Mapping[str, str] | None = None) -> str:
    """The overall verdict, then each source's verdict with its deciding sentence (the
    conflicting words marked on both sides for a contradiction) and, from ``articles``
    (doc_id -> ``render_source`` HTML with that sentence marked), the article to open."""
    articles = articles or {}
    sources = []
    for src in result.sources:
        body = '<p class="muted">No sentence of this source addresses the claim.</p>'
        if src.evidence is not None:
            marked = None
            if src.conflict is not None:
                rel = (src.conflict.source.start - src.evidence.start, src.conflict.source.end - src.evidence.start)
                marked = rel if 0 <= rel[0] <= rel[1] <= len(src.evidence.text) else None
            body = (
                f'<blockquote class="check-evidence" data-start="{src.evidence.start}" data-end="{src.evidence.end}">'
                f"{_mark(src.evidence.text, marked, 'conflict-source')}</blockquote>"
            )
        article = articles.get(src.doc_id, "")
        if article:
            body += f'<details class="check-article"><summary>Read it in the article</summary>{article}</details>'
        sources.append(
            f'<section class="check-source verdict-{src.verdict}" data-doc="{esc(src.doc_id)}">'
            f'<h4>{esc(display.title(src.title))}</h4><p class="verdict-label">{esc(src.label)}</p>'
            f"{body}</section>"
        )
    claim = esc(result.claim)
    conflict = next((s.conflict for s in result.sources if s.conflict is not None), None)
    if conflict is not None:
        claim = _mark(result.claim, (conflict.claim.start, conflict.claim.end), "conflict-claim")
    return (
        f'<div class="check-result"><p class="check-claim">Claim: <q>{claim}</q></p>'
        f'<p class="verdict-banner verdict-{result.verdict}">{esc(result.label)}</p>' + "".join(sources) + "</div>"
    )


def _mark(text: str, span: tuple[int, int] | None, kind: str) -> str:
    """``text`` escaped, with ``span`` (relative offsets) in a mark of class ``kind``."""
    if span is None:
        return esc(text)
    a, b = span
    return f'{esc(text[:a])}<mark class="{kind}">{esc(text[a:b])}</mark>{esc(text[b:])}'


def check_help() -> str:
    """What the verdicts mean and what the verifier cannot know."""
    return f'<div class="check-help"><p>{esc(MEANING)}</p><p><strong>Limits.</strong> {esc(LIMITS)}</p></div>'


def file_name(name: str) -> str:
    """A file name as HTML: escaped, invisible characters written out, look-alikes flagged."""
    shown = display.show(name)
    html_name = f'<code class="file-name">{esc(shown.text)}</code>'
    if shown.warning:
        html_name += f' <span class="name-warning" title="{esc(shown.warning)}">⚠ {esc(shown.warning)}</span>'
    return html_name


def render_add_report(report: Any) -> str:
    """What an upload did: a summary, then one line per file (added, updated, skipped or refused: why)."""
    parts = [
        f"<p>Added {len(report.added)}, updated {len(report.updated)}, "
        f"skipped {len(report.skipped)}, refused {len(report.errors)}.</p>"
    ]
    items = [_outcome(o) for o in report.files]
    if items:
        parts.append(f'<ul class="add-report">{"".join(items)}</ul>')
    return "".join(parts)


def _outcome(outcome: FileOutcome) -> str:
    name = file_name(outcome.name)
    if outcome.status == "refused":
        return f'<li class="error-text">refused {name}: {esc(outcome.detail)}</li>'
    if outcome.status == "skipped":
        return f'<li class="muted">skipped {name} (already indexed as {file_name(outcome.detail)})</li>'
    renamed = f" as {file_name(outcome.detail)}" if outcome.detail != PurePath(outcome.name).name else ""
    return f"<li>{outcome.status} {name}{renamed}</li>"
