"""The persisted index: one immutable generation folder per state, switched atomically.

Layout of an index folder::

    CURRENT            name of the live generation (replaced with os.replace)
    gen-000012/        manifest.json, texts.json, sentences.json, passages.json,
                       sentences.faiss, passages.faiss, terms.json (each searchable
                       sentence's terms), sentences.bm25/, passages.bm25/ (their BM25
                       indexes, opened memory-mapped)
    texts/<sha>.txt    extracted text of HTML/PDF/non-UTF-8 files, cited by offsets
    .lock              held by a writer

A writer builds a complete new generation in a temporary folder, fsyncs it, renames it,
then points CURRENT at it. A reader only ever sees a whole generation, so killing a
writer at any moment leaves either the old state or the new one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import AssistantError, IndexFormatChanged, IndexStateError
from assistant.generations import (  # noqa: F401  (WriterLock and collect_leftovers: re-exported for writers)
    WriterLock,
    atomic_write_bytes,
    atomic_write_text,
    collect_garbage,
    collect_leftovers,
    current_generation,
    fsync,
    next_generation_name,
)
from assistant.lexical import LexicalIndex
from assistant.types import Dating, Document, DocumentMeta, Sentence

# 2: documents carry their dating (publication date, its source, the dates in their text)
# 3: the searchable sentences' terms and the BM25 indexes over sentences and passages are stored
FORMAT_VERSION = 3
_LOAD_ATTEMPTS = 3


@dataclass(frozen=True)
class PassageRow:
    """A paragraph-aware group of sentences: the unit of recall."""

    id: int
    doc_id: str
    start: int
    end: int
    first: int  # position of its first sentence in the document
    last: int  # position of its last sentence


@dataclass
class IndexData:
    """Everything a generation holds, in memory. Mutated only by the indexer's writer."""

    model: str
    dim: int
    segmentation: dict[str, int]
    documents: dict[str, Document] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    sentences: dict[str, list[Sentence]] = field(default_factory=dict)
    passages: dict[str, list[PassageRow]] = field(default_factory=dict)
    sentence_vectors: Any = None  # faiss.IndexIDMap2 over searchable sentence ids
    passage_vectors: Any = None  # faiss.IndexIDMap2 over passage ids
    removed: dict[str, str] = field(default_factory=dict)  # doc_id -> sha256 removed by hand
    next_sentence_id: int = 0
    next_passage_id: int = 0
    generation: str = ""
    mapped: bool = False  # vectors opened read-only from the generation's files: not to be changed
    # doc_id -> the terms of each of its searchable sentences, in order (a writer's; a
    # mapped reader has the BM25 indexes below instead)
    terms: dict[str, list[list[str]]] = field(default_factory=dict)
    lexical: Any = None  # LexicalIndex over the searchable sentences, as saved
    passage_lexical: Any = None  # LexicalIndex over the passages, as saved
    # where the passage vectors are: None for passages.faiss in the generation, else the
    # spec of a passage store (``passage_vectors`` is then a ``StoredPassages``)
    passage_store: str | None = None

    @classmethod
    def empty(cls, model: str, dim: int, segmentation: dict[str, int], passage_store: str | None = None) -> IndexData:
        data = cls(model=model, dim=dim, segmentation=dict(segmentation), passage_store=passage_store)
        data.sentence_vectors = new_vector_index(dim)
        if passage_store:
            from assistant.passage_vectors import StoredPassages

            data.passage_vectors = StoredPassages(passage_store, dim)
            data.passage_vectors.clear_first = True  # built from nothing: so is its store
        else:
            data.passage_vectors = new_vector_index(dim)
        return data


_threads = threading.local()


def _faiss() -> Any:
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
    _faiss()


def new_vector_index(dim: int) -> Any:
    """Exact inner-product search with stable ids; on normalised vectors IP is cosine."""
    faiss = _faiss()

    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def load(index_dir: Path, *, mapped: bool = False) -> IndexData:
    """Read the live generation; raises IndexStateError when missing or corrupt.

    ``mapped`` opens the vectors read-only and memory-mapped, for searching: opening costs
    no copy, and only the pages a search touches are read. A writer loads them whole
    (the default), since it changes them."""
    attempts = _LOAD_ATTEMPTS
    while True:
        name = current_generation(index_dir)
        if name is None:
            raise IndexStateError(f"No index at {index_dir}. Run 'assistant index' first.")
        try:
            return _load_generation(index_dir, name, mapped)
        except IndexStateError:
            # A slow reader can see its generation collected by writers that moved on
            # twice meanwhile; the live one is then whole, so read that instead.
            attempts -= 1
            if attempts == 0 or current_generation(index_dir) == name:
                raise


def _load_generation(index_dir: Path, name: str, mapped: bool = False) -> IndexData:
    faiss = _faiss()
    flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mapped else 0

    folder = index_dir / name
    try:
        manifest = _read_json(folder / "manifest.json")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexFormatChanged(
                f"The index at {index_dir} has format {manifest.get('format_version')}, "
                f"this version reads {FORMAT_VERSION}. Rebuild it with 'assistant index --rebuild'."
            )
        texts = _read_json(folder / "texts.json")
        sentence_table = _read_json(folder / "sentences.json")
        passage_table = _read_json(folder / "passages.json")
        data = IndexData(
            model=manifest["model"],
            dim=int(manifest["dim"]),
            segmentation=manifest["segmentation"],
            texts=texts,
            removed=manifest.get("removed", {}),
            next_sentence_id=int(manifest["next_sentence_id"]),
            next_passage_id=int(manifest["next_passage_id"]),
            generation=name,
        )
        data.documents = {d["doc_id"]: _document(d) for d in manifest["documents"]}
        data.sentences = _sentences_from_table(sentence_table, texts)
        data.passages = _passages_from_table(passage_table)
        data.sentence_vectors = faiss.read_index(str(folder / "sentences.faiss"), flags)
        data.passage_store = manifest.get("passage_store")
        if data.passage_store:
            from assistant.passage_vectors import StoredPassages

            data.passage_vectors = StoredPassages(data.passage_store, data.dim)
        else:
            data.passage_vectors = faiss.read_index(str(folder / "passages.faiss"), flags)
        data.mapped = mapped
        if mapped:
            data.lexical = LexicalIndex.open(folder / "sentences.bm25")
            data.passage_lexical = LexicalIndex.open(folder / "passages.bm25")
        else:
            data.terms = _read_json(folder / "terms.json")
    except AssistantError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError) as error:
        raise IndexStateError(
            f"The index at {index_dir} is unreadable ({error}). Rebuild it with 'assistant index --rebuild'."
        ) from error
    return data


def save(index_dir: Path, data: IndexData) -> str:
    """Write ``data`` as a new generation and make it live atomically; returns its name."""
    faiss = _faiss()

    index_dir.mkdir(parents=True, exist_ok=True)
    previous = current_generation(index_dir)
    name = next_generation_name(index_dir)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=index_dir))
    try:
        doc_ids = sorted(data.documents)
        manifest = {
            "format_version": FORMAT_VERSION,
            "model": data.model,
            "dim": data.dim,
            "segmentation": data.segmentation,
            "next_sentence_id": data.next_sentence_id,
            "next_passage_id": data.next_passage_id,
            "removed": data.removed,
            "passage_store": data.passage_store,
            "documents": [_document_dict(data.documents[d]) for d in doc_ids],
        }
        _write_json(tmp / "texts.json", {d: data.texts[d] for d in doc_ids})
        _write_json(tmp / "sentences.json", _sentence_table(data, doc_ids))
        _write_json(tmp / "passages.json", _passage_table(data, doc_ids))
        faiss.write_index(data.sentence_vectors, str(tmp / "sentences.faiss"))
        if data.passage_store:
            # the store first: the generation that lists these passages commits after them
            data.passage_vectors.apply(data)
        else:
            faiss.write_index(data.passage_vectors, str(tmp / "passages.faiss"))
        _write_json(tmp / "terms.json", {d: data.terms[d] for d in doc_ids})
        lexical, passage_lexical = lexical_indexes(data)
        lexical.save(tmp / "sentences.bm25")
        passage_lexical.save(tmp / "passages.bm25")
        _write_json(tmp / "manifest.json", manifest)  # last: its presence marks a whole folder
        for child in tmp.rglob("*"):
            fsync(child)
        fsync(tmp)  # the files' names must be durable too, or a power cut empties the folder
        os.rename(tmp, index_dir / name)
        fsync(index_dir)
        atomic_write_text(index_dir / "CURRENT", name + "\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    data.generation = name
    data.lexical, data.passage_lexical = lexical, passage_lexical  # what the saved files hold
    collect_garbage(index_dir, name, previous, (d.file for d in data.documents.values()))
    return name


@dataclass(frozen=True)
class Layout:
    """The searchable sentences (rows) and passages of an index in the order searched."""

    rows: list[Sentence]
    passages: list[PassageRow]
    passage_of_row: np.ndarray
    rows_of_passage: list[list[int]]


def layout(data: IndexData) -> Layout:
    rows = [s for doc in sorted(data.sentences) for s in data.sentences[doc] if s.searchable]
    passages = [p for doc in sorted(data.passages) for p in data.passages[doc]]
    by_doc_pos = {(p.doc_id, pos): n for n, p in enumerate(passages) for pos in range(p.first, p.last + 1)}
    passage_of_row = np.array([by_doc_pos[(s.doc_id, s.position)] for s in rows], dtype=np.int64)
    rows_of_passage: list[list[int]] = [[] for _ in passages]
    for r, n in enumerate(passage_of_row):
        rows_of_passage[n].append(r)
    return Layout(rows, passages, passage_of_row, rows_of_passage)


def lexical_indexes(data: IndexData) -> tuple[LexicalIndex, LexicalIndex]:
    """The BM25 indexes over the rows and the passages of ``data``, from its stored terms
    when it has them (a writer's), else the saved ones it was opened with."""
    if data.lexical is not None and data.passage_lexical is not None:
        return data.lexical, data.passage_lexical
    shape = layout(data)
    row_tokens = [t for doc in sorted(data.sentences) for t in data.terms[doc]]
    # A passage's terms are its sentences' terms in order: no second pass over its text.
    passage_tokens = [[t for r in members for t in row_tokens[r]] for members in shape.rows_of_passage]
    return LexicalIndex(row_tokens), LexicalIndex(passage_tokens)


def store_text(index_dir: Path, sha256: str, text: str) -> Path:
    """Save extracted text once per content hash; citations of such documents point here."""
    folder = index_dir / "texts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sha256}.txt"
    if not path.exists():
        atomic_write_bytes(path, text.encode("utf-8"))
    return path


# --- tables -------------------------------------------------------------------------------

_SENTENCE_COLUMNS = ("id", "start", "end", "position", "passage", "kind")


def _sentence_table(data: IndexData, doc_ids: list[str]) -> dict[str, Any]:
    table: dict[str, Any] = {"doc_ids": doc_ids, "doc": []}
    for column in _SENTENCE_COLUMNS:
        table[column] = []
    for n, doc_id in enumerate(doc_ids):
        for s in data.sentences[doc_id]:
            table["doc"].append(n)
            for column in _SENTENCE_COLUMNS:
                table[column].append(getattr(s, column))
    return table


def _sentences_from_table(table: dict[str, Any], texts: dict[str, str]) -> dict[str, list[Sentence]]:
    out: dict[str, list[Sentence]] = {d: [] for d in table["doc_ids"]}
    doc_ids = table["doc_ids"]
    columns = zip(table["doc"], *(table[c] for c in _SENTENCE_COLUMNS), strict=True)
    for doc, sid, start, end, position, passage, kind in columns:
        doc_id = doc_ids[doc]
        text = texts[doc_id][start:end]
        out[doc_id].append(Sentence(sid, doc_id, start, end, text, position, passage, kind))
    return out


def _passage_table(data: IndexData, doc_ids: list[str]) -> dict[str, Any]:
    # Plain attribute reads: dataclasses.asdict deep-copies (30 ms a save at 3,400 passages; now 0.5 ms).
    rows = [[p.id, p.doc_id, p.start, p.end, p.first, p.last] for d in doc_ids for p in data.passages[d]]
    return {"rows": rows}


def _passages_from_table(table: dict[str, Any]) -> dict[str, list[PassageRow]]:
    out: dict[str, list[PassageRow]] = {}
    for pid, doc_id, start, end, first, last in table["rows"]:
        out.setdefault(doc_id, []).append(PassageRow(pid, doc_id, start, end, first, last))
    return out


def _document_dict(doc: Document) -> dict[str, Any]:
    d = asdict(doc)
    d["pages"] = [list(p) for p in doc.pages]
    return d


def _document(d: dict[str, Any]) -> Document:
    return Document(
        doc_id=d["doc_id"],
        source=d["source"],
        file=d["file"],
        format=d["format"],
        sha256=d["sha256"],
        meta=DocumentMeta(**d["meta"]),
        n_sentences=int(d["n_sentences"]),
        added_at=d["added_at"],
        pages=tuple(tuple(p) for p in d.get("pages", [])),
        dating=_dating(d.get("dating") or {}),
    )


def _dating(d: dict[str, Any]) -> Dating:
    evidence = d.get("evidence")
    return Dating(
        published=d.get("published"),
        source=d.get("source"),
        inferred=bool(d.get("inferred")),
        evidence=tuple(evidence) if evidence else None,  # type: ignore[arg-type]
        mentions=tuple(tuple(m) for m in d.get("mentions", [])),  # type: ignore[misc]
    )


# --- files --------------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write_json(path: Path, value: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, separators=(",", ":"))


def vectors_of(index: Any) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) held by an IndexIDMap2, in insertion order."""
    faiss = _faiss()

    n = index.ntotal
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, index.d), dtype=np.float32)
    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    vectors = index.index.reconstruct_n(0, n)
    return ids, np.asarray(vectors, dtype=np.float32)
