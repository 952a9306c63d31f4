"""What a question asks for: its expected answer type, its terms, a speaker, and follow-ups."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from assistant.language import speech
from assistant.language.terms import terms
from assistant.types import TimeWindow

AnswerType = Literal["date", "number", "person", "place", "quote", "reason", "none"]

_NAME = re.compile(
    r"\b[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|(?:of|de|der|den|del|da|du|van|von|bin|al)\b(?!-)|al-[A-Z][\w'’.-]*))*"
)
_LEADING = frozenset(
    "What When Where Who Whom Whose Why How Which Did Do Does Is Are Was Were Has Have Had Can Could "
    "Will Would Should In On At And But Tell Name List According Give Describe Explain Summarize Summarise "
    "Outline Please Show Find Compare".split()
)
_TITLES = frozenset("Mr Ms Mrs Dr Prof President Prime Minister Professor Sir Chancellor Leader".split())
# 'this'/'that' stand for something only on their own ('What does this mean?'), not before a
# noun ('this week', 'that deal'): a question with its own subject is no follow-up
_PRONOUN = re.compile(
    r"\b(?:he|she|him|his|her|hers|they|them|their|it|its|there"
    r"|(?:this|that)(?=\s*(?:[?.!,;]|$|(?:is|was|were|are|mean|means|meant|happen|happened|say|says|said)\b)))\b",
    re.I,
)
FOLLOW_UP_TURNS = 3  # a follow-up is resolved from the last few questions only
_PERSONAL = {"he", "she", "him", "his", "her", "hers"}
_SPEECH = re.compile(
    r"\b(" + speech.verbs(speech.ASKED) + r")\b",
    re.I,
)


@dataclass(frozen=True)
class Question:
    """A question as retrieval sees it."""

    text: str  # as asked
    resolved: str  # with follow-up references filled in from history
    terms: tuple[str, ...]
    names: tuple[str, ...]  # proper names, lower-cased terms of each
    answer_type: AnswerType
    speaker: tuple[str, ...]  # terms of the person whose words are asked for
    sources: tuple[str, ...] = ()  # doc ids the question is about ('What does the CRBC article say …'), all if empty
    # the question as the embedder and the reader take it: the resolved question, a source
    # it is scoped to said as 'the article' (that name is in the filter, not in the text
    # sought), one asked of several sources as asked of one; empty: as resolved
    unsourced: str = ""
    # asked of several sources together ('Do both articles mention X?'): each one's evidence is cited
    across: bool = False
    # the days its time words ask about ('this week', 'on Tuesday'), counted from ``as_of``
    # (``search.timeframe.timed``); None without time words, or before they are read
    window: TimeWindow | None = None
    as_of: date | None = None
    as_of_note: str | None = None  # why ``as_of`` is not the day given (the articles' own time)

    @property
    def read(self) -> str:
        return self.unsourced or self.resolved


_TIME_ASKED = re.compile(
    r"\s*(?:in |on |at |during |by |since |until |from )?(?:what|which) (year|date|day|month|time|decade|century)\b",
    re.I,
)


def asked_for(text: str) -> frozenset[str]:
    """The terms naming the slot a question asks to fill ('day' in 'On what day …', 'closely'
    in 'How closely …'): they are answered by a date or a degree, not matched as words
    ('days after' does not say which day)."""
    text = without_opening(text)
    m = _TIME_ASKED.match(text) or _DEGREE_ASKED.match(text)
    return frozenset(terms(m.group(1))) if m else frozenset()


# 'How closely are they linked?' asks for a degree: 'closely' is the slot, not a word to match.
_DEGREE_ASKED = re.compile(r"\s*(?i:how) ([a-z]+ly)\b")


_OPENING = re.compile(r"^\s*(?:(?:and|but|so|also|then|ok|okay|well)\b[\s,]*)+", re.I)


def without_opening(text: str) -> str:
    """'And what did he say …' asks what 'What did he say …' asks."""
    return _OPENING.sub("", text, count=1)


_ELSE = re.compile(r"^(\s*(?:what|who|where|when|how))\s+else\b", re.I)


def _plain(text: str) -> str:
    """The question without its opening and without 'else': 'And what else did he say …'
    asks, of what is left, what 'What did he say …' asks."""
    return _ELSE.sub(r"\1", without_opening(text), count=1)


# 'What set off the row?' asks why the row began.
_CAUSE = re.compile(
    r"what(?:'s| is| was| were| are)? (?:the )?(?:main |real |immediate )?(?:caus|reason|trigger|prompt|spark|drove|drive|"
    r"led to|leads to|set off|sets off|touched off|motivat|purpose|aim of|aims of|goal|objective)",
    re.I,
)


_WHO_IS_NAMED = re.compile(
    r"\s*(?i:who)\s+(?i:is|was|are|were)\s+(?:(?:Mr|Ms|Mrs|Dr|Prof)\.?\s+)?[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*\s*\??\s*$"
)


def answer_type(text: str) -> AnswerType:
    """The kind of answer a wh-question expects, from its first words."""
    plain = _plain(text)
    t = plain.strip().lower()
    if _TIME_ASKED.match(t) or t.startswith(("when", "how long ago", "since when")):
        return "date"
    if t.startswith(("how many", "how much", "what percentage", "what share", "what proportion", "how old")):
        return "number"
    if _MEASURE.match(t):
        return "number"
    if t.startswith(
        (
            "where",
            "in what country",
            "in which country",
            "in what city",
            "in which city",
            "what country",
            "which country",
            "what city",
            "which city",
        )
    ):
        return "place"
    if _SPEECH.search(t) and t.startswith(
        ("what did", "what does", "what do", "what has", "what have", "how did", "what was said")
    ):
        return "quote"
    if _WHO_IS_NAMED.match(plain):
        return "none"  # 'Who is Takaichi?' asks what she is, not for another name
    if t.startswith(("who", "whom", "whose", "which person", "what person")):
        return "person"
    if t.startswith(("why", "how come")) or _CAUSE.match(t):
        return "reason"
    return "none"


# 'What is the population of Nara?' asks for a number as surely as 'How many people …'.
_MEASURE = re.compile(
    r"what(?:'s| is| was| are| were| will be)? (?:the (?:current |total |estimated |approximate )?"
    r"(?:population|number|death toll|toll|turnout|price|cost|budget|salary|height|length|area|size|age)\s+of\b"
    r"|(?:[\w.-]+\s){0,3}?[\w.-]+['’]s? (?:current |total |estimated )?"  # 'What is Lee's age?'
    r"(?:population|death toll|turnout|price|cost|budget|salary|height|length|area|size|age)\b)"
)


def names_in(text: str) -> list[str]:
    """Capitalised name sequences, skipping sentence-initial question words and titles."""
    out = []
    for match in _NAME.finditer(text):
        words = [w for w in match.group().split() if w.strip(".’'") not in _TITLES]
        while words and words[0] in _LEADING:
            words = words[1:]
        if words:
            words[-1] = re.sub(r"['’]s$", "", words[-1])  # "Lee's predecessor" names Lee
            out.append(" ".join(words))
    return out


def speaker_of(text: str) -> list[str]:
    """For 'what did X say/tell …', the words of X."""
    m = re.match(r"\s*(?:what|how)\s+(?:did|does|do|has|have|was)\s+(.+?)\s+" + _SPEECH.pattern, _plain(text), re.I)
    return terms(m.group(1)) if m else []


def _previous_questions(history: Sequence[str | Mapping[str, object]]) -> list[str]:
    out = []
    for turn in history:
        if isinstance(turn, str):
            out.append(turn)
        elif isinstance(turn, Mapping):
            value = turn.get("resolved_question") or turn.get("question")
            if isinstance(value, str):
                out.append(value)
    return [q for q in out if q.strip()]


def resolve(text: str, history: Sequence[str | Mapping[str, object]]) -> str:
    """Fill 'he'/'it'/'there' in a follow-up from the latest earlier question that names something.

    Only the last ``FOLLOW_UP_TURNS`` questions count. Earlier questions are resolved in
    turn first, each to the question it stands for on its own, so a chain of follow-ups
    keeps its subject and a resolution is one level deep: 'When? (Where? (…))' never forms.
    """
    previous: list[str] = []
    for earlier in _previous_questions(history)[-FOLLOW_UP_TURNS:]:
        previous.append(_resolve_one(earlier, previous)[1])
    return _resolve_one(text, previous)[0]


# 'When?', 'And why?', 'Where exactly?': the question is the previous one's, asked again.
_ELLIPTICAL = re.compile(
    r"\s*(?:(?:and|but|so)\s+)?(?:when|where|why|how|who|what)(?:\s+(?:exactly|then|not))?\s*\??\s*$", re.I
)


def _resolve_one(text: str, previous: list[str]) -> tuple[str, str]:
    """The question resolved against ``previous`` (standalone questions, oldest first), and
    the standalone question it stands for: itself, filled, or the earlier one it repeats."""
    if previous and _ELLIPTICAL.match(text):
        return f"{text} ({previous[-1]})", previous[-1]
    pronouns = {m.group(0).lower() for m in _PRONOUN.finditer(text)}
    # 'this'/'that' on their own are the subject ('What does this mean for Japan?'): a name
    # elsewhere in the question does not make it stand alone
    referring = pronouns & (_PERSONAL | {"this", "that"})
    if not previous or not pronouns or (names_in(text) and not referring):
        return text, text
    personal = bool(pronouns & _PERSONAL)
    for earlier in reversed(previous):
        # 'he'/'she' stand for a person: skip acronyms such as AFP or NHK
        names = [n for n in names_in(earlier) if not (personal and n.isupper())]
        if names:
            break
    else:
        return f"{text} ({previous[-1]})", previous[-1]
    person = names[0]

    def fill(m: re.Match[str]) -> str:
        word = m.group(0).lower()
        if word in ("his", "hers") or (word == "her" and _possessive_her(text, m.end())):
            return f"{person}'s"
        if word in _PERSONAL:
            return person
        return m.group(0)

    filled = _PRONOUN.sub(fill, text, count=1)
    return (filled, filled) if filled != text else (f"{text} ({earlier})", earlier)


def _possessive_her(text: str, end: int) -> bool:
    rest = text[end:].lstrip()
    return bool(rest) and rest[0].isalpha() and not rest.lower().startswith(("about", "to", "that", "and", "?"))


# Words about the sources themselves, not their content: "Do both articles mention X?"
_META = frozenset(
    terms(
        "article articles source sources report reports reported mention mentions mentioned quote quoted detail details story stories"
    )
)


# A question about what several sources say together: 'Do both articles mention X?', 'Do
# all the reports say …', 'What do the two stories say about …', 'Which sources report …',
# 'Do the articles agree on …', '… in both articles?'.
_SOURCES = r"(?:articles|sources|stories|reports|outlets|papers|pieces)"
_SOURCE = r"(?:article|source|story|report|outlet|paper|piece)s?"
_SEVERAL = rf"(?:(?:both|all|each|every|the two|the three)(?:\s+of)?(?:\s+the)?\s+{_SOURCES}|(?:either|each)(?:\s+of the)?\s+{_SOURCE})\b"
_ACROSS = re.compile(
    rf"^\s*(?:(?:what|how|why|when|where|who)\s+)?(?:do|did|does|have|has|are|were|will)\s+(?P<several>{_SEVERAL})"
    rf"|^\s*(?P<which>(?:which|how many)\s+{_SOURCE})\s+(?=(?:mention|report|say|quote|cover|describe|note|cite|"
    rf"refer|claim|call|name|state)(?:s|d|ed|red)?\b|said\b|(?:do|does|did|has|have)\b)"
    rf"|^\s*(?:(?:what|how)\s+)?do\s+(?P<agree>the\s+{_SOURCES}\s+both|the\s+{_SOURCES}(?=\s+(?:agree|differ|disagree)))"
    rf"|\b(?:in|across|according to|by)\s+(?P<within>{_SEVERAL})",
    re.I,
)


def across(text: str) -> str | None:
    """For a question asked of several sources together, the question as asked of one
    ('Do both articles mention X?' -> 'Does the article mention X?'; 'Which sources report
    X?' as it is, without its opening); else None."""
    text = without_opening(text)
    m = _ACROSS.search(text)
    if m is None:
        return None
    if m.group("which"):  # 'Which article mentions X?' reads as it is: any one article answers it
        return text
    group = next(g for g in ("several", "agree", "within") if m.group(g))
    one = text[: m.start(group)] + "the article" + text[m.end(group) :]
    return re.sub(r"\b([Dd])o(?=\s+the article\b)", r"\1oes", one, count=1)


# Verbs that only say an event is asked about: 'Where did the summit take place?' asks
# where the summit was ('took office' must not match 'take', 'his place' not 'place').
_EVENT_FRAME = re.compile(r"\b(?:take|takes|took|taken|taking)\s+place\b|\b(?:happen|occur)\w*", re.I)


# A request rather than a question: 'Summarize the summit' asks about the summit.
_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:summari[sz]e|outline|give (?:me )?(?:an overview|a summary) of|"
    r"tell me (?:more )?about|what about|an overview of|a summary of)\b",
    re.I,
)


def _frame_terms(text: str) -> frozenset[str]:
    frames = [m.group() for m in _EVENT_FRAME.finditer(text)]
    request = _REQUEST.match(without_opening(text))
    if request:
        frames.append(request.group())
    return frozenset(t for frame in frames for t in terms(frame))


def analyze(text: str, history: Sequence[str | Mapping[str, object]] = ()) -> Question:
    resolved = resolve(text, history)
    slot = asked_for(text) | _frame_terms(resolved)
    names = tuple(t for name in names_in(resolved) for t in terms(name))
    of_one = across(resolved)
    return Question(
        text=text,
        resolved=resolved,
        terms=tuple(t for t in terms(of_one or resolved) if t not in _META and t not in slot),
        names=names,
        answer_type=answer_type(text),
        speaker=tuple(speaker_of(resolved)),
        unsourced=of_one or "",
        across=of_one is not None,
    )


# 'Did Lee say …?', 'Was the summit in Tokyo?', 'Has Japan lifted …?': a claim in question form
_YES_NO = re.compile(r"^\s*(did|does|do|is|was|are|were|has|have|had|will|can|could)\s+(.+?)\s*\?*\s*$", re.I)
_DETERMINERS = frozenset("the a an this that these those his her their its our".split())


def yes_no_claim(text: str) -> str | None:
    """The claim a yes/no question asks about, the auxiliary put after its subject ('Did Lee
    say Japan should intervene?' -> 'Lee did say Japan should intervene.'); None for any
    other question, and for a choice ('Was it in Nara or Tokyo?')."""
    m = _YES_NO.match(without_opening(text))
    if m is None or re.search(r"\bor\b", m.group(2)):
        return None
    aux, words = m.group(1).lower(), m.group(2).split()
    n = 0
    if words and words[0].lower() in _DETERMINERS:
        n = 2  # 'the summit'
    else:
        while n < len(words) and (words[n][:1].isupper() or (words[n] in ("and", "&") and n + 1 < len(words))):
            n += 1  # 'Lee', 'Lee and Takaichi', 'South Korea'
    if n == 0 or n >= len(words):
        return None
    return " ".join([*words[:n], aux, *words[n:]]) + "."
