"""The gold questions over the seeds are well formed: every evidence span is the seed's text."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "gold_seeds.jsonl"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
MINIMUMS = {
    "paraphrase": 8,
    "quote": 6,
    "date": 5,
    "person": 5,
    "place": 4,
    "comparison": 2,
    "followup": 5,
    "unanswerable": 10,
}
KEYS = {"id", "question", "history", "answerable", "category", "evidence"}


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def seed_texts() -> dict[str, str]:
    return {p.name: p.read_bytes().decode("utf-8") for p in SEEDS.glob("*.txt")}


def test_at_least_fifty_questions_with_unique_ids(questions):
    ids = [q["id"] for q in questions]
    assert len(questions) >= 50
    assert len(set(ids)) == len(ids)


def test_every_question_has_the_expected_fields(questions):
    for q in questions:
        assert set(q) == KEYS, q["id"]
        assert q["question"].strip()
        assert isinstance(q["history"], list)
        assert all(isinstance(h, str) and h.strip() for h in q["history"])
        assert q["category"] in MINIMUMS, q["id"]


def test_category_counts_meet_minimums(questions):
    counts = Counter(q["category"] for q in questions)
    for category, minimum in MINIMUMS.items():
        assert counts[category] >= minimum, (category, counts[category])


def test_unanswerable_questions_have_no_evidence(questions):
    for q in questions:
        unanswerable = q["category"] == "unanswerable"
        assert q["answerable"] is not unanswerable, q["id"]
        assert bool(q["evidence"]) is q["answerable"], q["id"]


def test_followups_carry_history(questions):
    for q in questions:
        assert bool(q["history"]) is (q["category"] == "followup"), q["id"]


def test_evidence_text_is_the_slice_of_the_seed(questions, seed_texts):
    for q in questions:
        for ev in q["evidence"]:
            text = seed_texts[ev["doc_id"]]
            assert 0 <= ev["start"] < ev["end"] <= len(text), q["id"]
            assert text[ev["start"] : ev["end"]] == ev["text"], q["id"]


def test_evidence_spans_are_single_trimmed_sentences(questions):
    for q in questions:
        spans = [(ev["doc_id"], ev["start"]) for ev in q["evidence"]]
        assert len(set(spans)) == len(spans), q["id"]
        for ev in q["evidence"]:
            assert "\n" not in ev["text"], q["id"]
            assert ev["text"] == ev["text"].strip(), q["id"]


def test_comparisons_cite_both_articles(questions, seed_texts):
    for q in questions:
        if q["category"] == "comparison":
            assert {ev["doc_id"] for ev in q["evidence"]} == set(seed_texts), q["id"]
