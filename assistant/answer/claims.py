"""Claim checking: does each source support the claim, contradict it, or not address it?

The sentences closest to the claim in each source (``Assistant.closest``) are read against
it by the claim verifier (``assistant.answer.verifier``), each with the sentence before it and its
article's title. Per source:

- **supported**: a sentence (read with its neighbour) entails the claim;
- **contradicted**: a sentence contradicts it and none supports it;
- **not in the sources**: neither.

Overall: supported, contradicted, **disputed** (one source supports, another contradicts)
or not in the sources. For a contradiction, the conflicting words on both sides are found
by aligning the claim with the deciding sentence ("Tokyo" against "Nara").
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from assistant.config import MAX_QUESTION_CHARS, is_text
from assistant.errors import InvalidQuestion
from assistant.language import speech
from assistant.language.dates import (
    MONTH_ABBREVIATIONS,
    MONTH_NAMES,
    NUMBER_WORDS,
    WEEKDAY_ABBREVIATIONS,
    WEEKDAY_NAMES,
)
from assistant.language.features import speakers_of
from assistant.language.terms import terms
from assistant.search.reader_input import pair_text
from assistant.types import Document, Sentence

Verdict = Literal["supported", "contradicted", "disputed", "not_found"]

LABELS: dict[str, str] = {
    "supported": "supported by the sources",
    "contradicted": "contradicted by the sources",
    "disputed": "disputed: the sources disagree",
    "not_found": "not in the sources",
}
SOURCE_LABELS: dict[str, str] = {
    "supported": "supports the claim",
    "contradicted": "contradicts the claim",
    "not_found": "does not say",
}
MEANING = (
    "Each source's sentences closest to the claim are read against it by a verifier trained "
    "for this (supports, contradicts, or neither). “Supported”: a sentence of the source says "
    "it. “Contradicted”: a sentence says otherwise (the conflicting words are marked) and none "
    "supports it. “Disputed”: one source supports it, another contradicts it. “Not in the "
    "sources”: no source addresses it."
)
LIMITS = (
    "The verifier knows only the indexed articles, not whether they are right, and reads one "
    "sentence (with the one before it) at a time: a claim that needs several facts put "
    "together can come out “not in the sources”. Read the marked sentences yourself."
)


@dataclass(frozen=True)
class Span:
    """Characters ``start:end`` of a text (the claim, or a source's file)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Conflict:
    """The words of the claim and of the deciding sentence that disagree."""

    claim: Span
    source: Span


@dataclass(frozen=True)
class CheckedPassage:
    """A sentence of a source read against the claim: offsets into its file, and the
    verifier's probabilities that it supports or contradicts the claim."""

    doc_id: str
    start: int
    end: int
    text: str
    supports: float
    contradicts: float


@dataclass(frozen=True)
class SourceCheck:
    """One source's verdict, the sentence that decides it, and for a contradiction the conflict."""

    doc_id: str
    title: str
    verdict: Literal["supported", "contradicted", "not_found"]
    label: str
    evidence: Span | None
    conflict: Conflict | None
    passages: tuple[CheckedPassage, ...]


@dataclass(frozen=True)
class ClaimCheck:
    """The overall verdict and the verdict of each source."""

    claim: str
    verdict: Verdict
    label: str
    sources: tuple[SourceCheck, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Candidate:
    """A sentence the claim is read against, with what the verifier reads beside it."""

    sentence: Sentence
    previous: str  # the sentence before it in its article ('' at the start)
    title: str


# (claims, evidence texts) -> an (n, 3) array of probabilities: supports, contradicts, neither
Judge = Callable[[Sequence[str], Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Thresholds:
    """The verifier's probability from which a sentence supports / contradicts; the share
    of a claim's other words a sentence with one changed fact must hold to contradict it
    (``swapped_fact``), and the share for a fact changed in the same words
    (``anchored_swap``); the probability from which a sentence contradicts the claim with
    no conflicting words found; the probability below which a supporting sentence must
    share a word of the claim that is not a name or a number. All read from verifier.json, chosen on validation
    (training/fit_claim_rules.py)."""

    supports: float = 0.5
    contradicts: float = 0.5
    swap_coverage: float = 1.0
    anchor_coverage: float = 2.0  # above 1: a fact swapped in the same words is not enough
    unaligned_contradicts: float = 0.5
    content_below: float = 0.0  # below it, a support must share a word other than a name or number


def validate_claim(claim: object, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """The claim stripped of surrounding space.

    Raises:
        InvalidQuestion: not a string, empty, whitespace-only, without a word, or longer than max_chars.
    """
    if not isinstance(claim, str) or not claim.strip():
        raise InvalidQuestion("The claim is empty: paste a sentence to check.")
    if len(claim) > max_chars:
        raise InvalidQuestion(f"The claim is too long ({len(claim)} characters; at most {max_chars}).")
    if not is_text(claim):
        raise InvalidQuestion("The claim holds characters that are not valid text (a lone surrogate).")
    if not any(ch.isalnum() for ch in claim):
        raise InvalidQuestion("The claim has no words in it: paste a sentence to check.")
    return claim.strip()


def check_claim(
    claim: str,
    candidates: Sequence[Candidate],
    documents: Sequence[Document],
    judge: Judge,
    thresholds: Thresholds | None = None,
) -> ClaimCheck:
    """Judge every document against ``claim`` from its sentences among ``candidates``.

    Args:
        claim: the sentence being checked.
        candidates: the sentences closest to it (a few per document) with their context.
        documents: the documents to list; one without candidates does not say.
        judge: the verifier's probabilities for (claim, evidence) pairs.
        thresholds: where a sentence supports or contradicts (default: Thresholds()).
    """
    thresholds = thresholds or Thresholds()
    evidence = [pair_text(c.sentence.text, c.previous, c.title) for c in candidates]
    # 'Lee said Japan should intervene': what is said is judged apart as well, so that a
    # sentence telling it as someone else's words is found whoever the verifier hears in it
    said = said_content(claim)
    claims = [claim] * len(candidates) + ([said] * len(candidates) if said else [])
    judged = judge(claims, evidence * (2 if said else 1)) if candidates else np.zeros((0, 3), dtype=np.float32)
    probs, said_probs = judged[: len(candidates)], judged[len(candidates) :]
    telling = {(c.sentence.doc_id, c.sentence.start): float(p[0]) for c, p in zip(candidates, said_probs, strict=False)}
    by_doc: dict[str, list[CheckedPassage]] = {doc.doc_id: [] for doc in documents}
    context: dict[tuple[str, int], str] = {}
    for c, p in zip(candidates, probs, strict=True):
        s = c.sentence
        passage = CheckedPassage(s.doc_id, s.start, s.end, s.text, round(float(p[0]), 4), round(float(p[1]), 4))
        by_doc.setdefault(s.doc_id, []).append(passage)
        context[(s.doc_id, s.start)] = f"{c.title} {s.text}"
    titles = {doc.doc_id: doc.title for doc in documents} | {c.sentence.doc_id: c.title for c in candidates}
    sources = [_source(claim, d, titles.get(d, d), found, thresholds, context, telling) for d, found in by_doc.items()]
    order = {"supported": 0, "contradicted": 1, "not_found": 2}
    sources.sort(key=lambda s: (order[s.verdict], -_strength(s)))
    verdicts = {s.verdict for s in sources}
    verdict: Verdict = (
        "disputed"
        if {"supported", "contradicted"} <= verdicts
        else "supported"
        if "supported" in verdicts
        else "contradicted"
        if "contradicted" in verdicts
        else "not_found"
    )
    return ClaimCheck(claim, verdict, LABELS[verdict], tuple(sources))


def _source(
    claim: str,
    doc_id: str,
    title: str,
    passages: list[CheckedPassage],
    t: Thresholds,
    context: dict[tuple[str, int], str] | None = None,
    telling: dict[tuple[str, int], float] | None = None,
) -> SourceCheck:
    passages = sorted(passages, key=lambda p: -max(p.supports, p.contradicts))
    # a sentence that shares no word of substance with the claim is not about it: it can
    # neither support nor contradict it, whatever the verifier reads into it
    about = [p for p in passages if _shares_a_word(claim, p.text)]
    # 'Lee said …' is not supported by a sentence that gives those words to someone else
    # ('Takaichi's suggestion that …'): the verifier reads what is said, not who says it
    speaker = claimed_speaker(claim)
    if speaker is not None:
        told = telling or {}
        saying = [
            p
            for p in about
            if max(p.supports, told.get((p.doc_id, p.start), 0.0)) >= t.supports and p.supports >= p.contradicts
        ]
        others = {id(p): _other_speaker(speaker, p) for p in saying}
        if saying and all(c is not None for c in others.values()):
            top = saying[0]
            span = Span(top.start, top.end, top.text)
            label = SOURCE_LABELS["contradicted"]
            return SourceCheck(doc_id, title, "contradicted", label, span, others[id(top)], tuple(passages))
        about = [p for p in about if others.get(id(p)) is None]
    # a sentence the verifier is not sure of supports only by telling something the claim
    # tells beside its names and numbers ('The meeting comes days after Lee … met Xi
    # Jinping' is no support of 'Xi Jinping criticised the summit')
    credible = [p for p in about if p.supports >= t.content_below or _shares_content(claim, p.text)]
    supporting = max(credible, key=lambda p: p.supports, default=None)
    # a sentence can contradict only by telling something the claim does not: a heading
    # 'Harbour' against 'The harbour in Kessel is open' tells nothing of its own
    contradicting = max((p for p in about if _tells_more(p.text, claim)), key=lambda p: p.contradicts, default=None)
    if supporting is not None and supporting.supports >= t.supports and supporting.supports >= supporting.contradicts:
        span = Span(supporting.start, supporting.end, supporting.text)
        # a close sentence that puts another name, place or number where the claim has one
        # the sentence and its context never mention disagrees, however alike the wording
        around = (context or {}).get((supporting.doc_id, supporting.start), supporting.text)
        changed = changed_fact(claim, supporting, around)
        if changed is not None:
            label = SOURCE_LABELS["contradicted"]
            return SourceCheck(doc_id, title, "contradicted", label, span, changed, tuple(passages))
        return SourceCheck(doc_id, title, "supported", SOURCE_LABELS["supported"], span, None, tuple(passages))
    # the verifier unsure, a sentence that tells the same but for one fact contradicts it
    for passage in about:
        around = (context or {}).get((passage.doc_id, passage.start), passage.text)
        swap = swapped_fact(claim, passage, around, t.swap_coverage, t.anchor_coverage)
        if swap is not None:
            span = Span(passage.start, passage.end, passage.text)
            return SourceCheck(
                doc_id, title, "contradicted", SOURCE_LABELS["contradicted"], span, swap, tuple(passages)
            )
    if contradicting is not None and contradicting.contradicts >= t.contradicts:
        span = Span(contradicting.start, contradicting.end, contradicting.text)
        conflict = conflicting_words(claim, contradicting)
        # a contradiction whose words cannot be shown must be read surer ('cut waiting times
        # by half' is no contradiction of 'halve waiting times')
        if conflict is None and contradicting.contradicts < t.unaligned_contradicts:
            return SourceCheck(doc_id, title, "not_found", SOURCE_LABELS["not_found"], None, None, tuple(passages))
        return SourceCheck(
            doc_id, title, "contradicted", SOURCE_LABELS["contradicted"], span, conflict, tuple(passages)
        )
    return SourceCheck(doc_id, title, "not_found", SOURCE_LABELS["not_found"], None, None, tuple(passages))


_HONORIFIC = r"(?:(?:Mr|Ms|Mrs|Dr|Prof|President|Prime Minister|Minister|Senator|Governor|Mayor)\.?\s+)?"
_NAMED = r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"
_CLAIMED = re.compile(
    r"^\s*"
    + _HONORIFIC
    + r"("
    + _NAMED
    + r")\s+(?:has\s+|had\s+|have\s+|did\s+|does\s+|do\s+|also\s+)?(?:"
    + speech.verbs(speech.CLAIMED)
    + r")\b"
    r"|^\s*[Aa]ccording to\s+" + _HONORIFIC + r"(" + _NAMED + r")\s*,"
)


def claimed_speaker(claim: str) -> Span | None:
    """The name a claim gives its words to ('Lee said …', 'According to Lee, …'), as a span
    of the claim; None when the claim reports no one's words."""
    m = _CLAIMED.match(claim)
    if m is None:
        return None
    group = 1 if m.group(1) is not None else 2
    name = m.group(group)
    if not name[:1].isupper():
        return None
    return Span(m.start(group), m.end(group), name)


def said_content(claim: str) -> str | None:
    """What a claim says someone said ('Lee said that Japan should intervene': 'Japan should
    intervene'); None when it reports no one's words."""
    m = _CLAIMED.match(claim)
    if m is None or claimed_speaker(claim) is None:
        return None
    rest = re.sub(r"^(?:that\s+)", "", claim[m.end() :].lstrip(" ,:“\"'"))
    return rest[:1].upper() + rest[1:] if len(rest.split()) >= 2 else None


def _other_speaker(speaker: Span, passage: CheckedPassage) -> Conflict | None:
    """The conflict when ``passage`` reports its words as someone else's: it names a speaker,
    none of them the claim's, and does not name the claim's speaker at all."""
    theirs = speakers_of(passage.text)
    wanted = set(terms(speaker.text))
    if not theirs or theirs & wanted or any(_mentions(passage.text, w) for w in speaker.text.split() if _key(w)):
        return None
    for m in _TOKEN.finditer(passage.text):
        word = re.sub(r"[’']s$", "", m.group())  # 'Takaichi’s suggestion': the name
        if set(terms(word)) & theirs and word[:1].isupper():
            return Conflict(speaker, Span(passage.start + m.start(), passage.start + m.start() + len(word), word))
    return None


def _strength(source: SourceCheck) -> float:
    return max((max(p.supports, p.contradicts) for p in source.passages), default=0.0)


_TOKEN = re.compile(r"\w+(?:[’'.,-]\w+)*")
_MINOR = frozenset(
    "a an the of in on at to for by with and or but as is was are were be been it its that this their his her "
    "he she they said says mr ms mrs dr prof".split()
)
_NEGATION = frozenset("not no never none nor without".split())
# words of a closed class, capitalised only where they open a sentence or a quote ('“We can
# only wait …”', '“Behind closed doors, …”'): never a name
_CLOSED = frozenset(
    "i we you he she they me us him them my our your its their mine ours yours theirs this these those "
    "there here who whom whose which what when where why how all any both each every some such other "
    "another about above across against along among around before behind below beneath beside between "
    "beyond despite during except from inside into like near off onto out outside over past since "
    "through throughout till toward towards under until unlike up upon via within if so yet nor then "
    "than though although because while whereas however meanwhile moreover still also even only just "
    "now once yes".split()
)
_AUXILIARY = frozenset("would will could can should may might must do does did has have had".split())


def _norm(word: str) -> str:
    return re.sub(r"[’']s$", "", word).lower()


# counted in words: 'two new berths', 'cut by a third'
_COUNTED = frozenset(w for w in NUMBER_WORDS if w not in ("a", "an")) | frozenset(
    "twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion "
    "dozen dozens half third quarter twice thrice double triple "
    "first second fourth fifth sixth seventh eighth ninth tenth".split()  # 'his third visit'
)


def _key(word: str) -> bool:
    """A word that states a fact of its own: a name, place or other capitalised word, or a number."""
    norm = _norm(word)
    if norm in _MINOR or norm in _CLOSED:
        return False
    return word[:1].isupper() or word[:1].isdigit() or norm in _COUNTED


def _numeric(word: str) -> bool:
    return word[:1].isdigit() or _norm(word) in _COUNTED


def _stem(word: str) -> str:
    """A crude stem, enough to match 'start' with 'started' and 'buses' with 'bus'."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def covered(claim: str, text: str, skip: str = "") -> float:
    """The share of the claim's words of substance (all but those of ``skip``) that ``text`` holds."""
    words = {_stem(_norm(m.group())) for m in _TOKEN.finditer(claim)} - {_stem(w) for w in _MINOR}
    words -= {_stem(_norm(m.group())) for m in _TOKEN.finditer(skip)}
    held = {_stem(_norm(m.group())) for m in _TOKEN.finditer(text)}
    return len(words & held) / len(words) if words else 0.0


def changed_fact(claim: str, passage: CheckedPassage, around: str) -> Conflict | None:
    """What makes a sentence the verifier reads as support disagree with the claim: a name,
    place, number or order of events of the claim, never mentioned in the sentence or its
    context ``around``, that the sentence replaces with another of its kind ("The summit
    took place in Tokyo" against "… Hold Summit in Nara …"), found where the words align,
    as the one date or number of its kind told elsewhere in the sentence, or, for a name,
    where it stands in the same words ('told Reuters' against 'told AFP'); events told
    the other way round; or a negation the claim lacks ('… an inspection found no
    structural damage' against 'Engineers found structural damage', however much of the
    wording it shares). None when there is none of these."""
    swapped = conflict_of(claim, passage)
    if swapped is not None and (_key(swapped.claim.text) or _norm(swapped.claim.text) in _ORDER):
        if not _mentions(around, swapped.claim.text):
            return swapped
    if swapped is None or _mentions(around, swapped.claim.text) or _negation_of(swapped):
        # told in another order ('made in March 2025' against 'suggestion in November 2025
        # that …'): the claim's one date or number the sentence lacks, against its one of
        # that kind (a name only as below, names being many in a sentence)
        loose = conflict_of(claim, passage, any_order=True)
        if loose is not None and _kind(loose.claim.text) != "name" and not _mentions(around, loose.claim.text):
            return loose
        # a name is many in a sentence: one swapped in the same words ('told Reuters'
        # against 'told AFP')
        anchored = anchored_swap(claim, passage)
        if anchored is not None and not _mentions(around, anchored.claim.text):
            return anchored
    return _turned_round(claim, passage) or _negated(claim, passage)


def conflicting_words(claim: str, passage: CheckedPassage) -> Conflict | None:
    """The words where a sentence read as contradicting the claim disagrees with it: a
    changed fact, a fact changed in the same words, events turned round or a negation;
    None when none is found."""
    return (
        conflict_of(claim, passage)
        or anchored_swap(claim, passage)
        or _turned_round(claim, passage)
        or _negated(claim, passage)
    )


def _negation_of(conflict: Conflict) -> bool:
    """Whether a conflict is a negation against a word (judged by ``_negated`` instead)."""
    return _norm(conflict.source.text) in _NEGATION or _norm(conflict.claim.text) in _NEGATION


def swapped_fact(
    claim: str, passage: CheckedPassage, around: str, coverage: float = 1.0, anchor_coverage: float = 2.0
) -> Conflict | None:
    """A sentence that says everything the claim says but with another name, place, day or
    number in one place ('bought 40 electric buses' against 'bought 60 electric buses'):
    the two words as a conflict; None otherwise. The claim's word must be nowhere in the
    sentence and its context ``around``, and at least ``coverage`` of its other words of
    substance in the sentence (``Thresholds.swap_coverage``); ``anchor_coverage`` of them
    where the fact is swapped in the same words (``anchored_swap``)."""
    conflict = conflict_of(claim, passage, any_order=True)
    if conflict is not None and (_key(conflict.claim.text) or _norm(conflict.claim.text) in _ORDER):
        if _norm(conflict.claim.text) not in _NEGATION and not _mentions(around, conflict.claim.text):
            if covered(claim, passage.text, conflict.claim.text) >= coverage:
                return conflict
    # in the same words ('her home region of Kyoto' against 'her … home region of Nara')
    anchored = anchored_swap(claim, passage) if anchor_coverage <= 1.0 else None
    if anchored is not None and not _mentions(around, anchored.claim.text):
        if covered(claim, passage.text, anchored.claim.text) >= anchor_coverage:
            return anchored
    return None


def conflict_of(claim: str, passage: CheckedPassage, any_order: bool = False) -> Conflict | None:
    """Where the claim and the sentence disagree, found by aligning their words: the first
    name, place or number of the claim that the sentence replaces with another of the same
    kind ("Tokyo" against "Nara", "60,000" against "40,000"), or a negation one of them has
    and the other lacks. The source side as offsets into the passage's file; None when no
    such difference is found. ``any_order`` also pairs the one fact the sentence lacks
    with the one of its kind the sentence has, wherever it stands."""
    a = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(claim)]
    b = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(passage.text)]
    if not a or not b:
        return None
    in_claim = {_norm(w) for w, _, _ in a}
    matcher = difflib.SequenceMatcher(a=[_norm(w) for w, _, _ in a], b=[_norm(w) for w, _, _ in b], autojunk=False)

    def span(tokens: list[tuple[str, int, int]], i: int, base: int = 0) -> Span:
        word, start, end = tokens[i]
        return Span(base + start, base + end, word)

    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        # 'after the summit' against 'before the summit': the order of events turned round
        for i in range(i1, i2):
            opposite = _ORDER.get(_norm(a[i][0]))
            turned = [j for j in range(j1, j2) if _norm(b[j][0]) == opposite]
            if turned:
                return Conflict(span(a, i), span(b, turned[0], passage.start))
        # a negation stands where the two differ, not far into a long stretch ('University of
        # Seoul' against 'University of Tokyo, did not expect …')
        claim_neg = [i for i in range(i1, min(i2, i1 + 3)) if _norm(a[i][0]) in _NEGATION]
        source_neg = [j for j in range(j1, min(j2, j1 + 3)) if _norm(b[j][0]) in _NEGATION]
        if claim_neg or source_neg:
            ci = claim_neg[0] if claim_neg else max(0, i1 - 1)
            sj = source_neg[0] if source_neg else max(0, min(j1, len(b) - 1) - (0 if j2 > j1 else 1))
            return Conflict(span(a, min(ci, len(a) - 1)), span(b, min(sj, len(b) - 1), passage.start))
        # a name the sentence holds in another form is no changed fact ('Benoit
        # Hardy-Chartrand' against 'Mr Hardy-Chartrand')
        keys = [
            i
            for i in range(i1, i2)
            if _key(a[i][0])
            and not (_kind(a[i][0]) == "name" and _mentions(passage.text, _run_span(claim, a, *_name_run(a, i)).text))
        ]
        if not keys:
            continue
        kind = _kind(a[keys[0]][0])
        others = [j for j in range(j1, j2) if _key(b[j][0]) and _norm(b[j][0]) not in in_claim]
        same_kind = [j for j in others if _kind(b[j][0]) == kind and not _same_name(a[keys[0]][0], b[j][0])]
        if same_kind:
            if kind != "name":
                return Conflict(span(a, keys[0]), span(b, same_kind[0], passage.start))
            # a name of several words is one name: 'Shigeru Ishiba' against 'Sanae Takaichi'
            # in 'Japanese Prime Minister Sanae Takaichi'
            return Conflict(
                _run_span(claim, a, *_name_run(a, keys[0], untitled=True)),
                _run_span(passage.text, b, *_name_run(b, same_kind[0], untitled=True), passage.start),
            )
    # told in another order ('started the plant on Friday' against 'on Tuesday to start
    # the plant'): the one fact of the claim the sentence lacks, against the one word of
    # that kind the sentence has instead
    if not any_order:
        return None
    in_source = {_norm(w) for w, _, _ in b}
    for i, (w, _, _) in enumerate(a):
        opposite = _ORDER.get(_norm(w))
        if opposite is not None and _norm(w) not in in_source and opposite in in_source:
            j = next(j for j, (v, _, _) in enumerate(b) if _norm(v) == opposite)
            return Conflict(span(a, i), span(b, j, passage.start))
    # a name of several words counts once, and is not missing when the sentence holds it in
    # another form ('Mr Hardy-Chartrand' for 'Benoit Hardy-Chartrand')
    missing = [(f, e) for f, e in _facts(a) if not _mentions(passage.text, claim[a[f][1] : a[e][2]])]
    if len(missing) == 1:
        first, last = missing[0]
        kind = _kind(a[first][0])
        instead = [
            (f, e)
            for f, e in _facts(b, untitled=True)
            if _norm(b[f][0]) not in in_claim and _kind(b[f][0]) == kind and not _same_name(a[first][0], b[f][0])
        ]
        if len(instead) == 1:
            return Conflict(_run_span(claim, a, first, last), _run_span(passage.text, b, *instead[0], passage.start))
    return None


def _facts(tokens: list[tuple[str, int, int]], untitled: bool = False) -> list[tuple[int, int]]:
    """The key words of ``tokens`` as ``[first, last]`` runs: a name of several words is one."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if not _key(tokens[i][0]):
            i += 1
            continue
        if _kind(tokens[i][0]) != "name":
            out.append((i, i))
            i += 1
            continue
        first, last = _name_run(tokens, i)
        if untitled:
            first = _name_run(tokens, i, untitled=True)[0]
            if _norm(tokens[last][0]) in _TITLES:  # a title alone ('South Korean President') names no one
                i = last + 1
                continue
        out.append((first, last))
        i = last + 1
    return out


# words that stand before a name without being part of it ('Prime Minister Sanae Takaichi')
_TITLES = frozenset(
    "mr ms mrs dr prof president prime minister premier chancellor secretary governor mayor senator "
    "king queen prince princess emperor chairman chairwoman chair director chief general leader "
    "spokesman spokeswoman spokesperson ambassador judge justice officer commissioner "
    "representative rep sen gov gen".split()
)


def _name_run(tokens: list[tuple[str, int, int]], i: int, untitled: bool = False) -> tuple[int, int]:
    """The run of capitalised words around ``tokens[i]`` (``[first, last]``), one name: it
    stops at a possessive ('Temple University's | Tokyo'), and, ``untitled``, leaves out the
    titles before the name ('Japanese Prime Minister | Sanae Takaichi')."""

    def named(j: int) -> bool:
        return _key(tokens[j][0]) and _kind(tokens[j][0]) == "name"

    def possessive(j: int) -> bool:
        return bool(re.search(r"[’']s$", tokens[j][0]))

    first = i
    while first > 0 and named(first - 1) and not possessive(first - 1):
        first -= 1
    last = i
    while last + 1 < len(tokens) and named(last + 1) and not possessive(last):
        last += 1
    if untitled:
        titled = [j for j in range(first, last) if _norm(tokens[j][0]) in _TITLES]
        if titled:
            first = titled[-1] + 1
    return first, last


def _run_span(text: str, tokens: list[tuple[str, int, int]], first: int, last: int, base: int = 0) -> Span:
    start, end = tokens[first][1], tokens[last][2]
    return Span(base + start, base + end, text[start:end])


def anchored_swap(claim: str, passage: CheckedPassage) -> Conflict | None:
    """A name, place, day or number of the claim that the sentence lacks, standing where the
    sentence has another of its kind in the same words ('told Reuters' against 'told AFP',
    'home region of Kyoto' against 'home region of Nara'): the two as a conflict. The words
    that anchor it run from the fact to the nearest word of substance beside it, on its left
    or its right, and must be the same on both sides. None when no fact is so placed."""
    a = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(claim)]
    b = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(passage.text)]
    in_claim = {_norm(w) for w, _, _ in a}
    for first, last in _facts(a):
        name = claim[a[first][1] : a[last][2]]
        if _mentions(passage.text, name):
            continue
        kind = _kind(a[first][0])
        left, right = _anchor(a, first, -1), _anchor(a, last, 1)
        for s1, s2 in _facts(b, untitled=True):
            w = b[s1][0]
            if _norm(w) in in_claim or _kind(w) != kind or _same_name(a[first][0], w):
                continue
            if (left and _anchor(b, s1, -1, len(left)) == left) or (right and _anchor(b, s2, 1, len(right)) == right):
                return Conflict(_run_span(claim, a, first, last), _run_span(passage.text, b, s1, s2, passage.start))
    return None


def _anchor(tokens: list[tuple[str, int, int]], at: int, step: int, size: int = 0) -> tuple[str, ...]:
    """The stems of the words beside ``tokens[at]`` (left: ``step`` -1, right: 1) up to and
    including the nearest word of substance, three at most; () when there is none. With
    ``size``, exactly that many words."""
    out: list[str] = []
    j = at + step
    while 0 <= j < len(tokens) and len(out) < 3:
        norm = _norm(tokens[j][0])
        out.append(_stem(norm))
        if not size and norm not in _MINOR and norm not in _CLOSED:
            return tuple(out)
        if size and len(out) == size:
            return tuple(out)
        j += step
    return ()


# words that order events, each against its opposite
_ORDER = {"before": "after", "after": "before", "earlier": "later", "later": "earlier"}
_WEEKDAYS = frozenset(w.lower() for w in (*WEEKDAY_NAMES, *WEEKDAY_ABBREVIATIONS))
_MONTHS = frozenset(m.lower() for m in (*MONTH_NAMES, *MONTH_ABBREVIATIONS))
_YEAR = re.compile(r"(1[0-9]|20)\d\d")


def _kind(word: str) -> str:
    """What sort of fact a key word states: a year, another number, a weekday, a month or
    a name ('1961' is no other reading of '13', nor 'Jan' of 'Seoul')."""
    norm = _norm(word)
    if _YEAR.fullmatch(norm):
        return "year"
    if _numeric(word):
        return "number"
    return "weekday" if norm in _WEEKDAYS else "month" if norm in _MONTHS else "name"


def _same_name(word: str, other: str) -> bool:
    """Whether two capitalised words name the same thing: a people and its country
    ('Chinese', 'China': a shared stem of at least four letters, four fifths of the shorter)."""
    a, b = _norm(word), _norm(other)
    if not (word[:1].isupper() and other[:1].isupper()) or a == b:
        return a == b
    shared = len(os.path.commonprefix([a, b]))
    return shared >= 4 and shared >= 0.8 * min(len(a), len(b))


def _initials(text: str) -> set[str]:
    """The acronyms ``text`` spells out: the initials of each run of capitalised words,
    hyphenated parts counted ('Asia-Pacific Economic Cooperation': APEC)."""
    found: set[str] = set()
    run: list[str] = []
    for m in _TOKEN.finditer(text + " ."):
        parts = [p for p in re.split(r"[-’']", m.group()) if p]
        if parts and all(p[:1].isupper() for p in parts):
            run += [p[0] for p in parts]
            continue
        if _norm(m.group()) in ("of", "and", "for", "the") and run:
            continue  # 'Association of Southeast Asian Nations'
        for i in range(len(run)):
            for j in range(i + 2, len(run) + 1):
                found.add("".join(run[i:j]))
        run = []
    return found


def _substance(words: Sequence[str]) -> set[str]:
    return {_stem(_norm(w)) for w in words if _norm(w) not in _MINOR and len(w) > 2}


def _turned_round(claim: str, passage: CheckedPassage) -> Conflict | None:
    """Events told the other way round: the sentence's 'after' (or 'before') governs what
    the claim tells before its own ('Lee visited Beijing after the summit' against 'The
    meeting comes days after Lee visited Beijing'), or the opposite word governs what the
    claim tells after it ('Lee's visit to Japan came days before his trip to Beijing'
    against 'The meeting comes days after President Lee visited Beijing'): the two order
    words as the conflict. 'Follows' and 'precedes' order events as 'after' and 'before'
    do. The governed clause runs to the next comma or stop. It must hold a name or number
    of the event it is taken for and none of the other's (the one who acts in both, the
    claim's first name, aside); or two words of that event and none of the other's ('After
    the summit meeting, they will have dinner' against 'They will have dinner before the
    summit meeting')."""
    a = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(claim)]
    at = next((i for i, (w, _, _) in enumerate(a) if _norm(w) in _ORDER_WORDS), None)
    if at is None:
        return None
    first, second = _substance([w for w, _, _ in a[:at]]), _substance([w for w, _, _ in a[at + 1 :]])
    actor = next((i for i in range(at) if _key(a[i][0])), None)
    acting: set[str] = set()
    if actor is not None:
        first_word, last_word = _name_run(a, actor)
        acting = _substance([w for w, _, _ in a[first_word : last_word + 1]])
    first_names = [w for w, _, _ in a[:at] if _key(w) and _stem(_norm(w)) not in acting]
    second_names = [w for w, _, _ in a[at + 1 :] if _key(w) and _stem(_norm(w)) not in acting]
    second_names = [w for w in second_names if w not in first_names]
    word = _ORDER_WORDS[_norm(a[at][0])]
    for m in _TOKEN.finditer(passage.text):
        order = _ORDER_WORDS.get(_norm(m.group()))
        if order is None:
            continue
        clause = re.split(r"[,;.:!?]", passage.text[m.end() :], maxsplit=1)[0]
        governed = _substance([t.group() for t in _TOKEN.finditer(clause)])
        names, other = (first_names, second_names) if order == word else (second_names, first_names)
        turned = any(_mentions(clause, n) for n in names) and not any(_mentions(clause, n) for n in other)
        # or told in the event's own words: two of them, and none of the other event's
        tells, lacks = (first, second) if order == word else (second, first)
        turned = turned or (len(governed & tells) >= 2 and not governed & lacks)
        if turned:
            source = Span(passage.start + m.start(), passage.start + m.end(), m.group())
            return Conflict(Span(a[at][1], a[at][2], a[at][0]), source)
    return None


# words that order events: 'X after Y' and 'X follows Y' tell Y first
_ORDER_WORDS = {
    "after": "after",
    "follows": "after",
    "followed": "after",
    "following": "after",
    "before": "before",
    "precedes": "before",
    "preceded": "before",
    "preceding": "before",
}


def _negated(claim: str, passage: CheckedPassage) -> Conflict | None:
    """A negation in the sentence that the claim lacks, standing right before words of the
    claim ('found no structural damage' against 'found structural damage'): the conflict
    is the claim's word the negation governs and the negation. None when the claim is
    itself negated, or the sentence negates nothing it says."""
    claimed = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(claim)]
    if any(_norm(w) in _NEGATION or _norm(w).endswith("n't") for w, _, _ in claimed):
        return None
    # by stem: 'did not expect' negates 'expected'
    words = {_stem(_norm(w)): (w, a, b) for w, a, b in claimed if _norm(w) not in _MINOR}
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(passage.text)]
    for i, (word, start, end) in enumerate(tokens[:-1]):
        if _norm(word) not in _NEGATION:
            continue
        # the word it governs, past a function word or two ('was not his place', 'would no
        # longer be allowed')
        after = [_norm(t) for t, _, _ in tokens[i + 1 : i + 4]]
        following = _stem(next((t for t in after if t not in _MINOR and t not in _AUXILIARY and t != "longer"), ""))
        before = _norm(tokens[i - 1][0]) if i else ""
        # 'found no damage': the negated word is the claim's, and so is the verb before it
        if following in words and (_stem(before) in words or before in _MINOR or before in _AUXILIARY):
            w, a, b = words[following]
            return Conflict(Span(a, b, w), Span(passage.start + start, passage.start + end, word))
    return None


def _mentions(text: str, word: str) -> bool:
    """Whether ``text`` holds ``word`` (as a word, any case, a possessive counted), under
    another form of a name ('China' for 'Chinese'), or spelt out ('APEC')."""
    if " " in word.strip():  # a name of several words: any of them ('Ishiba' for 'Shigeru Ishiba')
        if any(_mentions(text, w) for w in word.split() if _key(w)):
            return True
        initials = "".join(w[0] for w in word.split() if w[:1].isupper())  # 'United States': 'U.S.'
        return len(initials) >= 2 and any(
            m.group().replace(".", "") in (initials, initials + "A") for m in _TOKEN.finditer(text)
        )
    target = _norm(word)
    # each part of a hyphenated word counts: 'China' in 'Japan-China'
    told = [part for m in _TOKEN.finditer(text) for part in {m.group(), *m.group().split("-")} if part]
    if any(_norm(w) == target or _same_name(word, w) for w in told):
        return True
    return word.isupper() and 2 <= len(word) <= 8 and word in _initials(text)


def _tells_more(text: str, claim: str) -> bool:
    """Whether ``text`` holds a word of substance (or a negation) the claim lacks."""
    told = {_stem(_norm(m.group())) for m in _TOKEN.finditer(claim)}
    return any(
        _stem(_norm(m.group())) not in told
        for m in _TOKEN.finditer(text)
        if _norm(m.group()) not in _MINOR or _norm(m.group()) in _NEGATION
    )


def _shares_content(claim: str, text: str) -> bool:
    """Whether ``text`` holds, by stem, a word of the claim that is neither a function word
    nor a name or number: what the claim says of its names ('criticised', 'summit')."""
    words = {
        _stem(_norm(m.group()))
        for m in _TOKEN.finditer(claim)
        if not _key(m.group()) and _norm(m.group()) not in _MINOR | _CLOSED | _AUXILIARY and len(m.group()) > 2
    }
    return any(_stem(_norm(m.group())) in words for m in _TOKEN.finditer(text))


def _shares_a_word(claim: str, text: str) -> bool:
    """Whether ``text`` holds a word of substance of the claim (not a function word)."""
    words = {_norm(m.group()) for m in _TOKEN.finditer(claim)} - _MINOR
    return any(_norm(m.group()) in words for m in _TOKEN.finditer(text) if len(m.group()) > 2)
