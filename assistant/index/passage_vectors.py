"""An index's passage vectors kept in a passage store (``--store``) instead of its generation.

The generation stays the source of truth: it lists the documents, sentences and passages.
A ``StoredPassages`` stands where the generation's FAISS index of passage vectors stands
otherwise, with the same calls (``ntotal``, ``search``, ``reconstruct_batch``,
``add_with_ids``), so retrieval and indexing read and write it alike; a document leaves
it by ``remove_document``.

Writes are buffered and applied by ``apply`` just before the generation that holds them
is committed: first the documents dropped or re-indexed are removed, then the new passages
added. A writer killed before its generation commits leaves the store ahead of the live
generation; retrieval ignores passages the generation does not list, and the next writer,
which finds the same documents to index again, puts the store right. A generation built
from nothing starts with an empty store.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.index.passages import PassageRecord, open_store

if TYPE_CHECKING:
    from assistant.index.model import IndexData

_opened = threading.Lock()
_stores: dict[tuple[str, int], Any] = {}


def shared_store(spec: str, dim: int) -> Any:
    """One client per store and process: Qdrant's local mode admits a single client per
    folder, and a server connection is worth keeping."""
    with _opened:
        store = _stores.get((spec, dim))
        if store is None:
            if not _stores:
                atexit.register(close_stores)
            store = _stores[(spec, dim)] = open_store(spec, dim)
        return store


def close_stores() -> None:
    """Close every store this process opened (a Qdrant client left to the interpreter's
    teardown complains on the way out)."""
    with _opened:
        for store in _stores.values():
            with contextlib.suppress(Exception):
                store.close()
        _stores.clear()


class StoredPassages:
    """Passage vectors in the passage store named by ``spec``."""

    def __init__(self, spec: str, dim: int) -> None:
        self.spec = spec
        self.d = dim
        self.store = shared_store(spec, dim)
        self._added: dict[int, np.ndarray] = {}
        self._removed_docs: set[str] = set()
        self.clear_first = False  # set for a generation built from nothing

    @property
    def ntotal(self) -> int:
        return int(self.store.count())

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Like FAISS: (similarities, ids) of shape (len(queries), k), padded with -1."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        sims = np.full((len(queries), k), -1.0, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        for n, query in enumerate(queries):
            hits = self.store.dense_search(query, k)
            for m, hit in enumerate(hits[:k]):
                sims[n, m], ids[n, m] = hit.dense, hit.id
        return sims, ids

    def reconstruct_batch(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        wanted = [int(i) for i in np.asarray(ids).ravel()]
        if not wanted:
            return np.zeros((0, self.d), dtype=np.float32)
        if not self._added:
            return np.asarray(self.store.vectors(wanted), dtype=np.float32)
        stored = [i for i in wanted if i not in self._added]  # the rest is this writer's, not yet applied
        found = dict(zip(stored, self.store.vectors(stored), strict=True)) if stored else {}
        return np.stack([self._added[i] if i in self._added else found[i] for i in wanted]).astype(np.float32)

    def add_with_ids(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        for i, v in zip(np.asarray(ids).tolist(), np.asarray(vectors, dtype=np.float32), strict=True):
            self._added[int(i)] = v

    def remove_document(self, doc_id: str) -> None:
        """A store removes by document (the FAISS index, by id): its passages go at ``apply``."""
        self._removed_docs.add(doc_id)

    def apply(self, data: IndexData) -> None:
        """Bring the store to what ``data`` lists, before ``data`` is committed."""
        if self.clear_first:
            self.store.clear()
            self.clear_first = False
        if self._removed_docs:
            self.store.remove_documents(sorted(self._removed_docs))
        by_id = {p.id: p for doc in data.passages.values() for p in doc}
        records = []
        for pid, vector in sorted(self._added.items()):
            p = by_id.get(pid)
            if p is None:  # added, then dropped again before this save
                continue
            doc = data.documents[p.doc_id]
            published = doc.dating.published
            records.append(
                PassageRecord(
                    pid,
                    p.doc_id,
                    data.texts[p.doc_id][p.start : p.end],
                    p.start,
                    p.end,
                    published[:10] if published else None,
                    vector,
                )
            )
        if records:
            self.store.add(records)
        self.store.flush()
        self._added.clear()
        self._removed_docs.clear()
