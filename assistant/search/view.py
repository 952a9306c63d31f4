"""A generation as search reads it: its rows, passages and documents, their columns,
terms, features and vectors. Read-only; built once per loaded generation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from assistant.index import columns
from assistant.index.model import IndexData, MappedIndex, WriterIndex
from assistant.index.store import lexical_indexes
from assistant.language.features import TextFeatures
from assistant.language.terms import row_terms
from assistant.types import PassageRow, Sentence

if TYPE_CHECKING:
    from assistant.search.retrieve import Scored

K = TypeVar("K")
V = TypeVar("V")


class IndexView:
    """The searchable rows (sentences) and passages of one generation, by row number."""

    def __init__(self, data: IndexData) -> None:
        self.data = data
        # Per-row and per-passage columns: memory-mapped from the generation when it was
        # opened for reading (nothing here grows with the index at opening), else built.
        shape = data.columns if isinstance(data, MappedIndex) else columns.build(data)
        self.columns = shape
        self.rows = columns.Rows(shape, data.texts)
        self.row_of_id = columns.IdLookup(shape.row_id, shape.row_id_order)
        # Vectors stay in their files (memory-mapped when opened for reading): the
        # passages' are searched, and only the candidates' vectors are read back.
        self.row_ids = shape.row_id
        self.passages = columns.Passages(shape)
        self.passage_row_of_id = columns.IdLookup(shape.passage_id, shape.passage_id_order)
        self.passage_ids = shape.passage_id
        self.passage_of_row = shape.row_passage
        self.rows_of_passage = columns.RowRanges(shape.passage_rows)
        self.rows_of_doc = columns.RowRanges(shape.doc_rows)
        self.doc_index = {doc_id: i for i, doc_id in enumerate(shape.doc_ids)}
        self.doc_of_row = shape.row_doc
        # who published or credited each article: 'the CRBC article' names a source, not content
        self.docs_by_source = shape.sources
        self.n_documents = len(shape.doc_ids)
        self.starts = shape.row_start
        self.ends = shape.row_end
        # runs of body sentences that follow each other in their document, with nothing
        # (a caption, a promo, a headline) between them: one citation may span a run's rows
        self.run_of_row = shape.row_run
        # BM25 as saved with the generation (memory-mapped); the terms of the rows a question
        # reaches are worked out when first needed, not for every row at opening
        self.lexical, self.passage_lexical = lexical_indexes(data, shape)
        rows = self.rows
        self.row_terms = _Lazy(self._row_terms)
        # read as the index saved them, or found for the rows a question reaches
        self._saved = data.facts if isinstance(data, MappedIndex) else None
        # each row's saved record decoded once, for its terms and its features alike
        self._decoded = _Lazy(self._saved.get) if self._saved is not None else None
        self.features = TextFeatures(rows, self._saved_features if self._saved is not None else None)
        self.lead = shape.row_lead
        self.first_in_passage = shape.row_first_in_passage
        self.pronoun_start = shape.row_pronoun_start
        self.length = shape.row_length

    def context(self, sentence: Sentence) -> tuple[str, str]:
        """What is read beside a searchable sentence: the sentence before it in its article
        ('' at the start) and the article's title."""
        row = self.row_of_id[sentence.id]
        before = self.rows[row - 1] if row > 0 else None
        previous = before.text if before is not None and before.doc_id == sentence.doc_id else ""
        return previous, self.data.documents[sentence.doc_id].title

    def _row_terms(self, r: int) -> frozenset[str]:
        """A row's terms (``row_terms`` of its text): a writer holds them, a reader reads
        them as its segment saved them, or works them out (cheaper than reading its whole
        document's)."""
        if self._decoded is not None and (saved_facts := self._decoded[r]) is not None:
            return saved_facts[0]
        if isinstance(self.data, WriterIndex):
            d = int(self.doc_of_row[r])
            saved = self.data.terms.get(self.columns.doc_ids[d])
            if saved is not None:
                return frozenset(saved[r - int(self.columns.doc_rows[d])])
        return frozenset(row_terms(self.rows[r].text))

    def _saved_features(self, r: int) -> dict[str, Any] | None:
        found = self._decoded[r] if self._decoded is not None else None
        return None if found is None else found[1]

    def near_rows(self, queries: np.ndarray, passages: int) -> list[int]:
        """The rows of the ``passages`` passages nearest to any of ``queries`` (2-D), nearest passage first."""
        k = min(passages, self.data.passage_vectors.ntotal)
        if k == 0:
            return []
        sims, pids = self.data.passage_vectors.search(np.asarray(queries, dtype=np.float32), k)
        order = np.argsort(-sims.ravel(), kind="stable")
        out: list[int] = []
        seen: set[int] = set()
        for pid in pids.ravel()[order]:
            row = self.passage_row_of_id.get(int(pid), -1)
            if row >= 0 and row not in seen:
                seen.add(row)
                out.extend(self.rows_of_passage[row])
        return out

    def sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of these rows, read back from the index by id."""
        if len(rows) == 0:
            return np.zeros((0, self.data.dim), dtype=np.float32)
        if isinstance(self.data, MappedIndex):
            return self.data.row_vectors.rows(np.asarray(rows, dtype=np.int64))
        if isinstance(self.data, WriterIndex):
            return self.data.sentence_vectors.reconstruct_batch(self.row_ids[np.asarray(rows, dtype=np.int64)])
        raise TypeError(f"no sentence vectors in {type(self.data).__name__}")

    def passage_rank(self, scored: list[Scored], k: int) -> list[tuple[PassageRow, float]]:
        """Passages holding the best sentences, best first, each once."""
        seen: dict[int, float] = {}
        for s in scored:
            if s.passage.id not in seen:
                seen[s.passage.id] = s.score
        order = sorted(seen.items(), key=lambda kv: -kv[1])[:k]
        return [(self.passages[self.passage_row_of_id[pid]], score) for pid, score in order]


class _Lazy(Generic[K, V]):
    """A read-only mapping whose values are computed on first access and kept, up to
    ``limit`` of them (then forgotten all at once: a long-lived process over an archive
    must not keep every row it ever read)."""

    def __init__(self, compute: Callable[[K], V], limit: int = 200_000) -> None:
        self._compute = compute
        self._values: dict[K, V] = {}
        self._limit = limit

    def __getitem__(self, key: K) -> V:
        try:
            return self._values[key]
        except KeyError:
            if len(self._values) >= self._limit:
                self._values = {}
            value = self._values[key] = self._compute(key)
            return value
