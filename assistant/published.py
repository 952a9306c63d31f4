"""When an article was published: from its metadata, its dateline, or what its text implies.

Worked out once, when a document is indexed, and stored with it (``Document.dating``),
with the date expressions of its text resolved against that date; questions never scan
the corpus for dates.

In order of trust:

1. ``metadata``: the sidecar (``metadata.json``) or Markdown front matter;
2. ``html`` / ``pdf``: the page's metadata as trafilatura reads it, the PDF's creation date;
3. ``text``: a dateline near the top ('Published 3:12 PM EST, Thu January 8, 2026',
   'Jan. 28, 2025 Updated Jan. 29, 2025, 4:47 p.m. ET');
4. inferred (``text``, ``inferred``): the latest day the text names once a year-less
   'Jan 13' is placed after the last dated month it tells ('in November 2025'), or the
   date of a dated article that reports the same sentences (two agencies' copies of one
   story). The sentence it came from is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

import numpy as np

from assistant.dates import DateMention, find_dates, parse_date
from assistant.store import IndexData, vectors_of
from assistant.types import Dating, DocumentMeta, Format, PublishedFrom, Sentence

# A dateline is near the top: within these characters of the text's start.
_DATELINE_REACH = 600
_DATELINE_WORDS = re.compile(r"\b(?:published|posted|updated|first published|dated?)\b", re.I)
_DATELINE_MAX_CHARS = 140  # a line that is little more than a date
# Copies of one story: sentences this similar (cosine) in two articles, at least this many.
_TWIN_COSINE = 0.8
_MIN_TWINS = 3


def date_document(
    meta: DocumentMeta, fmt: Format, text: str, sentences: Sequence[Sentence], sidecar: Mapping[str, object] | None
) -> Dating:
    """The article's date and where it came from, and the dates its sentences tell."""
    published, source = _from_metadata(meta, fmt, sidecar)
    evidence: tuple[int, int] | None = None
    inferred = False
    if published is None:
        line = dateline(text, sentences)
        if line is not None:
            published, source, evidence = line[0], "text", line[1]
    unanchored: list[list[DateMention]] | None = None  # each sentence's dates, told from no date
    if published is None:
        unanchored = [find_dates(s.text) for s in sentences]
        implied = implied_date(sentences, unanchored)
        if implied is not None:
            published, source, evidence, inferred = implied[0], "text", implied[1], True
    dating = Dating(published and published.isoformat(), source, inferred, evidence)
    if published is None and unanchored is not None:  # still undated: the dates found above, placed
        found = [
            replace(m, start=m.start + s.start, end=m.end + s.start)
            for s, ms in zip(sentences, unanchored, strict=True)
            for m in ms
        ]
        return replace(dating, mentions=tuple((m.start, m.end, m.value) for m in found))
    return with_mentions(dating, sentences)


def with_mentions(dating: Dating, sentences: Sequence[Sentence]) -> Dating:
    """``dating`` with its text's date expressions, resolved against its date."""
    anchor = date.fromisoformat(dating.published) if dating.published else None
    found = [m for s in sentences for m in find_dates(s.text, anchor, offset=s.start)]
    return replace(dating, mentions=tuple((m.start, m.end, m.value) for m in found))


def _from_metadata(
    meta: DocumentMeta, fmt: Format, sidecar: Mapping[str, object] | None
) -> tuple[date | None, PublishedFrom | None]:
    given = (sidecar or {}).get("published")
    if isinstance(given, str) and parse_date(given):
        return parse_date(given), "metadata"
    found = parse_date(meta.published)
    if found is None:
        return None, None
    return found, {"html": "html", "pdf": "pdf"}.get(fmt, "metadata")  # type: ignore[return-value]


def dateline(text: str, sentences: Sequence[Sentence]) -> tuple[date, tuple[int, int]] | None:
    """The first whole date (day, month and year) near the top, in a line that says
    'Published' or 'Updated' or is little more than the date; with that line's span."""
    for s in sentences:
        if s.start >= _DATELINE_REACH:
            break
        for line_start, line in _lines(s):
            if len(line) > _DATELINE_MAX_CHARS and not _DATELINE_WORDS.search(line):
                continue
            for m in find_dates(line):
                if m.value and len(m.value) == 10 and re.search(r"(?:19|20)\d\d", m.text):
                    return date.fromisoformat(m.value), (line_start, line_start + len(line))
    return None


def _lines(s: Sentence) -> list[tuple[int, str]]:
    out, at = [], s.start
    for line in s.text.split("\n"):
        stripped = line.strip()
        if stripped:
            out.append((at + line.index(stripped), stripped))
        at += len(line) + 1
    return out


def implied_date(
    sentences: Sequence[Sentence], found: Sequence[Sequence[DateMention]] | None = None
) -> tuple[date, tuple[int, int]] | None:
    """The latest day the text names, a year-less 'Jan 13' placed after the latest month
    the text dates with its year ('in November 2025'): news gives the year of an earlier
    month and leaves it out for the days of its own. None without both."""
    if found is None:
        found = [find_dates(s.text) for s in sentences]
    told: list[tuple[Sentence, DateMention]] = [(s, m) for s, ms in zip(sentences, found, strict=True) for m in ms]
    dated_months = [m.value[:7] for _, m in told if m.value and "/" not in m.value and len(m.value) >= 7]
    if not dated_months:
        return None
    latest = max(dated_months)
    provisional = date(int(latest[:4]), int(latest[5:7]), 15)
    best: tuple[date, Sentence] | None = None
    for s, m in told:
        resolved = find_dates(s.text[m.start : m.end], provisional)
        value = resolved[0].value if resolved and resolved[0].kind == "absolute" else None
        if value and len(value) == 10 and (best is None or date.fromisoformat(value) > best[0]):
            best = (date.fromisoformat(value), s)
    if best is None:
        return None
    return best[0], (best[1].start, best[1].end)


def borrow_from_twins(
    documents: Mapping[str, Dating],
    undated: Sequence[str],
    rows: Mapping[str, np.ndarray],
    vectors: np.ndarray,
    doc_of_row: Sequence[str],
    spans: Sequence[tuple[int, int]],
) -> dict[str, Dating]:
    """Dates for undated articles that carry the same story as a dated one.

    Args:
        documents: every document's dating, by doc id.
        undated: the doc ids to date.
        rows: per doc id, the rows of ``vectors`` that hold its sentences.
        vectors: unit sentence vectors of all documents.
        doc_of_row, spans: each row's doc id and (start, end).

    Returns:
        The new datings (inferred, with the twin sentence as evidence), by doc id.
    """
    out: dict[str, Dating] = {}
    # any dated article may lend its date, an inferred one too: which other articles sit in
    # the collection must not change an article's date (a twin with a stated date is preferred)
    dated = np.array([documents[d].published is not None for d in doc_of_row])
    if not dated.any():
        return out
    for doc_id in undated:
        own = rows.get(doc_id)
        if own is None or not len(own):
            continue
        sims = vectors[own] @ vectors[dated].T
        best = sims.max(axis=1)
        twin_rows = np.flatnonzero(dated)[sims.argmax(axis=1)]
        by_doc: dict[str, list[int]] = {}
        for i, (sim, row) in enumerate(zip(best, twin_rows, strict=True)):
            if sim >= _TWIN_COSINE and doc_of_row[row] != doc_id:
                by_doc.setdefault(doc_of_row[row], []).append(i)
        if not by_doc:
            continue
        enough = {d: h for d, h in by_doc.items() if len(h) >= _MIN_TWINS}
        if not enough:
            continue
        source, hits = max(enough.items(), key=lambda kv: (not documents[kv[0]].inferred, len(kv[1])))
        evidence = spans[int(own[hits[0]])]
        out[doc_id] = Dating(documents[source].published, "text", True, evidence)
    return out


def date_twins(data: IndexData, new: Sequence[str]) -> None:
    """Give the undated ones of the ``new`` documents the date of a dated article that
    carries the same story. Only new documents are looked at: the vectors are read
    back from the index once, and only when one of them is undated."""
    undated = [d for d in new if d in data.documents and data.documents[d].dating.published is None]
    if not undated or all(doc.dating.published is None for doc in data.documents.values()):
        return  # nothing to date them from: the vectors are not read
    ids, vectors = vectors_of(data.sentence_vectors)
    where = {s.id: s for doc in data.sentences.values() for s in doc}
    doc_of_row = [where[int(i)].doc_id for i in ids]
    rows: dict[str, list[int]] = {}
    for r, doc_id in enumerate(doc_of_row):
        rows.setdefault(doc_id, []).append(r)
    spans = [(where[int(i)].start, where[int(i)].end) for i in ids]
    datings = {d: doc.dating for d, doc in data.documents.items()}
    found = borrow_from_twins(datings, undated, {d: np.array(r) for d, r in rows.items()}, vectors, doc_of_row, spans)
    for doc_id, dating in found.items():
        doc = data.documents[doc_id]
        data.documents[doc_id] = replace(doc, dating=with_mentions(dating, data.sentences[doc_id]))
