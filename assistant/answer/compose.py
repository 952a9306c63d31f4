"""Answer composition: verbatim evidence sentences with citations, or an honest refusal."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer.claims import ClaimCheck
from assistant.language import speech
from assistant.language.features import PRONOUN_SPEAKER_AFTER
from assistant.language.question import Question, names_in, without_opening
from assistant.language.terms import metonym_terms, terms
from assistant.search.ranker_weights import learned_window_cost
from assistant.search.retrieve import Scored
from assistant.search.tuning import CANDIDATES
from assistant.search.view import IndexView
from assistant.types import Answer, AnswerSpan, Citation, PassageHit, Sentence, Statement, answer_text

NOT_FOUND = "The sources don't say. The closest passages are listed below; none of them answers the question."
YES_NO = {
    "yes": "Yes: the sources say so.",
    "no": "No: the sources say otherwise.",
    "disputed": "The sources disagree.",
}
UNSURE = "The reader is unsure: these passages may not answer the question. Check them before relying on them."


# Hand-written rules of answer composition besides the reader, kept while they pay on
# validation (``training/fit_reader.py`` measures each). The speaker rules are not among
# them: asked what someone said, the answer is their words; that is what the question
# means, not tuning.
RULES = {
    "numbers": "refuse when a number the question gives ('in 1998') is not around the evidence",
    "intro_lead": "lead 'Who is X?' with the sentence introducing X",
    "absent_names": "refuse when most of the names the question gives occur nowhere in the collection",
    "coverage": "refuse when the best evidence and its passage hold too little of the question's words (min_coverage)",
}


@dataclass(frozen=True)
class Policy:
    """When evidence counts as an answer, and how much of it to show."""

    margin: float = 2.0  # further statements must score within this of the best (learned score units, ~12%)
    max_statements: int = 3
    same_as: float = 0.80  # cosine above which two sentences say the same thing
    same_terms: float = 0.6  # or Jaccard of their terms above this
    speaker_window: int = 5  # how many top sentences may hold the asked-for speaker's words
    min_speaker: float = 0.7  # how surely a sentence must be the asked-for speaker's words
    fit_window: int = 5  # how far down the sentence introducing the asked-about person may be
    window: int = 3  # at most this many consecutive sentences make the first citation
    # a further statement (not the lead, not a quotation's continuation) only where the reader
    # itself holds that the sentence answers: its own probability at least this
    further_prob: float = 0.5
    # The reader's calibration (``reader.json``); None: the linear ranker's scores are used as they are.
    threshold: float | None = None  # reader logit the best candidate must reach, or the sources don't say
    window_cost: float | None = None  # probability per character a neighbouring sentence must pay for
    trust: float = 2.0  # the refusal rules apply only while the reader's probability is below this
    unsure: float | None = None  # below this score an answer is flagged ``unsure`` (None: never)
    min_coverage: float = (
        0.0  # the 'coverage' rule: IDF-weighted share of the question's terms the best evidence must hold
    )
    # the hand-written rules in force besides the reader (see ``RULES``)
    rules: frozenset[str] = frozenset(RULES)

    @classmethod
    def from_reader(
        cls,
        threshold: float,
        margin: float,
        window_cost: float,
        rules: Iterable[str],
        trust: float = 2.0,
        unsure: float | None = None,
        min_coverage: float = 0.0,
    ) -> Policy:
        return cls(
            threshold=threshold,
            margin=margin,
            window_cost=window_cost,
            rules=frozenset(rules),
            trust=trust,
            unsure=unsure,
            min_coverage=min_coverage,
        )


def answers_question(
    question: Question,
    ranked: list[Scored],
    policy: Policy,
    context: str | None = None,
    known: Callable[[str], bool] | None = None,
) -> bool:
    """Whether the best evidence answers the question: the reader's score reaches the
    threshold; asked what someone said, some of the first candidates are that person's
    words; and, while the reader is unsure, a number the question gives ('the 1973
    crisis') is in the evidence's ``context`` (its passage and neighbouring sentences), and
    most of the names it gives are ``known`` somewhere in the collection (what the reader,
    seeing one sentence at a time, cannot tell: 'Who won the World Cup?' over two articles
    on a summit)."""
    if not ranked:
        return False
    best = ranked[0]
    if policy.threshold is not None and best.score < policy.threshold:
        return False
    if _asks_own_words(question):
        if not any(s.speaker >= policy.min_speaker for s in ranked[: policy.speaker_window]):
            return False
    if best.prob >= policy.trust:
        return True  # a sure reader is not second-guessed
    if "numbers" in policy.rules and context is not None:
        if not all(_has_number(context, n) for n in given_numbers(question.text)):
            return False
    if "absent_names" in policy.rules and known is not None and names_absent(question, known):
        return False
    if "coverage" in policy.rules and best.coverage < policy.min_coverage:
        return False
    return True


def names_absent(question: Question, known: Callable[[str], bool]) -> bool:
    """Whether more than half of the terms of the names the question gives (its own, not a
    follow-up's) occur nowhere in the collection."""
    names = {t for t in question.names if t}
    if not names:
        return False
    missing = sum(not known(t) for t in names)
    return missing * 2 > len(names)


def _asks_own_words(question: Question) -> bool:
    """'What did Lee say …?': a named person's words are asked for."""
    return bool(question.speaker) and question.answer_type == "quote"


def _context(view: IndexView, ranked: list[Scored]) -> str | None:
    """The best sentence's passage with the sentences either side of it."""
    if not ranked:
        return None
    best = ranked[0]
    row = view.row_of_id[best.sentence.id]
    near = [view.rows[r] for r in (row - 1, row + 1) if 0 <= r < len(view.rows)]
    near = [s for s in near if s.doc_id == best.sentence.doc_id]
    start = min([best.passage.start, *(s.start for s in near)])
    end = max([best.passage.end, *(s.end for s in near)])
    return view.data.texts[best.sentence.doc_id][start:end]


# What a question about who someone is asks besides the name: 'Where does X work?'
_ROLE_WORDS = frozenset(terms("work works teach study job role position title profession occupation employ employed"))
_ROLE_OPENING = re.compile(r"\s*(?:who|where|what)\b", re.I)
# ... or with the office before the name: 'Japanese Prime Minister Sanae Takaichi'
_ROLE_TITLE = (
    r"(?i:prime minister|president|minister|premier|chancellor|leader|king|queen|governor|mayor|senator|"
    r"secretary|ambassador|general|chief|chairman|chairwoman|director|spokesman|spokeswoman|spokesperson|"
    r"professor|expert|analyst|editor|founder|ceo)"
)


def introduced(question: Question) -> re.Pattern[str] | None:
    """For a question about who a named person is ('Who is Hardy-Chartrand?', 'Where does
    he work?', 'What is Heng's job?'), the pattern of a sentence introducing that person the
    way news does: with an apposition after the name ('Benoit Hardy-Chartrand, an East Asian
    geopolitics expert at Temple University's Tokyo campus') or the office before it
    ('Japanese Prime Minister Sanae Takaichi')."""
    text = without_opening(question.resolved)
    if not question.names or not _ROLE_OPENING.match(text):
        return None
    if not set(question.terms) - set(question.names) <= _ROLE_WORDS:
        return None
    last = re.escape(names_in(text)[-1].split()[-1])
    return re.compile(
        rf"{last}(?:\s+[A-Z][\w'’.-]*)*,\s+(?i:a|an|the|who|whose|now|then|\d{{1,3}},)\s"
        rf"|\b{_ROLE_TITLE}\s+(?:[A-Z][\w'’.-]*\s+)*{last}\b"
    )


def _names_in(question: Question, candidate: Scored, view: IndexView | None) -> frozenset[str]:
    """The question's names a candidate sentence holds, with the two sentences before it when
    ``view`` is given ('A fort, named Fort Coligny, was built … The fort was destroyed in
    1560'); a capital stands for its country."""
    wanted = frozenset(question.names)
    if view is None:
        text = candidate.sentence.text
        return wanted & frozenset(terms(text) + metonym_terms(text))
    row = view.row_of_id[candidate.sentence.id]
    rows = [r for r in range(max(0, row - 2), row + 1) if view.rows[r].doc_id == candidate.sentence.doc_id]
    # each row's terms, capitals' countries included, as the view holds them
    return wanted & frozenset().union(*(view.row_terms[r] for r in rows))


def lead_first(question: Question, ranked: list[Scored], policy: Policy, view: IndexView | None = None) -> list[Scored]:
    """The candidates with what the question asks for in front: for a question about who
    someone is, the sentence introducing them, if among the first ``policy.fit_window`` and
    holding, with the sentences just before it, every name of the question the best one
    holds; asked what someone said, their words (see ``speaker_first``)."""
    intro = introduced(question) if "intro_lead" in policy.rules else None
    if intro is None:
        return speaker_first(question, ranked, policy)
    best_names: frozenset[str] | None = None
    for i, candidate in enumerate(ranked[: policy.fit_window]):
        if _asks_own_words(question) and candidate.speaker < policy.min_speaker:
            continue
        if not intro.search(candidate.sentence.text):
            continue
        if i == 0:
            return ranked
        if best_names is None:
            best_names = _names_in(question, ranked[0], view)
        if best_names - _names_in(question, candidate, view):
            continue
        # it leads the answer, so it counts as the strongest evidence
        return [replace(candidate, score=ranked[0].score), *ranked[:i], *ranked[i + 1 :]]
    return ranked


def speaker_first(question: Question, ranked: list[Scored], policy: Policy) -> list[Scored]:
    """Asked what someone said, their best-scored words lead (among the first
    ``policy.speaker_window``): the answer is theirs, not what others said of them."""
    if not _asks_own_words(question) or not ranked or ranked[0].speaker >= policy.min_speaker:
        return ranked
    for i, candidate in enumerate(ranked[: policy.speaker_window]):
        if candidate.speaker >= policy.min_speaker:
            return [replace(candidate, score=ranked[0].score), *ranked[:i], *ranked[i + 1 :]]
    return ranked


_NUMBER = re.compile(r"(?<![\w.,])\d[\d,]*(?:\.\d+)?(?![\w,.]?\w)")


def given_numbers(question: str) -> list[str]:
    """Numbers a question names that evidence must repeat: 'Article 102', 'in 1973',
    '2,500 troops'. Single digits are left out, as articles often spell them ('two parties'),
    and so are decades ('the 1950's')."""
    return [
        m.group()
        for m in _NUMBER.finditer(question)
        if len(m.group().replace(",", "").split(".")[0]) >= 2 and not re.match(r"'?s\b", question[m.end() :])
    ]


def _has_number(text: str, number: str) -> bool:
    """Whether ``text`` holds ``number``, written with or without thousands separators."""
    digits = number.replace(",", "")
    return any(m.replace(",", "") == digits for m in _NUMBER.findall(text))


def compose(question: Question, ranked: list[Scored], view: IndexView, *, k: int, policy: Policy = Policy()) -> Answer:
    ranked = lead_first(question, ranked, policy, view)
    passages = _passage_hits(view, ranked, k)
    known = lambda term: view.lexical.doc_freq(term) > 0  # noqa: E731
    if not answers_question(question, ranked, policy, _context(view, ranked), known):
        return Answer(question.text, False, NOT_FOUND, (), passages, (), question.resolved)
    groups = _select(question, ranked, view, policy)
    # ids in reading order: the first statement's lead (the strongest evidence) is [1], then
    # the sources saying the same, then the next statement's: markers read [1][2] … [3]
    cited = [sentence.id for group in groups for sentence, _ in group]
    number = {sid: n for n, sid in enumerate(cited, 1)}
    by_id = {sentence.id: (sentence, score) for group in groups for sentence, score in group}
    citations = [_citation(view, number[sid], *by_id[sid]) for sid in cited]
    statements = [Statement(_shown(group), tuple(number[sentence.id] for sentence, _ in group)) for group in groups]
    text = answer_text(statements)
    span = _answer_span(ranked[0], number)
    if span is not None and not short_enough(question.answer_type, span.text):
        span = None
    unsure = policy.unsure is not None and ranked[0].score < policy.unsure
    return Answer(
        question.text,
        True,
        text,
        tuple(citations),
        passages,
        tuple(statements),
        question.resolved,
        answer_span=span,
        unsure=unsure,
    )


# The most words the answer words may have, by the kind of answer asked for: a name, a place,
# a number or a day is a few words; 'what …' a few more at most; a reason or a quotation is
# the sentence itself, so no words are marked.
SHORT_ANSWER_WORDS = {"person": 6, "place": 6, "number": 6, "date": 6, "none": 4}


def short_enough(answer_type: str, words: str) -> bool:
    """Whether ``words`` are as short as the asked-for kind of answer."""
    return len(words.split()) <= SHORT_ANSWER_WORDS.get(answer_type, 0)


def _answer_span(lead: Scored, number: Mapping[int, int]) -> AnswerSpan | None:
    """The reader's answer words inside the leading citation, as offsets into its file."""
    if lead.words is None or lead.sentence.id not in number:
        return None
    a, b = lead.words
    start = lead.sentence.start + a
    return AnswerSpan(number[lead.sentence.id], start, lead.sentence.start + b, lead.sentence.text[a:b])


def _shown(group: list[tuple[Sentence, float]]) -> str:
    """The text a statement shows: its lead's, unless the lead is a quotation closed by '…,
    he said' and another source's sentence saying the same names the speaker ('…,"
    President Lee told Japanese public broadcaster NHK'). Both stay cited."""
    lead = group[0][0].text
    if lead[:1] in '"“' and PRONOUN_SPEAKER_AFTER.search(lead):
        for twin, _ in group[1:]:
            if _SAID.search(twin.text) and not PRONOUN_SPEAKER_AFTER.search(twin.text):
                return twin.text
    return lead


def evidence_window(
    view: IndexView, ranked: list[Scored], policy: Policy, own_words: bool = False
) -> tuple[Sentence, list[Sentence]]:
    """The best sentence, grown by its neighbours in the text when they likely hold the
    answer with it (see ``best_window``). Several sentences make one citation, a verbatim
    span of the source; the lead's id keeps it tied to its best sentence. Asked what someone
    said (``own_words``), it grows only by their words and what carries on the lead's quotation."""
    lead = ranked[0].sentence
    top = view.row_of_id[lead.id]
    prob = {view.row_of_id[s.sentence.id]: s.prob for s in ranked}
    if own_words:
        theirs = {top} | {view.row_of_id[s.sentence.id] for s in ranked if s.speaker >= policy.min_speaker}
        follow = _continuation(view, lead)
        if follow is not None:
            theirs.add(view.row_of_id[follow.id])
        prob = {row: p for row, p in prob.items() if row in theirs}
    cost = learned_window_cost() if policy.window_cost is None else policy.window_cost
    first, last = best_window(top, prob, view.run_of_row, view.starts, view.ends, cost, policy.window)
    if own_words and not all(row in theirs for row in range(first, last + 1)):
        first, last = top, top
    members = view.rows[first : last + 1]
    if len(members) == 1:
        return lead, members
    text = view.data.texts[lead.doc_id][members[0].start : members[-1].end]
    return replace(lead, start=members[0].start, end=members[-1].end, text=text), members


def best_window(
    top: int,
    prob: Mapping[int, float],
    run: Sequence[int] | np.ndarray,
    starts: Sequence[int] | np.ndarray,
    ends: Sequence[int] | np.ndarray,
    cost: float,
    size: int,
) -> tuple[int, int]:
    """First and last row of the window around ``top`` whose ranker probability mass, less
    ``cost`` per character, is highest: at most ``size`` consecutive rows, all of ``top``'s
    run (``run[r]`` names the run of unbroken text row ``r`` belongs to). ``(top, top)``
    unless a neighbour's probability pays for its length."""
    same = [r for r in range(top - size + 1, top + size) if 0 <= r < len(run) and run[r] == run[top]]
    best, best_value = (top, top), prob.get(top, 0.0) - cost * (ends[top] - starts[top])
    for first in (r for r in same if r <= top):
        for last in (r for r in same if top <= r < first + size):
            value = sum(prob.get(r, 0.0) for r in range(first, last + 1)) - cost * (ends[last] - starts[first])
            if value > best_value + 1e-12:
                best, best_value = (first, last), value
    return best


def _select(
    question: Question, ranked: list[Scored], view: IndexView, policy: Policy
) -> list[list[tuple[Sentence, float]]]:
    """The best sentences as statements; each statement also cites what other sources say
    alike. Asked what someone said, further statements are that person's words too."""
    own_words = _asks_own_words(question)
    best = ranked[0].score
    scores = {s.sentence.id: s.score for s in ranked}
    used: set[int] = set()
    groups: list[list[tuple[Sentence, float]]] = []
    for cand in ranked:
        if len(groups) == policy.max_statements or cand.score < best - policy.margin:
            break
        if cand.sentence.id in used or any(_same(view, cand.sentence, g[0][0], policy) for g in groups):
            continue
        if groups and own_words and cand.speaker < policy.min_speaker:
            continue
        if groups and policy.threshold is not None and cand.prob < policy.further_prob:
            continue  # near the best, yet not an answer in the reader's eyes: no statement of its own
        cited, members = (
            evidence_window(view, ranked, policy, own_words) if not groups else (cand.sentence, [cand.sentence])
        )
        group = [(cited, cand.score)]
        used.update(m.id for m in members)
        for twin, similarity in _twins(view, cand.sentence, ranked, policy, question.sources):
            if twin.id not in used:
                group.append((twin, cand.score * similarity))
                used.add(twin.id)
        groups.append(group)
        follow = _continuation(view, members[-1])
        if follow is not None and follow.id not in used and len(groups) < policy.max_statements:
            score = scores.get(follow.id, cand.score * 0.99)
            continued = [(follow, score)]
            used.add(follow.id)
            for twin, similarity in _twins(view, follow, ranked, policy, question.sources):
                if twin.id not in used:
                    continued.append((twin, score * similarity))
                    used.add(twin.id)
            groups.append(continued)
    if question.across:
        groups += _other_sources(ranked, groups, used, policy)
    return groups


def _other_sources(
    ranked: list[Scored], groups: list[list[tuple[Sentence, float]]], used: set[int], policy: Policy
) -> list[list[tuple[Sentence, float]]]:
    """Asked of several sources together ('Do both articles mention X?'), the best evidence
    of each source not cited yet, while the reader holds it an answer; a source whose best
    falls short is not cited: that one does not say it."""
    floor = ranked[0].score - policy.margin if policy.threshold is None else policy.threshold
    cited = {sentence.doc_id for group in groups for sentence, _ in group}
    more = []
    for cand in ranked:
        if cand.score < floor:
            break
        if cand.sentence.doc_id in cited or cand.sentence.id in used:
            continue
        cited.add(cand.sentence.doc_id)
        used.add(cand.sentence.id)
        more.append([(cand.sentence, cand.score)])
    return more


def _continuation(view: IndexView, sentence: Sentence) -> Sentence | None:
    """The next sentence when it carries on the same quotation: '“…,” he said. “We can only …”'."""
    row = view.row_of_id[sentence.id]
    if row + 1 >= len(view.rows):
        return None
    nxt = view.rows[row + 1]
    same_passage = view.passage_of_row[row + 1] == view.passage_of_row[row]
    opens_quote = nxt.text[:1] in '"“'
    attributed = bool(_SAID.search(sentence.text))
    if same_passage and nxt.doc_id == sentence.doc_id and opens_quote and attributed and not _SAID.search(nxt.text):
        return nxt
    return None


_SAID = re.compile(r"\b(?:" + speech.verbs(speech.ATTRIBUTION) + r")\b")


def _twins(
    view: IndexView, sentence: Sentence, ranked: list[Scored], policy: Policy, sources: tuple[str, ...] = ()
) -> list[tuple[Sentence, float]]:
    """Sentences of other documents (of ``sources`` only, if given) that say the same as
    ``sentence``, found among the candidates ``ranked`` and the sentences that follow them."""
    row = view.row_of_id[sentence.id]
    vector = view.sentence_vectors(np.array([row]))
    doc_of = view.rows.doc_id
    # its twins are among the candidates, or carry on from one (the next sentence of a
    # quotation): no search of their own
    near = {view.row_of_id[c.sentence.id] for c in ranked if c.sentence.doc_id != sentence.doc_id}
    others = sorted(near | {r + 1 for r in near if r + 1 < len(view.rows)})
    others = [r for r in others if doc_of(r) != sentence.doc_id]
    if sources:
        others = [r for r in others if doc_of(r) in sources]
    if not others:
        return []
    sims = (view.sentence_vectors(np.array(others)) @ vector[0]).tolist()
    out = []
    seen_docs = {sentence.doc_id}
    for sim, r in sorted(zip(sims, others, strict=True), key=lambda pair: -pair[0])[: CANDIDATES.twins]:
        other = view.rows[r]
        if other.doc_id in seen_docs:
            continue
        close = sim >= policy.same_as or _jaccard(view, row, r) >= policy.same_terms
        if close and agree(sentence.text, other.text):
            out.append((other, float(max(sim, 0.0))))
            seen_docs.add(other.doc_id)
    return out


def _same(view: IndexView, a: Sentence, b: Sentence, policy: Policy) -> bool:
    ra, rb = view.row_of_id[a.id], view.row_of_id[b.id]
    va, vb = view.sentence_vectors(np.array([ra, rb]))
    cos = float(va @ vb)
    return cos >= policy.same_as or _jaccard(view, ra, rb) >= policy.same_terms


def agree(a: str, b: str) -> bool:
    """Whether two close sentences state the same facts where both state them: the numbers
    (counts, years, days) of one among the other's and, when both name someone or
    somewhere, a name in common.
    'The Orton library holds 12,000 books' and 'The Deane library holds 8,000 books' are
    alike in wording and are not the same statement."""
    numbers_a, numbers_b = _numbers(a), _numbers(b)
    if numbers_a and numbers_b and not (numbers_a <= numbers_b or numbers_b <= numbers_a):
        return False  # each states a number the other does not: not one statement
    names_a = {t for n in names_in(a) for t in terms(n)}
    names_b = {t for n in names_in(b) for t in terms(n)}
    return not (names_a and names_b and not names_a & names_b)


def _numbers(text: str) -> frozenset[str]:
    return frozenset(m.replace(",", "") for m in _NUMBER.findall(text))


def _jaccard(view: IndexView, a: int, b: int) -> float:
    ta, tb = view.row_terms[a], view.row_terms[b]
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def _citation(view: IndexView, n: int, s: Sentence, score: float) -> Citation:
    doc = view.data.documents[s.doc_id]
    return Citation(n, s.doc_id, doc.title, doc.file, s.start, s.end, s.text, round(score, 4), doc.page_of(s.start))


def _passage_hits(view: IndexView, ranked: list[Scored], k: int) -> tuple[PassageHit, ...]:
    hits = []
    for p, score in view.passage_rank(ranked, k):
        doc = view.data.documents[p.doc_id]
        text = view.data.texts[p.doc_id][p.start : p.end]
        hits.append(
            PassageHit(p.doc_id, doc.title, doc.file, p.start, p.end, text, round(score, 4), doc.page_of(p.start))
        )
    return tuple(hits)


def yes_no_answer(
    answer: Answer, check: ClaimCheck, sentences: Mapping[tuple[str, int], Sentence], view: IndexView
) -> Answer:
    """A yes/no question answered from the claim verifier's ``check`` of its claim: 'yes'
    with the supporting sentences cited, 'no' with the contradicting ones, 'disputed' with
    both. Where the verifier finds neither, the reader's answer stands as it is (cited
    passages, or the sources don't say): the verifier's "not in the sources" is less sure
    than the reader's refusal. ``sentences`` finds a source's deciding sentence by (doc id, start)."""
    if check.verdict == "not_found":
        return answer
    groups: list[list[tuple[Sentence, float]]] = []
    for wanted in ("supported", "contradicted"):
        if check.verdict not in (wanted, "disputed"):
            continue
        group = []
        for src in check.sources:
            if src.verdict == wanted and src.evidence is not None:
                sentence = sentences.get((src.doc_id, src.evidence.start))
                if sentence is not None:
                    group.append(
                        (sentence, max((p.supports, p.contradicts)[wanted == "contradicted"] for p in src.passages))
                    )
        if group:
            groups.append(group)
    if not groups:
        return answer
    cited = [(s, score) for group in groups for s, score in group]
    citations = tuple(_citation(view, n, s, score) for n, (s, score) in enumerate(cited, 1))
    statements, n = [], 1
    for group in groups:
        statements.append(Statement(group[0][0].text, tuple(range(n, n + len(group)))))
        n += len(group)
    text = answer_text(statements)
    verdict = {"supported": "yes", "contradicted": "no", "disputed": "disputed"}[check.verdict]
    return replace(
        answer,
        found=True,
        answer=text,
        citations=citations,
        statements=tuple(statements),
        answer_span=None,
        unsure=False,
        yes_no=verdict,
    )
