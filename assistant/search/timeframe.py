"""Time in questions: the days a question's time words ask about, counted from an "as of"
day, and what that does to an answer.

'this week', 'last week', 'recently', "this year's", 'yesterday', 'in January', 'on
Tuesday', 'When will …' make a window of days (``asked_window``). Ranking then prefers
sentences of articles published inside it, or telling a date inside it (``prefer``); the
answer says when nothing in the sources is from then, with the closest evidence and its
date still cited (``annotate``). A question without time words gets no window and its
ranking is untouched. Every answer's citations carry their article's date and the dates
their text tells.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import InvalidQuestion
from assistant.language.dates import bounds, day_label, find_dates, label, plus
from assistant.search.tuning import TIME
from assistant.types import Answer, Citation, DateSpan, Document, Statement, TextSpan, TimeWindow, answer_text

if TYPE_CHECKING:
    from assistant.language.question import Question
    from assistant.search.retrieve import Scored
    from assistant.search.view import IndexView


_RECENT = re.compile(r"\b(?:recent(?:ly)?|lately|latest|newest|most recent|these days|currently|so far)\b", re.I)
_FUTURE = re.compile(r"\bwhen\s+(?:will|is\s+the\s+next|are\s+the\s+next)\b|\bupcoming\b", re.I)
_FUTURE_TENSE = re.compile(r"\b(?:will|next|upcoming|coming)\b", re.I)
_YEAR = re.compile(r"(?:19|20)\d\d")


def as_of_day(value: date | str | None) -> date:
    """The as-of day: a date, an ISO 'YYYY-MM-DD' string, or today when None or empty.

    Raises:
        InvalidQuestion: a string that is not such a date.
    """
    if isinstance(value, date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return date.today()
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidQuestion(f"as_of must be a date written YYYY-MM-DD, such as 2026-01-13 (got {str(value)[:40]!r}).")


def timed(question: Question, day: date, given: bool, newest: Callable[[], date | None]) -> Question:
    """``question`` with the days its time words ask about, counted from ``day``. When no day
    was ``given`` and every article is older than the time asked about, the asker means the
    articles' own time ('on Tuesday' of the newest article's week): counted from ``newest()``
    then, and the question says so in ``as_of_note``."""
    window = asked_window(question.text, day)
    if window is not None and not given:
        latest = newest()
        if latest is not None and latest.isoformat() < window.start:
            note = f"Time words counted as of {day_label(latest)}, the newest article's date."
            return replace(question, window=asked_window(question.text, latest), as_of=latest, as_of_note=note)
    return replace(question, window=window, as_of=day)


def asked_window(question: str, as_of: date) -> TimeWindow | None:
    """The days the question's time words ask about, counted from ``as_of``; None without time words."""
    if _FUTURE.search(question):
        return _window(as_of, plus(as_of, TIME.future_days), f"{day_label(as_of)} or later", question)
    future = bool(_FUTURE_TENSE.search(question))
    spans = []
    for m in find_dates(question, as_of):
        if not m.value or _TOLD_FROM_EVENT.search(m.text):
            continue  # 'days after the summit' is told from an event, not from the as-of day
        explicit = _YEAR.search(m.text) or _COUNTED.match(m.text)
        value = m.value if explicit else _named(m.text, as_of, future)
        if value:
            spans.append((m.text, *bounds(value)))
    if spans:
        first, last = min(s[1] for s in spans), max(s[2] for s in spans)
        text = _label(first, last)
        if re.search(r"\bthis week", question, re.I):  # a week's news up to the day, as quizzes mean it
            first = min(first, plus(as_of, -6))
        return _window(first, last, text, " ".join(s[0] for s in spans))
    recent = _RECENT.search(question)
    if recent:
        first = plus(as_of, -TIME.recent_days)
        return _window(first, as_of, f"the {TIME.recent_days} days to {day_label(as_of)}", recent.group(0))
    return None


_TOLD_FROM_EVENT = re.compile(r"(?:after|before|later|earlier)$", re.I)
# told from the as-of day already: 'this week', 'last Tuesday', 'yesterday', 'two weeks ago'
_COUNTED = re.compile(
    r"(?:today|tonight|yesterday|tomorrow|this|last|next|earlier|later|the|past|coming)\b|.*\bago$", re.I
)
_WEEKDAY_NAME = re.compile(r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day", re.I)


def has_time_words(question: str, as_of: date | None = None) -> bool:
    """Whether a question asks about a time told from the as-of day ('this week', 'When will …')."""
    return asked_window(question, as_of or date.today()) is not None


def _named(text: str, as_of: date, future: bool) -> str | None:
    """A month, weekday or day named without a year ('in January', 'on Tuesday', 'Jan 13'):
    the last one up to ``as_of``, or the next one from it in a question about what is to come."""
    found = find_dates(f"in {text}", as_of)  # 'May' is a month only after a preposition
    if not found or not found[0].value:
        return None
    value = found[0].value
    weekly = bool(_WEEKDAY_NAME.fullmatch(text.strip()))
    for _ in range(2):
        first, last = bounds(value)
        if future and last < as_of:
            value = _shift(value, 1, weekly)
        elif not future and first > as_of:
            value = _shift(value, -1, weekly)
        else:
            break
    return value


def _shift(value: str, step: int, weekly: bool) -> str:
    """A week (a weekday) or a year (a month or day) on or back."""
    if weekly:
        return plus(date.fromisoformat(value), 7 * step).isoformat()
    year = int(value[:4]) + step
    if not 1 <= year <= 9999:  # the calendar's end: the value stays
        return value
    if value[4:] == "-02-29":
        return f"{year:04d}-02-28"
    return f"{year:04d}{value[4:]}"


def _window(first: date, last: date, text: str, words: str) -> TimeWindow:
    return TimeWindow(first.isoformat(), last.isoformat(), text, words)


def _label(first: date, last: date) -> str:
    if first == last:
        return day_label(first)
    if (last - first).days == 6 and first.weekday() == 0:
        return f"the week of {day_label(first)}"
    if first.day == 1 and last == bounds(first.isoformat()[:7])[1]:
        return first.strftime("%B %Y")
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31) and first.year == last.year:
        return str(first.year)
    return f"{day_label(first)} – {day_label(last)}"


# --- dates per searchable row ------------------------------------------------------------


@dataclass(frozen=True)
class _RowDates:
    published: np.ndarray  # per row: its article's date as an ordinal, or -1
    mention_row: np.ndarray  # per date told: its row
    mention_first: np.ndarray  # … and the first and last day it covers (ordinals)
    mention_last: np.ndarray

    def inside(self, first: int, last: int) -> np.ndarray:
        """Rows of articles published in [first, last] or telling a date inside it."""
        rows = (self.published >= first) & (self.published <= last)
        overlap = (self.mention_first <= last) & (self.mention_last >= first)
        # 'in 2026' or 'this month' is no evidence of 'this week': a told span may be at
        # most twice the window's length (or a week, for a day)
        narrow = (self.mention_last - self.mention_first) <= max(2 * (last - first), 7)
        rows[self.mention_row[overlap & narrow]] = True
        return rows


def row_dates(view: IndexView) -> _RowDates:
    """The dates of a generation's rows: columns worked out when it was saved."""
    c = view.columns
    return _RowDates(c.row_published, c.mention_row, c.mention_first, c.mention_last)


# --- ranking ------------------------------------------------------------------------------


def prefer(
    question: Question,
    ranked: list[Scored],
    view: IndexView,
    rank_sources: Callable[[Question], list[Scored]] | None = None,
) -> tuple[list[Scored], np.ndarray]:
    """``ranked`` with the sentences dated inside the question's window (``timed``) first
    when they fit the question, and the rows inside it.

    Searching (``Searcher.search``), ``rank_sources`` ranks the question over the articles
    inside the window, whose best sentences join the candidates even where the question's
    words alone did not reach them, and ``prob`` is the softmax of the new scores. After the
    reader (no ``rank_sources``) the candidates and the reader's probabilities stay as they
    are. An article published after the question's as-of day did not exist then: it is
    never inside, and ranks below the rest."""
    window, as_of = question.window, question.as_of
    if window is None or as_of is None:
        raise ValueError("prefer() needs a question with its time read (timeframe.timed)")
    dates = row_dates(view)
    first, last = (date.fromisoformat(window.start).toordinal(), date.fromisoformat(window.end).toordinal())
    later = dates.published > as_of.toordinal()
    inside = dates.inside(first, last) & ~later
    if not ranked:
        return ranked, inside
    row_of = view.row_of_id
    pool = {s.sentence.id: s for s in ranked}
    if rank_sources is not None and inside.any():
        doc_ids = view.columns.doc_ids
        docs = tuple(sorted(doc_ids[d] for d in np.unique(view.doc_of_row[inside])))
        for s in rank_sources(replace(question, sources=docs)):
            if s.sentence.id not in pool or pool[s.sentence.id].score < s.score:
                pool[s.sentence.id] = s
    candidates = list(pool.values())
    bonus = _bonus(candidates, inside, dates, first, last, row_of)
    if rank_sources is None:
        return _answers_of_then_first(candidates, bonus, later, row_of), inside
    bonus = [b - TIME.inside_bonus * later[row_of[s.sentence.id]] for s, b in zip(candidates, bonus, strict=True)]
    scores = np.array([s.score + b for s, b in zip(candidates, bonus, strict=True)])
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    order = np.argsort(-scores, kind="stable")
    return [replace(candidates[i], score=float(scores[i]), prob=float(probs[i])) for i in order], inside


def _answers_of_then_first(
    candidates: list[Scored], bonus: list[float], later: np.ndarray, row_of: Mapping[int, int]
) -> list[Scored]:
    """After the reader, the reader says what answers and the asked time says which answer
    leads: the candidates it reads as answering (``prob`` at least ``TIME.answers``) from the
    asked time (or, nothing being from then, the closest) first, the newest of them a
    little before the rest; then the others in the reader's order; articles published after
    the as-of day last. Scores stay the reader's, so its threshold and margins keep their
    meaning whatever its logits' spread; the one that leads takes the best score, as the
    strongest evidence."""

    def tier(s: Scored, b: float) -> int:
        if later[row_of[s.sentence.id]]:
            return 0
        return 2 if b > 0 and s.prob >= TIME.answers else 1

    keyed = []
    for s, b in zip(candidates, bonus, strict=True):
        t = tier(s, b)
        keyed.append((t, s.score + (b if t == 2 else 0.0), s))  # among the answers, the newest a little first
    keyed.sort(key=lambda k: (-k[0], -k[1]))
    ordered = [s for _, _, s in keyed]
    best = max(s.score for s in ordered)
    return [replace(ordered[0], score=best), *ordered[1:]] if ordered else ordered


def _bonus(
    candidates: list[Scored], inside: np.ndarray, dates: _RowDates, first: int, last: int, row_of: Mapping[int, int]
) -> list[float]:
    rows = [row_of[s.sentence.id] for s in candidates]
    published = dates.published[rows]
    if inside.any():
        span = max(last - first, 1)
        return [
            TIME.inside_bonus + TIME.newest_bonus * max(0, min(1, (p - first) / span)) if inside[r] else 0.0
            for r, p in zip(rows, published, strict=True)
        ]
    # nothing from then: the articles dated nearest it (never one published after it)
    gaps = [max(first - p, 0) if 0 <= p <= last else np.inf for p in published]
    nearest = min(gaps, default=np.inf)
    return [TIME.closest_bonus if np.isfinite(nearest) and gap == nearest else 0.0 for gap in gaps]


# --- the answer ---------------------------------------------------------------------------


def annotate(answer: Answer, view: IndexView, question: Question, inside: np.ndarray | None = None) -> Answer:
    """The answer with each citation's article date and told dates, the newer of two sources
    saying the same thing leading its statement, and a note when nothing is from the
    question's window (``timed``); ``inside``: the rows in it, as ``prefer`` found them."""
    as_of, window = question.as_of or date.today(), question.window
    documents = view.data.documents
    citations = tuple(_dated(c, documents[c.doc_id], view.data.texts[c.doc_id]) for c in answer.citations)
    statements = tuple(_newest_first(s, citations, as_of) for s in answer.statements)
    text = answer.answer
    if statements != answer.statements:
        text = answer_text(statements)
    note = _note(window, citations, statements, inside, view) if window is not None else None
    return replace(
        answer,
        answer=text,
        citations=citations,
        statements=statements,
        as_of=as_of.isoformat(),
        time_window=window,
        time_note=note,
    )


def _dated(c: Citation, doc: Document, text: str) -> Citation:
    dating = doc.dating
    evidence = None
    if dating.evidence:
        start, end = dating.evidence
        evidence = TextSpan(start, end, text[start:end])
    told = tuple(
        DateSpan(start, end, text[start:end], value, label(value) if value else None)
        for start, end, value in dating.mentions
        if c.start <= start and end <= c.end
    )
    return replace(
        c,
        published=dating.published,
        published_from=dating.source,
        published_inferred=dating.inferred,
        published_evidence=evidence,
        dates=told,
    )


def _newest_first(statement: Statement, citations: tuple[Citation, ...], as_of: date) -> Statement:
    """When sources dated differently say the same thing, the newest one (up to the as-of
    day) shows; the older stay cited beside it, each with its date."""
    by_id = {c.id: c for c in citations}
    cited = [by_id[i] for i in statement.citations if i in by_id]
    dated = [c for c in cited if c.published and not c.published_inferred and c.published <= as_of.isoformat()]
    if len(dated) < 2 or len({c.published for c in dated}) < 2:
        return statement
    shown = next((c for c in cited if c.text == statement.text), None)
    newest = max(dated, key=lambda c: c.published or "")
    if shown is None or shown.published is None or (newest.published or "") <= shown.published:
        return statement
    return replace(statement, text=newest.text)


def _note(
    window: TimeWindow,
    citations: tuple[Citation, ...],
    statements: tuple[Statement, ...],
    inside: np.ndarray | None,
    view: IndexView,
) -> str | None:
    """'Nothing in the sources is from the week of 5 Jan 2026; the closest, from 28 Aug 2025:'."""
    anything = inside is not None and bool(inside.any())
    if citations:
        top = citations[0]
        if statements:  # the citation whose text leads the answer (the newest of twins, say)
            top = next((c for c in citations if c.text == statements[0].text), top)
        if anything and inside is not None and any(inside[r] for r in _cited_rows(top, view)):
            return None
        when = _when(top)
        closest = f"the closest, from {when}:" if when else "the closest, undated:"
        if anything:
            return f"Nothing in the sources from {window.label} answers this; {closest}"
        return f"Nothing in the sources is from {window.label}; {closest}"
    return None if anything else f"Nothing in the sources is from {window.label}."


def _cited_rows(c: Citation, view: IndexView) -> list[int]:
    """The searchable rows a citation spans (a citation may join up to three sentences)."""
    return [
        view.row_of_id[s.id]
        for s in view.data.sentences.get(c.doc_id, ())
        if s.id in view.row_of_id and s.start < c.end and c.start < s.end
    ]


def _when(c: Citation) -> str | None:
    """A citation's date as a reader wants it: the day its text tells, else its article's."""
    for d in c.dates:
        if d.value and len(d.value) == 10:
            return day_label(date.fromisoformat(d.value))
    return day_label(date.fromisoformat(c.published)) if c.published else None
