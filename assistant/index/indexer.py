"""Bringing the index up to date with a docs folder: only new or changed files are embedded."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.config import Config
from assistant.errors import DocumentError, IndexMismatch, IndexStateError
from assistant.files import sha256_file
from assistant.index import store, twins
from assistant.index.embed import Embedder
from assistant.index.model import IndexData, MappedIndex, WriterIndex
from assistant.index.passage_vectors import StoredPassages
from assistant.ingest import loaders, published
from assistant.ingest.segment import Span, segment
from assistant.language.terms import row_terms
from assistant.types import Document, DocumentMeta, FileOutcome, LoadedText, PassageRow, Sentence

Progress = Callable[[str, int, int], None]
SIDECAR = "metadata.json"
_EMBED_CHUNK = 256


@dataclass
class SyncReport:
    """What an update did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[DocumentError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already indexed, with the reason
    sentences_embedded: int = 0
    files: list[FileOutcome] = field(default_factory=list)  # Assistant.add: one per file it was given

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class _Pending:
    doc_id: str
    path: Path
    sha256: str
    stat: tuple[int, int, int] | None = None  # (size, mtime_ns, when seen), taken before hashing


def check_compatible(data: IndexData, embedder: Embedder, config: Config) -> None:
    """Refuse an index built with another model; its vectors would be garbage to us."""
    if data.model != embedder.name or data.dim != embedder.dim:
        raise IndexMismatch(
            f"The index at {config.index_dir} was built with model {data.model} ({data.dim} dims); "
            f"this run uses {embedder.name} ({embedder.dim} dims). "
            "Use the same --model, or rebuild with 'assistant index --rebuild'."
        )
    wanted = config.store_spec
    if wanted is not None and wanted != data.passage_store:
        # without --store an index goes on using the store it was built with
        raise IndexMismatch(
            f"The index at {config.index_dir} keeps its passage vectors in "
            f"{data.passage_store or 'its own files'}, not {wanted}. "
            "Leave out --store, or move the index with 'assistant index --rebuild --store …'."
        )


Plan = tuple[list["_Pending"], list[str], list[DocumentError]]


def plan(
    data: IndexData | None, config: Config, restore: frozenset[str] = frozenset(), only: Sequence[Path] | None = None
) -> Plan:
    """Files to (re)index and doc ids to drop so that the index mirrors the docs folder.

    Documents removed by hand stay out while their file is unchanged, unless named in ``restore``.
    ``only``: just these files of the docs folder or library, new or changed, and nothing
    dropped (an add: its cost is the files', not the folder's).
    """
    docs_dir = config.docs_dir
    if not docs_dir.is_dir():
        raise IndexStateError(f"The docs folder {docs_dir} does not exist.")
    if only is not None:
        files, errors = list(only), list[DocumentError]()
    else:
        files, errors = _discover(config)
    known = data.documents if data else {}
    removed = data.removed if data else {}
    pending: list[_Pending] = []
    present: set[str] = set()
    for path in files:
        if path.name == SIDECAR:
            continue
        doc_id = config.doc_id_of(path)
        present.add(doc_id)
        doc = known.get(doc_id)
        try:
            seen = _stat(path)
            digest = doc.sha256 if doc is not None and unchanged(doc.stat, seen) else sha256_file(path)
        except OSError as error:
            errors.append(DocumentError(str(path), f"cannot be read ({error.strerror})"))
            continue
        if removed.get(doc_id) == digest and doc_id not in restore:
            continue
        if doc is None or doc.sha256 != digest:
            pending.append(_Pending(doc_id, path, digest, seen))
    gone = [] if only is not None else [d for d in known if d not in present]
    return pending, gone, errors


def _discover(config: Config) -> tuple[list[Path], list[DocumentError]]:
    """Every readable file of the docs folder and the library."""
    roots, skip = [config.docs_dir], [config.index_dir]
    if config.library_dir is not None:
        skip.append(config.library_dir)  # its files have ids of their own, even inside the docs folder
        if config.library_dir.is_dir():
            roots.append(config.library_dir)
    files, errors = loaders.discover([config.docs_dir], exclude=skip)
    if len(roots) > 1:
        more, more_errors = loaders.discover(roots[1:], exclude=[config.index_dir])
        files, errors = [*files, *more], [*errors, *more_errors]
    return files, errors


# A file whose time is this close to when it was seen may change again within the same
# tick of a coarse file-system clock without its time changing: it is hashed every time.
RACY_NS = 2_000_000_000


def _stat(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, time.time_ns())


def unchanged(recorded: tuple[int, int, int] | None, seen: tuple[int, int, int]) -> bool:
    """Whether a file is the one hashed when ``recorded`` was taken: the same size and
    modification time, that time well before the moment it was recorded (as git and rsync
    judge a file unchanged; a file rewritten with its old size and time set back by hand
    goes unnoticed until ``--rebuild``)."""
    if recorded is None:
        return False
    size, mtime_ns, seen_ns = recorded
    return seen[:2] == (size, mtime_ns) and seen_ns - mtime_ns > RACY_NS


def sync(
    data: WriterIndex | None,
    config: Config,
    embedder: Embedder,
    progress: Progress | None = None,
    restore: frozenset[str] = frozenset(),
    preloaded: Mapping[str, LoadedText] | None = None,
    checkpoint: Callable[[WriterIndex], object] | None = None,
    known: IndexData | None = None,
    planned: Plan | None = None,
) -> tuple[WriterIndex, SyncReport]:
    """Mirror the docs folder into ``data`` (a new IndexData when None); caller saves it.

    ``preloaded`` holds files already parsed, by content hash: a file whose bytes hash the
    same has the same text, so it is not parsed again. Files are read and embedded in
    batches; after each batch but the last, ``checkpoint`` (a save) makes what is done so
    far durable, so that a build killed midway resumes where it was. A batch is at least
    ``CHECKPOINT_FILES`` files and a quarter of the documents already indexed: saving
    whole generations, the saves of a build then cost a constant share of it.

    ``known``: the index the docs folder is compared with, when ``data`` holds only what
    is to be added beside it (a new segment); by default ``data`` itself. ``planned``:
    that comparison (``plan``), when the caller has just made it.
    """
    seg = config.segmentation.as_dict()
    passage_store = config.store_spec or (data.passage_store if data is not None else None)
    if data is not None and data.segmentation != seg:
        data = None  # cut differently: every sentence id would change, start afresh
    pending, gone, errors = planned or plan(known if known is not None else data, config, restore)
    if data is None:
        data = store.empty_index(embedder.name, embedder.dim, seg, passage_store)
    report = SyncReport(errors=errors)
    for doc_id in gone:
        drop(data, doc_id)
        report.removed.append(doc_id)
    sidecar = _read_sidecar(config.docs_dir)
    loaded: list[tuple[_Pending, LoadedText]] = []
    for n, item in enumerate(pending, 1):
        if checkpoint is not None and len(loaded) >= max(CHECKPOINT_FILES, len(data.documents) // 4):
            _ingest_batch(data, loaded, config, embedder, sidecar, progress, report, known)
            checkpoint(data)
            loaded = []
        try:
            text = (preloaded or {}).get(item.sha256) or loaders.load(item.path, max_bytes=config.max_file_bytes)
            if text.sha256 and text.sha256 != item.sha256:  # rewritten since it was hashed: keep what was read
                item = replace(item, sha256=text.sha256, stat=None)
            loaded.append((item, text))
        except DocumentError as error:
            report.errors.append(error)
            # The file changed into something unreadable: its old offsets no longer
            # slice it, so the old version must not stay citable.
            # (a new segment's caller deletes the old version from its segment)
            if drop(data, item.doc_id) or (known is not None and item.doc_id in known.documents):
                report.removed.append(item.doc_id)
        if progress:
            progress("files", n, len(pending))
    _ingest_batch(data, loaded, config, embedder, sidecar, progress, report, known)
    _refresh_locations(data, config, sidecar)
    return data, report


CHECKPOINT_FILES = 500


def _ingest_batch(
    data: WriterIndex,
    loaded: list[tuple[_Pending, LoadedText]],
    config: Config,
    embedder: Embedder,
    sidecar: dict[str, dict[str, object]],
    progress: Progress | None,
    report: SyncReport,
    beside: IndexData | None = None,
) -> None:
    existing = set(data.documents)
    if beside is not None:  # a new segment: a document of another segment is updated, not added
        existing |= {item.doc_id for item, _ in loaded if item.doc_id in beside.documents}
    report.sentences_embedded += ingest(data, loaded, config, embedder, sidecar, progress, beside)
    for item, _ in loaded:
        (report.updated if item.doc_id in existing else report.added).append(item.doc_id)


def ingest(
    data: WriterIndex,
    items: Sequence[tuple[_Pending, LoadedText]],
    config: Config,
    embedder: Embedder,
    sidecar: dict[str, dict[str, object]],
    progress: Progress | None = None,
    beside: IndexData | None = None,
) -> int:
    """Segment, embed and add documents (replacing any with the same id); returns sentences
    embedded. ``beside``: the generation ``data`` is a new segment of, if it is one."""
    _writable(data)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    data.lexical = data.passage_lexical = None  # built again from the terms when saved
    sentence_texts: list[str] = []
    sentence_ids: list[int] = []
    passage_ids: list[int] = []
    passage_rows: list[list[int]] = []  # for each passage, the rows of its sentences in sentence_texts
    for item, loaded in items:
        drop(data, item.doc_id)
        text = loaded.text
        spans = segment(text, loaded.format, config.segmentation)
        sentences: list[Sentence] = []
        row_of_position: dict[int, int] = {}
        for position, span in enumerate(spans):
            sid = data.next_sentence_id
            data.next_sentence_id += 1
            s = Sentence(
                sid, item.doc_id, span.start, span.end, text[span.start : span.end], position, span.passage, span.kind
            )
            sentences.append(s)
            if s.searchable:
                row_of_position[position] = len(sentence_texts)
                sentence_texts.append(s.text)
                sentence_ids.append(sid)
        passages = _passages(data, item.doc_id, sentences)
        for p in passages:
            passage_ids.append(p.id)
            passage_rows.append([row_of_position[k] for k in range(p.first, p.last + 1) if k in row_of_position])
        file = str(item.path.resolve())
        if loaders.needs_stored_text(loaded):
            file = str(store.store_text(config.index_dir, item.sha256, text).resolve())
        data.documents[item.doc_id] = Document(
            doc_id=item.doc_id,
            source=str(item.path.resolve()),
            file=file,
            format=loaded.format,
            sha256=item.sha256,
            meta=_merge_meta(_with_headline(loaded.meta, text, spans), sidecar.get(item.doc_id)),
            n_sentences=len(sentences),
            added_at=now,
            pages=loaded.pages,
            dating=published.date_document(loaded.meta, loaded.format, text, sentences, sidecar.get(item.doc_id)),
            stat=item.stat,
        )
        data.texts[item.doc_id] = text
        data.sentences[item.doc_id] = sentences
        data.terms[item.doc_id] = [row_terms(s.text) for s in sentences if s.searchable]
        data.facts.pop(item.doc_id, None)  # worked out anew when saved
        data.passages[item.doc_id] = passages
        data.removed.pop(item.doc_id, None)
    sentence_vectors = _encode(sentence_texts, embedder, progress, "sentences")
    _add(data.sentence_vectors, sentence_vectors, sentence_ids)
    passage_vectors = _mean_vectors(sentence_vectors, passage_rows, embedder.dim)
    _add(data.passage_vectors, passage_vectors, passage_ids)
    twins.date_twins(data, [item.doc_id for item, _ in items])
    if isinstance(beside, MappedIndex):  # a new segment: its twins may be in the others
        twins.date_twins_beside(data, [item.doc_id for item, _ in items], beside)
    return len(sentence_texts)


def drop(data: WriterIndex, doc_id: str) -> bool:
    """Remove a document's rows and vectors; True when it was there."""
    _writable(data)
    if doc_id not in data.documents:
        return False
    sids = np.array([s.id for s in data.sentences[doc_id]], dtype=np.int64)
    pids = np.array([p.id for p in data.passages.get(doc_id, [])], dtype=np.int64)
    if sids.size:
        data.sentence_vectors.remove_ids(sids)
    if isinstance(data.passage_vectors, StoredPassages):
        data.passage_vectors.remove_document(doc_id)
    elif pids.size:
        data.passage_vectors.remove_ids(pids)
    for table in data.by_document():
        table.pop(doc_id, None)
    data.lexical = data.passage_lexical = None  # built again from the terms when saved
    return True


def _writable(data: IndexData) -> None:
    # FAISS aborts the process on a write to a read-only mapped index: refuse before that
    if data.mapped:
        raise RuntimeError("This index was opened read-only for searching; a writer loads it with store.load().")


def _passages(data: WriterIndex, doc_id: str, sentences: list[Sentence]) -> list[PassageRow]:
    groups: dict[int, list[Sentence]] = {}
    for s in sentences:
        if s.searchable:
            groups.setdefault(s.passage, []).append(s)
    rows = []
    for members in groups.values():
        rows.append(
            PassageRow(
                data.next_passage_id,
                doc_id,
                members[0].start,
                members[-1].end,
                members[0].position,
                members[-1].position,
            )
        )
        data.next_passage_id += 1
    return rows


def _mean_vectors(vectors: np.ndarray, groups: list[list[int]], dim: int) -> np.ndarray:
    """One unit vector per group: the normalised mean of its members' vectors.

    A passage's vector is the mean of its sentences' vectors rather than an encoding of
    its text: bulk ingest then embeds every sentence once and nothing twice (encoding
    passages too cost 45% of a bulk add), and held-out squad2-dev answer@1 did not move
    (0.784 either way, training/train_ranker.py on indexes built both ways).
    """
    out = np.zeros((len(groups), dim), dtype=np.float32)
    for n, rows in enumerate(groups):
        v = vectors[rows].sum(axis=0)
        out[n] = v / max(float(np.linalg.norm(v)), 1e-12)
    return out


def _encode(texts: list[str], embedder: Embedder, progress: Progress | None, stage: str) -> np.ndarray:
    """Vectors of ``texts`` in their order, encoded in chunks for progress reports.

    Chunks are cut from the texts sorted by length, as sentence-transformers sorts within
    one call: a chunk of mixed lengths pads every text to its longest and cost 15-20% of
    the throughput on news and Wikipedia text.
    """
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda n: len(texts[n]), reverse=True)
    for lo in range(0, len(order), _EMBED_CHUNK):
        rows = order[lo : lo + _EMBED_CHUNK]
        vectors[rows] = embedder.encode([texts[n] for n in rows])
        if progress:
            progress(stage, lo + len(rows), len(texts))
    return vectors


def _add(index, vectors: np.ndarray, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    if ids:
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))


def _read_sidecar(docs_dir: Path) -> dict[str, dict[str, object]]:
    """Optional ``metadata.json``: doc id -> known metadata (title, publisher, …; null if unknown)."""
    path = docs_dir / SIDECAR
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


_META_FIELDS = tuple(DocumentMeta.__dataclass_fields__)


def _with_headline(meta: DocumentMeta, text: str, spans: Sequence[Span]) -> DocumentMeta:
    """A document without a known title takes the headline its segmentation found."""
    if meta.title:
        return meta
    headline = next((s for s in spans if s.kind == "headline"), None)
    return replace(meta, title=text[headline.start : headline.end].strip()) if headline else meta


def _merge_meta(found: DocumentMeta, known: dict[str, object] | None) -> DocumentMeta:
    if not known:
        return found
    updates = {k: str(v) for k, v in known.items() if k in _META_FIELDS and v not in (None, "")}
    return replace(found, **updates)


def needs_refresh(data: IndexData, config: Config) -> bool:
    """Whether a document's path or sidecar metadata changed since it was indexed (what
    ``_refresh_locations`` would rewrite)."""
    sidecar = _read_sidecar(config.docs_dir)
    for doc_id in sidecar:
        doc = data.documents.get(doc_id)
        if doc is not None and _merge_meta(doc.meta, sidecar.get(doc_id)) != doc.meta:
            return True
    # where each file is, from the folders resolved once (a path resolved per document
    # costs a system call per directory level); only a mismatch is resolved in full
    library = config.library_dir.resolve() if config.library_dir is not None else None
    roots = replace(config, docs_dir=config.docs_dir.resolve(), library_dir=library)
    for doc_id, doc in data.documents.items():
        if doc.source != str(roots.path_of(doc_id)):
            path = config.path_of(doc_id)
            if doc.source != str(path.resolve()) and path.is_file():
                return True
    return False


def _refresh_locations(data: WriterIndex, config: Config, sidecar: dict[str, dict[str, object]]) -> None:
    """A moved checkout or edited sidecar changes paths and metadata, not vectors."""
    for doc_id, doc in list(data.documents.items()):
        path = config.path_of(doc_id)
        source = str(path.resolve())
        meta = _merge_meta(doc.meta, sidecar.get(doc_id))
        if meta.published != doc.meta.published:  # the sidecar's date changed: so do the text's dates
            dating = published.date_document(
                meta, doc.format, data.texts[doc_id], data.sentences[doc_id], sidecar.get(doc_id)
            )
            doc = data.documents[doc_id] = replace(doc, dating=dating)
        if doc.source != source and path.is_file():
            file = source if doc.file == doc.source else doc.file
            data.documents[doc_id] = replace(doc, source=source, file=file, meta=meta)
        elif meta != doc.meta:
            data.documents[doc_id] = replace(doc, meta=meta)
