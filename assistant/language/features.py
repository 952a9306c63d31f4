"""What a sentence's text shows: dates, numbers, names, places, quotes, speech and its
speakers, reasons. The ranker's type and speaker features read these.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from assistant.language import speech
from assistant.language.dates import MONTH_NAMES, TELLS_TIME
from assistant.language.terms import terms
from assistant.types import Sentence

_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozens?|several|percent)\b",
    re.I,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*")
# A speaker's name may open the sentence ('Lee said …', 'Governor Maria Ostrander said on
# Friday that …'): a capital there is no sign of a name elsewhere, but before a speech verb it
# is, unless it opens a phrase of time, place or circumstance ('On Friday, …', 'Asked about …').
_SPEAKER_NAME = re.compile(r"(?<![.!?]\s)\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*")
_OPENER = re.compile(
    r"(?:On|In|At|After|Before|During|Since|Until|From|For|With|By|Asked|Speaking|Later|Earlier|Last|This|That|"
    r"But|And|Also|Then|However|Meanwhile|When|While|As|Today|Yesterday|Tomorrow|Separately|Instead)\b"
)
_PLACE = re.compile(r"\b(?:in|at|from|to|near|across|of)\s+(?:the\s+)?[A-Z][a-z]+")
_QUOTE = re.compile(r"[\"“”]")
_SPEECH = re.compile(r"\b(?:" + speech.verbs(speech.REPORTED) + r")\b", re.I)
# A speaker stands within a few words of the speech verb, and not as a possessive.
_SPEAKER_WINDOW = re.compile(r"((?:\S+\s+){0,6})(" + _SPEECH.pattern + r")((?:\s+\S+){0,6})", re.I)
_PRONOUN_SAID = r"(?:he|she|they)\s+(?:" + speech.verbs(speech.PRONOUN) + r")\b"
_PRONOUN_SPEAKER = re.compile(r"\b" + _PRONOUN_SAID, re.I)
# '“…,” he said.': words whose speaker only the sentence before names
PRONOUN_SPEAKER_AFTER = re.compile(r"[,”\"]\s*" + _PRONOUN_SAID)
PRONOUN_START = re.compile(r"[\"“‘']?(?:It|Its|They|Their|Them|He|His|She|Her|This|These|Those|That|There)\b")
_REASON = re.compile(
    r"\b(?:because|due to|in order to|so that|as a result|after|amid|triggered|since|aimed at|intended)\b", re.I
)


_TELL = re.compile(r"tell|tells|told|telling", re.I)
_AFTER_PREPOSITION = re.compile(
    r"\b(?:to|towards|toward|with|about|on|in|at|from|against|of|for|over|into|than|between|among)\s+(?:the\s+)?$", re.I
)


def _speaker_windows(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_SPEAKER_WINDOW.finditer(text)``, found about twenty times faster.

    Scanning every position for up to six words and then a speech verb costs about a
    millisecond a sentence. A window holds a speech verb, at or after the first one
    ``_SPEECH`` finds, and its words before the verb are at most six whitespace-separated
    chunks (the first maybe in part) that end where the verb's chunk starts: so no window
    starts before the sixth chunk before the verb's, and the scan starts there (with the
    whole text in view, so ``\\b`` reads the characters before it)."""
    pos = 0
    while (verb := _SPEECH.search(text, pos)) is not None:
        start = verb.start()
        while start > pos and not text[start - 1].isspace():  # the start of the verb's chunk
            start -= 1
        for _ in range(6):  # six chunks back
            while start > pos and text[start - 1].isspace():
                start -= 1
            while start > pos and not text[start - 1].isspace():
                start -= 1
        window = _SPEAKER_WINDOW.search(text, start)
        if window is None:  # cannot be: the verb alone is a window
            return
        yield window
        pos = window.end()


def _speakers(text: str) -> frozenset[str]:
    """Terms of the names attributed as speakers ('X said', 'X told AFP', '…, said X'). After
    the verb a name speaks only in an inverted attribution, right after a comma or quote and
    the verb ('…, said Mr Hardy-Chartrand'); never after 'told' ('she told Mr Lee' names who
    listened), nor in reported speech ('Analysts said Lee would go')."""
    out: set[str] = set()
    for m in _speaker_windows(text):
        inverted = m.group(1).rstrip().endswith((",", "”", '"'))  # '…,” said Lee', '…, said Lee'
        after_verb = m.group(3) if inverted and not _TELL.fullmatch(m.group(2)) else None
        # before the verb, the speaker comes after the quotation: '“… South Korea as well,” Mr X told'
        before_verb = re.split(r"[”\"]", m.group(1))[-1]
        offset = m.end(1) - len(before_verb)
        for side, right in ((before_verb, False), (after_verb, True)):
            if side is None:
                continue
            side = _QUOTED.sub(" ", side)
            for name in _SPEAKER_NAME.finditer(side):
                if right and side[: name.start()].strip():
                    break
                if name.start() == 0 and (offset > 0 or right or inverted or _OPENER.match(name.group())):
                    continue  # a window's cut, the sentence's opening phrase, or '…, said X' (X speaks)
                if not right and _AFTER_PREPOSITION.search(text[: offset + name.start()]):
                    continue  # '… towards North Korea, and has said': not who spoke
                after = side[name.end() : name.end() + 2]
                if after.startswith(("’s", "'s")):
                    continue
                out.update(terms(name.group()))
    out.update(t for m in _GROUP_SPEAKER.finditer(text) for t in terms(m.group(1)))
    return frozenset(out)


# Speakers news names by their role, not their name: 'officials say', 'analysts said'.
_GROUP_SPEAKER = re.compile(
    r"\b(officials?|analysts?|observers?|experts?|diplomats?|sources|critics|residents|witnesses|"
    r"police|authorities|spokes(?:man|men|woman|women|person|people))\s+(?:also\s+|have\s+|had\s+)?"
    r"(?:" + speech.verbs(speech.GROUP) + r")\b",
    re.I,
)


_QUOTED = re.compile(r"[“\"][^”\"]*[”\"]")

# '“…,” said the minister.' / '“…,” the energy minister said.': words whose speaker the
# text named in that role just before ('Energy Minister Clara Osei pressed the button …')
_ROLE_SAID = re.compile(
    r"[,”\"]\s*(?:" + speech.verbs(speech.ROLE_BEFORE) + r")\s+the\s+((?:[a-z-]+\s+){0,2}[a-z-]+)\b"
    r"|[,”\"]\s*the\s+((?:[a-z-]+\s+){0,2}[a-z-]+)\s+(?:" + speech.verbs(speech.ROLE_AFTER) + r")\b"
)


def role_speakers(text: str) -> frozenset[str]:
    """Terms of a speaker named by role after a quotation ('…,” said the minister')."""
    return frozenset(t for m in _ROLE_SAID.finditer(text) for t in terms(m.group(1) or m.group(2)))


class TextFeatures:
    """What a sentence's text shows (dates, names, speech, …), found on first use per row:
    as ``saved`` gives them (what the index wrote when it took the row), else from the text.

    A question reaches a few dozen rows; finding these for every row of a large index
    took most of a reload's time.
    """

    def __init__(self, rows: Sequence[Sentence], saved: Callable[[int], dict[str, Any] | None] | None = None) -> None:
        self._rows = rows
        self._saved = saved
        self._found: dict[int, dict[str, Any]] = {}

    def __getitem__(self, row: int) -> dict[str, Any]:
        found = self._found.get(row)
        if found is None:
            if len(self._found) >= 200_000:  # bounded in a long-lived process
                self._found = {}
            found = self._saved(row) if self._saved is not None else None
            if found is None:
                found = text_features(self._rows[row].text)
            self._found[row] = found  # the same value if raced
        return found


# '…, according to South Korea's presidential office.' attributes the sentence as 'said' does.
_ACCORDING = re.compile(r"\baccording to ((?:[^\s,.;:!?()]+\s*){1,6})", re.I)


def _according_to(text: str) -> frozenset[str]:
    """Terms of who a sentence is attributed to with 'according to'."""
    return frozenset(t for m in _ACCORDING.finditer(text) for t in terms(m.group(1)))


_MONTH_NAME = r"(?:" + "|".join(MONTH_NAMES) + r")"
# '… Ms Takaichi’s suggestion in November that Japan could intervene …' reports her words
# as 'she suggested that …' does: the content follows 'that'. ('her comments about Taiwan'
# only names words it does not give.)
_NOMINAL_SPEECH = re.compile(
    r"\b([A-Z][\w-]+(?:\s+[A-Z][\w-]+)*)['’]s\s+(?:[a-z]+\s+|"
    + _MONTH_NAME
    + r"\s+)?(?:suggestion|remarks?|comments?|statements?|claims?|"
    r"warnings?|assertion|pledges?|promises?|vows?|calls?|proposals?|insistence|argument|contention|view|belief|"
    r"admission|announcement|accusations?|allegations?|threats?)\b[^.;!?”\"]{0,60}?\bthat\b"
)


def _nominal_speakers(text: str) -> frozenset[str]:
    """Terms of who a sentence reports as saying something with a noun ('X's claim that …')."""
    return frozenset(t for m in _NOMINAL_SPEECH.finditer(text) for t in terms(m.group(1)))


def speakers_of(text: str) -> frozenset[str]:
    """Terms of whoever ``text`` reports as saying something ('X said', '…, said X',
    'according to X', 'X's suggestion that …', 'officials say'); empty when it reports no speech."""
    speakers: frozenset[str] = text_features(text)["speakers"]
    return speakers


def text_features(text: str) -> dict[str, Any]:
    """What ``text`` shows: flags (a date, a number, a place, a quote, speech, 'he said',
    a reason), and the terms of its names, its speakers and its speakers named by role."""
    attributed = _according_to(text) | _nominal_speakers(text)
    speech = bool(_SPEECH.search(text)) or bool(attributed) or bool(_GROUP_SPEAKER.search(text))
    return {
        "date": bool(TELLS_TIME.search(text)),
        "number": bool(_NUMBER.search(text)),
        "names": {t for m in _NAME.finditer(text) for t in terms(m.group())},
        "place": bool(_PLACE.search(text)),
        "quote": bool(_QUOTE.search(text)),
        "speech": speech,
        "speakers": _speakers(text) | attributed | role_speakers(text) if speech else frozenset(),
        "pronoun_speaker": bool(_PRONOUN_SPEAKER.search(text)),
        "role_speakers": role_speakers(text) if speech else frozenset(),
        "reason": bool(_REASON.search(text)),
    }
