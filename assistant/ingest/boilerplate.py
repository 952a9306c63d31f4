"""Page furniture: label what is not article text, without touching the text.

Raw page extractions carry promos, captions, labels, repeated headlines and
end-of-page links around the article. Rewriting the text would break citation
offsets, so :func:`classify` only gives every sentence a :data:`Kind`; the
retriever then searches "body" and "headline" sentences only.

The rules are small pattern lists plus position heuristics (the top of the page
until the first body paragraph, the tail after an end-of-page marker).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.language.dates import DATE_LINE
from assistant.types import Kind

# Units longer than this are article prose: furniture lines are short, and
# skipping the patterns on long units keeps the cost linear on huge lines.
MAX_FURNITURE_CHARS = 400
# The top of a page (labels, promo, headline, caption) ends by this unit at the latest.
MAX_TOP_UNITS = 12
# A mid-article subheading is a short line; longer unpunctuated lines are prose.
MAX_SUBHEAD_WORDS = 10
# End-of-page markers only count in the last part of the page: earlier they are links.
TAIL_FRACTION = 0.6

TERMINAL = ".!?…"
CLOSERS = "\"'”’»)]"
OPENERS = "\"'“‘«"


@dataclass(frozen=True)
class Unit:
    """A line (or a group of wrapped lines) of one paragraph, with its sentences."""

    start: int  # offsets of the stripped content, bullet/heading marker excluded
    end: int
    block: int  # ordinal of the blank-line separated block holding it
    paragraph: int  # ordinal of its paragraph: each unit, but one list's items share one
    heading: int = 0  # Markdown heading level, 0 if none
    bullet: bool = False
    sentences: tuple[tuple[int, int], ...] = ()


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


# Newsletter and app promos: imperative calls to act on the site, not reporting.
PROMO = _rx(
    r"sign up\b",  # "Sign up now: ...", "Sign up for our newsletter"
    r"subscribe\b",  # "Subscribe to ...", "Subscribe now"
    r"(?:download|get) (?:our|the) \w+ app\b",  # app promos
    r"join (?:our|us)\b",  # "Join our WhatsApp channel"
    r"follow us\b",  # social links
    r"listen to (?:this|the) (?:article|story)\b",  # audio player label
    r"(?:register|log ?in) (?:now|to|for)\b",  # paywall prompts
)
# Weaker promo openers: only near the top, where sites put their banner.
PROMO_TOP = _rx(r"get (?:the latest|insights|breaking|our)\b", r"don'?t miss\b", r"stay (?:informed|updated)\b")

# Agencies and photo services that credit a story or a picture (case-sensitive: "AP", not "ap").
AGENCY = (
    r"(?-i:AFP|Reuters|REUTERS|AP Photo|AP|EPA-EFE|EPA|Getty Images|Getty|Bloomberg|Xinhua|Kyodo|Yonhap"
    r"|dpa|ANI|PTI|Bernama|EFE|ANSA|Jiji Press|Jiji|Shutterstock|NYT|WPA Pool|POOL|Pool)"
)
# A bare credit line: "AFP", "- Reuters", "(AFP)", "AFP/Reuters", "Reuters/AFP/dpa".
BARE_CREDIT = re.compile(rf"[(\[—–-]*\s*(?:{AGENCY})(?:\s*[/,&]\s*(?:{AGENCY}))*\s*[)\]]?", re.IGNORECASE)
# Reporting credits at the end of wire copy.
CREDIT_LINE = _rx(r"\(?(?:additional )?reporting by\b", r"\(?(?:writing|editing|compiled) by\b")
# Picture credits: strong evidence of a caption wherever they occur.
PHOTO_CREDIT = _rx(
    rf"\([^()]*/\s*(?:{AGENCY})\s*\)\s*$",  # "(David MAREUIL/POOL/AFP)" closing a line
    r"\((?:photo|picture|image|file photo)[^()]*\)",  # "(Photo: ...)", "(File photo)"
    rf"\b\w+\s*/\s*(?:{AGENCY})\b",  # "NAME/AFP" inside a line
    r"^(?:photo|photograph|picture|image|credit|photo credit|file photo)\s*:",  # "Photo: ...", "FILE PHOTO: ..."
    r"(?-i:\b(?:REUTERS|AFP|AP|EPA))\s*/\s*[A-Z]",  # Reuters style "REUTERS/Issei Kato"
    r"\bgetty images\s*$",  # "... Getty Images" closing a line
    r"(?-i:\b(?:PHOTO|Photo):\s*[A-Z]{2,})",  # "... PHOTO: REUTERS"
)
# Who-is-where markers: usual in captions, but also possible in prose, so top only.
CAPTION_TOP = re.compile(
    r"\((?:(?:far |second |third |from )?(?:left|right|centre|center|top|bottom)|pictured|L|R|C|in photo)\)",
    re.IGNORECASE,
)
# Furniture lines are short: a longer line opening with "Read more" or "Copyright" is prose.
MAX_FURNITURE_WORDS = 20
# End-of-page furniture: whole short lines that are links or widgets, never prose.
FURNITURE_LINE = _rx(
    r"help us improve\.?",
    r"related(?: articles| stories| content| news| topics| coverage)?:?",
    r"trending(?: now| stories)?:?",
    r"read (?:more|next|also)\b.*",
    r"(?:also|more) read\b.*",
    r"advertisement|sponsored(?: content)?|ad",
    r"share (?:this|the) (?:article|story|page)\b.*",
    r"share|print|email|comments?|tags?:.*|topics?:.*",
    r"most (?:read|popular|viewed|shared)\b.*",
    r"recommended(?: for you| stories| articles)?:?",
    r"you (?:may|might) (?:also )?like\b.*",
    r"more (?:from|stories|news)\b.*",
    r"top stories|latest news|editor'?s picks",
    r"follow us\b.*|follow (?:\w+ ){0,3}on (?:twitter|x|facebook|instagram|linkedin|telegram|whatsapp|youtube)\b.*",
    r"copyright\s*(?:©|\(c\))?\s*\d{4}\b.*|©.*|\(c\) \d{4}\b.*",
    r".*all rights reserved\.?",
    r"(?:page )?\d+(?: of \d+)?",  # page numbers of extracted PDFs
    r"(?:published|updated|posted)(?: on| at)?:? .{0,60}\d[^.!?]{0,30}",  # timestamps, not sentences
    DATE_LINE,  # a bare date line, possibly with weekday and time
    r"\d+ min(?:ute)?s? read",  # reading-time widget
)
# Headers of link lists after the article: the rest of the page is links. ("Read more: X"
# is a single link, often mid-article, so it is furniture but not a tail marker.)
TAIL_MARKER = _rx(
    r"related(?: articles| stories| content| news| coverage)?:?",
    r"trending(?: now| stories)?:?",
    r"most (?:read|popular|viewed|shared)(?: stories| articles)?:?",
    r"recommended(?: for you| stories| articles)?:?",
    r"you (?:may|might) (?:also )?like:?",
    r"more (?:from [\w ]{1,30}|stories|news):?",
    r"top stories|latest news",
)
NAME = r"[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}"
# A byline near the top credits the author: "By Jane Smith and John Doe, Reuters".
BYLINE = re.compile(rf"[Bb]y {NAME}(?:,? (?:and|&) {NAME})?(?:, [\w '’-]{{1,40}})?")


def _fullmatch(pattern: re.Pattern[str], s: str) -> bool:
    return pattern.fullmatch(s) is not None


def is_furniture_line(s: str) -> bool:
    """A widget or link line: "Related Articles", "Advertisement", "Copyright 2026 ..."."""
    return len(s.split()) <= MAX_FURNITURE_WORDS and _fullmatch(FURNITURE_LINE, s)


def ends_with_terminal(s: str) -> bool:
    """Whether ``s`` ends like a sentence (``.``, ``?``, ``!``, possibly inside quotes)."""
    s = s.rstrip(CLOSERS + " ")
    return bool(s) and s[-1] in TERMINAL


def _norm(s: str) -> str:
    return " ".join(s.split()).casefold()


def is_bare_credit(s: str) -> bool:
    """An agency credit standing alone: "AFP", "- Reuters", "(AFP/Reuters)"."""
    return len(s) <= 60 and (_fullmatch(BARE_CREDIT, s) or CREDIT_LINE.match(s) is not None)


def _is_caption(s: str, top: bool) -> bool:
    return PHOTO_CREDIT.search(s) is not None or (top and CAPTION_TOP.search(s) is not None)


def _is_promo(s: str, top: bool) -> bool:
    return PROMO.match(s) is not None or (top and PROMO_TOP.match(s) is not None)


def _headline_like(s: str, unit: Unit) -> bool:
    # A title is one unpunctuated line; bullets are list items, not titles.
    return not unit.bullet and len(unit.sentences) <= 1 and not ends_with_terminal(s)


def _question_title(s: str, unit: Unit) -> bool:
    # "Will Seoul and Tokyo Mend Ties?": a one-sentence question or exclamation can be a title.
    return not unit.bullet and len(unit.sentences) == 1 and s.rstrip(CLOSERS)[-1:] in "?!" and len(s.split()) <= 15


def _top(text: str, units: list[Unit], kinds: list[Kind | None]) -> tuple[int, str | None]:
    """Label the page top (labels, promo, headline, caption); return where the body starts."""
    headline: str | None = None
    limit = min(len(units), MAX_TOP_UNITS)
    for i in range(limit):
        unit = units[i]
        s = text[unit.start : unit.end]
        if len(s) > MAX_FURNITURE_CHARS:
            return i, headline
        words = len(s.split())
        if unit.heading:
            # Markdown: the first heading is the title, a repeat is furniture.
            if headline is None:
                kinds[i], headline = "headline", s
            else:
                kinds[i] = "furniture" if _norm(s) == _norm(headline) else "section"
        elif _is_promo(s, top=True):
            kinds[i] = "promo"
        elif _is_caption(s, top=True):
            kinds[i] = "caption"
        elif is_bare_credit(s) or (words <= 10 and _fullmatch(BYLINE, s)):
            kinds[i] = "credit"
        elif is_furniture_line(s):
            kinds[i] = "furniture"
        elif headline is not None and _norm(s) == _norm(headline):
            kinds[i] = "furniture"  # the headline printed twice (page title + article title)
        elif _headline_like(s, unit) and words <= 3 and headline is None and _title_follows(text, units, i, limit):
            kinds[i] = "furniture"  # publisher / section label above the title
        elif headline is None and (_headline_like(s, unit) or _question_title(s, unit)):
            kinds[i], headline = "headline", s
        else:
            return i, headline
    return limit, headline


def _title_follows(text: str, units: list[Unit], i: int, limit: int) -> bool:
    """Whether a longer unpunctuated line (the real title) comes after unit ``i`` at the top."""
    for unit in units[i + 1 : limit]:
        s = text[unit.start : unit.end]
        if len(s) > MAX_FURNITURE_CHARS or (ends_with_terminal(s) and not _is_caption(s, True)):
            return False
        if _headline_like(s, unit) and len(s.split()) > 3 and not _is_promo(s, True) and not _is_caption(s, True):
            return True
    return False


def _rest(text: str, units: list[Unit], kinds: list[Kind | None], first: int, headline: str | None) -> None:
    """Label furniture after the top: strong patterns anywhere, the tail, subheadings."""
    n = len(units)
    tail_from = int(n * TAIL_FRACTION)
    in_tail = False
    for i in range(first, n):
        unit = units[i]
        s = text[unit.start : unit.end]
        if in_tail:
            kinds[i] = "furniture"  # link lists after "Related Articles" and the like
            continue
        if len(s) > MAX_FURNITURE_CHARS:
            continue
        if unit.heading:
            kinds[i] = "furniture" if headline is not None and _norm(s) == _norm(headline) else "section"
        elif is_furniture_line(s):
            kinds[i] = "furniture"
            in_tail = i >= tail_from and _fullmatch(TAIL_MARKER, s)
        elif is_bare_credit(s):  # before captions: "AFP/Reuters" alone credits the story
            kinds[i] = "credit"
        elif _is_caption(s, top=False):
            kinds[i] = "caption"
        elif _is_promo(s, top=False) and len(s.split()) <= 30:
            kinds[i] = "promo"
        elif headline is not None and _norm(s) == _norm(headline):
            kinds[i] = "furniture"
    _subheadings(text, units, kinds, first)


def _subheadings(text: str, units: list[Unit], kinds: list[Kind | None], first: int) -> None:
    """A short unpunctuated paragraph between body paragraphs is a subheading; at the end, furniture."""
    n = len(units)
    for i in range(first, n):
        unit = units[i]
        if kinds[i] is not None or len(unit.sentences) != 1 or unit.bullet:
            continue
        s = text[unit.start : unit.end]
        # A lead-in ("The measures include:") or a bare quote is prose, not a title.
        last = s.rstrip(CLOSERS)[-1:]
        if ends_with_terminal(s) or last in ":;," or s[0] in OPENERS:
            continue
        if len(s.split()) > MAX_SUBHEAD_WORDS:
            continue
        body_after = any(kinds[j] is None for j in range(i + 1, n))
        kinds[i] = "section" if body_after else "furniture"


def _trailing_credit(text: str, units: list[Unit], kinds: list[Kind | None], out: list[list[Kind]]) -> None:
    """The last body sentence of the page may be the wire credit glued to the article ("... yard”. AFP")."""
    for i in range(len(units) - 1, -1, -1):
        if kinds[i] is None:
            start, end = units[i].sentences[-1]
            if len(units[i].sentences) > 1 and is_bare_credit(text[start:end]):
                out[i][-1] = "credit"
            return


def classify(text: str, units: list[Unit]) -> list[list[Kind]]:
    """The kind of every sentence of every unit, in order.

    Args:
        text: the document text the units point into.
        units: the document's units in order, each with at least one sentence.

    Returns:
        One list of kinds per unit, parallel to ``unit.sentences``.
    """
    kinds: list[Kind | None] = [None] * len(units)
    first, headline = _top(text, units, kinds)
    _rest(text, units, kinds, first, headline)
    out: list[list[Kind]] = [[kinds[i] or "body"] * len(u.sentences) for i, u in enumerate(units)]
    _trailing_credit(text, units, kinds, out)
    return out
