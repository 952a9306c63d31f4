"""The persisted index: one immutable generation folder per state, switched atomically.

Layout of an index folder::

    CURRENT            name of the live generation (replaced with os.replace)
    gen-000012/        manifest.json; tables.sqlite (per document: its record, text,
                       sentences, passages and the searchable sentences' terms);
                       columns/ (per searchable sentence and passage, ``assistant.index.columns``)
                       and vectors.npy (the searchable sentences' vectors, float16, in
                       row order), opened memory-mapped; passages.faiss (unless a passage
                       store holds them); sentences.bm25/, passages.bm25/ (BM25 indexes,
                       opened memory-mapped); facts/ (each searchable sentence's terms and
                       text features, ``assistant.index.facts``, memory-mapped)
    texts/<sha>.txt    extracted text of HTML/PDF/non-UTF-8 files, cited by offsets
    .lock              held by a writer

A writer builds a complete new generation in a temporary folder, fsyncs it, renames it,
then points CURRENT at it. A reader only ever sees a whole generation, so killing a
writer at any moment leaves either the old state or the new one.

A reader opens a generation in time independent of its size: the tables are read per
document as a question reaches it, the columns and vectors are memory-mapped. A writer
loads it whole.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal, cast, overload

import numpy as np

from assistant.errors import AssistantError, IndexFormatChanged, IndexStateError
from assistant.files import atomic_write_bytes, atomic_write_text, fsync
from assistant.index import columns as columns_
from assistant.index import facts as facts_
from assistant.index import segments
from assistant.index.bm25 import Lexical, LexicalIndex
from assistant.index.generations import (  # noqa: F401  (WriterLock and collect_leftovers: re-exported for writers)
    WriterLock,
    collect_garbage,
    collect_leftovers,
    current_generation,
    next_generation_name,
)
from assistant.index.model import (
    IdVectors,
    IndexData,
    MappedIndex,
    WriterIndex,
    faiss_module,
    new_vector_index,
    stored_vectors,
)
from assistant.index.passage_vectors import StoredPassages
from assistant.types import Dating, Document, DocumentMeta, PassageRow, Sentence

# 2: documents carry their dating (publication date, its source, the dates in their text)
# 3: the searchable sentences' terms and the BM25 indexes over sentences and passages are stored
# 4: per-document tables in SQLite, per-row columns and row-ordered float16 vectors: opened lazily
# 5: a generation is made of segments (its own files and those of earlier generations it
#    keeps), and BM25 keeps the term counts that score across segments; 4 is read as one segment
FORMAT_VERSION = 5
READS = (4, 5)
_LOAD_ATTEMPTS = 3


def empty_index(model: str, dim: int, segmentation: dict[str, int], passage_store: str | None = None) -> WriterIndex:
    """A writer's index holding nothing, its passage vectors in ``passage_store`` when one is named."""
    passages: IdVectors | StoredPassages
    if passage_store:
        passages = StoredPassages(passage_store, dim)
        passages.clear_first = True  # built from nothing: so is its store
    else:
        passages = new_vector_index(dim)
    return WriterIndex(
        model=model,
        dim=dim,
        segmentation=dict(segmentation),
        passage_store=passage_store,
        sentence_vectors=new_vector_index(dim),
        passage_vectors=passages,
    )


def new_segment(live: IndexData) -> WriterIndex:
    """An empty writer's index that continues ``live`` (its ids, its removed documents, its
    passage store): what a write adds beside the live generation's segments."""
    data = empty_index(live.model, live.dim, live.segmentation, live.passage_store)
    if isinstance(data.passage_vectors, StoredPassages):
        data.passage_vectors.clear_first = False  # the store holds the kept segments' passages
    data.next_sentence_id, data.next_passage_id = live.next_sentence_id, live.next_passage_id
    data.removed = dict(live.removed)
    return data


def emptied(data: WriterIndex) -> None:
    """Forget what ``data`` holds after it was saved as a segment; its ids go on."""
    for table in data.by_document():
        table.clear()
    data.sentence_vectors = new_vector_index(data.dim)
    if not isinstance(data.passage_vectors, StoredPassages):
        data.passage_vectors = new_vector_index(data.dim)
    data.lexical = data.passage_lexical = None


MAX_SEGMENTS = 8  # more, and the smallest are merged
MERGE_FACTOR = 4  # … this many into one


def segments_to_merge(index_dir: Path) -> list[str]:
    """Size-tiered: when the live generation has more than ``MAX_SEGMENTS`` segments, its
    ``MERGE_FACTOR`` smallest (by searchable sentences); none otherwise."""
    names = live_segments(index_dir)
    if len(names) <= MAX_SEGMENTS:
        return []
    return sorted(names, key=lambda n: (segment_rows(index_dir / n), n))[:MERGE_FACTOR]


def merge(index_dir: Path, names: Sequence[str] | None = None) -> str | None:
    """Write the named segments of the live generation (all, when None) as one, in a new
    generation beside the others; returns its name, None when there is nothing to merge.
    Readers go on with the old generation until they look again; a kill at any moment
    leaves the old state or the new one."""
    live = current_generation(index_dir)
    if live is None:
        return None
    manifest = _read_json(index_dir / live / "manifest.json")
    every = segments_of(manifest, live)
    chosen = list(every if names is None else names)
    if len(chosen) < 2 or any(n not in every for n in chosen):
        return None
    common = _common(manifest, live)
    shared = StoredPassages(manifest["passage_store"], common["dim"]) if manifest.get("passage_store") else None
    gone = deleted_of(manifest)
    loaded = [
        segments.without_documents(_load_whole(index_dir / n, common, shared), gone.get(n, frozenset())) for n in chosen
    ]
    merged = segments.merge_whole(loaded, common, shared)
    others = [n for n in every if n not in chosen]
    return save(index_dir, merged, keep=others, deleted={n: gone[n] for n in others if n in gone})


def complete_facts(index_dir: Path) -> list[str]:
    """Write the saved facts (``facts``) of the live segments that have none, or another
    language version's: worked out from their texts and terms, beside their files (a
    segment's other files stay as they are; a reader that opens it afterwards reads them).
    Returns the segments completed. The caller holds the writer's lock."""
    done = []
    for name in live_segments(index_dir):
        folder = index_dir / name
        if facts_.RowFacts.open(folder / facts_.FOLDER) is not None:
            continue
        shape = columns_.open_mapped(folder / columns_.FOLDER)
        tables = Tables(folder / TABLES)
        try:
            texts, found = [], []
            bounds = np.asarray(shape.doc_rows)
            for d, doc_id in enumerate(shape.doc_ids):
                text = tables.value("texts", doc_id) or ""
                row_terms = json.loads(tables.value("terms", doc_id) or "[]")
                rows = range(int(bounds[d]), int(bounds[d + 1]))
                if len(row_terms) != len(rows):
                    raise IndexStateError(f"{name}: the terms of {doc_id} do not match its sentences")
                texts += [text[int(shape.row_start[r]) : int(shape.row_end[r])] for r in rows]
                found += row_terms
        finally:
            tables.close()
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-facts-", dir=folder))
        try:
            shutil.rmtree(folder / facts_.FOLDER, ignore_errors=True)  # another version's
            facts_.write(tmp / facts_.FOLDER, facts_.records(texts, found))
            for child in tmp.rglob("*"):
                fsync(child)
            os.rename(tmp / facts_.FOLDER, folder / facts_.FOLDER)
            fsync(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        done.append(name)
    return done


def deletions(index_dir: Path, names: Sequence[str], doc_ids: Iterable[str]) -> dict[str, set[str]]:
    """The live generation's deletions per segment, with ``doc_ids`` deleted from whichever
    of the segments ``names`` holds each live (a removed or changed document)."""
    live = current_generation(index_dir)
    gone = deleted_of(_read_json(index_dir / live / "manifest.json")) if live else {}
    out = {seg: set(docs) for seg, docs in gone.items()}
    wanted = set(doc_ids)
    for name in names:
        if not wanted:
            break
        with open(index_dir / name / columns_.FOLDER / "docs.json", encoding="utf-8") as f:
            held = (set(json.load(f)["doc_ids"]) & wanted) - gone.get(name, frozenset())
        if held:
            out.setdefault(name, set()).update(held)
            wanted -= held
    return out


def live_format(index_dir: Path) -> int | None:
    """The live generation's format version (None without one)."""
    name = current_generation(index_dir)
    if name is None:
        return None
    try:
        return int(_read_json(index_dir / name / "manifest.json").get("format_version", 0))
    except (OSError, ValueError):
        return None


@overload
def load(index_dir: Path, *, mapped: Literal[False] = False) -> WriterIndex: ...


@overload
def load(index_dir: Path, *, mapped: Literal[True], previous: IndexData | None = None) -> MappedIndex: ...


@overload
def load(index_dir: Path, *, mapped: bool, previous: IndexData | None = None) -> IndexData: ...


def load(index_dir: Path, *, mapped: bool = False, previous: IndexData | None = None) -> IndexData:
    """Read the live generation; raises IndexStateError when missing or corrupt.

    ``mapped`` opens the vectors read-only and memory-mapped, for searching: opening costs
    no copy, and only the pages a search touches are read. A writer loads them whole
    (the default), since it changes them. ``previous``: a generation this process opened
    mapped before; the segments the two share are taken from it, not opened again, and
    when the new one only adds segments after them its columns grow from the old ones'."""
    attempts = _LOAD_ATTEMPTS
    while True:
        name = current_generation(index_dir)
        if name is None:
            raise IndexStateError(f"No index at {index_dir}. Run 'assistant index' first.")
        try:
            return _load_generation(index_dir, name, mapped, previous)
        except IndexStateError:
            # A slow reader can see its generation collected by writers that moved on
            # twice meanwhile; the live one is then whole, so read that instead.
            attempts -= 1
            if attempts == 0 or current_generation(index_dir) == name:
                raise


def _load_generation(index_dir: Path, name: str, mapped: bool = False, previous: IndexData | None = None) -> IndexData:
    folder = index_dir / name
    try:
        manifest = _read_json(folder / "manifest.json")
        if manifest.get("format_version") not in READS:
            raise IndexFormatChanged(
                f"The index at {index_dir} has format {manifest.get('format_version')}, "
                f"this version reads {' and '.join(map(str, READS))}. Rebuild it with 'assistant index --rebuild'."
            )
        common = _common(manifest, name)
        shared = StoredPassages(manifest["passage_store"], common["dim"]) if manifest.get("passage_store") else None
        names = segments_of(manifest, name)
        deleted = deleted_of(manifest)
        gone = [deleted.get(seg, frozenset()) for seg in names]
        if mapped:
            keys = list(zip(names, gone, strict=True))
            if len(keys) == 1 and not gone[0]:
                return _open_mapped(index_dir / names[0], common, shared)  # its own manifest's fields
            known = previous.opened if isinstance(previous, MappedIndex) else {}
            opened = [
                known.get(key) or _open_mapped(index_dir / seg, common, shared)
                for key, seg in zip(keys, names, strict=True)
            ]
            # the old generation's segments first, and more after them: its columns grow
            grows = previous if isinstance(previous, MappedIndex) and list(known) == keys[: len(known)] else None
            combined = segments.combine(opened, common, shared, gone, grows=grows)
            combined.opened = dict(zip(keys, opened, strict=True))
            return combined
        loaded = [
            segments.without_documents(_load_whole(index_dir / seg, common, shared), g)
            for seg, g in zip(names, gone, strict=True)
        ]
        return loaded[0] if len(loaded) == 1 else segments.merge_whole(loaded, common, shared)
    except AssistantError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError, sqlite3.Error) as error:
        raise IndexStateError(
            f"The index at {index_dir} is unreadable ({error}). Rebuild it with 'assistant index --rebuild'."
        ) from error


def _common(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    """The manifest's fields every IndexData has."""
    return {
        "model": manifest["model"],
        "dim": int(manifest["dim"]),
        "segmentation": manifest["segmentation"],
        "removed": manifest.get("removed", {}),
        "next_sentence_id": int(manifest["next_sentence_id"]),
        "next_passage_id": int(manifest["next_passage_id"]),
        "generation": name,
        "passage_store": manifest.get("passage_store"),
    }


def segments_of(manifest: dict[str, Any], name: str) -> list[str]:
    """The segments (generation folders holding their files) a generation is made of."""
    return [str(seg) for seg in manifest.get("segments", [name])]


def deleted_of(manifest: dict[str, Any]) -> dict[str, frozenset[str]]:
    """Per segment of a generation, the documents deleted from it (removed or changed since)."""
    return {str(seg): frozenset(docs) for seg, docs in (manifest.get("deleted") or {}).items()}


def _passage_vectors(folder: Path, shared: StoredPassages | None, mapped: bool) -> Any:
    if shared is not None:
        return shared
    faiss = faiss_module()
    flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mapped else 0
    return faiss.read_index(str(folder / "passages.faiss"), flags)


def _open_mapped(folder: Path, common: dict[str, Any], shared: StoredPassages | None) -> MappedIndex:
    """One segment as a reader sees it: vectors read-only and memory-mapped, tables read per document."""
    tables = Tables(folder / TABLES)
    texts = tables.mapping("texts", str, cache=256)
    shape = columns_.open_mapped(folder / columns_.FOLDER)
    return MappedIndex(
        **common,
        # its ids are the columns' (both sorted, written from the same documents): listing
        # or counting the documents reads no table
        documents=tables.mapping("documents", _document, keys=shape.doc_ids),
        texts=texts,
        sentences=tables.mapping("sentences", lambda rows, doc_id: _sentences(rows, doc_id, texts[doc_id]), cache=256),
        passages=tables.mapping("passages", _passages, cache=256),
        doc_terms=tables.mapping("doc_terms", lambda raw, _: frozenset(json.loads(raw)), cache=4096),
        columns=shape,
        row_vectors=columns_.RowVectors(folder / VECTORS),
        lexical=LexicalIndex.open(folder / "sentences.bm25"),
        passage_lexical=LexicalIndex.open(folder / "passages.bm25"),
        passage_vectors=_passage_vectors(folder, shared, mapped=True),
        facts=facts_.RowFacts.open(folder / facts_.FOLDER),
    )


def _load_whole(folder: Path, common: dict[str, Any], shared: StoredPassages | None) -> WriterIndex:
    """One segment as a writer holds it: everything in memory, to be changed."""
    tables = Tables(folder / TABLES)
    try:
        texts = dict(tables.rows("texts"))
        data = WriterIndex(
            **common,
            documents={d: _document(v, d) for d, v in tables.rows("documents")},
            texts=texts,
            sentences={d: _sentences(v, d, texts[d]) for d, v in tables.rows("sentences")},
            passages={d: _passages(v, d) for d, v in tables.rows("passages")},
            terms={d: json.loads(v) for d, v in tables.rows("terms")},
            sentence_vectors=new_vector_index(common["dim"]),
            passage_vectors=_passage_vectors(folder, shared, mapped=False),
        )
    finally:
        tables.close()
    saved = facts_.RowFacts.open(folder / facts_.FOLDER)
    if saved is not None:
        bounds = np.load(folder / columns_.FOLDER / "doc_rows.npy", allow_pickle=False)
        raw = saved.rows(np.arange(len(saved)))
        for d, doc_id in enumerate(sorted(data.documents)):
            data.facts[doc_id] = raw[int(bounds[d]) : int(bounds[d + 1])]
    row_ids = np.array([s.id for s in columns_.searchable_rows(data)], dtype=np.int64)
    vectors = np.asarray(np.load(folder / VECTORS, allow_pickle=False), dtype=np.float32)
    if len(vectors):
        data.sentence_vectors.add_with_ids(vectors, row_ids)
    return data


def save(
    index_dir: Path, data: WriterIndex, keep: Sequence[str] = (), deleted: Mapping[str, Iterable[str]] | None = None
) -> str:
    """Write ``data`` as a new generation and make it live atomically; returns its name.

    Without ``keep``, ``data`` is the whole index. With it, the new generation is made of
    the segments named in ``keep`` (of the live generation: their files stay where they are)
    and ``data``, which holds only documents none of them holds (an added article costs
    what the article costs). ``deleted``: per kept segment, the documents deleted from it
    (a removed or changed file: the changed one's new version is in ``data``)."""
    faiss = faiss_module()

    index_dir.mkdir(parents=True, exist_ok=True)
    previous = current_generation(index_dir)
    name = next_generation_name(index_dir)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=index_dir))
    try:
        doc_ids = sorted(data.documents)
        gone = {seg: sorted(set((deleted or {}).get(seg, ()))) for seg in keep}
        gone = {seg: docs for seg, docs in gone.items() if docs}
        kept_documents = sum(_segment_documents(index_dir / seg) - len(gone.get(seg, ())) for seg in keep)
        manifest = {
            "format_version": FORMAT_VERSION,
            "model": data.model,
            "dim": data.dim,
            "segmentation": data.segmentation,
            "next_sentence_id": data.next_sentence_id,
            "next_passage_id": data.next_passage_id,
            "removed": data.removed,
            "passage_store": data.passage_store,
            "documents": kept_documents + len(doc_ids),
            "own_documents": len(doc_ids),  # in this folder's files
            "segments": [*keep, name] if doc_ids or not keep else list(keep),
            "deleted": gone,
        }
        _write_tables(tmp / TABLES, data, doc_ids)
        shape = columns_.build(data)
        columns_.save(tmp / columns_.FOLDER, shape)
        facts_.write(tmp / facts_.FOLDER, _facts(data))
        columns_.save_vectors(tmp / VECTORS, shape, *stored_vectors(data.sentence_vectors))
        if isinstance(data.passage_vectors, StoredPassages):
            # the store first: the generation that lists these passages commits after them
            data.passage_vectors.apply(data)
        else:
            faiss.write_index(data.passage_vectors, str(tmp / "passages.faiss"))
        lexical, passage_lexical = _built_lexical(data, shape)
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
    kept = {name, *keep}
    cited = [f for seg in keep for f in _cited_by(index_dir / seg)] + [d.file for d in data.documents.values()]
    if previous:
        kept.update([previous, *_segments_or_none(index_dir, previous)])
        cited += [f for seg in _segments_or_none(index_dir, previous) for f in _cited_by(index_dir / seg)]
    collect_garbage(index_dir, kept, cited)
    return name


def _facts(data: WriterIndex) -> list[bytes]:
    """Every row's facts, in row order: as loaded where a document kept them, else worked out."""
    out: list[bytes] = []
    for doc_id in sorted(data.sentences):
        kept = data.facts.get(doc_id)
        row_terms = data.terms.get(doc_id, [])
        if kept is not None and len(kept) == len(row_terms):
            out += kept
        else:
            out += facts_.records((s.text for s in data.sentences[doc_id] if s.searchable), row_terms)
    return out


def live_segments(index_dir: Path) -> list[str]:
    """The segments the live generation is made of ([] without one)."""
    name = current_generation(index_dir)
    return [] if name is None else _segments_or_none(index_dir, name)


def _segments_or_none(index_dir: Path, name: str) -> list[str]:
    try:
        return segments_of(_read_json(index_dir / name / "manifest.json"), name)
    except (OSError, ValueError):
        return [name]  # unreadable: keep at least its own folder


def _segment_documents(folder: Path) -> int:
    manifest = _read_json(folder / "manifest.json")
    return int(manifest.get("own_documents", manifest.get("documents", 0)))


def segment_rows(folder: Path) -> int:
    """How many searchable sentences a segment holds (its size, for merging)."""
    return int(np.load(folder / columns_.FOLDER / "row_id.npy", mmap_mode="r").shape[0])


TABLES = "tables.sqlite"
VECTORS = "vectors.npy"
_TABLE_NAMES = ("documents", "texts", "sentences", "passages", "terms", "doc_terms")


class Tables:
    """A generation's per-document tables (SQLite, opened read-only and immutable: the
    file never changes once its generation is written).

    The connection is opened at once, so a generation collected by a writer meanwhile
    stays readable to the reader that opened it."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise OSError(f"{path.name} is missing")
        self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        found = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if missing := [t for t in _TABLE_NAMES if t not in found]:
            self._db.close()
            raise OSError(f"{path.name} lacks the tables {', '.join(missing)}")

    def close(self) -> None:
        self._db.close()

    def rows(self, table: str) -> Iterator[tuple[str, str]]:
        with self._lock:
            found = self._db.execute(f"SELECT doc_id, value FROM {table} ORDER BY doc_id").fetchall()  # noqa: S608
        return iter(found)

    def value(self, table: str, doc_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(f"SELECT value FROM {table} WHERE doc_id = ?", (doc_id,)).fetchone()  # noqa: S608
        return None if row is None else row[0]

    def field(self, table: str, key: str) -> list[tuple[str, Any]]:
        """(doc id, one field of its JSON value) of every row, read by SQLite without
        decoding the rows in Python."""
        with self._lock:
            return self._db.execute(f"SELECT doc_id, json_extract(value, ?) FROM {table}", (f"$.{key}",)).fetchall()  # noqa: S608

    def keys(self, table: str) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute(f"SELECT doc_id FROM {table} ORDER BY doc_id")]  # noqa: S608

    def mapping(
        self, table: str, decode: Callable[[str, str], Any] | type[str], cache: int = 0, keys: list[str] | None = None
    ) -> TableMapping:
        return TableMapping(self, table, decode, cache, keys)


class TableMapping(Mapping[str, Any]):
    """One table, by document id, decoded on access; the last ``cache`` values kept
    (all, when 0)."""

    def __init__(
        self,
        tables: Tables,
        table: str,
        decode: Callable[[str, str], Any] | type[str],
        cache: int,
        keys: list[str] | None = None,
    ) -> None:
        self._tables = tables
        self._table = table
        self._decode: Callable[[str, str], Any] | None = (
            None if decode is str else cast(Callable[[str, str], Any], decode)
        )
        self._cache_size = cache
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._keys: list[str] | None = keys  # the sorted ids, when the caller has them already
        self._lock = threading.Lock()

    def __getitem__(self, doc_id: str) -> Any:
        with self._lock:
            if doc_id in self._cache:
                self._cache.move_to_end(doc_id)
                return self._cache[doc_id]
        raw = self._tables.value(self._table, doc_id)
        if raw is None:
            raise KeyError(doc_id)
        value = raw if self._decode is None else self._decode(raw, doc_id)
        with self._lock:
            self._cache[doc_id] = value
            if self._cache_size and len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return value

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._tables.value(self._table, doc_id) is not None

    def field(self, key: str) -> list[tuple[str, Any]]:
        """(doc id, the field ``key`` of its stored value) for every document of the table."""
        return self._tables.field(self._table, key)

    def _all_keys(self) -> list[str]:
        if self._keys is None:
            self._keys = self._tables.keys(self._table)
        return self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._all_keys())

    def __len__(self) -> int:
        return len(self._all_keys())


def _write_tables(path: Path, data: WriterIndex, doc_ids: list[str]) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")  # a fresh file in an unpublished folder, fsynced after
        for table in _TABLE_NAMES:
            extra = ", file TEXT" if table == "documents" else ""
            db.execute(f"CREATE TABLE {table} (doc_id TEXT PRIMARY KEY, value TEXT NOT NULL{extra}) WITHOUT ROWID")
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        with db:
            db.executemany(
                "INSERT INTO documents VALUES (?, ?, ?)",
                ((d, dumps(_document_dict(data.documents[d])), data.documents[d].file) for d in doc_ids),
            )
            db.executemany("INSERT INTO texts VALUES (?, ?)", ((d, data.texts[d]) for d in doc_ids))
            db.executemany(
                "INSERT INTO sentences VALUES (?, ?)",
                (
                    (d, dumps([[s.id, s.start, s.end, s.position, s.passage, s.kind] for s in data.sentences[d]]))
                    for d in doc_ids
                ),
            )
            db.executemany(
                "INSERT INTO passages VALUES (?, ?)",
                (
                    (d, dumps([[p.id, p.start, p.end, p.first, p.last] for p in data.passages.get(d, [])]))
                    for d in doc_ids
                ),
            )
            db.executemany("INSERT INTO terms VALUES (?, ?)", ((d, dumps(data.terms.get(d, []))) for d in doc_ids))
            db.executemany(
                "INSERT INTO doc_terms VALUES (?, ?)",
                ((d, dumps(sorted({t for row in data.terms.get(d, []) for t in row}))) for d in doc_ids),
            )
    finally:
        db.close()


def referenced_files(folder: Path) -> list[str]:
    """The files the documents of the generation in ``folder`` cite."""
    tables = Tables(folder / TABLES)
    try:
        with tables._lock:
            return [r[0] for r in tables._db.execute("SELECT file FROM documents")]
    finally:
        tables.close()


def _cited_by(folder: Path) -> list[str]:
    """The files a generation cites; none when it is unreadable (a reader still loading it
    keeps its own open tables)."""
    try:
        return referenced_files(folder)
    except (OSError, ValueError, KeyError, sqlite3.Error):
        return []


def lexical_indexes(data: IndexData, shape: columns_.Columns | None = None) -> tuple[Lexical, Lexical]:
    """The BM25 indexes over the rows and the passages of ``data``: the saved ones it was
    opened with, else built from its stored terms (a writer's)."""
    if data.lexical is not None and data.passage_lexical is not None:
        return data.lexical, data.passage_lexical
    if not isinstance(data, WriterIndex):
        raise TypeError("a reader's index opens the BM25 indexes saved with it")
    return _built_lexical(data, shape)


def _built_lexical(data: WriterIndex, shape: columns_.Columns | None = None) -> tuple[LexicalIndex, LexicalIndex]:
    """BM25 over the rows and the passages of a writer's index, as it is saved."""
    if isinstance(data.lexical, LexicalIndex) and isinstance(data.passage_lexical, LexicalIndex):
        return data.lexical, data.passage_lexical
    shape = shape or columns_.build(data)
    row_tokens = [t for doc in sorted(data.sentences) for t in data.terms[doc]]
    bounds = shape.passage_rows.tolist()
    # A passage's terms are its sentences' terms in order: no second pass over its text.
    passage_tokens = [[t for r in range(a, b) for t in row_tokens[r]] for a, b in itertools.pairwise(bounds)]
    return LexicalIndex(row_tokens), LexicalIndex(passage_tokens)


def content_hashes(documents: Mapping[str, Document]) -> dict[str, str]:
    """Each content hash of ``documents`` with the (first) document id holding it: of a
    mapped generation read by SQLite in one pass per segment, without decoding every record
    (what an add checks its files against, whatever the archive's size)."""
    field = getattr(documents, "field", None)
    pairs = field("sha256") if field is not None else ((d, doc.sha256) for d, doc in documents.items())
    found: dict[str, str] = {}
    for doc_id, sha in pairs:
        found.setdefault(sha, doc_id)
    return found


def store_text(index_dir: Path, sha256: str, text: str) -> Path:
    """Save extracted text once per content hash; citations of such documents point here."""
    folder = index_dir / "texts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sha256}.txt"
    if not path.exists():
        atomic_write_bytes(path, text.encode("utf-8"))
    return path


# --- tables -------------------------------------------------------------------------------


def _sentences(raw: str, doc_id: str, text: str) -> list[Sentence]:
    return [
        Sentence(sid, doc_id, start, end, text[start:end], position, passage, kind)
        for sid, start, end, position, passage, kind in json.loads(raw)
    ]


def _passages(raw: str, doc_id: str) -> list[PassageRow]:
    return [PassageRow(pid, doc_id, start, end, first, last) for pid, start, end, first, last in json.loads(raw)]


def _document_dict(doc: Document) -> dict[str, Any]:
    d = asdict(doc)
    d["pages"] = [list(p) for p in doc.pages]
    return d


def _document(raw: str, doc_id: str = "") -> Document:
    d = json.loads(raw)
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
        stat=tuple(int(v) for v in d["stat"]) if d.get("stat") else None,  # type: ignore[arg-type]
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
