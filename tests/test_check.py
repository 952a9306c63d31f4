"""Claim verdicts from scored sentences (no model: the scores are given)."""

from __future__ import annotations

import json

import pytest

from assistant.check import LABELS, Thresholds, check_claim, validate_claim
from assistant.core import ScoredSentence
from assistant.errors import InvalidQuestion
from assistant.types import Document, DocumentMeta, Sentence


def _doc(doc_id: str, title: str | None = None) -> Document:
    return Document(
        doc_id,
        doc_id,
        doc_id,
        "txt",
        "0" * 64,
        DocumentMeta(title=title),
        3,
        "2026-01-13T00:00:00Z",
    )


def _scored(doc_id: str, start: int, text: str, dense: float, lexical: float) -> ScoredSentence:
    sentence = Sentence(start, doc_id, start, start + len(text), text, 0, 0)
    return ScoredSentence(sentence, dense, lexical)


@pytest.fixture
def docs() -> list[Document]:
    return [_doc("a.txt", "Article A"), _doc("b.txt"), _doc("c.txt", "Article C")]


def test_near_verbatim_passage_supports(docs):
    scored = [
        _scored("a.txt", 0, "Lee told NHK that ties matter.", 0.93, 0.8),
        _scored("a.txt", 40, "Something else.", 0.30, 0.1),
        _scored("b.txt", 5, "The summit was in Nara.", 0.50, 0.2),
    ]
    result = check_claim("Lee told NHK that ties matter.", scored, docs)
    assert result.verdict == "supported"
    assert result.label == "supported by a near-verbatim passage"
    assert [s.doc_id for s in result.sources] == ["a.txt", "b.txt", "c.txt"]
    a, b, c = result.sources
    assert a.verdict == "supported" and a.title == "Article A"
    assert a.passages[0].text == "Lee told NHK that ties matter."
    assert b.verdict == "related" and b.title == "b.txt"
    assert c.verdict == "nothing" and c.passages == ()


def test_high_dense_but_different_words_is_only_related(docs):
    scored = [_scored("a.txt", 0, "Seoul's leader spoke to the broadcaster.", 0.88, 0.3)]
    result = check_claim("Lee told NHK something.", scored, docs)
    assert result.verdict == "related"
    assert result.label == LABELS["related"]


def test_same_words_but_low_dense_is_not_supported(docs):
    scored = [_scored("a.txt", 0, "NHK Lee told.", 0.6, 0.9)]
    assert check_claim("Lee told NHK.", scored, docs).verdict == "related"


def test_nothing_close(docs):
    scored = [_scored("a.txt", 0, "Unrelated.", 0.1, 0.0)]
    result = check_claim("The Eiffel Tower is in Paris.", scored, docs)
    assert result.verdict == "nothing"
    assert {s.verdict for s in result.sources} == {"nothing"}


def test_no_scores_at_all(docs):
    result = check_claim("Anything", [], docs)
    assert result.verdict == "nothing" and len(result.sources) == 3


def test_thresholds_are_inclusive_and_configurable():
    t = Thresholds()
    assert t.verdict(0.85, 0.6) == "supported"
    assert t.verdict(0.8499, 0.6) == "related"
    strict = Thresholds(supported_dense=0.95)
    assert strict.verdict(0.9, 1.0) == "related"


def test_passages_sorted_best_first_and_result_is_json(docs):
    scored = [
        _scored("a.txt", 0, "weak", 0.5, 0.1),
        _scored("a.txt", 10, "strong", 0.9, 0.7),
    ]
    result = check_claim("claim", scored, docs)
    assert [p.text for p in result.sources[0].passages] == ["strong", "weak"]
    data = json.loads(json.dumps(result.to_dict()))
    assert data["verdict"] == "supported"
    assert data["sources"][0]["passages"][0] == {
        "doc_id": "a.txt",
        "start": 10,
        "end": 16,
        "text": "strong",
        "dense": 0.9,
        "lexical": 0.7,
        "verdict": "supported",
    }


def test_result_is_frozen(docs):
    result = check_claim("claim", [], docs)
    with pytest.raises(AttributeError):
        result.verdict = "supported"  # type: ignore[misc]


@pytest.mark.parametrize("claim", ["", "   \n\t", None, 42, "x" * 2001, "?!", "😀 …"])
def test_invalid_claims(claim):
    with pytest.raises(InvalidQuestion):
        validate_claim(claim)


def test_valid_claim_is_stripped():
    assert validate_claim("  Lee met Takaichi.  ") == "Lee met Takaichi."
