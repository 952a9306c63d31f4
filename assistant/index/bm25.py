"""BM25 over rows of terms (bm25s): built by a writer, opened memory-mapped by a reader."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class Matches:
    """Rows (sorted) with a BM25 score above zero; every other row scores 0."""

    def __init__(self, rows: np.ndarray, scores: np.ndarray) -> None:
        self.rows = rows
        self.scores = scores

    def __bool__(self) -> bool:
        return bool(len(self.rows)) and bool(self.scores.max() > 0)

    def scaled(self) -> Matches:
        """Divided by the best score (1.0 at the top)."""
        top = float(self.scores.max()) if len(self.scores) else 0.0
        return Matches(self.rows, self.scores / top) if top > 0 else self

    def at(self, rows: np.ndarray | Sequence[int]) -> np.ndarray:
        """The scores of ``rows`` (any rows: 0 where they match nothing)."""
        wanted = np.asarray(rows, dtype=np.int64)
        out = np.zeros(len(wanted), dtype=np.float32)
        if len(self.rows) and len(wanted):
            i = np.minimum(np.searchsorted(self.rows, wanted), len(self.rows) - 1)
            hit = self.rows[i] == wanted
            out[hit] = self.scores[i[hit]]
        return out

    def top(self, k: int) -> np.ndarray:
        """The ``k`` best-scoring rows, best first, ties by row."""
        scores = self.scores
        if len(scores) > 4 * k:  # the k best without sorting every match (a common term matches millions)
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = np.flatnonzero(scores >= kth)
            return self.rows[keep[np.argsort(-scores[keep], kind="stable")[:k]]]
        return self.rows[np.argsort(-scores, kind="stable")[:k]]


class LexicalIndex:
    """BM25 over rows of terms (``terms`` of each text), addressed by row.

    Built from the rows' terms by a writer and saved with its generation (``save``); a
    reader opens the saved arrays memory-mapped (``open``) instead of building it again.
    """

    def __init__(self, tokens: Sequence[Sequence[str]]) -> None:
        import bm25s

        self._rows = len(tokens)
        self._bm25 = bm25s.BM25()
        if self._rows:
            self._bm25.index([list(t) for t in tokens], show_progress=False)
        self._ready()

    def _ready(self) -> None:
        self._vocab: dict[str, int] = dict(getattr(self._bm25, "vocab_dict", {}) or {})
        indptr = getattr(self._bm25, "scores", {}).get("indptr") if self._rows else None
        # rows holding each term: the width of its column in the CSC matrix of scores
        self._doc_freq = np.diff(np.asarray(indptr)) if indptr is not None else np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return self._rows

    def doc_freq(self, term: str) -> int:
        at = self._vocab.get(term)
        return int(self._doc_freq[at]) if at is not None and at < len(self._doc_freq) else 0

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency; unseen terms weigh most."""
        n = self.doc_freq(term)
        return float(np.log(1.0 + (self._rows - n + 0.5) / (n + 0.5)))

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for the query terms."""
        known = [t for t in query_terms if t in self._vocab]
        if not known or not self._rows:
            return np.zeros(self._rows, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def matches(self, query_terms: Sequence[str]) -> Matches:
        """The rows holding any of the query terms and their BM25 scores, worked out from
        those terms' postings alone: no array over every row (what ``scores`` gives, the
        same sums, at the cost of the index's size)."""
        ids = [self._vocab[t] for t in query_terms if t in self._vocab]
        if not ids or not self._rows:
            return Matches(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        arrays = self._bm25.scores
        indptr, indices, data = arrays["indptr"], arrays["indices"], arrays["data"]
        rows = np.concatenate([np.asarray(indices[indptr[i] : indptr[i + 1]]) for i in ids]).astype(np.int64)
        values = np.concatenate([np.asarray(data[indptr[i] : indptr[i + 1]]) for i in ids]).astype(np.float64)
        unique, where = np.unique(rows, return_inverse=True)
        return Matches(unique, np.bincount(where.reshape(-1), weights=values).astype(np.float32))

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (bm25s's arrays, vocabulary and parameters)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "rows.json").write_text(json.dumps({"rows": self._rows}), encoding="utf-8")
        if self._rows:
            self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def open(cls, folder: Path) -> LexicalIndex:
        """The index saved in ``folder``, its arrays memory-mapped: nothing is rebuilt."""
        import bm25s

        index = cls.__new__(cls)
        index._rows = int(json.loads((folder / "rows.json").read_text(encoding="utf-8"))["rows"])
        index._bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False) if index._rows else bm25s.BM25()
        index._ready()
        return index
