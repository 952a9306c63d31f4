"""The reader recipe's unanswerable examples made from answerable ones (training/train_reader.py)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))

from train_reader import names_of, remove_answer, swap_name  # noqa: E402


def _answering(text: str, answer: str) -> dict:
    start = text.index(answer)
    return {"text": text, "prev": "", "title": "Summit", "label": 1, "answer": [start, start + len(answer)]}


def test_removing_the_answer_leaves_the_topic_without_the_answer() -> None:
    c = _answering("Mr Lee and Ms Takaichi will have dinner on Jan 13 in Nara.", "Jan 13")
    cut = remove_answer(c)
    assert cut is not None
    assert cut["text"] == "Mr Lee and Ms Takaichi will have dinner in Nara."
    assert cut["label"] == 0 and cut["answer"] is None
    assert c["label"] == 1  # the original candidate is left as it was


def test_no_space_before_punctuation_after_a_cut() -> None:
    cut = remove_answer(_answering("Ethics (also known as moral philosophy) is a branch.", "moral philosophy"))
    assert cut is not None and cut["text"] == "Ethics (also known as) is a branch."


def test_a_cut_that_leaves_the_answer_or_too_little_is_refused() -> None:
    # the answer's words are said twice: cutting one leaves the sentence answering
    assert remove_answer(_answering("Nara hosts it; the city of Nara is old.", "Nara")) is None
    assert remove_answer(_answering("It was held in Nara city.", "It was held in Nara city")) is None


def test_names_are_the_capitalised_or_numeric_runs_past_the_first_word() -> None:
    assert names_of("What did Xi Jinping tell Lee in Beijing in 2025?") == ["Xi Jinping", "Lee", "Beijing", "2025"]
    assert names_of("Who is hosting the summit?") == []
    assert names_of("When?") == []


def test_a_swapped_name_is_one_no_candidate_holds_and_of_the_same_kind() -> None:
    group = {"question": "What did Lee tell NHK in 2025?"}
    chosen = [
        {**_answering("Lee told NHK in 2025 that ties were vital.", "ties were vital"), "title": "Summit"},
        {"text": "Trump spoke in Tokyo.", "prev": "", "title": "Summit", "label": 0, "answer": None},
    ]
    pool = ["Trump", "Tokyo", "Morality", "1999"]
    seen = {swap_name(group, chosen, pool, random.Random(seed)) for seed in range(40)}
    seen.discard(None)
    assert seen, "some draw must swap a name"
    for question in seen:
        assert question != group["question"]
        assert "Trump" not in question and "Tokyo" not in question  # held by a candidate
        if "1999" in question:
            assert "2025" not in question  # a number replaces a number
        else:
            assert "Morality" in question and "2025" in question
    assert swap_name({"question": "Who is hosting the summit?"}, chosen, pool, random.Random(1)) is None
