"""The index's data model: what a generation holds in memory, and the FAISS structures
that hold its vectors."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.index import columns as columns_
from assistant.index.bm25 import Lexical
from assistant.index.facts import FactSource
from assistant.types import Document, PassageRow, Sentence

if TYPE_CHECKING:
    from assistant.index.passage_vectors import StoredPassages


class VectorSearch(Protocol):
    """What search asks of a vector index: a FAISS index, or a passage store standing in
    for one (``passage_vectors.StoredPassages``)."""

    @property
    def ntotal(self) -> int: ...

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def reconstruct_batch(self, ids: np.ndarray) -> np.ndarray: ...


class IdVectors(VectorSearch, Protocol):
    """A writer's vectors by id (``faiss.IndexIDMap2``)."""

    def add_with_ids(self, x: np.ndarray, ids: np.ndarray) -> Any: ...

    def remove_ids(self, ids: np.ndarray) -> Any: ...


class RowVectorSource(Protocol):
    """The searchable sentences' vectors by row number (``columns.RowVectors`` for one
    segment, ``segments.SegmentedRows`` for several)."""

    d: int

    @property
    def ntotal(self) -> int: ...

    def rows(self, rows: np.ndarray) -> np.ndarray: ...


@dataclass(kw_only=True)
class IndexData:
    """What a generation holds, as a writer (``WriterIndex``) or a reader (``MappedIndex``)
    has it: its documents, their texts, sentences and passages by document id, the passage
    vectors and the BM25 indexes."""

    model: str
    dim: int
    segmentation: dict[str, int]
    documents: Mapping[str, Document] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)
    sentences: Mapping[str, list[Sentence]] = field(default_factory=dict)
    passages: Mapping[str, list[PassageRow]] = field(default_factory=dict)
    # over passage ids: a FAISS index in the generation, or the passage store named by
    # ``passage_store`` (``StoredPassages``)
    passage_vectors: VectorSearch
    removed: dict[str, str] = field(default_factory=dict)  # doc_id -> sha256 removed by hand
    next_sentence_id: int = 0
    next_passage_id: int = 0
    generation: str = ""
    lexical: Lexical | None = None  # over the searchable sentences, as saved
    passage_lexical: Lexical | None = None  # over the passages, as saved
    passage_store: str | None = None

    @property
    def mapped(self) -> bool:
        """Opened read-only from the generation's files: not to be changed."""
        return False


@dataclass(kw_only=True)
class WriterIndex(IndexData):
    """A generation loaded whole into memory, to be changed by the indexer and saved."""

    documents: dict[str, Document] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    sentences: dict[str, list[Sentence]] = field(default_factory=dict)
    passages: dict[str, list[PassageRow]] = field(default_factory=dict)
    sentence_vectors: IdVectors  # faiss.IndexIDMap2 over the searchable sentences' ids
    passage_vectors: IdVectors | StoredPassages
    # doc_id -> the terms of each of its searchable sentences, in order
    terms: dict[str, list[list[str]]] = field(default_factory=dict)
    # doc_id -> the saved facts (``facts.record``) of each of its searchable sentences, as a
    # segment it was loaded from held them: written again as they are by a merge
    facts: dict[str, list[bytes]] = field(default_factory=dict)

    def by_document(self) -> tuple[dict[str, Any], ...]:
        """Every table keyed by document id: what adding or dropping a document changes."""
        return (self.documents, self.texts, self.sentences, self.passages, self.terms, self.facts)


@dataclass(kw_only=True)
class MappedIndex(IndexData):
    """A generation opened for searching: its tables read per document on use, its columns,
    vectors and BM25 indexes memory-mapped (nothing here grows with the index at opening)."""

    columns: columns_.Columns
    row_vectors: RowVectorSource  # the searchable sentences' vectors, by row
    doc_terms: Mapping[str, frozenset[str]]  # doc_id -> every term of its rows
    lexical: Lexical
    passage_lexical: Lexical
    facts: FactSource | None = None  # each row's saved terms and text features (``facts.RowFacts``), if written
    # the segments it was opened from, by (folder, documents deleted from it), in order:
    # the next generation reopens only the segments that are new to it
    opened: dict[tuple[str, frozenset[str]], MappedIndex] = field(default_factory=dict, repr=False, compare=False)

    @property
    def mapped(self) -> bool:
        return True


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


def new_vector_index(dim: int) -> IdVectors:
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
