"""Passage stores: one interface, an embedded on-disk backend and a Qdrant backend.

A passage is a few sentences of one article with its offsets, its article's publication
day and a unit-normalised vector. A store answers hybrid searches: dense top candidates
(inner product = cosine) and BM25 top candidates over ``assistant.language.terms.terms``, fused by
reciprocal rank, both restricted by document and by date *inside* the search.

* ``EmbeddedStore`` (the default, no server): a single-file SQLite database in WAL mode
  holds texts, offsets, dates and an FTS5 index whose ``bm25()`` ranks the lexical side;
  dense vectors live in immutable FAISS segment files (exact ``IndexFlatIP`` when small,
  ``IndexHNSWFlat`` above ``FLAT_MAX`` rows), memory-mapped when opened. The SQLite
  transaction that records a segment is the commit point of an ``add``.
* ``QdrantStore``: one Qdrant collection (named dense vector, named sparse BM25 vector with
  the engine's IDF modifier, payload indexes on ``doc_id`` and ``published_day``); hybrid
  through the Query API (two prefetches fused with RRF). Works against a server
  (``qdrant://host:6333``) or qdrant-client's local mode (``qdrant+local:/path``).

``open_store(spec, dim)`` opens either from a string. See docs/stores.md.
"""

from __future__ import annotations

from assistant.index.passages.base import FUSION_DEPTH, RRF_K, Hit, Passage, PassageRecord, PassageStore, rrf
from assistant.index.passages.embedded import EmbeddedStore
from assistant.index.passages.qdrant import QdrantStore

__all__ = [
    "FUSION_DEPTH",
    "RRF_K",
    "EmbeddedStore",
    "Hit",
    "Passage",
    "PassageRecord",
    "PassageStore",
    "QdrantStore",
    "open_store",
    "rrf",
]


def open_store(spec: str, dim: int) -> EmbeddedStore | QdrantStore:
    """Open a passage store from a spec:

    * ``embedded:/path`` or a plain path: the embedded store in that folder;
    * ``qdrant://host:port[/collection][?shards=N&replicas=R]`` (``qdrants://`` for TLS): a
      Qdrant server or cluster (shards and replicas apply when the collection is created);
    * ``qdrant+local:/path[#collection]``: qdrant-client's local mode in that folder.
    """
    from urllib.parse import parse_qsl, urlsplit

    if spec.startswith("embedded:"):
        return EmbeddedStore.open(spec.removeprefix("embedded:"), dim)
    if spec.startswith("qdrant+local:"):
        path, _, collection = spec.removeprefix("qdrant+local:").partition("#")
        return QdrantStore.open_local(path, dim, collection or "passages")
    if spec.startswith(("qdrant://", "qdrants://")):
        parts = urlsplit(spec)
        scheme = "https" if parts.scheme == "qdrants" else "http"
        collection = parts.path.strip("/") or "passages"
        if not parts.hostname:
            raise ValueError(f"no host in {spec!r}: expected qdrant://host:6333[/collection]")
        url = f"{scheme}://{parts.hostname}:{parts.port or 6333}"
        options = dict(parse_qsl(parts.query))
        unknown = set(options) - {"shards", "replicas"}
        if unknown:
            raise ValueError(f"unknown option {sorted(unknown)[0]!r} in {spec!r}: expected shards, replicas")
        shards, replicas = options.get("shards"), options.get("replicas")
        return QdrantStore.open_url(
            url,
            dim,
            collection,
            shards=int(shards) if shards else None,
            replicas=int(replicas) if replicas else None,
        )
    if "://" in spec:
        raise ValueError(
            f"unknown store {spec!r}: expected a path, embedded:PATH, qdrant://HOST:PORT or qdrant+local:PATH"
        )
    return EmbeddedStore.open(spec, dim)
