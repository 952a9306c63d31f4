"""What leads an answer (the reader's best sentence, grown into neighbouring sentences only
when they likely hold the answer with it; asked what someone said, their words), and when
the evidence is not stated at all."""

from __future__ import annotations

from assistant.answer.compose import (
    Policy,
    _has_number,
    _other_sources,
    answers_question,
    best_window,
    given_numbers,
    speaker_first,
)
from assistant.language.question import analyze
from assistant.search.reader import spread
from assistant.search.retrieve import Scored
from assistant.types import PassageRow, Sentence

# five rows of 100 characters each; rows 0-3 follow each other in the text, row 4 does not
STARTS = [0, 101, 202, 303, 404]
ENDS = [100, 201, 302, 403, 504]
RUN = [0, 0, 0, 0, 1]


def window(prob: dict[int, float], top: int, cost: float = 0.001, size: int = 3) -> tuple[int, int]:
    return best_window(top, prob, RUN, STARTS, ENDS, cost, size)


def test_a_likely_neighbour_joins_the_citation() -> None:
    assert window({1: 0.5, 2: 0.3}, top=1) == (1, 2)
    assert window({1: 0.5, 0: 0.3}, top=1) == (0, 1)


def test_an_unlikely_neighbour_does_not_pay_for_its_length() -> None:
    # 0.05 of probability for 101 more characters at 0.001 per character: not worth it
    assert window({1: 0.5, 2: 0.05, 0: 0.05}, top=1) == (1, 1)


def test_the_window_never_spans_a_gap_in_the_text() -> None:
    assert window({3: 0.5, 4: 0.45}, top=3) == (3, 3)


def test_the_window_keeps_the_top_sentence_and_its_size() -> None:
    prob = {0: 0.2, 1: 0.2, 2: 0.2, 3: 0.2}
    first, last = window(prob, top=0, cost=0.0001, size=3)
    assert (first, last) == (0, 2)
    first, last = window(prob, top=3, cost=0.0001, size=2)
    assert first <= 3 <= last and last - first == 1


def test_no_cost_information_means_single_sentences() -> None:
    assert window({1: 0.4, 2: 0.4}, top=1, cost=1.0) == (1, 1)


def _scored(n: int, text: str, score: float, prob: float, speaker: float = 0.0, doc: str = "a.txt") -> Scored:
    sentence = Sentence(n, doc, 0, len(text), text, n, n)
    return Scored(sentence, score, 0.5, 0.5, 1.0, 0.0, speaker, PassageRow(n, doc, 0, len(text), n, n), prob)


def test_asked_of_several_sources_each_ones_best_evidence_is_cited_while_it_answers() -> None:
    ranked = [
        _scored(1, "Yoon declared martial law.", 2.0, 0.9, doc="a.txt"),
        _scored(2, "Yoon, who declared martial law, was removed.", 1.0, 0.7, doc="a.txt"),
        _scored(3, "Lee's predecessor declared martial law.", 0.5, 0.6, doc="b.txt"),
        _scored(4, "Martial law was lifted.", 0.2, 0.5, doc="b.txt"),
        _scored(5, "Nara is in western Japan.", -4.0, 0.01, doc="c.txt"),
    ]
    groups = [[(ranked[0].sentence, 2.0)]]
    more = _other_sources(ranked, groups, {1}, Policy(threshold=-3.0))
    # b's best joins; c's best falls below the threshold: c does not say it
    assert [[s.id for s, _ in g] for g in more] == [[3]]
    assert [[s.id for s, _ in g] for g in _other_sources(ranked, groups, {1}, Policy(threshold=-5.0))] == [[3], [5]]


def test_each_documents_best_candidate_is_read_room_allowing() -> None:
    ranked = [_scored(n, f"s{n}", 10.0 - n, 0.5, doc=doc) for n, doc in enumerate("aaaabac")]
    assert [s.sentence.id for s in spread(ranked, 3)] == [0, 4, 6, 1, 2, 3, 5]
    assert [s.sentence.id for s in spread(ranked, 5)] == [0, 1, 2, 4, 6, 3, 5]
    assert [s.sentence.id for s in spread(ranked, 2)] == [0, 4, 1, 2, 3, 5, 6]


def test_asked_what_someone_said_their_words_lead() -> None:
    question = analyze("What did Hardy-Chartrand say about Trump?")
    ranked = [
        _scored(1, "Trump imposed tariffs on both allies.", 3.0, 0.9),
        _scored(2, "“It is a hedge,” Hardy-Chartrand said.", 2.0, 0.7, speaker=1.0),
    ]
    led = speaker_first(question, ranked, Policy())
    assert [s.sentence.id for s in led] == [2, 1]
    assert led[0].score == 3.0  # it leads, so it counts as the strongest evidence
    # a question that asks for no one's words keeps the reader's order
    assert speaker_first(analyze("What tariffs did Trump impose?"), ranked, Policy()) == ranked


def test_a_quote_question_without_the_speakers_words_is_refused() -> None:
    question = analyze("What did Hardy-Chartrand say about Trump?")
    ranked = [_scored(1, "Trump imposed tariffs on both allies.", 3.0, 0.9)]
    assert not answers_question(question, ranked, Policy(threshold=0.0))


def test_below_the_readers_threshold_the_sources_do_not_say() -> None:
    question = analyze("How old is the bridge?")
    ranked = [_scored(1, "The bridge reopened in May.", -4.0, 0.02)]
    assert not answers_question(question, ranked, Policy(threshold=-3.0))
    assert answers_question(question, ranked, Policy(threshold=-5.0))
    assert not answers_question(question, [], Policy(threshold=-5.0))


def test_a_number_the_question_gives_must_be_around_unsure_evidence() -> None:
    question = analyze("What happened to prices in 1973?")
    ranked = [_scored(1, "Prices rose sharply.", 1.0, 0.6)]
    unsure = Policy(threshold=-3.0, trust=0.7)
    assert not answers_question(question, ranked, unsure, context="Prices rose sharply in 1974.")
    assert answers_question(question, ranked, unsure, context="In 1973, prices rose sharply.")
    # a sure reader is not second-guessed, and without the rule the number is not checked
    sure = [_scored(1, "Prices rose sharply.", 3.0, 0.95)]
    assert answers_question(question, sure, unsure, context="Prices rose sharply in 1974.")
    assert answers_question(question, ranked, Policy(threshold=-3.0, rules=frozenset()), context="1974")


def test_numbers_a_question_gives_must_be_in_the_evidence() -> None:
    assert given_numbers("What happened in 1973 to Article 102?") == ["1973", "102"]
    assert given_numbers("What 3 things changed in the 1950's?") == []  # spelled out, decades
    assert _has_number("about 2,500 troops", "2500")
    assert _has_number("In 1973, prices rose", "1973")
    assert not _has_number("Article 101(1) prohibits", "102")
    assert not _has_number("in 19733 cases", "1973")
