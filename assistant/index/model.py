"""The index's data model: what a generation holds in memory, and the FAISS structures
that hold its vectors."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.index import columns as columns_
from assistant.index.bm25 import LexicalIndex
from assistant.types import Document, PassageRow, Sentence


@dataclass
class IndexData:
    """Everything a generation holds, in memory. Mutated only by the indexer's writer."""

    model: str
    dim: int
    segmentation: dict[str, int]
    # a writer's are dicts; a mapped reader's are read from the generation's tables on use
    documents: dict[str, Document] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    sentences: dict[str, list[Sentence]] = field(default_factory=dict)
    passages: dict[str, list[PassageRow]] = field(default_factory=dict)
    sentence_vectors: Any = None  # a writer's faiss.IndexIDMap2 over searchable sentence ids
    # a mapped reader's instead: the columns of its rows and their vectors by row number
    columns: columns_.Columns | None = None
    row_vectors: columns_.RowVectors | None = None
    passage_vectors: Any = None  # faiss.IndexIDMap2 over passage ids
    removed: dict[str, str] = field(default_factory=dict)  # doc_id -> sha256 removed by hand
    next_sentence_id: int = 0
    next_passage_id: int = 0
    generation: str = ""
    mapped: bool = False  # vectors opened read-only from the generation's files: not to be changed
    # doc_id -> the terms of each of its searchable sentences, in order (a writer's: a
    # mapped reader works out a row's from its text, and has doc_terms below)
    terms: dict[str, list[list[str]]] = field(default_factory=dict)
    doc_terms: Mapping[str, frozenset[str]] | None = None  # a mapped reader's: doc_id -> every term of its rows
    lexical: LexicalIndex | None = None  # over the searchable sentences, as saved
    passage_lexical: LexicalIndex | None = None  # over the passages, as saved
    # where the passage vectors are: None for passages.faiss in the generation, else the
    # spec of a passage store (``passage_vectors`` is then a ``StoredPassages``)
    passage_store: str | None = None


_threads = threading.local()


def faiss_module() -> Any:
    """faiss, on one OpenMP thread in the calling thread.

    For one query over a small index a second OpenMP thread costs more than it gives and
    starves the query encoder of the other core. OpenMP's thread count is per calling
    thread, so web workers call this too (through ``single_threaded``).
    """
    import faiss

    if not getattr(_threads, "ready", False):
        faiss.omp_set_num_threads(1)
        _threads.ready = True
    return faiss


def single_threaded() -> None:
    """Make faiss searches from the calling thread use one OpenMP thread."""
    faiss_module()


def new_vector_index(dim: int) -> Any:
    """Exact inner-product search with stable ids; on normalised vectors IP is cosine."""
    faiss = faiss_module()

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def stored_vectors(index: Any) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of an IndexIDMap2 over a flat index, the vectors a view of its own
    storage (no copy of what may be gigabytes): to be read before the index changes."""
    faiss = faiss_module()

    n = index.ntotal
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, index.d), dtype=np.float32)
    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    flat = faiss.downcast_index(index.index)
    vectors = faiss.rev_swig_ptr(flat.get_xb(), n * index.d).reshape(n, index.d)
    return ids, vectors


def vectors_of(index: Any) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) held by an IndexIDMap2, in insertion order."""
    ids, vectors = stored_vectors(index)
    return ids, vectors.copy()
