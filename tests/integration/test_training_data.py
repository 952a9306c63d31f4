"""The reader recipes' training examples: SQuAD-format files as documents and questions
(training/reader_data.py), unanswerable ones made from answerable ones
(training/train_reader.py), and the joint reader's answer tokens (training/train_joint.py)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training"))

from reader_data import squad_documents  # noqa: E402
from train_joint import joined, joint_tokenizer, target  # noqa: E402
from train_reader import names_of, remove_answer, swap_name  # noqa: E402


def _squad_file() -> list[dict]:
    summit = "Mr Lee met Ms Takaichi in Nara. They will have dinner on Jan 13."
    dinner = summit.index("Jan 13")
    return [
        {
            "title": "Nara_summit",
            "paragraphs": [
                {
                    "context": summit,
                    "qas": [
                        {
                            "id": "a",
                            "question": "When is the dinner?",
                            "answers": [{"text": "Jan 13", "answer_start": dinner}],
                        },
                        {"id": "b", "question": "What did they eat?", "answers": [], "is_impossible": True},
                        # an offset that does not match its text: the question is dropped
                        {"id": "c", "question": "Where?", "answers": [{"text": "Nara", "answer_start": 0}]},
                    ],
                },
                {
                    "context": "China pressed Tokyo over Taiwan.",
                    "qas": [
                        {"id": "d", "question": "Who pressed Tokyo?", "answers": [{"text": "China", "answer_start": 0}]}
                    ],
                },
            ],
        },
        {
            "title": "Black_Death",
            "paragraphs": [
                {
                    "context": "The plague came.",
                    "qas": [
                        {"id": "e", "question": "What came?", "answers": [{"text": "The plague", "answer_start": 0}]}
                    ],
                }
            ],
        },
    ]


def test_a_squad_file_becomes_documents_whose_offsets_hold_the_answers(tmp_path: Path) -> None:
    questions = squad_documents(_squad_file(), "extra", tmp_path, random.Random(1), skip=frozenset({"Black_Death"}))
    assert [p.name for p in tmp_path.iterdir()] == ["extra__Nara_summit.txt"]  # the kept-out title is left out
    text = (tmp_path / "extra__Nara_summit.txt").read_text(encoding="utf-8")
    assert text.startswith("Nara summit\n\n")
    by_id = {q["id"]: q for q in questions}
    assert sorted(by_id) == ["a", "b", "d"]
    for q in (by_id["a"], by_id["d"]):
        assert q["answerable"] and q["doc"] == "extra__Nara_summit.txt"
        assert all(text[a["start"] : a["end"]] == a["text"] for a in q["answers"])
    assert by_id["a"]["answers"][0]["text"] == "Jan 13"
    # SQuAD 2.0's unanswerable question stays, to teach "no answer"
    assert by_id["b"] == {
        "id": "b",
        "question": "What did they eat?",
        "doc": "extra__Nara_summit.txt",
        "answerable": False,
        "answers": [],
    }


def test_a_squad_file_stops_after_the_article_that_reaches_the_limit(tmp_path: Path) -> None:
    data = [{**art, "title": f"{art['title']}_{n}"} for n in range(3) for art in _squad_file()[:1]]
    questions = squad_documents(data, "extra", tmp_path, random.Random(1), limit=1)
    assert len(list(tmp_path.iterdir())) == 1
    assert sum(q["answerable"] for q in questions) == 2  # the whole article in which the limit was reached


def test_stages_built_one_after_another_take_every_article_once(tmp_path: Path) -> None:
    # articles of 2, 2, 2, ... answerable questions: each build stops after the article that
    # reaches its limit, so a later build must skip exactly what each earlier one took
    data = [{**art, "title": f"{art['title']}_{n}"} for n in range(7) for art in _squad_file()[:1]]

    def docs(limit: int, after: tuple[int, ...], name: str) -> set[str]:
        folder = tmp_path / name
        folder.mkdir()
        squad_documents(data, "extra", folder, random.Random(1), limit=limit, after=after)
        return {p.name for p in folder.iterdir()}

    first, second, rest = docs(3, (), "a"), docs(3, (3,), "b"), docs(0, (3, 3), "c")
    assert (len(first), len(second), len(rest)) == (2, 2, 3)
    assert not first & second and not second & rest and not first & rest
    # one sum of the limits is not the same: it would take the second build's last article again
    assert docs(0, (6,), "d") & second


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


def _joint(labels: list[int], answers: list) -> tuple:
    sents = ["The summit was held in Nara.", "Mr Lee and Ms Takaichi will have dinner on Jan 13.", "Ties are cordial."]
    text, starts = joined(sents)
    encoding = joint_tokenizer().encode("When is the dinner?", text)
    return encoding, text, target(encoding, starts, len(text), {"labels": labels, "answers": answers})


def test_the_joint_target_points_at_the_answer_words_in_the_joined_sentences() -> None:
    encoding, text, got = _joint([0, 1, 0], [None, [43, 49], None])
    assert got is not None and got != (0, 0)
    first, last = got
    assert text[encoding.offsets[first][0] : encoding.offsets[last][1]] == "Jan 13"


def test_the_joint_target_is_the_null_answer_when_no_sentence_answers() -> None:
    assert _joint([0, 0, 0], [None, None, None])[2] == (0, 0)


def test_an_answering_sentence_without_marked_words_teaches_nothing() -> None:
    assert _joint([0, 1, 0], [None, None, None])[2] is None  # SelQA marks sentences, not words
