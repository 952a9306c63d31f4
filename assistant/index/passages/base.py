"""What every passage store shares: the records it holds, the hits it answers, the
interface, and reciprocal rank fusion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

# Reciprocal rank fusion: a candidate at 0-based position p of a list gains 1 / (p + RRF_K).
# 2 is Qdrant's default for FusionQuery(RRF); both backends fuse the same way.
RRF_K = 2
# Each side of a hybrid search contributes this many candidates (at least k).
FUSION_DEPTH = 40


@dataclass(frozen=True)
class PassageRecord:
    """What a store keeps of one passage."""

    id: int
    doc_id: str
    text: str
    start: int
    end: int
    published: str | None  # 'YYYY-MM-DD' of its article, or None
    vector: np.ndarray  # float32, unit-normalised


@dataclass(frozen=True)
class Passage:
    """A stored passage without its vector."""

    id: int
    doc_id: str
    text: str
    start: int
    end: int
    published: str | None


@dataclass(frozen=True)
class Hit:
    """A search result. ``dense``: cosine with the query vector; ``lexical``: BM25 score when
    the passage is among the lexical candidates, else 0; ``fused``: the ranking score."""

    id: int
    doc_id: str
    dense: float
    lexical: float
    fused: float


@runtime_checkable
class PassageStore(Protocol):
    """The store interface; every backend passes tests/unit/index/test_passages.py."""

    dim: int

    def add(self, records: Iterable[PassageRecord]) -> None:
        """Insert passages; an id already present is replaced. All or nothing."""

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        """Remove every passage of these documents; returns how many. All or nothing."""

    def clear(self) -> None:
        """Remove every passage."""

    def count(self) -> int: ...

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of ``ids``, in that order (KeyError for an unknown id)."""

    def passages(self, ids: Sequence[int]) -> list[Passage]:
        """The stored passages of ``ids``, in that order (KeyError for an unknown id)."""

    def dense_search(
        self,
        vector: np.ndarray,
        k: int,
        *,
        docs: Collection[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[Hit]: ...

    def lexical_search(
        self,
        query_terms: Sequence[str],
        k: int,
        *,
        docs: Collection[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[Hit]: ...

    def search(
        self,
        vector: np.ndarray | None,
        query_terms: Sequence[str],
        k: int,
        *,
        docs: Collection[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[Hit]:
        """Hybrid: dense and lexical candidates fused by reciprocal rank."""

    def flush(self) -> None: ...

    def close(self) -> None: ...


def rrf(*rankings: Sequence[int]) -> dict[int, float]:
    """Reciprocal rank fusion of ranked id lists (as Qdrant's ``Fusion.RRF``)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for position, pid in enumerate(ranking):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (position + RRF_K)
    return fused


def fuse(dense: list[Hit], lexical: list[Hit], k: int, cosine: dict[int, float]) -> list[Hit]:
    fused = rrf([h.id for h in dense], [h.id for h in lexical])
    doc_of = {h.id: h.doc_id for h in (*dense, *lexical)}
    bm25 = {h.id: h.lexical for h in lexical}
    order = sorted(fused, key=lambda pid: (-fused[pid], pid))[:k]
    return [Hit(pid, doc_of[pid], cosine.get(pid, 0.0), bm25.get(pid, 0.0), fused[pid]) for pid in order]


def check_date(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} must be an ISO date 'YYYY-MM-DD', not {value!r}") from error
    return value


def unique_records(records: Iterable[PassageRecord], dim: int) -> list[PassageRecord]:
    """The records, the last one of each id kept, checked."""
    by_id: dict[int, PassageRecord] = {}
    for record in records:
        if not 0 <= int(record.id) < 2**63:
            raise ValueError(f"passage ids are non-negative 63-bit integers, not {record.id}")
        if np.asarray(record.vector).shape != (dim,):
            raise ValueError(f"passage {record.id}: vector of shape {np.shape(record.vector)}, expected ({dim},)")
        check_date(record.published, f"passage {record.id}: published")
        by_id[int(record.id)] = record
    return list(by_id.values())


def as_query(vector: np.ndarray, dim: int) -> np.ndarray:
    query = np.ascontiguousarray(np.asarray(vector, dtype=np.float32).reshape(1, -1))
    if query.shape[1] != dim:
        raise ValueError(f"query vector of dimension {query.shape[1]}, the store holds {dim}")
    return query
