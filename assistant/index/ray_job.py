"""Embedding an archive into a passage store as a Ray Data job (``pip install '.[cluster]'``).

This job fills a passage store (``assistant.index.passages``) for cluster-scale embedding: it
reads, segments and embeds every article of a folder on a Ray cluster and writes one
``PassageRecord`` per passage. It does not build an assistant index: ``assistant index``
builds the index (documents, sentences, texts, BM25) itself, with its own passage ids, and
embeds on one machine. What this job computes is what the product computes for a passage:

* passages: ``assistant.ingest.segment.segment`` with the default ``SegmentationConfig``; the
  searchable sentences (``Sentence.searchable``: body and headline) grouped by their
  ``passage`` ordinal, as ``indexer._passages`` groups them; text ``text[start:end]`` of
  the article's loaded text (the extracted text for HTML and PDF);
* vectors: each searchable sentence embedded once with the ONNX model
  (``load_embedder(None, cache_dir=Config().cache_dir)``) and a passage's vector the
  normalised mean of its sentences' vectors (``indexer._mean_vectors``);
* date: the article's publication day as the product dates it (metadata, the folder's
  ``metadata.json``, else a dateline in the text).

Pipeline: the driver lists the files (``loaders.discover``); ``map`` tasks read and segment
them (one row per article); ``map_batches`` runs an actor pool of embedders, each actor
holding one model and asking for a fraction of a CPU (``num_cpus``, default 0.5) so that a
2-core machine can run the pool beside the read tasks without Ray Data stalling on
unschedulable actors. Rows stay whole articles from end to end, so an article's passages
are always written by one ``add``.

Writes: every passage store is single-writer (the embedded store takes a writer lock; the
Qdrant backend's all-or-nothing batches assume one writer, and a writer starting a batch
deletes uncommitted points it finds, which would be another writer's batch in flight). So
the embedding runs on the cluster and the driver writes, batch by batch as results stream
back, for every kind of store, including a Qdrant server (``qdrant://host:6333``).

Ids: a passage's id is ``passage_id(doc_id, ordinal)``: the first 8 bytes of the BLAKE2b
digest of ``doc_id`` (UTF-8), a NUL byte and the passage's 0-based ordinal in its article
(decimal), read as a big-endian integer with the top bit cleared (63 bits, as stores
require). Deterministic across runs and machines; unique across the job up to hash
collisions (probability about n²/2⁶⁴: 3·10⁻⁸ for a million passages), which the driver
checks for and refuses.

Re-runs and resuming: an article counts as done when the store holds its first passage
(``passage_id(doc_id, 0)``). Since an article's passages are added in one all-or-nothing
``add``, that means all of them. A run skips done articles before any work is scheduled,
so a job killed midway resumes where its last write ended, and a re-run over an unchanged
folder writes nothing. A write first removes whatever the store holds of its articles, then
adds them, so nothing is duplicated. Limits: an article edited in place under the same
path is not re-embedded (its first passage is there): remove it from the store first
(``remove_documents``) or give ``redo=``; and articles deleted from the folder stay in the
store (this job fills, it does not mirror a folder).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Config
from assistant.errors import DocumentError
from assistant.index.embed import Embedder, load_embedder
from assistant.index.indexer import _mean_vectors, _read_sidecar
from assistant.index.passages import PassageRecord, open_store
from assistant.ingest import loaders, published
from assistant.ingest.segment import DEFAULT_SEGMENTATION, segment
from assistant.types import Sentence

__all__ = ["JobReport", "embed_to_store", "passage_id", "segment_article"]

log = logging.getLogger(__name__)

DIM = 384  # all-MiniLM-L6-v2, the product's model
# Articles per embedding batch handed to an actor.
ARTICLES_PER_BATCH = 16


# A Ray started here is this machine's alone: bound to the loopback, no dashboard, and no
# usage statistics sent anywhere (Ray reports them by default).
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
LOCAL_RAY: dict[str, Any] = {"include_dashboard": False, "_node_ip_address": "127.0.0.1"}


def passage_id(doc_id: str, ordinal: int) -> int:
    """The stable 63-bit id of passage ``ordinal`` (0-based) of article ``doc_id``."""
    digest = hashlib.blake2b(doc_id.encode("utf-8") + b"\0" + str(int(ordinal)).encode("ascii"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") & (2**63 - 1)


@dataclass
class JobReport:
    """What a run did."""

    articles: int = 0  # found in the folder
    skipped: int = 0  # already in the store
    embedded: int = 0  # articles read, segmented and embedded by this run
    passages: int = 0  # passages written by this run
    sentences: int = 0  # sentences embedded by this run
    refused: list[str] = field(default_factory=list)  # "path: reason"
    seconds: float = 0.0
    write_seconds: float = 0.0  # of which in the store's remove + add (the single writer)

    @property
    def passages_per_second(self) -> float:
        return self.passages / self.seconds if self.seconds else 0.0


# --- the per-article work (plain functions: the Ray tasks call them, and so can tests) ---


def segment_article(path: str, doc_id: str, sidecar_entry: dict[str, object] | None = None) -> dict[str, Any]:
    """Read and segment one article into its passages, as ``assistant index`` would.

    Returns a row: ``doc_id``, ``error`` (a reason, or "" when read), ``sentences`` (the
    searchable sentences' texts, in order), ``groups`` (for each passage, the indices of
    its sentences in ``sentences``), ``starts``/``ends``/``texts`` of the passages,
    ``ids`` (``passage_id``) and ``published`` (``'YYYY-MM-DD'`` or "").
    """
    row: dict[str, Any] = {
        "doc_id": doc_id,
        "error": "",
        "sentences": [],
        "groups": [],
        "starts": [],
        "ends": [],
        "texts": [],
        "ids": [],
        "published": "",
    }
    try:
        loaded = loaders.load(Path(path))
    except DocumentError as error:
        row["error"] = str(error) or type(error).__name__
        return row
    text = loaded.text
    spans = segment(text, loaded.format, DEFAULT_SEGMENTATION)
    sentences = [
        Sentence(n, doc_id, s.start, s.end, text[s.start : s.end], n, s.passage, s.kind) for n, s in enumerate(spans)
    ]
    row_of_position: dict[int, int] = {}
    for s in sentences:
        if s.searchable:
            row_of_position[s.position] = len(row["sentences"])
            row["sentences"].append(s.text)
    # indexer._passages: searchable sentences grouped by passage ordinal, in document order
    members: dict[int, list[Sentence]] = {}
    for s in sentences:
        if s.searchable:
            members.setdefault(s.passage, []).append(s)
    for ordinal, group in enumerate(members.values()):
        first, last = group[0], group[-1]
        row["groups"].append(
            [row_of_position[k] for k in range(first.position, last.position + 1) if k in row_of_position]
        )
        row["starts"].append(first.start)
        row["ends"].append(last.end)
        row["texts"].append(text[first.start : last.end])
        row["ids"].append(passage_id(doc_id, ordinal))
    day = published.date_document(loaded.meta, loaded.format, text, sentences, sidecar_entry).published
    row["published"] = day[:10] if day else ""
    return row


def embed_rows(rows: list[dict[str, Any]], embedder: Embedder, batch_size: int = 64) -> list[dict[str, Any]]:
    """Each row with ``vectors`` added: one unit vector per passage, the normalised mean of
    its sentences' vectors (``indexer._mean_vectors``), flattened to a list of floats.
    All sentences of the rows are embedded in one ``encode`` call."""
    texts = [t for row in rows for t in row["sentences"]]
    vectors = embedder.encode(texts, batch_size=batch_size) if texts else np.zeros((0, embedder.dim), np.float32)
    out = []
    offset = 0
    for row in rows:
        n = len(row["sentences"])
        groups = [[int(i) for i in g] for g in row["groups"]]
        means = _mean_vectors(vectors[offset : offset + n], groups, embedder.dim)
        offset += n
        out.append({**row, "vectors": means.reshape(-1).tolist()})
    return out


def records_of(row: dict[str, Any], dim: int) -> list[PassageRecord]:
    """The store records of one embedded row."""
    vectors = np.asarray(row["vectors"], dtype=np.float32).reshape(-1, dim)
    day = row["published"] or None
    return [
        PassageRecord(int(pid), str(row["doc_id"]), str(text), int(start), int(end), day, vectors[n])
        for n, (pid, text, start, end) in enumerate(
            zip(row["ids"], row["texts"], row["starts"], row["ends"], strict=True)
        )
    ]


# --- Ray ----------------------------------------------------------------------------------


def _default_embedder() -> Embedder:
    return load_embedder(None, cache_dir=Config().cache_dir)


class _EmbedActor:
    """One model per actor, loaded once; called with batches of article rows."""

    def __init__(self, make_embedder: Callable[[], Embedder], batch_size: int) -> None:
        self.embedder = make_embedder()
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        rows = _rows_of(batch)
        embedded = embed_rows(rows, self.embedder, self.batch_size)
        return {key: [row[key] for row in embedded] for key in embedded[0]} if embedded else {}


def _plain(value: Any) -> Any:
    """Ray hands list columns over as numpy arrays (object arrays when ragged)."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value] if value.dtype == object or value.ndim > 1 else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _rows_of(batch: dict[str, Any]) -> list[dict[str, Any]]:
    keys = list(batch)
    n = len(batch[keys[0]]) if keys else 0
    return [{k: _plain(batch[k][i]) for k in keys} for i in range(n)]


def _done(store: Any, doc_ids: list[str]) -> set[str]:
    """The articles whose first passage the store holds (``passages`` raises KeyError for
    an unknown id, so a chunk with a missing one is split until the missing are found)."""
    if not doc_ids or store.count() == 0:
        return set()
    done: set[str] = set()

    def probe(chunk: list[str]) -> None:
        try:
            store.passages([passage_id(d, 0) for d in chunk])
        except KeyError:
            if len(chunk) > 1:
                half = len(chunk) // 2
                probe(chunk[:half])
                probe(chunk[half:])
            return
        done.update(chunk)

    for start in range(0, len(doc_ids), 1024):
        probe(doc_ids[start : start + 1024])
    return done


def embed_to_store(
    docs_dir: str | Path,
    store_spec: str,
    *,
    num_cpus: float | None = None,
    batch_size: int = 64,
    actors: int | tuple[int, int] = (1, 2),
    embedder: Callable[[], Embedder] | None = None,
    redo: Iterable[str] = (),
    read_cpus: float = 0.25,
    progress: Callable[[JobReport], None] | None = None,
) -> JobReport:
    """Read, segment and embed every article under ``docs_dir`` on the Ray cluster and write
    their passages to the store named by ``store_spec`` (``assistant.index.passages.open_store``).

    Args:
        docs_dir: the articles' folder; a doc id is a file's path relative to it, as in the index.
        store_spec: ``embedded:/path``, ``qdrant://host:6333[/collection]``, ``qdrant+local:/path``.
        num_cpus: CPUs each embedding actor asks for (default 0.5: fractional, so that actors
            and read tasks fit together on small machines; a whole number on big nodes).
        batch_size: rows per ONNX run inside an actor (the embedder's ``batch_size``).
        actors: the actor pool's size, a number or (min, max) for autoscaling.
        embedder: a factory run once in each actor (default: the product's ONNX model).
        redo: doc ids to embed again even if the store holds them (edited articles).
        read_cpus: CPUs each read-and-segment task asks for.
        progress: called with the running report after each write.

    Uses the running Ray cluster (``ray.init`` first to pick one; otherwise Ray starts a
    local one). Returns a ``JobReport``.
    """
    import ray

    started = time.perf_counter()
    docs_dir = Path(docs_dir).resolve()
    make_embedder = embedder or _default_embedder
    report = JobReport()
    files, errors = loaders.discover([docs_dir])
    report.refused += [str(e) for e in errors]
    sidecar = _read_sidecar(docs_dir)
    items = [(str(p), p.relative_to(docs_dir).as_posix()) for p in files]
    report.articles = len(items)

    store = open_store(store_spec, DIM)
    try:
        again = set(redo)
        done = _done(store, [d for _, d in items if d not in again])
        todo = [
            {"path": p, "doc_id": d, "meta": json.dumps(sidecar.get(d)) if isinstance(sidecar.get(d), dict) else ""}
            for p, d in items
            if d not in done
        ]
        report.skipped = len(items) - len(todo)
        if todo:
            if not ray.is_initialized():
                ray.init(**LOCAL_RAY)
            per_actor = 0.5 if num_cpus is None else num_cpus
            ds: Any = ray.data.from_items(todo, override_num_blocks=max(1, min(len(todo), 64)))
            ds = ds.map(_read_row, num_cpus=read_cpus)
            ds = ds.map_batches(
                _EmbedActor,
                fn_constructor_args=(make_embedder, batch_size),
                batch_size=ARTICLES_PER_BATCH,
                batch_format="numpy",
                num_cpus=per_actor,
                compute=_pool(actors),
            )
            _write(ds, store, report, progress)
        store.flush()
    finally:
        store.close()
    report.seconds = time.perf_counter() - started
    return report


def _pool(actors: int | tuple[int, int]) -> Any:
    """The actor pool: a fixed size, or (min, max) to autoscale (``concurrency=`` of old Rays)."""
    import ray.data

    if isinstance(actors, int):
        return ray.data.ActorPoolStrategy(size=actors)
    low, high = actors
    return ray.data.ActorPoolStrategy(min_size=low, max_size=high)


def _read_row(item: dict[str, Any]) -> dict[str, Any]:
    meta = json.loads(item["meta"]) if item["meta"] else None  # JSON: sidecar entries differ in shape
    return segment_article(item["path"], item["doc_id"], meta)


def _write(ds: Any, store: Any, report: JobReport, progress: Callable[[JobReport], None] | None) -> None:
    """The single writer: as batches of embedded articles arrive, remove what the store holds
    of those articles and add their passages (each write all or nothing)."""
    seen: dict[int, str] = {}
    for batch in _batches(ds):
        rows = _rows_of(batch)
        records: list[PassageRecord] = []
        docs = []
        for row in rows:
            if row["error"]:
                report.refused.append(f"{row['doc_id']}: {row['error']}")
                continue
            docs.append(row["doc_id"])
            report.sentences += len(row["sentences"])
            for record in records_of(row, DIM):
                other = seen.setdefault(record.id, record.doc_id)
                if other != record.doc_id:
                    raise RuntimeError(f"passage id collision between {other} and {record.doc_id}")
                records.append(record)
        if docs:
            began = time.perf_counter()
            store.remove_documents(docs)
            store.add(records)
            report.write_seconds += time.perf_counter() - began
        report.embedded += len(docs)
        report.passages += len(records)
        if progress is not None:
            progress(report)


def _batches(ds: Any) -> Iterator[dict[str, Any]]:
    yield from ds.iter_batches(batch_size=None, batch_format="numpy")


# --- command line -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.index.ray_job",
        description="Embed a folder of articles into a passage store as a Ray Data job.",
    )
    parser.add_argument("--docs", required=True, help="the articles' folder")
    parser.add_argument("--store", required=True, help="embedded:/path, qdrant://host:6333[/collection], ...")
    parser.add_argument("--num-cpus", type=float, default=None, help="CPUs per embedding actor (default 0.5)")
    parser.add_argument("--actors", default="1,2", help="actor pool size: N or MIN,MAX (default 1,2)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--address", default=None, help="a Ray cluster to join (default: local)")
    args = parser.parse_args(argv)
    import ray

    low, _, high = args.actors.partition(",")
    actors: int | tuple[int, int] = (int(low), int(high)) if high else int(low)
    if args.address:  # joining a cluster: its resources and dashboard are its own
        ray.init(address=args.address, log_to_driver=False)
    else:
        ray.init(**LOCAL_RAY, log_to_driver=False)

    def show(r: JobReport) -> None:
        print(f"\r{r.embedded} articles, {r.passages} passages written", end="", file=sys.stderr, flush=True)

    report = embed_to_store(
        args.docs, args.store, num_cpus=args.num_cpus, batch_size=args.batch_size, actors=actors, progress=show
    )
    print(file=sys.stderr)
    print(
        f"{report.articles} articles: {report.skipped} already in the store, {report.embedded} embedded, "
        f"{len(report.refused)} refused; {report.passages} passages ({report.sentences} sentences) "
        f"in {report.seconds:.1f} s ({report.write_seconds:.1f} s writing), {report.passages_per_second:.1f} passages/s"
    )
    for line in report.refused:
        print(f"refused {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
