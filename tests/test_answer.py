"""What leads an answer (the best sentence holding the asked-for kind of answer, grown into
neighbouring sentences only when they likely hold the answer with it) and what its
evidence must repeat from the question."""

from __future__ import annotations

from assistant.analyze import analyze
from assistant.answer import Policy, _has_number, best_window, fitting_first, given_numbers
from assistant.retrieve import Scored
from assistant.store import PassageRow
from assistant.types import Sentence

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


def _scored(n: int, text: str, score: float, prob: float, type_match: float = 0.0) -> Scored:
    sentence = Sentence(n, "a.txt", 0, len(text), text, n, n)
    return Scored(sentence, score, 0.5, 0.5, 1.0, type_match, 0.0, PassageRow(n, "a.txt", 0, len(text), n, n), prob)


def test_a_date_question_is_led_by_the_best_sentence_holding_a_date() -> None:
    question = analyze("When did the talks take place?")
    ranked = [
        _scored(1, "The talks took place in Nara.", 10.0, 0.5),
        _scored(2, "The talks were held on Jan 13.", 9.0, 0.3, type_match=1.0),
    ]
    led = fitting_first(question, ranked, Policy())
    assert [s.sentence.id for s in led] == [2, 1]
    assert led[0].score == 10.0  # it leads, so its citation comes first


def test_a_much_less_likely_sentence_is_not_promoted() -> None:
    question = analyze("When did the talks take place?")
    ranked = [
        _scored(1, "The talks took place in Nara.", 10.0, 0.8),
        _scored(2, "Markets fell on Jan 13.", 6.0, 0.05, type_match=1.0),
    ]
    assert fitting_first(question, ranked, Policy()) == ranked


def test_a_quantity_question_wants_that_quantity() -> None:
    question = analyze("How many people attended the rally?")
    ranked = [
        _scored(1, "The rally was held in Seoul.", 10.0, 0.5),
        _scored(2, "About 3,000 people attended.", 9.5, 0.4),
    ]
    assert fitting_first(question, ranked, Policy())[0].sentence.id == 2


def test_numbers_a_question_gives_must_be_in_the_evidence() -> None:
    assert given_numbers("What happened in 1973 to Article 102?") == ["1973", "102"]
    assert given_numbers("What 3 things changed in the 1950's?") == []  # spelled out, decades
    assert _has_number("about 2,500 troops", "2500")
    assert _has_number("In 1973, prices rose", "1973")
    assert not _has_number("Article 101(1) prohibits", "102")
    assert not _has_number("in 19733 cases", "1973")


def test_a_question_about_who_someone_is_is_led_by_their_introduction() -> None:
    question = analyze("Where does Hardy-Chartrand work?")
    ranked = [
        _scored(1, "Mr Hardy-Chartrand said he believed the visit was necessary.", 10.0, 0.5),
        _scored(2, "Tensions rose, said Mr Benoit Hardy-Chartrand, an expert at Temple University.", 9.5, 0.3),
    ]
    assert [s.sentence.id for s in fitting_first(question, ranked, Policy())] == [2, 1]
    # the same words about someone else, or a question about something else, change nothing
    other = [ranked[0], _scored(2, "Tensions rose, said Mr Heng Yee Kuang, a professor in Tokyo.", 9.5, 0.3)]
    assert fitting_first(question, other, Policy()) == other
    assert fitting_first(analyze("What did Hardy-Chartrand say about Trump?"), ranked, Policy()) == ranked


def test_an_introduction_needs_the_apposition_right_after_the_name() -> None:
    question = analyze("Who is Lee?")
    ranked = [
        _scored(1, "Lee visited Beijing.", 10.0, 0.5),
        _scored(2, "Mr Lee and Ms Takaichi, who both took office in 2025, met in October.", 9.5, 0.4),
    ]
    assert fitting_first(question, ranked, Policy()) == ranked


def test_a_date_about_something_else_does_not_lead() -> None:
    question = analyze("When did Lee visit Beijing?")
    ranked = [
        _scored(1, "The meeting comes days after Lee visited Beijing.", 10.0, 0.5),
        _scored(2, "It is Lee's second visit to Japan since August 2025.", 9.5, 0.4, type_match=1.0),
    ]
    assert fitting_first(question, ranked, Policy()) == ranked
    # a capital's country counts as the capital
    dated = _scored(2, "Lee visited China on Jan 5.", 9.5, 0.4, type_match=1.0)
    assert fitting_first(question, [ranked[0], dated], Policy())[0].sentence.id == 2


def test_an_introduction_may_give_the_office_before_the_name() -> None:
    question = analyze("Who is Takaichi?")
    ranked = [
        _scored(1, "It is Lee's second visit since he met Ms Takaichi's predecessor Shigeru Ishiba.", 10.0, 0.6),
        _scored(2, "Japanese Prime Minister Sanae Takaichi will host Lee in Nara.", 8.0, 0.1),
    ]
    # what the question asks for: it leads however much less likely the ranker found it
    assert fitting_first(question, ranked, Policy())[0].sentence.id == 2


def test_when_will_is_answered_by_the_future_or_a_plan() -> None:
    from assistant.answer import fits

    question = analyze("When will the bridge be built?")
    assert fits(question, _scored(1, "The leaders agreed to build a bridge by 2030.", 10.0, 0.5, type_match=1.0))
    assert fits(question, _scored(1, "The bridge will open on Jan 13.", 10.0, 0.5, type_match=1.0))
    assert not fits(question, _scored(1, "A bridge was built in August 2025.", 10.0, 0.5, type_match=1.0))


def test_when_is_also_answered_by_a_time_told_from_another_but_what_day_is_not() -> None:
    from assistant.answer import holds_kind

    relative = _scored(1, "The meeting comes days after Lee visited Beijing.", 10.0, 0.5)
    assert holds_kind(analyze("When did Lee visit Beijing?"), relative)
    assert not holds_kind(analyze("On what day did Lee visit Beijing?"), relative)
    assert not holds_kind(analyze("When did Lee visit Beijing?"), _scored(1, "Lee visited Beijing.", 10.0, 0.5))
