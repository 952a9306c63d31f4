"""BM25 over rows of terms (bm25s): built by a writer, opened memory-mapped by a reader."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

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


def summed(rows: np.ndarray, values: np.ndarray) -> Matches:
    """The rows given (each term's, one list after the other) with their values summed per
    row. The lists come sorted by row, so a stable sort (Timsort, which merges runs) orders
    them in about two thirds of the time ``np.unique``'s quicksort takes on a million-passage archive."""
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    group = np.cumsum(first) - 1
    return Matches(ordered[first], np.bincount(group, weights=values[order]).astype(np.float32))


class Lexical(Protocol):
    """BM25 as search asks for it: one index (``LexicalIndex``) or several as one
    (``SegmentedLexical``)."""

    def __len__(self) -> int: ...

    def doc_freq(self, term: str) -> int: ...

    def idf(self, term: str) -> float: ...

    def matches(self, query_terms: Sequence[str]) -> Matches: ...

    def best_rows(self, queries: Sequence[Sequence[str]], k: int) -> list[np.ndarray]: ...

    def within(self, terms: Sequence[str], starts: np.ndarray, ends: np.ndarray) -> np.ndarray: ...


K1, B = 1.5, 0.75  # bm25s's defaults (its 'lucene' scoring), which LexicalIndex builds with


class Postings:
    """Each term's rows and counts (by bm25s's term ids, in the CSC layout) and each row's
    length in terms: what BM25 needs to score rows against statistics of a larger
    collection (``SegmentedLexical``). bm25s keeps only finished scores, whose IDF and
    average length are its own index's."""

    FILES = {"indptr": "tf_indptr", "rows": "tf_rows", "counts": "tf_counts", "lengths": "lengths"}

    def __init__(self, indptr: np.ndarray, rows: np.ndarray, counts: np.ndarray, lengths: np.ndarray) -> None:
        self.indptr, self.rows, self.counts, self.lengths = indptr, rows, counts, lengths

    @classmethod
    def build(cls, tokens: Sequence[Sequence[str]], vocab: dict[str, int]) -> Postings:
        lengths = np.array([len(t) for t in tokens], dtype=np.int32)
        ids = np.array([vocab[t] for row in tokens for t in row], dtype=np.int64)
        rows = np.repeat(np.arange(len(tokens), dtype=np.int64), lengths)
        keys, counts = np.unique(ids * max(len(tokens), 1) + rows, return_counts=True)
        terms, where = np.divmod(keys, max(len(tokens), 1))
        indptr = np.searchsorted(terms, np.arange(len(vocab) + 1)).astype(np.int64)
        return cls(indptr, where.astype(np.int32), counts.astype(np.int32), lengths)

    def save(self, folder: Path) -> None:
        for field, name in self.FILES.items():
            np.save(folder / f"{name}.npy", getattr(self, field), allow_pickle=False)

    @classmethod
    def open(cls, folder: Path) -> Postings | None:
        if not (folder / "lengths.npy").is_file():
            return None
        # plain arrays over the mapped files: a slice of an np.memmap costs several times a slice
        # of an ndarray (its subclass hooks), and a question or an add takes thousands
        return cls(
            *(
                np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False))
                for name in cls.FILES.values()
            )
        )

    def doc_freq(self, term_id: int) -> int:
        return int(self.indptr[term_id + 1] - self.indptr[term_id])


class LexicalIndex:
    """BM25 over rows of terms (``terms`` of each text), addressed by row.

    Built from the rows' terms by a writer and saved with its generation (``save``); a
    reader opens the saved arrays memory-mapped (``open``) instead of building it again.
    """

    def __init__(self, tokens: Sequence[Sequence[str]]) -> None:
        import bm25s

        self._rows = len(tokens)
        self._bm25 = bm25s.BM25(k1=K1, b=B)
        if self._rows:
            self._bm25.index([list(t) for t in tokens], show_progress=False)
        self._ready()
        self.postings: Postings | None = Postings.build(tokens, self._vocab) if self._rows else None

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
        return summed(rows, values)

    def best_rows(self, queries: Sequence[Sequence[str]], k: int) -> list[np.ndarray]:
        """``SegmentedLexical.best_rows`` of this one index."""
        return SegmentedLexical([self], [0]).best_rows(queries, k)

    def within(self, terms: Sequence[str], starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """``SegmentedLexical.within`` of this one index."""
        out = np.zeros((len(terms), len(starts)), dtype=bool)
        _within(self, 0, None, terms, np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64), out)
        return out

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (bm25s's arrays, vocabulary and parameters)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "rows.json").write_text(json.dumps({"rows": self._rows}), encoding="utf-8")
        if self._rows:
            self._bm25.save(str(folder), show_progress=False)
        if self.postings is not None:
            self.postings.save(folder)

    @classmethod
    def open(cls, folder: Path) -> LexicalIndex:
        """The index saved in ``folder``, its arrays memory-mapped: nothing is rebuilt."""
        import bm25s

        index = cls.__new__(cls)
        index._rows = int(json.loads((folder / "rows.json").read_text(encoding="utf-8"))["rows"])
        index._bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False) if index._rows else bm25s.BM25()
        index._ready()
        index.postings = Postings.open(folder) if index._rows else None
        return index

    def term_id(self, term: str) -> int | None:
        return self._vocab.get(term)


class SegmentedLexical:
    """BM25 over the rows of several segments as one collection: the rows numbered one
    segment after the other (segment ``n``'s from ``offsets[n]``), each term's document
    frequency and the average row length summed over all of them, so that it scores as one
    index built in one go (bm25s's 'lucene' formula: IDF ln(1 + (N - df + 0.5) / (df +
    0.5)), term weight tf / (tf + k1 (1 - b + b len / avg len)))."""

    def __init__(
        self, parts: Sequence[LexicalIndex], offsets: Sequence[int], kept: Sequence[np.ndarray | None] = ()
    ) -> None:
        """``kept``: per segment, its rows still live (None: all), numbered from ``offsets``
        in that order; the others' documents were deleted and count nowhere."""
        self._parts = list(parts)
        self._offsets = list(offsets)
        kept = list(kept) or [None] * len(parts)
        # per segment: the combined number of each of its rows minus its offset (-1: deleted)
        self._renumber: list[np.ndarray | None] = []
        total = rows = 0
        for part, live in zip(parts, kept, strict=True):
            lengths = np.asarray(part.postings.lengths) if part.postings is not None else np.zeros(0)
            if live is None:
                self._renumber.append(None)
                rows += len(part)
                total += int(lengths.sum())
                continue
            renumber = np.full(len(part), -1, dtype=np.int64)
            renumber[live] = np.arange(len(live))
            self._renumber.append(renumber)
            rows += len(live)
            total += int(lengths[live].sum()) if len(lengths) else 0
        self._rows = rows
        self._avg = total / rows if rows else 0.0

    def __len__(self) -> int:
        return self._rows

    def _term_weight(self, tf: np.ndarray, length: np.ndarray) -> np.ndarray:
        """BM25's weight of a term counted ``tf`` times in rows ``length`` terms long."""
        return tf / (K1 * ((1 - B) + B * length / self._avg) + tf)

    def doc_freq(self, term: str) -> int:
        n = 0
        for part, renumber in zip(self._parts, self._renumber, strict=True):
            at = part.term_id(term)
            if at is None or part.postings is None:
                continue
            if renumber is None:
                n += part.postings.doc_freq(at)
            else:
                lo, hi = int(part.postings.indptr[at]), int(part.postings.indptr[at + 1])
                n += int(np.count_nonzero(renumber[np.asarray(part.postings.rows[lo:hi])] >= 0))
        return n

    def idf(self, term: str) -> float:
        n = self.doc_freq(term)
        return float(np.log(1.0 + (self._rows - n + 0.5) / (n + 0.5)))

    def matches(self, query_terms: Sequence[str]) -> Matches:
        found_rows: list[np.ndarray] = []
        found_scores: list[np.ndarray] = []
        idf = {t: self.idf(t) for t in set(query_terms)}
        for part, offset, renumber in zip(self._parts, self._offsets, self._renumber, strict=True):
            postings = part.postings
            if postings is None:
                continue
            for term in query_terms:  # a term given twice counts twice, as in LexicalIndex
                at = part.term_id(term)
                if at is None:
                    continue
                lo, hi = int(postings.indptr[at]), int(postings.indptr[at + 1])
                rows = np.asarray(postings.rows[lo:hi], dtype=np.int64)
                tf = np.asarray(postings.counts[lo:hi], dtype=np.float64)
                if renumber is not None:  # deleted rows count nowhere
                    live = renumber[rows] >= 0
                    rows, tf = rows[live], tf[live]
                length = np.asarray(postings.lengths[rows], dtype=np.float64)
                weight = self._term_weight(tf, length)
                found_rows.append((rows if renumber is None else renumber[rows]) + offset)
                found_scores.append((idf[term] * weight).astype(np.float32).astype(np.float64))
        if not found_rows:
            return Matches(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        return summed(np.concatenate(found_rows), np.concatenate(found_scores))

    def within(self, terms: Sequence[str], starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Whether each term is among the terms of any row from ``starts[i]`` to ``ends[i]``
        (excluded): a (terms, ranges) array. A row's terms, a passage's or a document's, as
        far as a question's terms go, read from the postings instead of from every row."""
        out = np.zeros((len(terms), len(starts)), dtype=bool)
        starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
        for part, offset, renumber in zip(self._parts, self._offsets, self._renumber, strict=True):
            _within(part, offset, renumber, terms, starts, ends, out)
        return out

    def best_rows(self, queries: Sequence[Sequence[str]], k: int) -> list[np.ndarray]:
        """For each query (its distinct terms), its ``k`` best rows by BM25, best first, ties
        by row (fewer where fewer rows match). Many short queries at once: each term's
        posting list is read once, whatever the number of queries asking for it, and all of
        a segment's lists in one gather."""
        vocabulary = sorted({t for q in queries for t in q})
        number = {t: i for i, t in enumerate(vocabulary)}
        terms: list[np.ndarray] = []
        rows: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        for part, offset, renumber in zip(self._parts, self._offsets, self._renumber, strict=True):
            postings = part.postings
            if postings is None:
                continue
            known = [(i, tid) for i, t in enumerate(vocabulary) if (tid := part.term_id(t)) is not None]
            if not known:
                continue
            which = np.array([i for i, _ in known], dtype=np.int64)
            ids = np.array([tid for _, tid in known], dtype=np.int64)
            starts, ends = np.asarray(postings.indptr)[ids], np.asarray(postings.indptr)[ids + 1]
            sizes = ends - starts
            at = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
            term = np.repeat(which, sizes)
            row = np.asarray(postings.rows)[at].astype(np.int64)
            tf = np.asarray(postings.counts)[at].astype(np.float64)
            if renumber is not None:  # deleted rows count nowhere
                live = renumber[row] >= 0
                term, row, tf = term[live], row[live], tf[live]
            length = np.asarray(postings.lengths)[row].astype(np.float64)
            weight = self._term_weight(tf, length)
            terms.append(term)
            rows.append((row if renumber is None else renumber[row]) + offset)
            scores.append(weight)
        out = [np.zeros(0, dtype=np.int64) for _ in queries]
        if not terms:
            return out
        idf = np.array([self.idf(t) for t in vocabulary])
        term, row, score = np.concatenate(terms), np.concatenate(rows), np.concatenate(scores)
        order = np.argsort(term, kind="stable")
        term, row, score = term[order], row[order], (score[order] * idf[term[order]]).astype(np.float32)
        first = np.searchsorted(term, np.arange(len(vocabulary) + 1))
        pairs = np.array(
            [(q, number[t]) for q, query in enumerate(queries) for t in sorted(set(query))], dtype=np.int64
        )
        if not len(pairs):
            return out
        sizes = first[pairs[:, 1] + 1] - first[pairs[:, 1]]
        at = np.repeat(first[pairs[:, 1]] - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
        query = np.repeat(pairs[:, 0], sizes)
        # summed per (query, row) as LexicalIndex sums them (float32 terms)
        keys, where = np.unique(query * (self._rows + 1) + row[at], return_inverse=True)
        total = np.bincount(where.reshape(-1), weights=score[at].astype(np.float64)).astype(np.float32)
        key_query, key_row = np.divmod(keys, self._rows + 1)
        ranked = np.lexsort((key_row, -total, key_query))  # by query, best first, ties by row
        bounds = np.searchsorted(key_query[ranked], np.arange(len(queries) + 1))
        for q in range(len(queries)):
            out[q] = key_row[ranked[bounds[q] : min(int(bounds[q + 1]), int(bounds[q]) + k)]]
        return out


def _within(
    part: LexicalIndex,
    offset: int,
    renumber: np.ndarray | None,
    terms: Sequence[str],
    starts: np.ndarray,
    ends: np.ndarray,
    out: np.ndarray,
) -> None:
    """``SegmentedLexical.within`` for one segment (its rows from ``offset``), or'ed into ``out``."""
    postings = part.postings
    if postings is None or not len(starts):
        return
    if renumber is None:  # the ranges in the segment's own numbers, its term lists as they lie
        size = len(postings.lengths)
        lo_at, hi_at = np.clip(starts - offset, 0, size), np.clip(ends - offset, 0, size)
        lo_at, hi_at = lo_at.astype(postings.rows.dtype), hi_at.astype(postings.rows.dtype)
    for i, term in enumerate(terms):
        at = part.term_id(term)
        if at is None:
            continue
        rows = postings.rows[int(postings.indptr[at]) : int(postings.indptr[at + 1])]  # sorted
        if renumber is None:
            out[i] |= np.searchsorted(rows, hi_at) > np.searchsorted(rows, lo_at)
        else:  # deleted rows hold nothing; the live ones keep their order
            live = renumber[np.asarray(rows, dtype=np.int64)]
            live = live[live >= 0] + offset
            out[i] |= np.searchsorted(live, ends) > np.searchsorted(live, starts)
