"""An index generation's searchable sentences (rows) and passages as columns.

Everything retrieval needs per row or per passage, worked out once when a generation is
saved and opened memory-mapped (``.npy`` files in its ``columns/`` folder): opening an
index of millions of sentences then reads a few small files, and a question touches only
the pages of the rows it reaches. A writer, which holds the whole index in memory, builds
the same columns with ``build``.

Rows are the searchable sentences ordered by document id, then position; a passage's
rows are consecutive, so it is a range of rows. Ids are looked up through a sorted copy
(``IdLookup``), not a dict over every row.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

import numpy as np

from assistant.language.dates import bounds
from assistant.language.features import PRONOUN_START
from assistant.language.terms import terms
from assistant.types import Kind, PassageRow, Sentence

if TYPE_CHECKING:
    from assistant.index.model import IndexData

T = TypeVar("T")
KINDS: tuple[Kind, ...] = ("body", "headline", "caption", "promo", "furniture", "section", "credit")
FOLDER = "columns"
MADE_LIMIT = 200_000  # sentences kept once made
# publisher or credit words that name no one in particular: 'CRBC' names 'CRBC News' too
GENERIC_SOURCE_TERMS = frozenset(terms("news agency network media online newspaper"))


@dataclass(frozen=True)
class Columns:
    """Per-row and per-passage arrays (memory-mapped when opened from a generation)."""

    row_id: np.ndarray  # int64: the sentence id
    row_doc: np.ndarray  # int32: index into doc_ids
    row_start: np.ndarray  # int64
    row_end: np.ndarray  # int64
    row_position: np.ndarray  # int32: ordinal of the sentence in its document
    row_paragraph: np.ndarray  # int32: Sentence.passage, the paragraph group's ordinal
    row_kind: np.ndarray  # int8: index into KINDS
    row_passage: np.ndarray  # int64: the passage (index into the passage columns) holding it
    row_run: np.ndarray  # int64: runs of body sentences that follow each other in a document
    row_lead: np.ndarray  # float32: 1 / (1 + rank among its document's rows)
    row_first_in_passage: np.ndarray  # float32
    row_pronoun_start: np.ndarray  # float32
    row_length: np.ndarray  # float32: log-scaled length, 1.0 around 250 characters
    row_id_order: np.ndarray  # int64: rows by ascending id
    passage_id: np.ndarray  # int64
    passage_doc: np.ndarray  # int32
    passage_start: np.ndarray  # int64
    passage_end: np.ndarray  # int64
    passage_first: np.ndarray  # int32: position of its first sentence in its document
    passage_last: np.ndarray  # int32
    passage_rows: np.ndarray  # int64, one more than passages: passage p holds rows [rows[p], rows[p + 1])
    passage_id_order: np.ndarray  # int64
    doc_rows: np.ndarray  # int64, one more than documents: document d holds rows [rows[d], rows[d + 1])
    row_published: np.ndarray  # int64: its article's date as an ordinal, or -1
    mention_row: np.ndarray  # int64, per date a row tells: the row
    mention_first: np.ndarray  # int64: the first and last day the date covers, as ordinals
    mention_last: np.ndarray
    doc_ids: list[str]  # sorted
    sources: dict[tuple[str, ...], tuple[str, ...]]  # publisher/credit terms -> the documents they name

    @property
    def n_rows(self) -> int:
        return len(self.row_id)

    @property
    def n_passages(self) -> int:
        return len(self.passage_id)


ARRAYS = tuple(f.name for f in fields(Columns) if f.name not in ("doc_ids", "sources"))


def build(data: IndexData) -> Columns:
    """The columns of ``data`` (a writer's, held in memory)."""
    doc_ids = sorted(data.sentences)
    rows = searchable_rows(data)
    passages = [p for doc in doc_ids for p in data.passages.get(doc, [])]
    doc_number = {d: n for n, d in enumerate(doc_ids)}
    by_doc_pos = {(p.doc_id, pos): n for n, p in enumerate(passages) for pos in range(p.first, p.last + 1)}
    row_doc = np.array([doc_number[s.doc_id] for s in rows], dtype=np.int32)
    row_passage = np.array([by_doc_pos[(s.doc_id, s.position)] for s in rows], dtype=np.int64)
    if len(rows) and (np.diff(row_passage) < 0).any():
        raise ValueError("a passage's sentences are not consecutive rows")
    passage_rows = np.searchsorted(row_passage, np.arange(len(passages) + 1)).astype(np.int64)
    doc_rows = np.searchsorted(row_doc, np.arange(len(doc_ids) + 1)).astype(np.int64)
    run = np.cumsum(
        [
            r == 0
            or s.kind != "body"
            or rows[r - 1].kind != "body"
            or rows[r - 1].doc_id != s.doc_id
            or rows[r - 1].position + 1 != s.position
            for r, s in enumerate(rows)
        ],
        dtype=np.int64,
    )
    lead = np.zeros(len(rows), dtype=np.float32)
    if len(rows):
        rank_in_doc = np.arange(len(rows)) - doc_rows[row_doc]
        lead = (1.0 / (1.0 + rank_in_doc)).astype(np.float32)
    first_in_passage = np.ones(len(rows), dtype=np.float32)
    first_in_passage[1:] = (row_passage[1:] != row_passage[:-1]).astype(np.float32)
    row_id = np.array([s.id for s in rows], dtype=np.int64)
    passage_id = np.array([p.id for p in passages], dtype=np.int64)
    row_start = np.array([s.start for s in rows], dtype=np.int64)
    row_end = np.array([s.end for s in rows], dtype=np.int64)
    published, mentions = _dates(data, doc_ids, doc_rows, row_start, row_end)
    return Columns(
        row_id=row_id,
        row_doc=row_doc,
        row_start=row_start,
        row_end=row_end,
        row_position=np.array([s.position for s in rows], dtype=np.int32),
        row_paragraph=np.array([s.passage for s in rows], dtype=np.int32),
        row_kind=np.array([KINDS.index(s.kind) for s in rows], dtype=np.int8),
        row_passage=row_passage,
        row_run=run,
        row_lead=lead,
        row_first_in_passage=first_in_passage,
        row_pronoun_start=np.array([1.0 if PRONOUN_START.match(s.text) else 0.0 for s in rows], dtype=np.float32),
        row_length=np.array([np.log1p(len(s.text)) / np.log1p(250) for s in rows], dtype=np.float32),
        row_id_order=np.argsort(row_id, kind="stable").astype(np.int64),
        passage_id=passage_id,
        passage_doc=np.array([doc_number[p.doc_id] for p in passages], dtype=np.int32),
        passage_start=np.array([p.start for p in passages], dtype=np.int64),
        passage_end=np.array([p.end for p in passages], dtype=np.int64),
        passage_first=np.array([p.first for p in passages], dtype=np.int32),
        passage_last=np.array([p.last for p in passages], dtype=np.int32),
        passage_rows=passage_rows,
        passage_id_order=np.argsort(passage_id, kind="stable").astype(np.int64),
        doc_rows=doc_rows,
        row_published=published[row_doc] if len(rows) else np.zeros(0, dtype=np.int64),
        mention_row=mentions[0],
        mention_first=mentions[1],
        mention_last=mentions[2],
        doc_ids=doc_ids,
        sources=_sources(data),
    )


def searchable_rows(data: IndexData) -> list[Sentence]:
    """The rows in their order: the searchable sentences by document id, then position."""
    return [s for doc in sorted(data.sentences) for s in data.sentences[doc] if s.searchable]


def _dates(
    data: IndexData, doc_ids: list[str], doc_rows: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each document's date (an ordinal, or -1), and the dates its searchable rows tell:
    (row, first day, last day)."""
    published = np.full(len(doc_ids), -1, dtype=np.int64)
    rows: list[int] = []
    firsts: list[int] = []
    lasts: list[int] = []
    for d, doc_id in enumerate(doc_ids):
        doc = data.documents.get(doc_id)
        if doc is None:
            continue
        if doc.dating.published:
            published[d] = date.fromisoformat(doc.dating.published).toordinal()
        lo, hi = int(doc_rows[d]), int(doc_rows[d + 1])
        for start, _, value in doc.dating.mentions:
            if not value:
                continue
            i = lo + int(np.searchsorted(starts[lo:hi], start, side="right")) - 1
            if i < lo or start >= ends[i]:
                continue  # in boilerplate, not in a searchable sentence
            first, last = bounds(value)
            rows.append(i)
            firsts.append(first.toordinal())
            lasts.append(last.toordinal())
    return published, tuple(np.array(v, dtype=np.int64) for v in (rows, firsts, lasts))  # type: ignore[return-value]


def _sources(data: IndexData) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Who published or credited each article ('CRBC News', or 'CRBC' alone)."""
    by_source: dict[tuple[str, ...], set[str]] = {}
    for doc_id, doc in data.documents.items():
        for name in (doc.meta.publisher, doc.meta.credit):
            full = tuple(terms(name or ""))
            for alias in {full, tuple(t for t in full if t not in GENERIC_SOURCE_TERMS)} - {()}:
                by_source.setdefault(alias, set()).add(doc_id)
    return {alias: tuple(sorted(docs)) for alias, docs in by_source.items()}


def save(folder: Path, columns: Columns) -> None:
    """Write ``columns`` into ``folder`` (a generation's, not yet live)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ARRAYS:
        np.save(folder / f"{name}.npy", getattr(columns, name), allow_pickle=False)
    with open(folder / "docs.json", "w", encoding="utf-8") as f:
        json.dump(
            {"doc_ids": columns.doc_ids, "sources": [[list(k), list(v)] for k, v in columns.sources.items()]},
            f,
            ensure_ascii=False,
            separators=(",", ":"),
        )


def open_mapped(folder: Path) -> Columns:
    """The columns saved in ``folder``, memory-mapped read-only."""
    # plain ndarray views of the maps: the same pages, without np.memmap's slow item access
    arrays = {
        name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray) for name in ARRAYS
    }
    with open(folder / "docs.json", encoding="utf-8") as f:
        docs = json.load(f)
    sources = {tuple(k): tuple(v) for k, v in docs["sources"]}
    return Columns(**arrays, doc_ids=docs["doc_ids"], sources=sources)


def save_vectors(path: Path, columns: Columns, ids: np.ndarray, vectors: np.ndarray) -> None:
    """The rows' vectors in row order, as float16 (half the disk; cosines move by ~1e-4)."""
    by_id = np.argsort(ids, kind="stable")
    order = by_id[np.searchsorted(ids, columns.row_id, sorter=by_id)] if len(ids) else by_id
    if len(order) != len(ids) or (len(ids) and not np.array_equal(ids[order], columns.row_id)):
        raise ValueError("the stored sentence vectors are not the searchable sentences'")
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float16, shape=(len(order), vectors.shape[1]))
    for start in range(0, len(order), 65536):
        out[start : start + 65536] = vectors[order[start : start + 65536]]
    out.flush()
    del out
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class RowVectors:
    """The rows' vectors, by row number, from the generation's memory-mapped file."""

    def __init__(self, path: Path) -> None:
        self._vectors = np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
        self.d = int(self._vectors.shape[1])

    @property
    def ntotal(self) -> int:
        return int(self._vectors.shape[0])

    def rows(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self._vectors[np.asarray(rows, dtype=np.int64)], dtype=np.float32)


class IdLookup(Mapping[int, int]):
    """id -> position, through the ids sorted once (``order``): no dict over millions of ids."""

    def __init__(self, ids: np.ndarray, order: np.ndarray) -> None:
        self._ids = ids
        self._order = order

    def _find(self, key: int) -> int:
        n = len(self._order)
        if n == 0:
            return -1
        lo, hi = 0, n
        ids, order = self._ids, self._order
        while lo < hi:  # a binary search over the memory-mapped arrays touches ~log2(n) pages
            mid = (lo + hi) // 2
            if ids[order[mid]] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < n and ids[order[lo]] == key:
            return int(order[lo])
        return -1

    def __getitem__(self, key: int) -> int:
        found = self._find(int(key))
        if found < 0:
            raise KeyError(key)
        return found

    def get(self, key: int, default: Any = None) -> Any:  # type: ignore[override]
        found = self._find(int(key))
        return default if found < 0 else found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, (int, np.integer)) and self._find(int(key)) >= 0

    def __iter__(self) -> Iterator[int]:
        return (int(self._ids[i]) for i in self._order)

    def __len__(self) -> int:
        return len(self._order)


class _Made(Sequence[T]):
    """A sequence whose items are made from the columns on access (``_make``), by
    position; slices and negative positions as for a list."""

    def _make(self, i: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._make(i) for i in range(*index.indices(len(self)))]
        i = int(index)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(index)
        return self._make(i)

    def __iter__(self) -> Iterator[T]:
        return (self._make(i) for i in range(len(self)))


class Rows(_Made[Sentence]):
    """The searchable sentences, made from the columns and the texts as they are reached."""

    def __init__(self, columns: Columns, texts: Mapping[str, str]) -> None:
        self._c = columns
        self._texts = texts
        self._made: dict[int, Sentence] = {}

    def __len__(self) -> int:
        return self._c.n_rows

    def _make(self, r: int) -> Sentence:
        made = self._made.get(r)
        if made is None:
            if len(self._made) >= MADE_LIMIT:  # a long-lived process keeps a bounded number
                self._made = {}
            c = self._c
            doc_id = c.doc_ids[int(c.row_doc[r])]
            start, end = int(c.row_start[r]), int(c.row_end[r])
            made = self._made[r] = Sentence(
                int(c.row_id[r]),
                doc_id,
                start,
                end,
                self._texts[doc_id][start:end],
                int(c.row_position[r]),
                int(c.row_paragraph[r]),
                KINDS[int(c.row_kind[r])],
            )
        return made

    def doc_id(self, r: int) -> str:
        """The document of row ``r``, without making its sentence."""
        return self._c.doc_ids[int(self._c.row_doc[r])]


class Passages(_Made[PassageRow]):
    """The passages, made from the columns as they are reached."""

    def __init__(self, columns: Columns) -> None:
        self._c = columns

    def __len__(self) -> int:
        return self._c.n_passages

    def _make(self, p: int) -> PassageRow:

        c = self._c
        return PassageRow(
            int(c.passage_id[p]),
            c.doc_ids[int(c.passage_doc[p])],
            int(c.passage_start[p]),
            int(c.passage_end[p]),
            int(c.passage_first[p]),
            int(c.passage_last[p]),
        )


class RowRanges(Sequence[range]):
    """``ranges[i]``: the rows ``bounds[i]`` to ``bounds[i + 1]`` (a passage's, or a document's)."""

    def __init__(self, bounds: np.ndarray) -> None:
        self._bounds = bounds

    def __len__(self) -> int:
        return max(len(self._bounds) - 1, 0)

    def __getitem__(self, index: int) -> range:  # type: ignore[override]
        i = int(index)
        return range(int(self._bounds[i]), int(self._bounds[i + 1]))
