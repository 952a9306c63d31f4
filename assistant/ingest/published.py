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

from assistant.language.dates import DateMention, find_dates, parse_date
from assistant.types import Dating, DocumentMeta, Format, PublishedFrom, Sentence

# A dateline is near the top: within these characters of the text's start.
_DATELINE_REACH = 600
_DATELINE_WORDS = re.compile(r"\b(?:published|posted|updated|first published|dated?)\b", re.I)
_DATELINE_MAX_CHARS = 140  # a line that is little more than a date


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
    dating = Dating(published.isoformat() if isinstance(published, date) else published, source, inferred, evidence)
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
