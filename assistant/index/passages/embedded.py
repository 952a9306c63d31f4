"""The embedded passage store: SQLite (WAL, FTS5) and FAISS segment files, no server."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import tempfile
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import IndexLocked, IndexMismatch, IndexStateError
from assistant.files import fsync
from assistant.index.model import faiss_module
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

FORMAT = 1
DB_NAME = "passages.sqlite"
SEGMENTS = "segments"
# Segments up to this many rows are exact IndexFlatIP (a flat scan of 10k vectors costs
# ~0.5 ms and needs no build); larger ones are HNSW (see docs/stores.md for the measure).
# The flat segments together hold at most this many too: past it, they are merged into one.
FLAT_MAX = 10_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
# recall@10 at 1M passages (benchmarks/bench_scale.py): 0.890 at 64, 0.939 at 128, 0.974 at 256
# (0.45 ms); at 20k, 0.990 from 64 on
HNSW_EF_SEARCH = 256
# A filtered dense search scores exactly the passages the filter selects when at most this
# many; above, it over-fetches from the ANN index in proportion to the filter's selectivity.
EXACT_MAX = 20_000
# More segments than this after an add: the smallest are merged, size-tiered (never the
# large ones an archive holds: rebuilding a million vectors' HNSW takes minutes)
MAX_SEGMENTS = 12
MERGE_FACTOR = 4
LOC_BITS = 32
_LOCK_TIMEOUT_S = 120.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    published TEXT,
    text TEXT NOT NULL,
    terms TEXT NOT NULL,
    loc INTEGER NOT NULL  -- segment << 32 | row of its vector
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages (doc_id);
CREATE INDEX IF NOT EXISTS passages_published ON passages (published);
CREATE UNIQUE INDEX IF NOT EXISTS passages_loc ON passages (loc);
CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY, file TEXT NOT NULL, rows INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS days (published TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS stats (key TEXT PRIMARY KEY, n INTEGER NOT NULL);
INSERT OR IGNORE INTO stats VALUES ('live', 0);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (
    terms, content='passages', content_rowid='id', tokenize="unicode61 tokenchars '.'"
);
CREATE TRIGGER IF NOT EXISTS passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO fts (rowid, terms) VALUES (new.id, new.terms);
    UPDATE stats SET n = n + 1 WHERE key = 'live';
    INSERT INTO days (published, n) VALUES (new.published, 1)
        ON CONFLICT (published) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO fts (fts, rowid, terms) VALUES ('delete', old.id, old.terms);
    UPDATE stats SET n = n - 1 WHERE key = 'live';
    UPDATE days SET n = n - 1 WHERE published IS old.published;
END;
"""


def _build_index(vectors: np.ndarray) -> Any:
    import faiss

    dim = vectors.shape[1]
    index: Any
    if len(vectors) <= FLAT_MAX:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # a build uses every core
    try:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    finally:
        faiss.omp_set_num_threads(threads)
    return index


class _Segment:
    """An immutable FAISS file, memory-mapped, with a view of its stored vectors."""

    def __init__(self, path: Path, dim: int) -> None:
        faiss = faiss_module()
        # IO_FLAG_MMAP_IFC maps flat and HNSW storage (plain IO_FLAG_MMAP reads them whole)
        self.index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
        self.hnsw = isinstance(self.index, faiss.IndexHNSW)
        flat = faiss.downcast_index(self.index.storage) if self.hnsw else self.index
        self.rows = int(self.index.ntotal)
        self.xb = (
            faiss.rev_swig_ptr(flat.get_xb(), self.rows * dim).reshape(self.rows, dim)
            if self.rows
            else np.zeros((0, dim), np.float32)
        )

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.rows)
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        if self.hnsw:
            params = faiss_module().SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
            scores, rows = self.index.search(query, k, params=params)
        else:
            scores, rows = self.index.search(query, k)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep].astype(np.int64)


@dataclass(frozen=True)
class _Where:
    """An SQL condition on ``passages p`` for the doc and date filters, and its parameters."""

    sql: str
    params: tuple[Any, ...]
    active: bool

    @classmethod
    def of(cls, docs: Collection[str] | None, since: str | None, until: str | None) -> _Where:
        parts: list[str] = []
        params: list[Any] = []
        if docs is not None:
            parts.append("p.doc_id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(sorted(set(docs))))
        if check_date(since, "since") is not None:
            parts.append("p.published >= ?")
            params.append(since)
        if check_date(until, "until") is not None:
            parts.append("p.published <= ?")
            params.append(until)
        return cls(" AND ".join(parts) or "1", tuple(params), bool(parts))


@contextlib.contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, begun at once (the WAL's single writer); rolled back on any error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


class EmbeddedStore:
    """Passages on local disk: SQLite (WAL) for rows and BM25, FAISS segments for vectors.

    Any number of processes may read while one writes (writers take ``.writer.lock``).
    A reader sees one committed state per search: it reads inside one SQLite transaction,
    and segment files never change once written.
    """

    def __init__(self, path: Path, dim: int, *, read_only: bool = False) -> None:
        self.path = path
        self.dim = dim
        self.read_only = read_only
        self._local = threading.local()
        self._segments: dict[int, _Segment] = {}
        self._segments_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        if not read_only:
            (path / SEGMENTS).mkdir(parents=True, exist_ok=True)
            with self._writing() as db:
                db.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
                stored = dict(db.execute("SELECT key, value FROM meta").fetchall())
                if not stored:
                    with db:
                        db.execute("INSERT INTO meta VALUES ('format', ?), ('dim', ?)", (str(FORMAT), str(dim)))
                    stored = {"format": str(FORMAT), "dim": str(dim)}
                self._remove_orphans(db)
        else:
            if not (path / DB_NAME).exists():
                raise IndexStateError(f"No passage store at {path}.")
            stored = dict(self._db().execute("SELECT key, value FROM meta").fetchall())
        if int(stored.get("format", -1)) != FORMAT:
            raise IndexMismatch(f"The passage store at {path} has format {stored.get('format')}; this reads {FORMAT}.")
        if int(stored["dim"]) != dim:
            raise IndexMismatch(f"The passage store at {path} holds {stored['dim']}-dimensional vectors, not {dim}.")

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], dim: int, *, read_only: bool = False) -> EmbeddedStore:
        """Open (creating when missing, unless ``read_only``) the store in folder ``path``."""
        return cls(Path(path), dim, read_only=read_only)

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _db(self) -> sqlite3.Connection:
        """This thread's connection."""
        if self._closed:
            raise IndexStateError("The passage store is closed.")
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path / DB_NAME, timeout=60.0, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=OFF")
            self._local.db = db
            self._connections.append(db)
        return db

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every SELECT inside sees the same committed state."""
        db = self._db()
        if db.in_transaction:  # nested (a search calling a search)
            yield db
            return
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The writer lock, held for a whole write (segment files and transaction)."""
        if self.read_only:
            raise IndexStateError(f"The passage store at {self.path} was opened read-only.")
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.path / ".writer.lock"))
        try:
            lock.acquire(timeout=_LOCK_TIMEOUT_S)
        except Timeout as error:
            raise IndexLocked(f"Another process is writing the passage store at {self.path}.") from error
        try:
            yield self._db()
        finally:
            lock.release()

    # -- segments ------------------------------------------------------------------------

    def _segment(self, segment_id: int, file: str) -> _Segment:
        segment = self._segments.get(segment_id)
        if segment is None:
            with self._segments_lock:
                segment = self._segments.get(segment_id)
                if segment is None:
                    segment = _Segment(self.path / SEGMENTS / file, self.dim)
                    self._segments[segment_id] = segment
        return segment

    def _segment_table(self, db: sqlite3.Connection) -> list[tuple[int, str, int]]:
        rows = db.execute("SELECT id, file, rows FROM segments ORDER BY id").fetchall()
        live = {r[0] for r in rows}
        for gone in set(self._segments) - live:  # merged away by a writer
            self._segments.pop(gone, None)
        return rows

    def _write_segment(self, db: sqlite3.Connection, vectors: np.ndarray) -> tuple[int, str]:
        """A new segment file, durable but not yet referenced: nobody reads it before commit."""
        faiss = faiss_module()
        segment_id = int(db.execute("SELECT coalesce(max(id), 0) + 1 FROM segments").fetchone()[0])
        segment_id = max(segment_id, int(self._meta(db, "next_segment", "1")))
        name = f"seg-{segment_id:08d}.faiss"
        folder = self.path / SEGMENTS
        handle, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        os.close(handle)
        try:
            faiss.write_index(_build_index(vectors), tmp)
            fsync(Path(tmp))
            os.replace(tmp, folder / name)
            fsync(folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return segment_id, name

    def _meta(self, db: sqlite3.Connection, key: str, default: str) -> str:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def _remove_orphans(self, db: sqlite3.Connection) -> None:
        """Segment files no committed transaction refers to: left by a killed writer or a merge."""
        referenced = {r[0] for r in db.execute("SELECT file FROM segments")}
        for file in (self.path / SEGMENTS).iterdir():
            if file.name not in referenced:
                with contextlib.suppress(OSError):
                    file.unlink()

    # -- writing -------------------------------------------------------------------------

    def add(self, records: Iterable[PassageRecord]) -> None:
        from assistant.language.terms import terms

        batch = unique_records(records, self.dim)
        if not batch:
            return
        vectors = np.stack([np.asarray(r.vector, dtype=np.float32) for r in batch])
        with self._writing() as db:
            segment_id, name = self._write_segment(db, vectors)
            base = segment_id << LOC_BITS
            rows = [
                (r.id, r.doc_id, r.start, r.end, r.published, r.text, " ".join(terms(r.text)), base + i)
                for i, r in enumerate(batch)
            ]
            try:
                with _immediate(db):  # its commit is the commit point
                    db.executemany("DELETE FROM passages WHERE id = ?", [(r[0],) for r in rows])
                    db.executemany(
                        'INSERT INTO passages (id, doc_id, start, "end", published, text, terms, loc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                        rows,
                    )
                    db.execute("INSERT INTO segments VALUES (?, ?, ?)", (segment_id, name, len(rows)))
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('next_segment', ?)", (str(segment_id + 1),))
            except BaseException:
                with contextlib.suppress(OSError):
                    (self.path / SEGMENTS / name).unlink()
                raise
            self._drop_dead_segments(db)
            segments = self._segment_table(db)
            flat = {sid for sid, _, rows in segments if rows <= FLAT_MAX}
            if len(segments) > MAX_SEGMENTS:
                smallest = sorted(segments, key=lambda s: (s[2], s[0]))[
                    : MERGE_FACTOR + len(segments) - MAX_SEGMENTS - 1
                ]
                self._compact(db, {sid for sid, _, _ in smallest})
            elif len(flat) > 1 and sum(rows for sid, _, rows in segments if sid in flat) > FLAT_MAX:
                # every search scans the flat segments whole: together, at most one flat
                # segment's worth (a dozen of 3,000 rows took 7 ms a search, merged 3 ms)
                self._compact(db, flat)

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        docs = json.dumps(sorted(set(doc_ids)))
        with self._writing() as db:
            with _immediate(db):
                cursor = db.execute("DELETE FROM passages WHERE doc_id IN (SELECT value FROM json_each(?))", (docs,))
            self._drop_dead_segments(db)
            return int(cursor.rowcount)

    def clear(self) -> None:
        with self._writing() as db:
            with _immediate(db):
                db.execute("DELETE FROM passages")
            self._drop_dead_segments(db)

    def _drop_dead_segments(self, db: sqlite3.Connection) -> None:
        """Segments none of whose rows is live any more: forgotten, then their files removed."""
        dead = [
            (sid, file)
            for sid, file, _ in self._segment_table(db)
            if db.execute(
                "SELECT 1 FROM passages WHERE loc BETWEEN ? AND ? LIMIT 1",
                (sid << LOC_BITS, ((sid + 1) << LOC_BITS) - 1),
            ).fetchone()
            is None
        ]
        if dead:
            with db:
                db.executemany("DELETE FROM segments WHERE id = ?", [(sid,) for sid, _ in dead])
            for _, file in dead:
                with contextlib.suppress(OSError):
                    (self.path / SEGMENTS / file).unlink()

    def compact(self) -> None:
        """Rewrite every live vector into one segment: removed and replaced rows are dropped."""
        with self._writing() as db:
            self._compact(db)

    def _compact(self, db: sqlite3.Connection, chosen: set[int] | None = None) -> None:
        """The live rows of the ``chosen`` segments (all, when None) written as one segment."""
        old = [s for s in self._segment_table(db) if chosen is None or s[0] in chosen]
        if not old or (chosen is not None and len(old) < 2):
            return
        live = [
            row
            for sid, _, _ in old
            for row in db.execute(
                "SELECT id, loc FROM passages WHERE loc BETWEEN ? AND ? ORDER BY loc",
                (sid << LOC_BITS, ((sid + 1) << LOC_BITS) - 1),
            )
        ]
        ids = np.array([r[0] for r in live], dtype=np.int64)
        vectors = self._gather(np.array([r[1] for r in live], dtype=np.int64), {s: f for s, f, _ in old})
        if not len(ids):
            self._drop_dead_segments(db)
            return
        segment_id, name = self._write_segment(db, vectors)
        base = segment_id << LOC_BITS
        try:
            with _immediate(db):
                # the new segment's range is beyond every old one's: each row moves once
                db.executemany(
                    "UPDATE passages SET loc = ? WHERE id = ?", [(base + i, int(pid)) for i, pid in enumerate(ids)]
                )
                db.executemany("DELETE FROM segments WHERE id = ?", [(sid,) for sid, _, _ in old])
                db.execute("INSERT INTO segments VALUES (?, ?, ?)", (segment_id, name, len(ids)))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('next_segment', ?)", (str(segment_id + 1),))
        except BaseException:
            with contextlib.suppress(OSError):
                (self.path / SEGMENTS / name).unlink()
            raise
        # Readers that already mapped an old file keep reading it; one that had not yet
        # opened it retries on the new state (see _retrying).
        for _, file, _ in old:
            with contextlib.suppress(OSError):
                (self.path / SEGMENTS / file).unlink()
        self._segment_table(db)

    def flush(self) -> None:
        """Every add is durable when it returns; this checkpoints the WAL into the database."""
        if not self.read_only:
            with self._writing() as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for db in self._connections:
            with contextlib.suppress(sqlite3.Error):
                db.close()
        self._connections.clear()
        self._segments.clear()

    # -- reading -------------------------------------------------------------------------

    def count(self) -> int:
        with self._reading() as db:
            return int(db.execute("SELECT n FROM stats WHERE key = 'live'").fetchone()[0])

    def _gather(self, locs: np.ndarray, files: dict[int, str]) -> np.ndarray:
        out = np.zeros((len(locs), self.dim), dtype=np.float32)
        segment_of = locs >> LOC_BITS
        rows = locs & ((1 << LOC_BITS) - 1)
        for segment_id in np.unique(segment_of):
            mine = segment_of == segment_id
            out[mine] = self._segment(int(segment_id), files[int(segment_id)]).xb[rows[mine]]
        return out

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        return self._retrying(lambda: self._vectors(ids))

    def _vectors(self, ids: Sequence[int]) -> np.ndarray:
        with self._reading() as db:
            loc_of = dict(
                db.execute(
                    "SELECT id, loc FROM passages WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps([int(i) for i in ids]),),
                )
            )
            missing = [i for i in ids if int(i) not in loc_of]
            if missing:
                raise KeyError(f"no passage {missing[0]}")
            files = {s: f for s, f, _ in self._segment_table(db)}
            return self._gather(np.array([loc_of[int(i)] for i in ids], dtype=np.int64), files)

    def passages(self, ids: Sequence[int]) -> list[Passage]:
        with self._reading() as db:
            found = {
                r[0]: Passage(*r)
                for r in db.execute(
                    'SELECT id, doc_id, text, start, "end", published FROM passages p WHERE id IN (SELECT value FROM json_each(?))',
                    (json.dumps([int(i) for i in ids]),),
                )
            }
        missing = [i for i in ids if int(i) not in found]
        if missing:
            raise KeyError(f"no passage {missing[0]}")
        return [found[int(i)] for i in ids]

    def _retrying(self, run: Any) -> Any:
        """Run a read; a segment merged away between the snapshot and its opening: run again."""
        for attempt in range(3):
            try:
                return run()
            except RuntimeError as error:  # faiss could not open a file a merge removed
                if attempt == 2 or "No such file" not in str(error):
                    raise
        raise AssertionError("unreachable")

    def dense_search(
        self,
        vector: np.ndarray,
        k: int,
        *,
        docs: Collection[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[Hit]:
        where = _Where.of(docs, since, until)
        query = as_query(vector, self.dim)
        return self._retrying(lambda: self._dense(query, k, where))

    def _dense(self, query: np.ndarray, k: int, where: _Where) -> list[Hit]:
        if k <= 0:
            return []
        with self._reading() as db:
            table = self._segment_table(db)
            live = int(db.execute("SELECT n FROM stats WHERE key = 'live'").fetchone()[0])
            if not table or not live:
                return []
            files = {s: f for s, f, _ in table}
            selected = self._selected(db, where, live)
            if selected <= EXACT_MAX and where.active:
                return self._exact(db, query, k, where, files)
            total_rows = sum(rows for _, _, rows in table)
            # stale rows (replaced or removed) and the filter's share both thin the ANN lists
            factor = total_rows / max(1, selected)
            while True:
                fetch = math.ceil(k * factor * 1.2) + 8
                locs, scores = [], []
                exhausted = True
                for segment_id, file, rows in table:
                    got_scores, got_rows = self._segment(segment_id, file).search(query, fetch)
                    exhausted = exhausted and fetch >= rows
                    locs.append((segment_id << LOC_BITS) + got_rows)
                    scores.append(got_scores)
                all_locs = np.concatenate(locs)
                all_scores = np.concatenate(scores)
                # the best ``fetch`` of all segments together: their live ones are the best live ones
                best = np.argsort(-all_scores, kind="stable")[:fetch]
                hits = self._keep_live(db, all_locs[best], all_scores[best], where, k)
                if len(hits) >= k or (exhausted and len(all_locs) <= fetch):
                    return hits
                factor *= 4

    def _selected(self, db: sqlite3.Connection, where: _Where, live: int) -> int:
        """How many live passages the filter selects (an upper bound, cheaply)."""
        if not where.active:
            return live
        if where.sql.startswith("p.doc_id"):
            return int(db.execute(f"SELECT count(*) FROM passages p WHERE {where.sql}", where.params).fetchone()[0])
        conditions, params = ["published IS NOT NULL"], []
        if len(where.params) >= 1:
            for part, param in zip(where.sql.split(" AND "), where.params, strict=True):
                conditions.append(part.replace("p.published", "published"))
                params.append(param)
        return int(
            db.execute(f"SELECT coalesce(sum(n), 0) FROM days WHERE {' AND '.join(conditions)}", params).fetchone()[0]
        )

    def _keep_live(
        self, db: sqlite3.Connection, locs: np.ndarray, scores: np.ndarray, where: _Where, k: int
    ) -> list[Hit]:
        """The best k candidates whose (segment, row) is still a passage's and that pass the filter."""
        if not len(locs):
            return []
        rows = db.execute(
            f"SELECT p.loc, p.id, p.doc_id FROM passages p WHERE p.loc IN (SELECT value FROM json_each(?)) AND {where.sql}",
            (json.dumps(locs.tolist()), *where.params),
        ).fetchall()
        found = {loc: (pid, doc) for loc, pid, doc in rows}
        order = np.argsort(-scores, kind="stable")
        hits = []
        for i in order:
            match = found.get(int(locs[i]))
            if match is not None:
                hits.append(Hit(match[0], match[1], float(scores[i]), 0.0, float(scores[i])))
                if len(hits) == k:
                    break
        return hits

    def _exact(
        self, db: sqlite3.Connection, query: np.ndarray, k: int, where: _Where, files: dict[int, str]
    ) -> list[Hit]:
        rows = db.execute(f"SELECT p.id, p.doc_id, p.loc FROM passages p WHERE {where.sql}", where.params).fetchall()
        if not rows:
            return []
        scores = self._gather(np.array([r[2] for r in rows], dtype=np.int64), files) @ query[0]
        top = np.argsort(-scores, kind="stable")[:k]
        return [Hit(rows[i][0], rows[i][1], float(scores[i]), 0.0, float(scores[i])) for i in top]

    def lexical_search(
        self,
        query_terms: Sequence[str],
        k: int,
        *,
        docs: Collection[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[Hit]:
        where = _Where.of(docs, since, until)
        with self._reading() as db:
            return self._lexical(db, query_terms, k, where)

    def _lexical(self, db: sqlite3.Connection, query_terms: Sequence[str], k: int, where: _Where) -> list[Hit]:
        phrases = [t.replace('"', '""') for t in query_terms if t.strip()]
        if not phrases or k <= 0:
            return []
        match = " OR ".join(f'"{t}"' for t in phrases)
        rows = db.execute(
            "SELECT p.id, p.doc_id, -bm25(fts) AS score FROM fts JOIN passages p ON p.id = fts.rowid "
            f"WHERE fts MATCH ? AND {where.sql} ORDER BY bm25(fts) LIMIT ?",
            (match, *where.params, k),
        ).fetchall()
        return [Hit(pid, doc, 0.0, float(score), float(score)) for pid, doc, score in rows]

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
        where = _Where.of(docs, since, until)
        depth = max(k, FUSION_DEPTH)

        def run() -> list[Hit]:
            with self._reading() as db:  # both sides see the same state
                dense = [] if vector is None else self._dense(as_query(vector, self.dim), depth, where)
                lexical = self._lexical(db, query_terms, depth, where)
                cosine = {h.id: h.dense for h in dense}
                if vector is not None:
                    extra = [h.id for h in lexical if h.id not in cosine]
                    if extra:
                        cosine.update(
                            zip(extra, (self._vectors(extra) @ np.asarray(vector, np.float32)).tolist(), strict=True)
                        )
                return fuse(dense, lexical, k, cosine)

        return self._retrying(run)
