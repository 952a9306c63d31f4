"""The distributed passage store: one Qdrant collection, hybrid through its Query API."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import uuid
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import IndexMismatch
from assistant.index.passages.base import (
    FUSION_DEPTH,
    Hit,
    Passage,
    PassageRecord,
    as_query,
    check_date,
    fuse,
    unique_records,
)
from assistant.index.passages.embedded import HNSW_EF_CONSTRUCTION, HNSW_M

DENSE = "dense"
SPARSE = "bm25"
BM25_K1 = 1.2
BM25_B = 0.75
# Document length normalisation against a fixed typical passage length (in terms): a
# running average would change the meaning of vectors already stored.
BM25_AVG_TERMS = 40.0
_META_ID = str(uuid.UUID(int=0))
_QDRANT_BATCH = 256


def term_id(term: str) -> int:
    """A stable 32-bit id for a term (Qdrant sparse indices are u32)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little")


def sparse_bm25(text_terms: Sequence[str]) -> tuple[list[int], list[float]]:
    """BM25 term-frequency saturation of a passage's terms, keyed by term id; Qdrant's IDF
    modifier supplies the other factor at query time."""
    counts: dict[int, int] = {}
    for t in text_terms:
        tid = term_id(t)
        counts[tid] = counts.get(tid, 0) + 1
    norm = BM25_K1 * (1 - BM25_B + BM25_B * len(text_terms) / BM25_AVG_TERMS)
    indices = sorted(counts)
    return indices, [counts[i] * (BM25_K1 + 1) / (counts[i] + norm) for i in indices]


def sparse_query(query_terms: Sequence[str]) -> tuple[list[int], list[float]]:
    counts: dict[int, float] = {}
    for t in query_terms:
        tid = term_id(t)
        counts[tid] = counts.get(tid, 0.0) + 1.0
    indices = sorted(counts)
    return indices, [counts[i] for i in indices]


def _day(published: str | None) -> int | None:
    return None if published is None else int(published.replace("-", ""))


def _point_id(pid: int, batch: int) -> str:
    """Each version of a passage is its own point: (passage id, batch) as a UUID."""
    return str(uuid.UUID(int=(pid << 64) | batch))


class QdrantStore:
    """Passages in one Qdrant collection; hybrid search through the Query API.

    A write is made all-or-nothing above the engine: each ``add`` is a numbered batch whose
    points (one per passage version) stay invisible until one meta point records the batch
    as committed; the versions it replaces and the documents a removal takes out are named
    in that meta point, so readers exclude them until the writer has deleted them. A writer
    killed midway leaves uncommitted points (deleted by the next writer) or a finished
    commit whose clean-up the next writer completes. One writer at a time.
    """

    def __init__(
        self,
        client: Any,
        collection: str,
        dim: int,
        *,
        local: bool,
        shards: int | None = None,
        replicas: int | None = None,
    ) -> None:
        from qdrant_client import models

        self.client = client
        self._shards = shards
        self._replicas = replicas
        self.collection = collection
        self.meta_collection = f"{collection}__meta"
        self.dim = dim
        self.local = local
        self._m = models
        # qdrant-client's local mode is one process; its threads share one engine.
        self._lock = threading.RLock() if local else contextlib.nullcontext()
        self._create()
        self._recover()

    @classmethod
    def open_url(
        cls,
        url: str,
        dim: int,
        collection: str = "passages",
        *,
        shards: int | None = None,
        replicas: int | None = None,
        **client_options: Any,
    ) -> QdrantStore:
        """A Qdrant server or cluster: ``http://host:6333``. ``shards`` and ``replicas`` apply
        when the collection is created (on a cluster: shards spread over the nodes, each
        held by ``replicas`` of them); the API key, if any, comes from ``QDRANT_API_KEY``."""
        from qdrant_client import QdrantClient

        client_options.setdefault("api_key", os.environ.get("QDRANT_API_KEY") or None)
        client = QdrantClient(url=url, **client_options)
        return cls(client, collection, dim, local=False, shards=shards, replicas=replicas)

    @classmethod
    def open_local(cls, path: str | os.PathLike[str], dim: int, collection: str = "passages") -> QdrantStore:
        """qdrant-client's local mode: the whole collection in this process, saved under ``path``."""
        from qdrant_client import QdrantClient

        Path(path).mkdir(parents=True, exist_ok=True)
        return cls(QdrantClient(path=str(path)), collection, dim, local=True)

    def __enter__(self) -> QdrantStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create(self) -> None:
        m = self._m
        with self._lock:
            if not self.client.collection_exists(self.meta_collection):
                self.client.create_collection(self.meta_collection, vectors_config={}, sparse_vectors_config={})
            if not self.client.collection_exists(self.collection):
                self.client.create_collection(
                    self.collection,
                    vectors_config={DENSE: m.VectorParams(size=self.dim, distance=m.Distance.COSINE)},
                    sparse_vectors_config={SPARSE: m.SparseVectorParams(modifier=m.Modifier.IDF)},
                    hnsw_config=m.HnswConfigDiff(m=HNSW_M, ef_construct=HNSW_EF_CONSTRUCTION),
                    shard_number=self._shards,
                    replication_factor=self._replicas,
                )
                # (the local mode has no payload indexes: it scans, and warns when asked)
                for field, schema in (
                    ()
                    if self.local
                    else (
                        ("doc_id", m.PayloadSchemaType.KEYWORD),
                        ("published_day", m.PayloadSchemaType.INTEGER),
                        ("pid", m.PayloadSchemaType.INTEGER),
                        ("batch", m.PayloadSchemaType.INTEGER),
                    )
                ):
                    self.client.create_payload_index(self.collection, field, field_schema=schema)
            params = self.client.get_collection(self.collection).config.params
            vectors = params.vectors
            size = vectors[DENSE].size if isinstance(vectors, dict) else vectors.size
            if size != self.dim:
                raise IndexMismatch(
                    f"The Qdrant collection {self.collection} holds {size}-dimensional vectors, not {self.dim}."
                )

    # -- the meta point ------------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        got = self.client.retrieve(self.meta_collection, [_META_ID], with_payload=True)
        meta = dict(got[0].payload) if got else {}
        meta.setdefault("committed", 0)
        meta.setdefault("superseded", [])
        meta.setdefault("removing", [])
        return meta

    def _set_meta(self, meta: dict[str, Any]) -> None:
        # one point written in one request: the commit point of every write
        self.client.upsert(self.meta_collection, [self._m.PointStruct(id=_META_ID, vector={}, payload=meta)], wait=True)

    def _visible(self, meta: dict[str, Any]) -> Any:
        m = self._m
        must_not: list[Any] = []
        if meta["superseded"]:
            must_not.append(m.HasIdCondition(has_id=meta["superseded"]))
        if meta["removing"]:
            must_not.append(m.FieldCondition(key="doc_id", match=m.MatchAny(any=meta["removing"])))
        return m.Filter(
            must=[m.FieldCondition(key="batch", range=m.Range(lte=meta["committed"]))], must_not=must_not or None
        )

    def _filter(self, meta: dict[str, Any], docs: Collection[str] | None, since: str | None, until: str | None) -> Any:
        m = self._m
        visible = self._visible(meta)
        must = list(visible.must)
        if docs is not None:
            must.append(m.FieldCondition(key="doc_id", match=m.MatchAny(any=sorted(set(docs)))))
        if since is not None or until is not None:
            must.append(
                m.FieldCondition(
                    key="published_day",
                    range=m.Range(gte=_day(check_date(since, "since")), lte=_day(check_date(until, "until"))),
                )
            )
        return m.Filter(must=must, must_not=visible.must_not)

    def _recover(self) -> None:
        """Finish what a killed writer left: drop uncommitted points, complete a clean-up."""
        if not self.local:
            return  # on a server another process may be writing: recovery runs before each write
        with self._lock:
            self._recover_locked(self._meta())

    def _recover_locked(self, meta: dict[str, Any]) -> dict[str, Any]:
        m = self._m
        self.client.delete(
            self.collection,
            m.FilterSelector(
                filter=m.Filter(must=[m.FieldCondition(key="batch", range=m.Range(gt=meta["committed"]))])
            ),
            wait=True,
        )
        if meta["superseded"] or meta["removing"]:
            if meta["superseded"]:
                self.client.delete(self.collection, m.PointIdsList(points=meta["superseded"]), wait=True)
            if meta["removing"]:
                self.client.delete(
                    self.collection,
                    m.FilterSelector(
                        filter=m.Filter(must=[m.FieldCondition(key="doc_id", match=m.MatchAny(any=meta["removing"]))])
                    ),
                    wait=True,
                )
            meta = {**meta, "superseded": [], "removing": []}
            self._set_meta(meta)
        return meta

    # -- writing -------------------------------------------------------------------------

    def add(self, records: Iterable[PassageRecord]) -> None:
        from assistant.language.terms import terms

        m = self._m
        batch = unique_records(records, self.dim)
        if not batch:
            return
        with self._lock:
            meta = self._recover_locked(self._meta())
            number = int(meta["committed"]) + 1
            superseded = [str(p.id) for p in self._versions([r.id for r in batch], meta)]
            for start in range(0, len(batch), _QDRANT_BATCH):
                points = []
                for r in batch[start : start + _QDRANT_BATCH]:
                    indices, values = sparse_bm25(terms(r.text))
                    payload = {
                        "pid": r.id,
                        "batch": number,
                        "doc_id": r.doc_id,
                        "published": r.published,
                        "start": r.start,
                        "end": r.end,
                        "text": r.text,
                    }
                    if r.published is not None:
                        payload["published_day"] = _day(r.published)
                    vector = {DENSE: np.asarray(r.vector, dtype=np.float32).tolist()}
                    if indices:
                        vector[SPARSE] = m.SparseVector(indices=indices, values=values)
                    points.append(m.PointStruct(id=_point_id(r.id, number), vector=vector, payload=payload))
                self.client.upsert(self.collection, points, wait=True)
            self._set_meta({**meta, "committed": number, "superseded": superseded})  # the commit point
            self._recover_locked(self._meta())

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        docs = sorted(set(doc_ids))
        if not docs:
            return 0
        m = self._m
        with self._lock:
            meta = self._recover_locked(self._meta())
            selection = m.Filter(
                must=[*self._visible(meta).must, m.FieldCondition(key="doc_id", match=m.MatchAny(any=docs))]
            )
            removed = self.client.count(self.collection, count_filter=selection, exact=True).count
            self._set_meta({**meta, "removing": docs})  # the commit point
            self._recover_locked(self._meta())
            return int(removed)

    def clear(self) -> None:
        m = self._m
        with self._lock:
            meta = self._recover_locked(self._meta())
            everything = m.Filter(must=[m.FieldCondition(key="batch", range=m.Range(gte=0))])
            self.client.delete(self.collection, m.FilterSelector(filter=everything), wait=True)
            self._set_meta({**meta, "superseded": [], "removing": []})

    def flush(self) -> None:
        """Every write waits for the engine's acknowledgement; nothing is buffered here."""

    def close(self) -> None:
        with self._lock:
            self.client.close()

    # -- reading -------------------------------------------------------------------------

    def count(self) -> int:
        with self._lock:
            meta = self._meta()
            return int(self.client.count(self.collection, count_filter=self._visible(meta), exact=True).count)

    def _versions(self, ids: Sequence[int], meta: dict[str, Any], with_vectors: bool = False) -> list[Any]:
        m = self._m
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return []
        selection = self._visible(meta)
        selection = m.Filter(
            must=[*selection.must, m.FieldCondition(key="pid", match=m.MatchAny(any=wanted))],
            must_not=selection.must_not,
        )
        points, offset = [], None
        while True:
            got, offset = self.client.scroll(
                self.collection,
                scroll_filter=selection,
                limit=1024,
                offset=offset,
                with_payload=True,
                with_vectors=[DENSE] if with_vectors else False,
            )
            points.extend(got)
            if offset is None:
                return points

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        with self._lock:
            found = {p.payload["pid"]: p.vector[DENSE] for p in self._versions(ids, self._meta(), with_vectors=True)}
        missing = [i for i in ids if int(i) not in found]
        if missing:
            raise KeyError(f"no passage {missing[0]}")
        return np.array([found[int(i)] for i in ids], dtype=np.float32).reshape(len(ids), self.dim)

    def passages(self, ids: Sequence[int]) -> list[Passage]:
        with self._lock:
            found = {p.payload["pid"]: p.payload for p in self._versions(ids, self._meta())}
        missing = [i for i in ids if int(i) not in found]
        if missing:
            raise KeyError(f"no passage {missing[0]}")
        return [
            Passage(int(i), p["doc_id"], p["text"], p["start"], p["end"], p.get("published"))
            for i in ids
            for p in (found[int(i)],)
        ]

    def _hits(self, points: list[Any], dense: bool) -> list[Hit]:
        return [
            Hit(
                int(p.payload["pid"]),
                p.payload["doc_id"],
                float(p.score) if dense else 0.0,
                0.0 if dense else float(p.score),
                float(p.score),
            )
            for p in points
        ]

    def dense_search(
        self,
        vector: np.ndarray,
        k: int,
        *,
        docs: Collection[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[Hit]:
        query = as_query(vector, self.dim)[0].tolist()
        with self._lock:
            selection = self._filter(self._meta(), docs, since, until)
            got = self.client.query_points(
                self.collection,
                query=query,
                using=DENSE,
                query_filter=selection,
                limit=k,
                with_payload=["pid", "doc_id"],
            ).points
        return self._hits(got, dense=True)

    def lexical_search(
        self,
        query_terms: Sequence[str],
        k: int,
        *,
        docs: Collection[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[Hit]:
        indices, values = sparse_query(query_terms)
        if not indices:
            return []
        with self._lock:
            selection = self._filter(self._meta(), docs, since, until)
            got = self.client.query_points(
                self.collection,
                query=self._m.SparseVector(indices=indices, values=values),
                using=SPARSE,
                query_filter=selection,
                limit=k,
                with_payload=["pid", "doc_id"],
            ).points
        return self._hits(got, dense=False)

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
        m = self._m
        indices, values = sparse_query(query_terms)
        if vector is None:
            return self.lexical_search(query_terms, k, docs=docs, since=since, until=until)
        query = as_query(vector, self.dim)[0]
        if not indices:
            hits = self.dense_search(query, max(k, FUSION_DEPTH), docs=docs, since=since, until=until)
            return fuse(hits, [], k, {h.id: h.dense for h in hits})
        depth = max(k, FUSION_DEPTH)
        sparse = m.SparseVector(indices=indices, values=values)
        with self._lock:
            selection = self._filter(self._meta(), docs, since, until)
            fused, lexical = self.client.query_batch_points(
                self.collection,
                [
                    m.QueryRequest(
                        prefetch=[
                            m.Prefetch(query=query.tolist(), using=DENSE, filter=selection, limit=depth),
                            m.Prefetch(query=sparse, using=SPARSE, filter=selection, limit=depth),
                        ],
                        query=m.FusionQuery(fusion=m.Fusion.RRF),
                        limit=k,
                        with_payload=["pid", "doc_id"],
                        with_vector=[DENSE],
                    ),
                    m.QueryRequest(
                        query=sparse, using=SPARSE, filter=selection, limit=depth, with_payload=["pid", "doc_id"]
                    ),
                ],
            )
        bm25 = {int(p.payload["pid"]): float(p.score) for p in lexical.points}
        return [
            Hit(
                int(p.payload["pid"]),
                p.payload["doc_id"],
                float(np.dot(np.asarray(p.vector[DENSE], dtype=np.float32), query)),
                bm25.get(int(p.payload["pid"]), 0.0),
                float(p.score),
            )
            for p in fused.points
        ]
