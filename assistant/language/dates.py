"""Dates inside news text: absolute and relative expressions, with offsets, resolved
against the article's own date.

A resolved value is a string: a day ``2026-01-13``, a month ``2026-01``, a year ``2026``,
or a range ``2025-12-31/2026-01-12`` (first and last, each any of those). ``None`` means
the expression was found but its date is not known (no article date to count from, or
a time told from an event the text names: 'two days after the vote').

Hand-written patterns, not a general parser: ``benchmarks/bench_dates.py`` measured
dateparser's ``search_dates`` and dateutil's fuzzy parser on the seeds', the dated test
fixtures' and a few hand-written sentences (``tests/data/date_labels.jsonl``).
dateparser found 89% of the expressions but took 'we', 'may', 'now' and 'night after two
days of' for dates, gave one day for 'last week' or 'this month' (no range) and missed
'days after' and 'this week'; dateutil gives one date per sentence and no offsets. These
patterns follow how news writes dates ('Jan. 28, 2025', 'on Tuesday', 'earlier this
year') and take a fifteenth of dateparser's time.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Kind = Literal["absolute", "relative"]

# The calendar's words as news writes them, for every reader of text (features, segmentation)
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")  # fmt: skip
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_ABBREVIATIONS = ("Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun")

# Whether a sentence tells a time at all, read loosely (a ranking feature: nothing is dated
# by it): 'Jan 13', '13 January', 'March 2025', '1990s', 'Tuesday', 'last week', '19th century'.
_LOOSE_MONTH = r"(?:" + "|".join(MONTH_ABBREVIATIONS) + r")[a-z]*\.?"
# a month named in full; 'May' is left to the abbreviations' patterns (it is also a verb)
_MONTH_IN_FULL = "|".join(m for m in MONTH_NAMES if m != "May")
TELLS_TIME = re.compile(
    rf"\b(?:{_LOOSE_MONTH}\s+\d{{1,2}}\b|\d{{1,2}}\s+{_LOOSE_MONTH}|{_LOOSE_MONTH}\s+\d{{4}}|(?:1[5-9]|20)\d\d(?:s)?\b|"
    r"(?:" + "|".join(WEEKDAY_NAMES) + r"|yesterday|today|tomorrow|last (?:week|month|year)|"
    r"(?:" + _MONTH_IN_FULL + r"))\b|\b\d+(?:st|nd|rd|th) century)"
)
# A line that is a date and nothing else, possibly with weekday and time: 'Tue, 13 Jan 2026,
# 10:30 am SGT' (page furniture to the boilerplate filter; case-insensitive there).
DATE_LINE = (
    r"(?:\w+,? )?(?:\d{1,2} \w+\.?,? \d{4}|\w+\.? \d{1,2},? \d{4})"
    r"(?:,? (?:at )?\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?(?: [A-Z]{2,4})?)?"
)

_MONTH_NUMBER = {calendar.month_abbr[n].lower(): n for n in range(1, 13)} | {"sep": 9}
_WEEKDAY_NUMBER = {calendar.day_abbr[n].lower()[:2]: n for n in range(7)}

_MONTH = (
    r"(?P<month>Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?"
    r"|Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
)
_WEEKDAY_FULL = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_WEEKDAY = rf"(?P<weekday>{_WEEKDAY_FULL}|Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
# A sentence about what is to come: a date without a year or a bare weekday is then
# more likely ahead of the article's date than behind it.
_FUTURE = re.compile(
    r"\b(?:will|shall|to be held|is to|are to|scheduled|due to|plans? to|planned|expected to|upcoming|next)\b|'ll\b",
    re.I,
)


# Every pattern below needs one of these (a digit, a month, a weekday, a unit of time or a
# word like 'today'): a sentence with none of them is passed over without trying each.
_MAYBE = re.compile(
    r"\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|day|week|year"
    r"|tonight|tomorrow|morning|afternoon|evening",
    re.I,
)


@dataclass(frozen=True)
class DateMention:
    """A date expression found in text: ``text == source[start:end]``."""

    start: int
    end: int
    text: str
    value: str | None
    kind: Kind


@dataclass(frozen=True)
class _Context:
    anchor: date | None  # the article's date
    future: bool  # the sentence speaks of what is to come


_Handler = Callable[[re.Match[str], _Context], "str | None"]


def find_dates(text: str, anchor: date | None = None, offset: int = 0) -> list[DateMention]:
    """Date expressions of one sentence (or any text), resolved against ``anchor``.

    Offsets are ``offset`` plus the position in ``text``. Where patterns overlap, the
    longest expression wins ('Thu January 8, 2026' over 'January 8').
    """
    if not _MAYBE.search(text):
        return []
    context = _Context(anchor, bool(_FUTURE.search(text)))
    found: list[tuple[int, int, Kind, str | None]] = []
    for pattern, kind, handler, group in _PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span(group)
            found.append((start, end, kind, _safe(handler, m, context)))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out: list[DateMention] = []
    last_end = -1
    for start, end, kind, value in found:
        if start < last_end:
            continue
        out.append(DateMention(offset + start, offset + end, text[start:end], value, kind))
        last_end = end
    return out


def _safe(handler: _Handler, m: re.Match[str], context: _Context) -> str | None:
    try:
        value = handler(m, context)
        if value is not None:
            bounds(value)  # a value off the calendar ('3 years ago' in year 1) is no value
        return value
    except (ValueError, OverflowError):  # 'Feb 30', or a day before year 1 or after 9999
        return None


# --- values -------------------------------------------------------------------------------


def bounds(value: str) -> tuple[date, date]:
    """First and last day a value covers."""
    if "/" in value:
        first, last = value.split("/", 1)
        return bounds(first)[0], bounds(last)[1]
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        day = date(*parts)
        return day, day
    if len(parts) == 2:
        year, month = parts
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return date(parts[0], 1, 1), date(parts[0], 12, 31)


def label(value: str) -> str:
    """How a value reads: 'Tue 13 Jan 2026', 'Jan 2026', '2026', '31 Dec 2025 – 12 Jan 2026'."""
    if "/" in value:
        first, last = value.split("/", 1)
        return f"{_plain(first)} – {_plain(last)}"
    if value.count("-") == 2:
        return date.fromisoformat(value).strftime("%a ") + _plain(value)
    return _plain(value)


def _plain(value: str) -> str:
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return day_label(date(*parts))
    if len(parts) == 2:
        return f"{calendar.month_abbr[parts[1]]} {parts[0]}"
    return str(parts[0])


def day_label(day: date) -> str:
    """'5 Jan 2026'."""
    return f"{day.day} {calendar.month_abbr[day.month]} {day.year}"


def parse_date(text: str | None) -> date | None:
    """A whole date from a metadata field: ISO 8601 ('2026-01-13', '2026-01-13T08:00:00Z')
    or as written ('Jan. 28, 2025', 'Thu, 08 Jan 2026 15:12:00 -0500'); None otherwise."""
    if not text:
        return None
    text = text.strip()
    iso = re.match(r"((?:19|20)\d\d)-?([01]\d)-?([0-3]\d)(?![\d])", text)
    if iso:
        try:
            return date(*(int(g) for g in iso.groups()))
        except ValueError:
            return None
    for m in find_dates(text):
        if m.value and m.value.count("-") == 2 and "/" not in m.value:
            return date.fromisoformat(m.value)
    return None


def _iso(day: date) -> str:
    return day.isoformat()


def _month_value(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _month_of(m: re.Match[str]) -> int:
    return _MONTH_NUMBER[m.group("month")[:3].lower()]


def _closest_year(month: int, day: int, context: _Context) -> int | None:
    """The year that puts month/day nearest the anchor, leaning towards the past in a
    sentence about the past and towards the future in one about what is to come."""
    if context.anchor is None:
        return None
    anchor = context.anchor
    best, best_cost = None, None
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            candidate = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        except ValueError:
            continue
        gap = (candidate - anchor).days
        cost = abs(gap) * (2 if (gap > 0) != context.future and gap != 0 else 1)
        if best_cost is None or cost < best_cost:
            best, best_cost = year, cost
    return best


# --- handlers -----------------------------------------------------------------------------


def _full_date(m: re.Match[str], context: _Context) -> str | None:
    month, day = _month_of(m), int(m.group("day"))
    year = int(m.group("year")) if m.group("year") else _closest_year(month, day, context)
    if year is None:
        return None
    value = date(year, month, day)
    weekday = m.group("weekday")
    if weekday and value.weekday() != _WEEKDAY_NUMBER[weekday[:2].lower()]:
        return None  # the weekday given does not fit: not a date this reading can vouch for
    return _iso(value)


def _iso_date(m: re.Match[str], context: _Context) -> str | None:
    return _iso(date(int(m.group("year")), int(m.group("m")), int(m.group("d"))))


def _month_year(m: re.Match[str], context: _Context) -> str | None:
    return _month_value(int(m.group("year")), _month_of(m))


def _year(m: re.Match[str], context: _Context) -> str | None:
    return m.group("year")


def _year_range(m: re.Match[str], context: _Context) -> str | None:
    first, last = m.group("year"), m.group("last")
    return f"{first}/{last}" if int(first) < int(last) else None


def _bare_month(m: re.Match[str], context: _Context) -> str | None:
    if context.anchor is None:
        return None
    month, anchor = _month_of(m), context.anchor
    year: int | None
    modifier = (m.groupdict().get("mod") or "").lower()
    if modifier == "last":
        year = anchor.year if month < anchor.month else anchor.year - 1
    elif modifier == "next":
        year = anchor.year if month > anchor.month else anchor.year + 1
    elif modifier == "this":
        year = anchor.year
    elif _since(m):  # 'since August': the latest August by the article's date, whatever the tense
        year = anchor.year if month <= anchor.month else anchor.year - 1
    else:
        year = _closest_year(month, 15, context)
    return _month_value(year, month) if year else None


def _weekday(m: re.Match[str], context: _Context) -> str | None:
    if context.anchor is None:
        return None
    anchor = context.anchor
    wanted = _WEEKDAY_NUMBER[m.group("weekday")[:2].lower()]
    ahead = (wanted - anchor.weekday()) % 7  # 0..6 days on
    modifier = (m.group("mod") or "").lower()
    if modifier == "last":
        shift = ahead - 7 if ahead else -7
    elif modifier == "next":
        shift = ahead or 7
    elif modifier == "this":
        shift = ahead
    elif _since(m):  # 'since Monday': the latest one (today's, if today), even about what is to come
        shift = ahead - 7 if ahead else 0
    else:  # news names a weekday of the week around its date: the coming one if about the future
        shift = ahead if context.future or ahead == 0 else ahead - 7
    return _iso(anchor + timedelta(days=shift))


_SINCE = re.compile(r"\bsince\s+$", re.I)


def _since(m: re.Match[str]) -> bool:
    """Whether the expression follows 'since' (in the match, as 'since May' is, or just
    before it): it names a time no later than the article's."""
    return m.group(0)[:6].lower() == "since " or bool(_SINCE.search(m.string[max(0, m.start() - 8) : m.start()]))


def plus(day: date, days: int) -> date:
    """``day`` moved by ``days``, held at the calendar's ends (1 Jan 1, 31 Dec 9999) rather
    than failing: time words counted from a day near either end stay answerable."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _span(first: date, last: date) -> str:
    return _iso(first) if first == last else f"{_iso(first)}/{_iso(last)}"


def _relative(m: re.Match[str], context: _Context) -> str | None:
    """today, yesterday, this/last/next week|month|year, earlier/later this …, the past week."""
    if context.anchor is None:
        return None
    return relative_value(m.group(0), context.anchor)


def relative_value(words: str, anchor: date) -> str | None:
    """The value of a relative expression such as 'last week' told on ``anchor``."""
    words = " ".join(re.sub(r"['’]s$", "", words.lower()).split())
    one_day = {"today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "this evening": 0}
    one_day |= {"yesterday": -1, "tomorrow": 1}
    if words in one_day:
        return _iso(anchor + timedelta(days=one_day[words]))
    match = re.fullmatch(r"(earlier|later)? ?(?:the )?(this|last|next|past|coming) (week|month|year)", words)
    if not match:
        return None
    part, which, unit = match.groups()
    if which == "past":  # the seven days, month or year up to now
        length = {"week": 7, "month": 30, "year": 365}[unit]
        return _span(anchor - timedelta(days=length), anchor)
    first, last = _period(anchor, unit, {"this": 0, "last": -1, "next": 1, "coming": 1}[which])
    if part == "earlier":
        last = min(last, anchor)
    elif part == "later":
        first = max(first, anchor)
    if not part and unit != "week":  # a whole month or year: '2025-12', '2025'
        return _iso(first)[: 7 if unit == "month" else 4]
    return _span(first, last)


def _period(anchor: date, unit: str, step: int) -> tuple[date, date]:
    """The calendar week (Monday to Sunday), month or year holding ``anchor``, moved ``step`` units."""
    if unit == "week":
        first = _monday(anchor) + timedelta(days=7 * step)
        return first, first + timedelta(days=6)
    if unit == "month":
        index = anchor.year * 12 + anchor.month - 1 + step
        year, month = divmod(index, 12)
        return bounds(_month_value(year, month + 1))
    return bounds(str(anchor.year + step))


def _ago(m: re.Match[str], context: _Context) -> str | None:
    """'two weeks ago', 'three days ago': counted back from the article's date."""
    if context.anchor is None:
        return None
    count = m.group("count").lower()
    n = int(count) if count.isdigit() else NUMBER_WORDS.get(count, 0)
    unit = m.group("unit").lower().rstrip("s")
    anchor = context.anchor
    if unit == "day":
        return _iso(anchor - timedelta(days=n))
    if unit == "week":
        return _span(anchor - timedelta(days=7 * n + 3), anchor - timedelta(days=7 * n - 3))
    if unit == "month":
        index = anchor.year * 12 + anchor.month - 1 - n
        return _month_value(index // 12, index % 12 + 1)
    return str(anchor.year - n)


def _days_after(m: re.Match[str], context: _Context) -> str | None:
    """'days after X': X was a few days before the article's date (told without a count)."""
    if context.anchor is None:
        return None
    unit = m.group("unit").lower()
    reach = {"days": (1, 13), "weeks": (7, 60)}[unit]
    return _span(context.anchor - timedelta(days=reach[1]), context.anchor - timedelta(days=reach[0]))


def _unresolved(m: re.Match[str], context: _Context) -> str | None:
    return None


# --- patterns -----------------------------------------------------------------------------

_PREPOSITION = r"(?:in|since|by|until|till|before|after|during|from|throughout|of|early|late|mid-?)"
_COUNT = r"(?P<count>\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"


def _compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_PATTERNS: tuple[tuple[re.Pattern[str], Kind, _Handler, str | int], ...] = (
    (_compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b"), "absolute", _iso_date, 0),
    (
        _compile(rf"\b(?:{_WEEKDAY},?\s+)?{_MONTH}\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?(?!\s*(?:%|percent))"),
        "absolute",
        _full_date,
        0,
    ),
    (_compile(rf"\b(?:{_WEEKDAY},?\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}\b(?:,?\s+{_YEAR}\b)?"), "absolute", _full_date, 0),
    (_compile(rf"\b{_MONTH},?\s+{_YEAR}\b"), "absolute", _month_year, 0),
    (_compile(rf"\b{_YEAR}\s*(?:to|and|-|–|—)\s*(?P<last>(?:19|20)\d\d)\b"), "absolute", _year_range, 0),
    (
        _compile(rf"\b(?i:{_PREPOSITION})\s+(?:(?i:early|late|mid)-?\s*)?{_YEAR}\b(?![-–]\d|['’]?s\b)"),
        "absolute",
        _year,
        "year",
    ),
    (
        _compile(rf"\b(?<!\bthe )(?:(?P<mod>(?i:last|next|this))\s+)?(?!May\b){_MONTH}(?!\w)"),
        "relative",
        _bare_month,
        0,
    ),
    (
        _compile(rf"\b(?i:{_PREPOSITION})\s+(?P<month>May)\b(?!\s+(?:be|have|not|also|well)\b)"),
        "relative",
        _bare_month,
        "month",
    ),
    (
        _compile(rf"\b(?:(?P<mod>(?i:last|next|this))\s+)?(?P<weekday>{_WEEKDAY_FULL})(?:['’]s)?\b"),
        "relative",
        _weekday,
        0,
    ),
    (
        _compile(
            r"\b(?:(?:earlier|later)\s+)?(?:the\s+)?(?:this|last|next|past|coming)\s+(?:week|month|year)(?:['’]s)?\b"
            r"|\b(?:today|tonight|yesterday|tomorrow|this\s+(?:morning|afternoon|evening))\b",
            re.I,
        ),
        "relative",
        _relative,
        0,
    ),
    (_compile(rf"\b{_COUNT}\s+(?P<unit>days?|weeks?|months?|years?)\s+ago\b", re.I), "relative", _ago, 0),
    (_compile(r"\b(?P<unit>days|weeks)\s+(?:after|later)\b", re.I), "relative", _days_after, 0),
    (
        _compile(rf"\b{_COUNT}\s+(?:days?|weeks?|months?|years?)\s+(?:after|before|later|earlier)\b", re.I),
        "relative",
        _unresolved,
        0,
    ),
)


def iter_values(mentions: list[DateMention]) -> Iterator[tuple[DateMention, date, date]]:
    """Each resolved mention with the first and last day it covers."""
    for m in mentions:
        if m.value:
            first, last = bounds(m.value)
            yield m, first, last
