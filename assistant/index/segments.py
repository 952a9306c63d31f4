"""A generation made of several segments, read as one index.

A segment is the documents one write added: their tables, columns, vectors and BM25
postings, in the folder of the generation that wrote them. A later generation lists the
segments it keeps beside its own (``store.save(..., keep=…)``), so adding an article writes
only that article. Segments are merged by ``store.merge`` when there are too many.

A reader opens each segment memory-mapped and sees them as one ``MappedIndex``: rows
numbered one segment after the other, the documents' tables chained, BM25 scored with
statistics of the whole collection (``bm25.SegmentedLexical``, so a segmented index ranks
as one written in one go) and every segment's passages searched. The columns of a
generation of several segments are concatenated into memory at their first use (about 90
bytes a sentence: a writer that only adds never pays for it); a generation of one segment
is read as it lies on disk.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, cast

import numpy as np

from assistant.index import columns as columns_
from assistant.index.bm25 import LexicalIndex, SegmentedLexical
from assistant.index.facts import SegmentedFacts
from assistant.index.model import MappedIndex, RowVectorSource, WriterIndex, new_vector_index, vectors_of


class Chained(Mapping[str, Any]):
    """One table of several segments by document id: each document is in one segment."""

    def __init__(self, parts: Sequence[Mapping[str, Any]], owner: Mapping[str, int]) -> None:
        self._parts = parts
        self._owner = owner

    def __getitem__(self, doc_id: str) -> Any:
        part = self._owner.get(doc_id)
        if part is None:
            raise KeyError(doc_id)
        return self._parts[part][doc_id]

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and doc_id in self._owner

    def __iter__(self) -> Iterator[str]:
        return iter(self._owner)

    def __len__(self) -> int:
        return len(self._owner)

    def field(self, key: str) -> list[tuple[str, Any]]:
        """(doc id, a field of its stored value) of each live document, segment by segment
        (``store.TableMapping.field``): a deleted document's old row is left out."""
        out = []
        for n, part in enumerate(self._parts):
            out += [(d, v) for d, v in part.field(key) if self._owner.get(d) == n]  # type: ignore[attr-defined]
        return out


class SegmentedRows:
    """The rows' vectors of several segments, by the combined row number."""

    def __init__(
        self, parts: Sequence[RowVectorSource], offsets: Sequence[int], kept: Sequence[np.ndarray | None] = ()
    ) -> None:
        self._parts = list(parts)
        self._offsets = np.asarray(offsets, dtype=np.int64)
        self._kept = list(kept) or [None] * len(parts)  # per segment: its rows still live, when some are deleted
        self.d = parts[0].d if parts else 0

    @property
    def ntotal(self) -> int:
        return sum(p.ntotal if k is None else len(k) for p, k in zip(self._parts, self._kept, strict=True))

    def rows(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), self.d), dtype=np.float32)
        part = np.searchsorted(self._offsets, rows, side="right") - 1
        for n in np.unique(part):
            where = part == n
            local = rows[where] - self._offsets[n]
            kept = self._kept[int(n)]
            out[where] = self._parts[int(n)].rows(local if kept is None else kept[local])
        return out


class SegmentedVectors:
    """Passage vectors of several segments: each searched, the best hits of all kept."""

    def __init__(
        self, parts: Sequence[Any], passage_ids: Sequence[np.ndarray], deleted: Sequence[np.ndarray] = ()
    ) -> None:
        self._parts = list(parts)
        # which segment holds a passage id: each segment's live ids, sorted
        self._sorted = [np.sort(np.asarray(ids, dtype=np.int64)) for ids in passage_ids]
        # per segment, the ids its FAISS index still holds of deleted documents' passages
        self._deleted = [np.sort(np.asarray(d, dtype=np.int64)) for d in deleted] or [
            np.zeros(0, dtype=np.int64) for _ in parts
        ]

    @property
    def ntotal(self) -> int:
        return sum(len(ids) for ids in self._sorted)

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        x = np.atleast_2d(np.asarray(x, dtype=np.float32))
        sims = [np.full((len(x), 0), -np.inf, dtype=np.float32)]
        ids = [np.zeros((len(x), 0), dtype=np.int64)]
        for part, deleted in zip(self._parts, self._deleted, strict=True):
            n = min(k + len(deleted), int(part.ntotal))  # deleted passages are found, then dropped
            if n:
                s, i = part.search(x, n)
                dead = np.isin(i, deleted) | (i < 0)
                sims.append(np.where(dead, -np.inf, s).astype(np.float32))
                ids.append(i.astype(np.int64))
        all_sims, all_ids = np.concatenate(sims, axis=1), np.concatenate(ids, axis=1)
        order = np.argsort(-all_sims, axis=1, kind="stable")[:, :k]
        best_sims = np.take_along_axis(all_sims, order, axis=1)
        best_ids = np.take_along_axis(all_ids, order, axis=1)
        best_ids[~np.isfinite(best_sims)] = -1
        if best_ids.shape[1] < k:  # fewer passages than asked for: padded as FAISS pads
            pad = k - best_ids.shape[1]
            best_ids = np.pad(best_ids, ((0, 0), (0, pad)), constant_values=-1)
            best_sims = np.pad(best_sims, ((0, 0), (0, pad)), constant_values=-np.inf)
        return np.where(np.isfinite(best_sims), best_sims, -1.0).astype(np.float32), best_ids

    def reconstruct_batch(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64).ravel()
        out: np.ndarray | None = None
        for part, known in zip(self._parts, self._sorted, strict=True):
            at = np.minimum(np.searchsorted(known, ids), max(len(known) - 1, 0))
            mine = (known[at] == ids) if len(known) else np.zeros(len(ids), dtype=bool)
            if mine.any():
                vectors = np.asarray(part.reconstruct_batch(ids[mine]), dtype=np.float32)
                if out is None:
                    out = np.zeros((len(ids), vectors.shape[1]), dtype=np.float32)
                out[mine] = vectors
        return out if out is not None else np.zeros((len(ids), 0), dtype=np.float32)


def combine(
    parts: Sequence[MappedIndex],
    common: dict[str, Any],
    shared_passages: Any = None,
    deleted: Sequence[frozenset[str]] = (),
    grows: MappedIndex | None = None,
) -> MappedIndex:
    """Segments opened for searching, as one ``MappedIndex``. ``shared_passages``: the
    passage store all of them keep their passage vectors in, if any. ``deleted``: per
    segment, the documents deleted from it (a removed or changed file), left out.
    ``grows``: the generation this one follows, when its segments, with the same
    deletions, are the first of ``parts`` (its columns are then grown, not copied)."""
    deleted = list(deleted) or [frozenset() for _ in parts]
    cuts = [_without(p.columns, gone) for p, gone in zip(parts, deleted, strict=True)]
    shapes = [c.columns for c in cuts]
    owner = {doc_id: n for n, shape in enumerate(shapes) for doc_id in shape.doc_ids}
    row_offsets = _offsets([s.n_rows for s in shapes])
    passage_offsets = _offsets([s.n_passages for s in shapes])
    passages = (
        shared_passages
        if shared_passages is not None
        else SegmentedVectors(
            [p.passage_vectors for p in parts], [s.passage_id for s in shapes], [c.dead_passages for c in cuts]
        )
    )
    return MappedIndex(
        **common,
        documents=Chained([p.documents for p in parts], owner),
        texts=Chained([p.texts for p in parts], owner),
        sentences=Chained([p.sentences for p in parts], owner),
        passages=Chained([p.passages for p in parts], owner),
        doc_terms=Chained([p.doc_terms for p in parts], owner),
        columns=cast(columns_.Columns, _Concatenated(shapes, _grown_from(grows, len(parts)))),
        row_vectors=SegmentedRows([p.row_vectors for p in parts], row_offsets[:-1], [c.rows for c in cuts]),
        lexical=SegmentedLexical([_single(p.lexical) for p in parts], row_offsets[:-1], [c.rows for c in cuts]),
        passage_lexical=SegmentedLexical(
            [_single(p.passage_lexical) for p in parts], passage_offsets[:-1], [c.passages for c in cuts]
        ),
        passage_vectors=passages,
        facts=SegmentedFacts([p.facts for p in parts], row_offsets[:-1], [c.rows for c in cuts])
        if any(p.facts is not None for p in parts)
        else None,
    )


def _grown_from(grows: MappedIndex | None, n_parts: int) -> _Concatenated | None:
    """The concatenated columns of ``grows`` when they can grow into a generation of
    ``n_parts`` segments (theirs and more after them)."""
    columns = getattr(grows, "columns", None)
    if not isinstance(columns, _Concatenated) or not 0 < len(columns._shapes) < n_parts:
        return None
    return columns


@dataclass(frozen=True)
class _Cut:
    """A segment's columns without its deleted documents, and what was kept of it."""

    columns: columns_.Columns
    rows: np.ndarray | None  # the segment's rows kept, in order (None: all)
    passages: np.ndarray | None  # its passages kept (None: all)
    dead_passages: np.ndarray  # the ids of the passages left out


def _without(shape: columns_.Columns, gone: frozenset[str]) -> _Cut:
    """``shape`` without the rows, passages and documents of the ``gone`` documents."""
    doc_keep = np.array([d not in gone for d in shape.doc_ids], dtype=bool)
    if doc_keep.all():
        return _Cut(shape, None, None, np.zeros(0, dtype=np.int64))
    row_keep = doc_keep[np.asarray(shape.row_doc)] if shape.n_rows else np.zeros(0, dtype=bool)
    passage_keep = doc_keep[np.asarray(shape.passage_doc)] if shape.n_passages else np.zeros(0, dtype=bool)
    rows, passages = np.flatnonzero(row_keep), np.flatnonzero(passage_keep)
    new_doc = np.cumsum(doc_keep) - 1
    new_passage = np.cumsum(passage_keep) - 1
    new_row = np.cumsum(row_keep) - 1
    arrays: dict[str, Any] = {}
    for f in fields(columns_.Columns):
        name = f.name
        if name in ("doc_ids", "sources") or name in _ORDERS or name in _BOUNDS or name.startswith("mention_"):
            continue
        values = np.asarray(getattr(shape, name))
        values = values[passages] if name.startswith("passage_") else values[rows]
        if name in ("row_doc", "passage_doc"):
            values = new_doc[values].astype(values.dtype)
        elif name == "row_passage":
            values = new_passage[values].astype(values.dtype)
        arrays[name] = values
    arrays["passage_rows"] = np.searchsorted(arrays["row_passage"], np.arange(len(passages) + 1)).astype(np.int64)
    arrays["doc_rows"] = np.searchsorted(arrays["row_doc"], np.arange(int(doc_keep.sum()) + 1)).astype(np.int64)
    told = row_keep[np.asarray(shape.mention_row)] if len(shape.mention_row) else np.zeros(0, dtype=bool)
    arrays["mention_row"] = new_row[np.asarray(shape.mention_row)[told]].astype(np.int64)
    arrays["mention_first"] = np.asarray(shape.mention_first)[told]
    arrays["mention_last"] = np.asarray(shape.mention_last)[told]
    for order, ids in _ORDERS.items():
        arrays[order] = np.argsort(arrays[ids], kind="stable").astype(np.int64)
    kept_docs = [d for d, keep in zip(shape.doc_ids, doc_keep, strict=True) if keep]
    sources = {alias: tuple(d for d in named if d not in gone) for alias, named in shape.sources.items()}
    cut = columns_.Columns(**arrays, doc_ids=kept_docs, sources={k: v for k, v in sources.items() if v})
    dead = np.asarray(shape.passage_id)[~passage_keep].astype(np.int64)
    return _Cut(cut, rows, passages, dead)


def _single(lexical: Any) -> LexicalIndex:
    if not isinstance(lexical, LexicalIndex):
        raise TypeError("a segment's BM25 is one LexicalIndex")
    return lexical


def _offsets(sizes: Sequence[int]) -> list[int]:
    return [0, *itertools.accumulate(sizes)]


# columns whose values are row, passage, document or run numbers: shifted by the
# segments before; the bounds arrays (one more than their items) are joined separately
_ROW_VALUED = ("mention_row",)
_PASSAGE_VALUED = ("row_passage",)
_DOC_VALUED = ("row_doc", "passage_doc")
_BOUNDS = {"passage_rows": "rows", "doc_rows": "rows"}
_ORDERS = {"row_id_order": "row_id", "passage_id_order": "passage_id"}


class _Concatenated:
    """The segments' columns as one generation's, concatenated at their first use: a writer
    that reopens the generation after an add and asks nothing of it never pays for the copy
    (at a million passages, 0.9 s and some 300 MB).

    ``base``: the columns of the generation this one follows, whose segments are the first
    of ``shapes``. When those were built and nothing else has grown from them, this
    generation's columns are theirs with the new segments' rows written after them, in the
    room left at the end of their arrays: a reader that takes up an add copies what the
    add wrote, not the archive."""

    def __init__(self, shapes: Sequence[columns_.Columns], base: _Concatenated | None = None) -> None:
        self._shapes = list(shapes)
        self._base = base
        self._built: columns_.Columns | None = None
        self._buffers: dict[str, np.ndarray] = {}  # each array with room at its end
        self._grown = False  # a later generation's columns were written into that room
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        # called only while an attribute is missing: once built, the columns' attributes
        # are this object's own, read as plainly as the dataclass's
        if name.startswith("_"):
            raise AttributeError(name)
        with self._lock:
            if self._built is None:
                self._built, self._buffers = self._build()
                self._base = None  # the older generation's columns may go
                self.__dict__.update(vars(self._built))
        return getattr(self._built, name)

    def _build(self) -> tuple[columns_.Columns, dict[str, np.ndarray]]:
        base = self._base
        if base is not None and 0 < len(base._shapes) < len(self._shapes):
            with base._lock:
                if base._built is not None and base._buffers and not base._grown:
                    grown = extend(base._built, base._buffers, self._shapes[len(base._shapes) :])
                    if grown is not None:
                        base._grown = True
                        return grown, base._buffers
        return concatenate_growable(self._shapes)


def row_places(columns: columns_.Columns, rows: np.ndarray) -> tuple[list[str], list[tuple[int, int]]]:
    """Each of ``rows``' document id and (start, end). Columns of several segments not yet
    concatenated are read segment by segment, and stay so: a writer that looks up a few
    rows of a million-passage generation copies none of its columns."""
    rows = np.asarray(rows, dtype=np.int64)
    shapes = columns._shapes if isinstance(columns, _Concatenated) and columns._built is None else [columns]
    offsets = np.array(_offsets([s.n_rows for s in shapes]), dtype=np.int64)
    part = np.searchsorted(offsets, rows, side="right") - 1
    docs: list[str] = []
    spans: list[tuple[int, int]] = []
    for row, n in zip(rows.tolist(), part.tolist(), strict=True):
        shape, local = shapes[n], row - int(offsets[n])
        docs.append(shape.doc_ids[int(shape.row_doc[local])])
        spans.append((int(shape.row_start[local]), int(shape.row_end[local])))
    return docs, spans


# room left at the end of the concatenated arrays, for the adds that follow (a share of
# their length, and at least this many items)
_ROOM_SHARE = 8
_ROOM_MIN = 4096


def concatenate_growable(shapes: Sequence[columns_.Columns]) -> tuple[columns_.Columns, dict[str, np.ndarray]]:
    """``concatenate(shapes)``, each array the start of a longer buffer (returned by name)
    that ``extend`` writes the next segments into."""
    buffers: dict[str, np.ndarray] = {}
    return concatenate(shapes, buffers), buffers


def _space(buffers: dict[str, np.ndarray] | None, name: str, n: int, dtype: Any) -> np.ndarray:
    """An array of ``n`` items to fill; with ``buffers``, the start of a longer one kept there."""
    if buffers is None:
        return np.empty(n, dtype=dtype)
    buffers[name] = np.empty(n + max(n // _ROOM_SHARE, _ROOM_MIN), dtype=dtype)
    return buffers[name][:n]


def extend(
    base: columns_.Columns, buffers: dict[str, np.ndarray], tails: Sequence[columns_.Columns]
) -> columns_.Columns | None:
    """``concatenate([base, *tails])`` written into the room at the end of ``base``'s
    ``buffers`` (``base``'s arrays are their starts and stay as they are: the items written
    lie after them). None when the room is too small, or when a tail's ids do not all
    follow the ids before (the orders by id are then sorted again by ``concatenate``)."""
    sizes = {name: len(getattr(base, name)) for name in columns_.ARRAYS}
    rows, passages, docs = base.n_rows, base.n_passages, len(base.doc_ids)
    run = int(base.row_run.max()) if base.n_rows else 0
    top = {ids: int(np.asarray(getattr(base, ids)).max(initial=-1)) for ids in _ORDERS.values()}
    need = dict(sizes)
    for tail in tails:
        for name in columns_.ARRAYS:
            need[name] += len(getattr(tail, name)) - (1 if name in _BOUNDS else 0)
        for ids in _ORDERS.values():
            values = np.asarray(getattr(tail, ids))
            if len(values) and int(values.min()) <= top[ids]:
                return None
            top[ids] = max(top[ids], int(values.max(initial=-1)))
    if any(name not in buffers or need[name] > len(buffers[name]) for name in columns_.ARRAYS):
        return None
    at = dict(sizes)
    doc_ids = list(base.doc_ids)
    sources = {alias: set(named) for alias, named in base.sources.items()}
    for tail in tails:
        shift = {"rows": rows, "passages": passages, "docs": docs, "runs": run}
        for name in columns_.ARRAYS:
            values = np.asarray(getattr(tail, name))
            if name in _BOUNDS:
                # the base's last bound is the tail's first (0) moved by the rows before
                values = values + rows
                start = at[name] - 1
            elif name in _ORDERS:
                values = values + (rows if name == "row_id_order" else passages)
                start = at[name]
            else:
                kind = (
                    "rows"
                    if name in _ROW_VALUED
                    else "passages"
                    if name in _PASSAGE_VALUED
                    else "docs"
                    if name in _DOC_VALUED
                    else "runs"
                    if name == "row_run"
                    else None
                )
                if kind is not None:
                    values = values + shift[kind]
                start = at[name]
            buffers[name][start : start + len(values)] = values
            at[name] = start + len(values)
        rows += tail.n_rows
        passages += tail.n_passages
        docs += len(tail.doc_ids)
        run += int(tail.row_run.max()) if tail.n_rows else 0
        doc_ids += tail.doc_ids
        for alias, named in tail.sources.items():
            sources.setdefault(alias, set()).update(named)
    return columns_.Columns(
        **{name: buffers[name][: at[name]] for name in columns_.ARRAYS},
        doc_ids=doc_ids,
        sources={alias: tuple(sorted(named)) for alias, named in sources.items()},
    )


def concatenate(shapes: Sequence[columns_.Columns], buffers: dict[str, np.ndarray] | None = None) -> columns_.Columns:
    """The columns of segments one after the other, as one generation's; with ``buffers``,
    each array the start of a longer one, kept there by name (``concatenate_growable``)."""
    rows = _offsets([s.n_rows for s in shapes])
    passages = _offsets([s.n_passages for s in shapes])
    docs = _offsets([len(s.doc_ids) for s in shapes])
    runs = _offsets([int(s.row_run.max()) if s.n_rows else 0 for s in shapes])
    arrays: dict[str, Any] = {}
    for f in fields(columns_.Columns):
        name = f.name
        if name in ("doc_ids", "sources") or name in _ORDERS:
            continue
        if name in _BOUNDS:
            parts = [np.asarray(getattr(s, name))[:-1] + rows[n] for n, s in enumerate(shapes)]
            parts.append(np.array([rows[-1]], dtype=np.int64))
            arrays[name] = np.concatenate(parts, out=_space(buffers, name, sum(map(len, parts)), np.int64))
            continue
        shift = (
            rows
            if name in _ROW_VALUED
            else passages
            if name in _PASSAGE_VALUED
            else docs
            if name in _DOC_VALUED
            else runs
            if name == "row_run"
            else None
        )
        values = [np.asarray(getattr(s, name)) for s in shapes]
        if shift is not None:
            values = [(v + shift[n]).astype(v.dtype) for n, v in enumerate(values)]
        dtype = np.result_type(*values) if values else np.float64
        arrays[name] = (
            np.concatenate(values, out=_space(buffers, name, sum(map(len, values)), dtype)) if values else np.zeros(0)
        )
    for order, ids in _ORDERS.items():
        arrays[order] = _space(buffers, order, len(arrays[ids]), np.int64)
        arrays[order][:] = np.argsort(arrays[ids], kind="stable")
    sources: dict[tuple[str, ...], set[str]] = {}
    for s in shapes:
        for alias, named in s.sources.items():
            sources.setdefault(alias, set()).update(named)
    return columns_.Columns(
        **arrays,
        doc_ids=[d for s in shapes for d in s.doc_ids],
        sources={alias: tuple(sorted(named)) for alias, named in sources.items()},
    )


def without_documents(data: WriterIndex, gone: frozenset[str]) -> WriterIndex:
    """A segment loaded whole, less the documents deleted from it (their passages already
    left a passage store when they were deleted)."""
    for doc_id in gone & set(data.documents):
        sids = np.array([s.id for s in data.sentences[doc_id] if s.searchable], dtype=np.int64)
        if sids.size:
            data.sentence_vectors.remove_ids(sids)
        pids = np.array([p.id for p in data.passages.get(doc_id, [])], dtype=np.int64)
        if pids.size and not hasattr(data.passage_vectors, "remove_document"):
            data.passage_vectors.remove_ids(pids)  # type: ignore[union-attr]
        for table in data.by_document():
            table.pop(doc_id, None)
    return data


def merge_whole(parts: Sequence[WriterIndex], common: dict[str, Any], shared_passages: Any = None) -> WriterIndex:
    """Several segments loaded whole, as one writer's index (their ids never overlap)."""
    merged = WriterIndex(
        **common,
        sentence_vectors=new_vector_index(int(common["dim"])),
        passage_vectors=shared_passages if shared_passages is not None else new_vector_index(int(common["dim"])),
    )
    for part in parts:
        merged.documents.update(part.documents)
        merged.texts.update(part.texts)
        merged.sentences.update(part.sentences)
        merged.passages.update(part.passages)
        merged.terms.update(part.terms)
        merged.facts.update(part.facts)
        ids, vectors = vectors_of(part.sentence_vectors)
        if len(ids):
            merged.sentence_vectors.add_with_ids(vectors, ids)
        if shared_passages is None:
            ids, vectors = vectors_of(part.passage_vectors)
            if len(ids):
                merged.passage_vectors.add_with_ids(vectors, ids)
    return merged
