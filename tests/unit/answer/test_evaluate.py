"""Metrics over hand-built answers: overlaps, ranks, refusals, citation integrity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer import evaluate
from assistant.answer.evaluate import (
    detect_kind,
    evaluate_gold,
    evaluate_squad,
    format_report,
    load_questions,
    overlaps,
)
from assistant.types import Answer, Citation, PassageHit

ALPHA = "Alpha one. Beta two. Gamma three. Delta four. Epsilon five. Zeta six."
OTHER = "Other text that is long enough to slice anywhere we need it to be sliced."


@pytest.fixture
def docs(tmp_path: Path) -> dict[str, Path]:
    paths = {"a.txt": tmp_path / "a.txt", "b.txt": tmp_path / "b.txt"}
    paths["a.txt"].write_text(ALPHA, encoding="utf-8")
    paths["b.txt"].write_text(OTHER, encoding="utf-8")
    return paths


def cite(docs: dict[str, Path], doc_id: str, start: int, end: int, text: str | None = None):
    body = docs[doc_id].read_text(encoding="utf-8")
    return Citation(
        id=0,
        doc_id=doc_id,
        title=doc_id,
        file=str(docs[doc_id]),
        start=start,
        end=end,
        text=body[start:end] if text is None else text,
        score=1.0,
    )


def answer(question: str, found: bool, *citations: Citation) -> Answer:
    text = " ".join(c.text for c in citations) if found else "The sources don't say."
    return Answer(question=question, found=found, answer=text, citations=citations, passages=())


class FakeAsk:
    """Returns canned answers and records the history each question came with."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers
        self.histories: dict[str, list[str]] = {}

    def __call__(self, question: str, history: list[str]) -> Answer:
        self.histories[question] = history
        return self.answers[question]


def gold(qid: str, category: str, evidence: list[tuple[str, int, int]], history=()) -> dict:
    return {
        "id": qid,
        "question": f"question {qid}?",
        "history": list(history),
        "answerable": bool(evidence),
        "category": category,
        "evidence": [{"doc_id": d, "start": s, "end": e, "text": ""} for d, s, e in evidence],
    }


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 10), (10, 20), False),  # adjacent: half-open spans share no character
        ((10, 20), (0, 10), False),
        ((0, 10), (9, 20), True),
        ((5, 6), (0, 20), True),
        ((0, 20), (5, 6), True),
        ((3, 3), (0, 20), False),  # empty span
    ],
)
def test_overlaps(a, b, expected):
    assert overlaps(*a, *b) is expected


@pytest.fixture
def gold_run(docs):
    questions = [
        gold("q1", "quote", [("a.txt", 0, 10)]),
        gold("q2", "date", [("a.txt", 21, 33)], history=["question q1?"]),
        gold("q3", "date", [("a.txt", 0, 10)]),
        gold("q4", "unanswerable", []),
        gold("q5", "unanswerable", []),
        gold("q6", "quote", [("a.txt", 34, 45)]),
    ]
    ask = FakeAsk(
        {
            "question q1?": answer("q1", True, cite(docs, "a.txt", 0, 10)),
            # adjacent to the evidence first, overlapping second
            "question q2?": answer("q2", True, cite(docs, "a.txt", 11, 21), cite(docs, "a.txt", 30, 40)),
            # right offsets, wrong document; refused
            "question q3?": answer("q3", False, cite(docs, "b.txt", 0, 10)),
            "question q4?": answer("q4", False),
            "question q5?": answer("q5", True, cite(docs, "b.txt", 0, 5)),
            "question q6?": answer("q6", True),  # found but no citations
        }
    )
    return evaluate_gold(questions, ask), ask


def test_gold_evidence_at_k_and_mrr(gold_run):
    result, _ = gold_run
    assert result["answerable"] == 4 and result["unanswerable"] == 2
    assert result["evidence@1"] == pytest.approx(1 / 4)
    assert result["evidence@3"] == pytest.approx(2 / 4)
    assert result["mrr"] == pytest.approx((1 + 0.5) / 4)


def test_gold_refusals(gold_run):
    result, _ = gold_run
    assert result["refused"] == 2
    assert result["answerable_refused"] == 1
    assert result["answerable_refused_share"] == pytest.approx(1 / 4)
    assert result["refusal_precision"] == pytest.approx(1 / 2)
    assert result["refusal_recall"] == pytest.approx(1 / 2)


def test_gold_passes_history_to_ask(gold_run):
    _, ask = gold_run
    assert ask.histories["question q2?"] == ["question q1?"]
    assert ask.histories["question q1?"] == []


def test_gold_by_category(gold_run):
    by_category = gold_run[0]["by_category"]
    assert by_category["quote"] == {"questions": 2, "evidence@1": 0.5, "refused_share": 0.0}
    assert by_category["date"]["evidence@1"] == 0.0
    assert by_category["unanswerable"]["evidence@1"] is None
    assert by_category["unanswerable"]["refused_share"] == 0.5


def test_gold_failures_list_misses_and_wrong_answers(gold_run):
    failures = {f["id"]: f for f in gold_run[0]["failures"]}
    assert set(failures) == {"q2", "q3", "q5", "q6"}
    assert failures["q2"]["top_citation"] == ALPHA[11:21]
    assert "refused" in failures["q3"]["reason"]
    assert "unanswerable" in failures["q5"]["reason"]
    assert failures["q6"]["top_citation"] == ""


def test_gold_citation_integrity_all_intact(gold_run):
    result, _ = gold_run
    assert result["citations_checked"] == 5
    assert result["citation_integrity"] == 1.0


def test_passage_evidence_counts_retrieval_behind_a_refusal(docs):
    def passage(doc_id: str, start: int, end: int) -> PassageHit:
        return PassageHit(doc_id, doc_id, str(docs[doc_id]), start, end, "", 0.5)

    refused = Answer(
        question="q1",
        found=False,
        answer="The sources don't say.",
        citations=(),
        passages=(passage("b.txt", 0, 20), passage("a.txt", 0, 20)),
    )
    far = Answer("q2", False, "-", (), (passage("a.txt", 40, 50),) * 4)
    questions = [gold("q1", "quote", [("a.txt", 5, 10)]), gold("q2", "quote", [("a.txt", 0, 5)])]
    result = evaluate_gold(questions, FakeAsk({"question q1?": refused, "question q2?": far}))
    assert result["evidence@3"] == 0.0
    assert result["passage_evidence@3"] == 0.5


def test_integrity_failure_detected(docs, tmp_path):
    bad_text = cite(docs, "a.txt", 0, 10, text="Alpha one!")
    missing = Citation(0, "gone.txt", "gone", str(tmp_path / "gone.txt"), 0, 3, "abc", 1.0)
    ask = FakeAsk({"question q1?": answer("q1", True, cite(docs, "a.txt", 0, 10), bad_text, missing)})
    result = evaluate_gold([gold("q1", "quote", [("a.txt", 0, 10)])], ask)
    assert result["citations_checked"] == 3
    assert result["citation_integrity"] == pytest.approx(1 / 3)


def test_integrity_reads_each_file_once(docs, monkeypatch):
    reads: list[str] = []
    read_bytes = Path.read_bytes

    def counting(self: Path) -> bytes:
        reads.append(str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    citations = [cite(docs, "a.txt", 0, 10), cite(docs, "a.txt", 11, 20)]
    reads.clear()
    ask = FakeAsk({"question q1?": answer("q1", True, *citations)})
    evaluate_gold([gold("q1", "quote", [("a.txt", 0, 10)])], ask)
    assert reads == [str(docs["a.txt"])]


def test_empty_denominators_are_none(docs):
    ask = FakeAsk({"question q1?": answer("q1", True)})
    result = evaluate_gold([gold("q1", "quote", [("a.txt", 0, 10)])], ask)
    assert result["refusal_precision"] is None
    assert result["refusal_recall"] is None
    assert result["citation_integrity"] is None
    assert result["evidence@1"] == 0.0


def test_ask_may_return_answer_dicts(docs):
    ask = FakeAsk({"question q1?": answer("q1", True, cite(docs, "a.txt", 0, 10))})
    result = evaluate_gold([gold("q1", "quote", [("a.txt", 0, 10)])], lambda q, h: ask(q, h).to_dict())
    assert result["evidence@1"] == 1.0


def squad(qid: str, doc: str, spans: list[tuple[int, int]]) -> dict:
    return {
        "id": qid,
        "question": f"question {qid}?",
        "doc": doc,
        "answerable": bool(spans),
        "answers": [{"text": "", "start": s, "end": e} for s, e in spans],
    }


def test_squad_metrics(docs):
    questions = [
        squad("s1", "a.txt", [(11, 15)]),  # contained in the top citation
        squad("s2", "a.txt", [(11, 20), (30, 33)]),  # top only overlaps; second contains one
        squad("s3", "a.txt", [(0, 5)]),  # wrong document; refused
        squad("s4", "a.txt", []),  # refused, as it should be
        squad("s5", "a.txt", []),  # answered
    ]
    ask = FakeAsk(
        {
            "question s1?": answer("s1", True, cite(docs, "a.txt", 11, 20)),
            "question s2?": answer("s2", True, cite(docs, "a.txt", 14, 31), cite(docs, "a.txt", 21, 33)),
            "question s3?": answer("s3", False, cite(docs, "b.txt", 0, 10)),
            "question s4?": answer("s4", False),
            "question s5?": answer("s5", True, cite(docs, "a.txt", 0, 10)),
        }
    )
    result = evaluate_squad(questions, ask)
    assert result["answerable"] == 3 and result["unanswerable"] == 2
    assert result["answer@1"] == pytest.approx(1 / 3)
    assert result["answer@3"] == pytest.approx(2 / 3)
    assert result["answer@1_when_found"] == pytest.approx(1 / 2)
    assert result["mean_top_citation_chars"] == pytest.approx((9 + 17 + 10) / 3)
    assert result["answerable_refused_share"] == pytest.approx(1 / 3)
    assert result["unanswerable_refused_share"] == pytest.approx(1 / 2)
    assert result["citations_checked"] == 5
    assert result["citation_integrity"] == 1.0


def test_unsure_answers_are_counted_apart(docs):
    """Answers flagged unsure: how many, how often right, and unanswerable questions refused
    or flagged; a refusal is never counted as unsure."""
    from dataclasses import replace

    questions = [
        squad("u1", "a.txt", [(11, 15)]),  # right, sure
        squad("u2", "a.txt", [(11, 15)]),  # right, unsure
        squad("u3", "a.txt", [(0, 5)]),  # wrong, unsure
        squad("u4", "a.txt", []),  # answered unsure
        squad("u5", "a.txt", []),  # answered sure
        squad("u6", "a.txt", []),  # refused (its flag ignored)
    ]
    right = cite(docs, "a.txt", 11, 20)
    ask = FakeAsk(
        {
            "question u1?": answer("u1", True, right),
            "question u2?": replace(answer("u2", True, right), unsure=True),
            "question u3?": replace(answer("u3", True, cite(docs, "b.txt", 0, 10)), unsure=True),
            "question u4?": replace(answer("u4", True, right), unsure=True),
            "question u5?": answer("u5", True, right),
            "question u6?": replace(answer("u6", False), unsure=True),
        }
    )
    result = evaluate_squad(questions, ask)
    assert result["answerable_unsure_share"] == pytest.approx(2 / 3)
    assert result["answer@1_when_unsure"] == pytest.approx(1 / 2)
    assert result["answer@1_when_sure"] == pytest.approx(1.0)
    assert result["unanswerable_unsure_share"] == pytest.approx(1 / 3)
    assert result["unanswerable_refused_or_unsure_share"] == pytest.approx(2 / 3)

    gold_questions = [gold("g1", "quote", [("a.txt", 11, 15)]), gold("g2", "none", []), gold("g3", "none", [])]
    gold_ask = FakeAsk(
        {
            "question g1?": replace(answer("g1", True, right), unsure=True),
            "question g2?": replace(answer("g2", True, right), unsure=True),
            "question g3?": replace(answer("g3", False), unsure=True),
        }
    )
    result = evaluate_gold(gold_questions, gold_ask)
    assert result["answerable_unsure"] == 1 and result["unanswerable_unsure"] == 1
    assert result["unanswerable_refused_or_unsure"] == pytest.approx(1.0)


def test_squad_answer_words(docs):
    """The reader's answer words are scored SQuAD's way (normalised exact match and token
    F1) when the top citation holds a gold answer, and checked against their file."""
    from dataclasses import replace

    from assistant.types import AnswerSpan

    def words(question: str, start: int, end: int, text: str | None = None) -> Answer:
        top = replace(cite(docs, "a.txt", 11, 33), id=1)
        return replace(
            answer(question, True, top),
            answer_span=AnswerSpan(1, start, end, ALPHA[start:end] if text is None else text),
        )

    questions = [
        {**squad("w1", "a.txt", [(11, 19)]), "answers": [{"text": "the Beta two", "start": 11, "end": 19}]},
        {**squad("w2", "a.txt", [(11, 19)]), "answers": [{"text": "Beta two", "start": 11, "end": 19}]},
        {**squad("w3", "a.txt", [(11, 19)]), "answers": [{"text": "Beta two", "start": 11, "end": 19}]},
        {**squad("w4", "a.txt", [(11, 19)]), "answers": [{"text": "Beta two", "start": 11, "end": 19}]},
    ]
    ask = FakeAsk(
        {
            "question w1?": words("w1", 11, 20),  # 'Beta two.': exact once normalised
            "question w2?": words("w2", 16, 19),  # 'two': F1 2/3
            "question w3?": words("w3", 21, 32, "not in the file"),  # not the file's text: integrity fails
            "question w4?": answer("w4", True, replace(cite(docs, "a.txt", 11, 33), id=1)),  # no words marked
        }
    )
    result = evaluate_squad(questions, ask)
    assert result["answer_words_given"] == pytest.approx(3 / 4)
    assert result["answer_words_exact"] == pytest.approx(1 / 3)
    assert result["answer_words_f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert result["citations_checked"] == 7 and result["citation_integrity"] == pytest.approx(6 / 7)


def test_load_and_detect(tmp_path):
    path = tmp_path / "q.jsonl"
    rows = [squad("s1", "a.txt", [(0, 1)]), squad("s2", "a.txt", [])]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    questions = load_questions(path)
    assert [q["id"] for q in questions] == ["s1", "s2"]
    assert detect_kind(questions) == "squad"
    assert detect_kind([gold("q1", "quote", [])]) == "gold"
    with pytest.raises(ValueError):
        detect_kind([])
    with pytest.raises(ValueError):
        detect_kind([{"question": "?"}])


def test_the_gold_file_is_detected_as_gold():
    path = Path(__file__).resolve().parents[2] / "data" / "gold_seeds.jsonl"
    assert detect_kind(load_questions(path)) == "gold"


def test_format_report_gold(gold_run):
    report = format_report(gold_run[0])
    assert report.startswith("## Gold questions: 6 questions")
    assert "| metric | value | meaning |" in report
    assert "| evidence@1 | 0.250 |" in report
    assert "### By category" in report
    assert "| unanswerable | 2 | n/a | 0.500 |" in report
    assert "### Failures (4)" in report


def test_format_report_squad_escapes_and_truncates(docs):
    result = {
        "kind": "squad",
        "questions": 1,
        "answerable": 1,
        "unanswerable": 0,
        "answer@1": None,
        "failures": [{"id": f"x{i}", "question": "a | b", "reason": "r", "top_citation": "t"} for i in range(3)],
    }
    report = format_report(result, max_failures=2)
    assert report.startswith("## squad2-dev: 1 questions")
    assert "| answer@1 | n/a |" in report
    assert "a \\| b" in report
    assert "... and 1 more." in report


def test_evaluate_has_no_model_imports():
    source = Path(evaluate.__file__).read_text(encoding="utf-8")
    assert "sentence_transformers" not in source and "faiss" not in source
