"""Dating an undated article from a dated one that carries the same story (its twin)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from assistant.index.model import MappedIndex, WriterIndex, vectors_of
from assistant.index.segments import row_places
from assistant.ingest.published import with_mentions
from assistant.types import Dating

# Copies of one story: sentences this similar (cosine) in two articles, at least this many.
_TWIN_COSINE = 0.8


_MIN_TWINS = 3


def borrow_from_twins(
    documents: Mapping[str, Dating],
    undated: Sequence[str],
    rows: Mapping[str, np.ndarray],
    vectors: np.ndarray,
    doc_of_row: Sequence[str],
    spans: Sequence[tuple[int, int]],
) -> dict[str, Dating]:
    """Dates for undated articles that carry the same story as a dated one.

    Args:
        documents: every document's dating, by doc id.
        undated: the doc ids to date.
        rows: per doc id, the rows of ``vectors`` that hold its sentences.
        vectors: unit sentence vectors of all documents.
        doc_of_row, spans: each row's doc id and (start, end).

    Returns:
        The new datings (inferred, with the twin sentence as evidence), by doc id.
    """
    out: dict[str, Dating] = {}
    # any dated article may lend its date, an inferred one too: which other articles sit in
    # the collection must not change an article's date (a twin with a stated date is preferred)
    dated = np.array([documents[d].published is not None for d in doc_of_row])
    if not dated.any():
        return out
    for doc_id in undated:
        own = rows.get(doc_id)
        if own is None or not len(own):
            continue
        sims = vectors[own] @ vectors[dated].T
        best = sims.max(axis=1)
        twin_rows = np.flatnonzero(dated)[sims.argmax(axis=1)]
        by_doc: dict[str, list[int]] = {}
        for i, (sim, row) in enumerate(zip(best, twin_rows, strict=True)):
            if sim >= _TWIN_COSINE and doc_of_row[row] != doc_id:
                by_doc.setdefault(doc_of_row[row], []).append(i)
        if not by_doc:
            continue
        enough = {d: h for d, h in by_doc.items() if len(h) >= _MIN_TWINS}
        if not enough:
            continue
        source, hits = max(enough.items(), key=lambda kv: (not documents[kv[0]].inferred, len(kv[1])))
        evidence = spans[int(own[hits[0]])]
        out[doc_id] = Dating(documents[source].published, "text", True, evidence)
    return out


def date_twins(data: WriterIndex, new: Sequence[str]) -> None:
    """Give the undated ones of the ``new`` documents the date of a dated article that
    carries the same story. Only new documents are looked at: the vectors are read
    back from the index once, and only when one of them is undated."""
    undated = [d for d in new if d in data.documents and data.documents[d].dating.published is None]
    if not undated or all(doc.dating.published is None for doc in data.documents.values()):
        return  # nothing to date them from: the vectors are not read
    ids, vectors = vectors_of(data.sentence_vectors)
    where = {s.id: s for doc in data.sentences.values() for s in doc}
    doc_of_row = [where[int(i)].doc_id for i in ids]
    rows: dict[str, list[int]] = {}
    for r, doc_id in enumerate(doc_of_row):
        rows.setdefault(doc_id, []).append(r)
    spans = [(where[int(i)].start, where[int(i)].end) for i in ids]
    datings = {d: doc.dating for d, doc in data.documents.items()}
    found = borrow_from_twins(datings, undated, {d: np.array(r) for d, r in rows.items()}, vectors, doc_of_row, spans)
    for doc_id, dating in found.items():
        doc = data.documents[doc_id]
        data.documents[doc_id] = replace(doc, dating=with_mentions(dating, data.sentences[doc_id]))


_NEAR_ROWS = 8  # per sentence of an undated article: the closest sentences of the generation beside, by BM25
# … asked by the sentence's rarest terms only (a copy of a story shares its names, numbers and rare
# words), and none found in more than this share of the rows (beyond a small collection's hundred):
# a common term's posting list runs to millions of rows at an archive's size
_CLUE_TERMS = 4
_COMMON_SHARE, _COMMON_FLOOR = 0.0002, 100


def date_twins_beside(data: WriterIndex, new: Sequence[str], beside: MappedIndex) -> None:
    """``date_twins`` for new documents written as a segment beside the generation ``beside``:
    their twins among its articles are found among the sentences that best match each of
    theirs' rarest terms (BM25; a copy of a story shares its names, numbers and rare words),
    then judged by their vectors as ``date_twins`` judges. Only the short posting lists of
    those terms and the candidates' vectors are read: an add to an archive of millions of passages
    neither searches its vector index nor copies its columns."""
    undated = [d for d in new if d in data.documents and data.documents[d].dating.published is None]
    if not undated or not len(beside.lexical):
        return
    searchable = {d: [s for s in data.sentences[d] if s.searchable] for d in undated}
    where = {s.id: s for d in undated for s in searchable[d]}
    own_ids = np.array(sorted(where), dtype=np.int64)
    if not len(own_ids):
        return
    own = np.asarray(data.sentence_vectors.reconstruct_batch(own_ids), dtype=np.float32)
    terms = {s.id: t for d in undated for s, t in zip(searchable[d], data.terms[d], strict=True)}
    lexical = beside.lexical
    common = max(_COMMON_FLOOR, _COMMON_SHARE * len(lexical))
    df = {t: lexical.doc_freq(t) for t in {t for ts in terms.values() for t in ts}}
    clues = [
        sorted((t for t in set(terms[sid]) if 0 < df[t] <= common), key=lambda t: (df[t], t))[:_CLUE_TERMS]
        for sid in own_ids.tolist()
    ]
    near = np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *lexical.best_rows(clues, _NEAR_ROWS)]))
    theirs = np.asarray(beside.row_vectors.rows(near), dtype=np.float32) if len(near) else np.zeros((0, data.dim))
    # only sentences this close to one of the new ones can make a twin: the others' documents
    # are not looked up
    close = (own @ theirs.T).max(axis=0) >= _TWIN_COSINE if len(near) else np.zeros(0, dtype=bool)
    near, theirs = near[close], theirs[close]
    vectors = np.concatenate([own, theirs.astype(np.float32)])
    near_docs, near_spans = row_places(beside.columns, near)
    doc_of_row = [where[int(i)].doc_id for i in own_ids] + near_docs
    spans = [(where[int(i)].start, where[int(i)].end) for i in own_ids] + near_spans
    rows: dict[str, list[int]] = {}
    for r, doc_id in enumerate(doc_of_row):
        rows.setdefault(doc_id, []).append(r)
    datings = {d: data.documents[d].dating for d in undated} | {
        d: beside.documents[d].dating for d in set(near_docs) if d not in data.documents
    }
    found = borrow_from_twins(datings, undated, {d: np.array(r) for d, r in rows.items()}, vectors, doc_of_row, spans)
    for doc_id, dating in found.items():
        doc = data.documents[doc_id]
        data.documents[doc_id] = replace(doc, dating=with_mentions(dating, data.sentences[doc_id]))
