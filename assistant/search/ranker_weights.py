"""The evidence ranker's features and weights: hand-set, or fitted on squad2-train by
``training/train_ranker.py`` and read from ``assistant/data/ranker.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

FEATURES = (
    "dense",
    "passage_dense",
    "bm25",
    "passage_bm25",
    "coverage",
    "type_match",
    "speaker",
    "lead",
    "passage_coverage",
    "headline",
    "first_in_passage",
    "length",
    "novelty",
    "dense_gap",
    "passage_gap",
    "context_coverage",
    "previous_dense",
    "pronoun_start",
    # interactions among the candidates, computed by ``_interactions`` from the columns above
    "best_dense_in_passage",
    "best_bm25_in_passage",
    "best_coverage_in_passage",
    "dense_gap_in_passage",
    "passage_rank",
    "dense_rank",
    "bm25_rank",
    "coverage_rank",
    "coverage_x_dense",
    "coverage_x_passage_coverage",
)
BASE = 18  # the columns computed per candidate; the rest by ``_interactions``


@dataclass(frozen=True)
class Weights:
    """The evidence ranker's linear weights (one per feature), set by measurement on the gold questions."""

    dense: float = 0.45
    passage_dense: float = 0.25
    bm25: float = 0.12
    passage_bm25: float = 0.08
    coverage: float = 0.25
    type_match: float = 0.08
    speaker: float = 0.10
    lead: float = 0.03
    passage_coverage: float = 0.1
    headline: float = -0.1
    first_in_passage: float = 0.0
    length: float = 0.0
    novelty: float = 0.0
    dense_gap: float = 0.0
    passage_gap: float = 0.0
    context_coverage: float = 0.0
    previous_dense: float = 0.0
    pronoun_start: float = 0.0
    best_dense_in_passage: float = 0.0
    best_bm25_in_passage: float = 0.0
    best_coverage_in_passage: float = 0.0
    dense_gap_in_passage: float = 0.0
    passage_rank: float = 0.0
    dense_rank: float = 0.0
    bm25_rank: float = 0.0
    coverage_rank: float = 0.0
    coverage_x_dense: float = 0.0
    coverage_x_passage_coverage: float = 0.0

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in FEATURES], dtype=np.float32)

    @classmethod
    def hand(cls) -> Weights:
        """The hand-set starting point, kept for comparison with the learned weights."""
        return cls()

    @classmethod
    def learned(cls) -> Weights:
        """Weights fitted on squad2-train by ``training/train_ranker.py``; hand weights if absent."""
        return _learned_weights()


@lru_cache(maxsize=1)
def _ranker_spec() -> dict | None:
    """Read once per process: every reload of the index builds a new Searcher."""
    path = Path(__file__).resolve().parents[1] / "data" / "ranker.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def learned_window_cost() -> float:
    """The probability mass a citation must gain per extra character to grow by a
    neighbouring sentence; fitted with the weights, as it depends on their scale."""
    spec = _ranker_spec()
    return float(spec.get("window_cost_per_char", WINDOW_COST)) if spec else WINDOW_COST


WINDOW_COST = 0.0005


@lru_cache(maxsize=1)
def _learned_weights() -> Weights:
    spec = _ranker_spec()
    if spec is None:
        return Weights()
    values = dict(zip(spec["features"], spec["weights"], strict=True))
    known = {name: float(values.get(name, 0.0)) for name in FEATURES}
    # The squad questions never ask what someone said; the news-specific speaker
    # feature keeps its hand weight, scaled to the learned weights' magnitude.
    known["speaker"] = max(known["speaker"], _SPEAKER_WEIGHT)
    return Weights(**known)


_SPEAKER_WEIGHT = 1.0
