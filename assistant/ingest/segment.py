"""Cut a document into sentences with exact offsets, and group them into passages.

The text is never rewritten: every :class:`Span` satisfies
``text[span.start:span.end] == sentence`` with no surrounding whitespace, so a
citation can be checked against the file anyone can open. The cut is done in
three passes, each linear in the text:

1. lines -> blocks (blank-line separated) -> units: a line, or lines joined
   when the block is hard-wrapped; bullet and heading markers excluded. A unit
   is a paragraph (one-paragraph-per-line text is the usual page extraction),
   except that the items of one list share a paragraph;
2. units -> sentences, at ``.``/``?``/``!``/``…`` (plus closing quotes) followed
   by whitespace and a non-lowercase character, unless the word before the
   period is an abbreviation;
3. :func:`assistant.ingest.boilerplate.classify` gives each sentence its kind, and
   consecutive sentences of one paragraph and one kind make passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.config import SegmentationConfig
from assistant.ingest.boilerplate import Unit, classify
from assistant.ingest.plaintext import front_matter_end
from assistant.language import speech
from assistant.language.dates import MONTH_ABBREVIATIONS, WEEKDAY_ABBREVIATIONS
from assistant.types import Format, Kind

# Whitespace never kept at the edge of a span: str.isspace() set plus BOM and zero-width space.
WHITESPACE = (
    " \t\n\r\f\v\x1c\x1d\x1e\x1f\x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_WS_SET = frozenset(WHITESPACE)

_LINE_BREAK = re.compile(r"\r\n|[\n\r\f\v\x1c\x1d\x1e\x85\u2028\u2029]")
# List markers and Markdown syntax are not part of the sentence they introduce.
_BULLET_CHARS = "-*+•·‣◦▪●"
_BULLET = re.compile(r"(?:[-*+•·‣◦▪●]|\d{1,3}[.)])[ \t\xa0]+(?=\S)")
_HEADING = re.compile(r"(#{1,6})[ \t]+(?=\S)")
_HEADING_CLOSE = re.compile(r"[ \t]+#+$")
_QUOTE_MARK = re.compile(r"(?:>[ \t]?)+(?=\S)")
_HAS_WORD = re.compile(r"\w")
# A sentence may end at terminal punctuation, with closing quotes/brackets, before whitespace.
_CANDIDATE = re.compile(r"(?:\.\.\.|[.!?…])[.!?…]*[\"'”’»)\]]*(?=\s)")

# Titles are always followed by a name: never the end of a sentence.
_TITLES = frozenset(
    "Mr Mrs Ms Mx Dr Prof Gen Sen Rep Gov Lt Col Capt Cmdr Adm Maj Brig Sgt Cpl Pte Rev Fr Hon Pres "
    "Supt Insp Det Amb Messrs Mme Mlle Mt Ft Gens Sens Reps Drs Profs Ald Atty Rt".split()
)
# Never at a sentence end in news prose (the next word is usually lowercase anyway).
_NEVER_FINAL = frozenset(
    "vs v e.g i.e cf approx incl est viz al Fig fig Nos nos No no Art Vol vol pp p Ch ch Sec sec ca c".split()
)
# Abbreviations that can close a sentence: split only if a typical sentence opener follows.
_MAYBE_FINAL = frozenset(
    "Inc Ltd Co Corp Jr Sr etc Bros Plc plc Pty LLC Dept Univ Assn Ave Blvd Rd St".split()
    + [m for m in MONTH_ABBREVIATIONS if m != "May"]  # 'May' is a word of its own
    + list(WEEKDAY_ABBREVIATIONS)
)
# Words that open sentences but rarely follow an abbreviation inside one.
_STARTERS = frozenset(
    "The A An He She It They We I You His Her Its Their Our My Your This That These Those There Here "
    "But And Or So Yet Still However Meanwhile Moreover Also Then Now Later Earlier Instead Indeed "
    "In On At As After Before When While If Although Though Since Because For With Without From To By Of "
    "Some Many Most Other Others Both All Several Each Every No None Neither Nor What Why How Who Where "
    "Such Last Next Under Over During Despite Asked According Officials Analysts".split()
)
# A quoted question or exclamation followed by its speaker and a speech verb is one sentence.
_QUOTE_CLOSERS = "\"'”’»"
_SPEECH = re.compile(r"(?:[A-Z][\w.'’-]*\s+){1,4}(?:" + speech.verbs(speech.QUOTE_TAG) + r")\b")
_NEXT_WORD = re.compile(r"[\w'’-]+")
_OPENERS = "\"'“‘«([{"
# A wire credit glued to the last sentence without a space: '... yard”.AFP'.
_GLUED_CREDIT = re.compile(r"[.!?][\"'”’)]*(?:AFP|Reuters|AP)$")


DEFAULT_SEGMENTATION = SegmentationConfig()


@dataclass(frozen=True)
class Span:
    """A sentence (or a non-sentence line) of a document, addressed by offsets."""

    start: int  # offsets into the text, Python str indices
    end: int
    kind: Kind
    passage: int  # ordinal of the passage holding it, 0-based, increasing in document order


def segment(text: str, fmt: Format = "txt", config: SegmentationConfig = DEFAULT_SEGMENTATION) -> list[Span]:
    """Cut text into sentences (and non-sentence lines) with offsets; never rewrites the text.

    Args:
        text: the decoded document text offsets point into.
        fmt: the document's format; hard-wrapped lines are expected in "pdf".
        config: passage limits.

    Returns:
        Spans in document order, non-overlapping, each stripped of outer whitespace.
    """
    units = _units(text, fmt)
    # Markdown front matter ('title: …', 'date: …') is metadata, read by the loader: shown
    # with the article, never searched, and no headline
    head = front_matter_end(text) if fmt == "md" else 0
    meta = [u for u in units if u.start < head]
    kinds: list[list[Kind]] = [["furniture"] * len(u.sentences) for u in meta]
    kinds += classify(text, units[len(meta) :])
    return _passages(text, units, kinds, config)


# --- pass 1: lines, paragraphs, units -------------------------------------------------


@dataclass(slots=True)
class _Line:
    start: int  # stripped content, marker excluded
    end: int
    indented: bool
    heading: int
    bullet: bool


def _lines(text: str) -> list[_Line | None]:
    """Every line of the text, stripped; None for a blank line (a paragraph break)."""
    out: list[_Line | None] = []
    pos = 0
    for m in _LINE_BREAK.finditer(text):
        out.append(_line(text, pos, m.start()))
        pos = m.end()
    out.append(_line(text, pos, len(text)))
    return out


def _line(text: str, a: int, b: int) -> _Line | None:
    raw = text[a:b]
    content = raw.lstrip(WHITESPACE)
    start = a + len(raw) - len(content)
    content = content.rstrip(WHITESPACE)
    end = start + len(content)
    if not content or (not content[0].isalnum() and _HAS_WORD.search(content) is None):
        return None  # blank lines and rules ("---", "* * *") separate paragraphs
    heading, bullet = 0, False
    first = content[0]
    if first == ">" and (m := _QUOTE_MARK.match(content)):
        start += m.end()
        content = content[m.end() :]
        first = content[0]
    if first == "#" and (m := _HEADING.match(content)):
        heading = len(m.group(1))
        start += m.end()
        if close := _HEADING_CLOSE.search(content):
            end -= len(close.group())
    elif (first in _BULLET_CHARS or first.isdigit()) and (m := _BULLET.match(content)):
        bullet = True
        start += m.end()
    return _Line(start, end, start > a and raw[0] in " \t", heading, bullet)


def _blocks(lines: list[_Line | None]) -> list[list[_Line]]:
    blocks: list[list[_Line]] = [[]]
    for line in lines:
        if line is None:
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append(line)
    return [b for b in blocks if b]


def _ends_sentence(text: str, line: _Line) -> bool:
    end = line.end
    while end > line.start and text[end - 1] in "\"'”’»)]":
        end -= 1
    return end > line.start and text[end - 1] in ".!?…:"


def _wrapped(text: str, block: list[_Line], fmt: Format) -> tuple[bool, int]:
    """Whether the block is hard-wrapped prose (most line ends fall mid-sentence), and its width."""
    width = max(line.end - line.start for line in block)
    # Extracted HTML puts one paragraph per line; PDF and Markdown wrap even two-line paragraphs.
    if fmt == "html" or len(block) < (2 if fmt in ("pdf", "md") else 3) or width < 30:
        return False, width
    inner = block[:-1]
    open_ends = sum(1 for line in inner if not _ends_sentence(text, line))
    return open_ends * 2 >= len(inner), width


def _join(text: str, prev: _Line, cur: _Line, wrapped: bool, width: int) -> bool:
    """Whether ``cur`` continues the unit ending with ``prev``."""
    if cur.heading or prev.heading or cur.bullet:
        return False
    if prev.bullet and cur.indented:
        return True  # continuation of a list item
    if wrapped and prev.end - prev.start >= 0.6 * width:
        return True  # a full line of wrapped prose; a short one ends a paragraph or is a title
    first = text[cur.start]
    return first.islower() and not _ends_sentence(text, prev)


def _units(text: str, fmt: Format) -> list[Unit]:
    units: list[Unit] = []
    for b, block in enumerate(_blocks(_lines(text))):
        wrapped, width = _wrapped(text, block, fmt)
        groups = [[block[0]]]
        for line in block[1:]:
            if _join(text, groups[-1][-1], line, wrapped, width):
                groups[-1].append(line)
            else:
                groups.append([line])
        for group in groups:
            # Consecutive list items of one block make one paragraph.
            same_list = group[0].bullet and units and units[-1].bullet and units[-1].block == b
            paragraph = units[-1].paragraph + (0 if same_list else 1) if units else 0
            units.append(_unit(text, group, b, paragraph))
    return units


def _unit(text: str, group: list[_Line], block: int, paragraph: int) -> Unit:
    start, end = group[0].start, group[-1].end
    sentences = _sentences(text, start, end) if not group[0].heading else [(start, end)]
    return Unit(start, end, block, paragraph, group[0].heading, group[0].bullet, tuple(sentences))


# --- pass 2: sentences ----------------------------------------------------------------


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    s = start
    for m in _CANDIDATE.finditer(text, start, end):
        j = m.end()
        while j < end and text[j] in _WS_SET:
            j += 1
        if j >= end or not _boundary(text, m, j, s):
            continue
        out.append((s, m.end()))
        s = j
    last = (s, end)
    glued = _GLUED_CREDIT.search(text, s, end)
    if glued and glued.start() + 1 < end:
        cut = end - len(glued.group().lstrip(".!?\"'”’)"))
        out.append((s, cut))
        last = (cut, end)
    out.append(last)
    return out


def _boundary(text: str, m: re.Match[str], j: int, sentence_start: int) -> bool:
    """Whether the candidate ``m`` ends a sentence, the next one starting at ``j``."""
    nxt = text[j]
    if nxt.islower():
        return False  # "etc. and", "“Why?” he asked", "wait ... for"
    punct = m.group()
    if punct[0] in "?!" and punct[-1] in _QUOTE_CLOSERS and _SPEECH.match(text, j):
        return False  # “Why not?” Mr Lee asked.
    if punct[0] != "." or punct.startswith(".."):
        return True  # ?, !, ellipsis before a capital
    word = _word_before(text, m.start(), sentence_start).lstrip("—–-/")
    if not word:
        return True
    if word in _TITLES:
        return False
    if word in _NEVER_FINAL:
        return not nxt.isdigit() and word not in ("vs", "v", "e.g", "i.e", "cf", "viz", "al")
    bare = word.replace(".", "")
    if (
        word in _MAYBE_FINAL
        or (len(bare) <= 4 and bare.isalpha() and "." in word)
        or (len(word) == 1 and word.isupper())
    ):
        # "U.S. partners", "J. R. R. Tolkien", "Jan. 13", "10.30 a.m. on": split only before an opener.
        return _opens_sentence(text, j)
    return True


def _word_before(text: str, end: int, floor: int) -> str:
    i = end
    while i > floor and not (text[i - 1] in _WS_SET or text[i - 1] in _OPENERS):
        i -= 1
    return text[i:end]


def _opens_sentence(text: str, j: int) -> bool:
    if text[j] in _OPENERS:
        return True
    m = _NEXT_WORD.match(text, j)
    return m is not None and m.group() in _STARTERS


# --- pass 3: passages -------------------------------------------------------------------


def _passages(text: str, units: list[Unit], kinds: list[list[Kind]], config: SegmentationConfig) -> list[Span]:
    """Group consecutive sentences of one kind, within the passage limits. A paragraph
    starts a passage of its own unless the passage before it is still short (fewer than
    ``passage_join_below`` sentences): news paragraphs of one sentence each are read, and
    searched, a few together."""
    spans: list[Span] = []
    passage = -1
    paragraph: int | None = None
    kind_now: str | None = None
    count = 0
    passage_start = 0
    for unit, unit_kinds in zip(units, kinds, strict=True):
        for (start, end), kind in zip(unit.sentences, unit_kinds, strict=True):
            if start >= end:
                continue
            too_long = count >= config.passage_max_sentences or end - passage_start > config.passage_max_chars
            new_paragraph = unit.paragraph != paragraph and count >= config.passage_join_below
            if kind != kind_now or new_paragraph or (too_long and count > 0):
                passage += 1
                count, passage_start = 0, start
            paragraph, kind_now = unit.paragraph, kind
            spans.append(Span(start, end, kind, passage))
            count += 1
    return spans
