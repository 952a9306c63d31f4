"""The first citation grows into neighbouring sentences only when they likely hold the answer."""

from __future__ import annotations

from assistant.answer import best_window

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
