"""The product end to end on an archive of a million passages: open, warm questions, memory.

Run from the project folder (heavy: about 30 minutes and 14 GB the first time; run it
niced, in the background, with a log)::

    nohup nice .venv/bin/python benchmarks/bench_archive.py > archive.md 2> archive.log &
    .venv/bin/python benchmarks/bench_archive.py --passages 100000 --runs 3   # a smaller archive

What is real and what is synthetic:

1. **Base**: the 2,912 real articles of ``bench_scale.py``'s end-to-end part (``../shared/data``
   texts cut into article files, squad2-dev's 8 articles first), indexed by
   ``assistant index`` as a user would: real text, real sentences, real vectors.
2. **Archive**: the base's documents again and again under new names (``c001/…``), until
   the archive holds ``--passages`` passages: the same texts, sentences and offsets (a
   copy cites the same file), with every copy's sentence vectors perturbed (noise shaped
   like the real vectors' covariance, a cosine of 0.80 to 0.93 with the original, as in
   ``bench_scale.py``) and its passage vectors the normalised mean of its sentences', so
   the ANN index holds a million distinct vectors. The archive is written by the product's
   own ``store.save``, into the passage store given by ``--store`` (``embedded`` by default:
   HNSW segments, SQLite with FTS5). Like a wire story syndicated many times, each text is
   there ~40 times: BM25 and the reader see the same words in many documents.
3. **Questions**: squad2-dev questions, whose articles are in the base; timed in fresh
   processes that open the archive (``Assistant.open(config, update=False)``), as
   ``bench_scale.py`` does. Also counted: how often the top citation holds a gold answer,
   on the base and on the archive (copies have the same text, so a copy's citation counts).

Everything is cached under ``benchmarks/build/archive/``; ``--report`` prints the last results.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_scale import (  # benchmarks/ is the script folder
    BUILD,
    DATA,
    SEED,
    cli,
    disk_mb,
    log,
    proc_status,
    read_json,
    synthetic_rows,
    timed_process,
    write_corpus,
    write_json,
)
from timing import percentile

ARCHIVE = BUILD / "archive"
BASE_ARTICLES = 2912
QUESTION = "In what country is Normandy located?"


def build_base() -> tuple[Path, Path]:
    docs, n, _ = write_corpus(BASE_ARTICLES)
    index = ARCHIVE / f"base-{n}"
    if not (index / "CURRENT").is_file():
        shutil.rmtree(index, ignore_errors=True)
        log(f"assistant index over {n} articles")
        seconds, peak, _ = timed_process(cli() + ["index", "--docs", str(docs), "--index", str(index)])
        log(f"  {seconds:.1f} s, peak {peak:.0f} MB")
    return docs, index


def grow_child(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: the base's documents copied until the archive holds
    ``passages`` passages, saved by ``store.save``; its time and peak memory."""
    from assistant.config import Config
    from assistant.index import model, store
    from assistant.types import PassageRow

    base = store.load(Path(spec["base"]))
    out = Path(spec["out"])
    config = Config(docs_dir=Path(spec["docs"]), index_dir=out, store=spec["store"])
    n_passages = sum(len(p) for p in base.passages.values())
    copies = max(1, math.ceil(spec["passages"] / n_passages))
    sids, svecs = model.vectors_of(base.sentence_vectors)
    pids, pvecs = model.vectors_of(base.passage_vectors)
    row_of_sid = {int(i): n for n, i in enumerate(sids.tolist())}
    # each passage's searchable sentences, as rows of svecs: its vector is their normalised mean
    members = [
        (p.id, [row_of_sid[s.id] for s in base.sentences[p.doc_id] if s.searchable and p.first <= s.position <= p.last])
        for doc in sorted(base.passages)
        for p in base.passages[doc]
    ]
    member_rows = np.array([r for _, rows in members for r in rows], dtype=np.int64)
    member_of = np.repeat(np.arange(len(members)), [len(rows) for _, rows in members])
    member_pids = np.array([pid for pid, _ in members], dtype=np.int64)
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    data = store.empty_index(base.model, base.dim, base.segmentation, config.store_spec)
    S, P = base.next_sentence_id, base.next_passage_id
    for c in range(copies):
        prefix = f"c{c:03d}/" if c else ""
        for doc_id, doc in base.documents.items():
            new = prefix + doc_id
            data.documents[new] = dataclasses.replace(doc, doc_id=new)
            data.texts[new] = base.texts[doc_id]
            data.terms[new] = base.terms[doc_id]
            data.sentences[new] = [dataclasses.replace(s, id=s.id + c * S, doc_id=new) for s in base.sentences[doc_id]]
            data.passages[new] = [
                PassageRow(p.id + c * P, new, p.start, p.end, p.first, p.last) for p in base.passages[doc_id]
            ]
        vectors = svecs if c == 0 else synthetic_rows(svecs, c * len(svecs), (c + 1) * len(svecs), SEED)
        data.sentence_vectors.add_with_ids(vectors, sids + c * S)
        if c == 0:
            data.passage_vectors.add_with_ids(pvecs, pids)
        else:
            sums = np.zeros((len(members), base.dim), dtype=np.float32)
            np.add.at(sums, member_of, vectors[member_rows])
            sums /= np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
            data.passage_vectors.add_with_ids(sums, member_pids + c * P)
        del vectors
        if c % 5 == 0:
            log(f"  copy {c + 1} of {copies}")
    data.next_sentence_id, data.next_passage_id = copies * S, copies * P
    filled = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.save(out, data)
    saved = time.perf_counter() - t0
    return {
        "copies": copies,
        "documents": len(data.documents),
        "passages": copies * n_passages,
        "rows": int(data.sentence_vectors.ntotal),
        "fill_s": filled,
        "save_s": saved,
        "hwm_mb": proc_status()["VmHWM"],
    }


def answers(question: dict[str, Any]) -> list[str]:
    return [a["text"].lower() for a in question.get("answers", []) if a.get("text")]


def warm_child(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: open the archive, time warm questions, count gold answers."""
    from assistant.config import Config
    from assistant.core import Assistant

    config = Config(docs_dir=Path(spec["docs"]), index_dir=Path(spec["index"]))
    t0 = time.perf_counter()
    assistant = Assistant.open(config, update=False)
    open_s = time.perf_counter() - t0
    opened = proc_status()
    questions = spec["questions"]
    t = time.perf_counter()
    assistant.ask(questions[0]["question"])
    first_s = time.perf_counter() - t
    for q in questions[1:3]:
        assistant.ask(q["question"])
    times, held = [], 0
    for q in questions[3:]:
        t = time.perf_counter()
        answer = assistant.ask(q["question"])
        times.append(time.perf_counter() - t)
        top = answer.citations[0].text.lower() if answer.found and answer.citations else ""
        held += any(a in top for a in answers(q))
    end = proc_status()
    return {
        "open_s": open_s,
        "open_anon_mb": opened["RssAnon"],
        "first_s": first_s,
        "p50_ms": percentile(times, 50) * 1000,
        "p95_ms": percentile(times, 95) * 1000,
        "questions": len(times),
        "held": held,
        "hwm_mb": end["VmHWM"],
        "anon_mb": end["RssAnon"],
    }


def recall_child(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: recall@10 of the store's dense search (what a question uses)
    against exact search over every vector the store holds, for the timed questions."""
    import sqlite3

    import faiss

    from assistant.index.embed import embed_query, load_embedder
    from assistant.index.passages.embedded import DB_NAME, LOC_BITS, SEGMENTS, EmbeddedStore

    folder = Path(spec["store"])
    embedder = load_embedder(None)
    queries = np.stack([embed_query(embedder, q) for q in spec["questions"]]).astype(np.float32)
    store = EmbeddedStore.open(folder, queries.shape[1], read_only=True)
    approx = [[hit.id for hit in store.dense_search(q, 10)] for q in queries]
    db = sqlite3.connect(f"{(folder / DB_NAME).resolve().as_uri()}?mode=ro", uri=True)
    best: list[list[tuple[float, int]]] = [[] for _ in queries]
    for segment_id, file in db.execute("SELECT id, file FROM segments"):
        index = faiss.read_index(str(folder / SEGMENTS / file), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
        flat = faiss.downcast_index(index.storage if hasattr(index, "storage") else index)
        n = flat.ntotal
        vectors = faiss.rev_swig_ptr(flat.get_xb(), n * flat.d).reshape(n, flat.d)
        scores = np.concatenate([vectors[a : a + 200_000] @ queries.T for a in range(0, n, 200_000)])
        for qi in range(len(queries)):
            top = np.argpartition(-scores[:, qi], 10)[:10]
            best[qi] += [(float(scores[r, qi]), (segment_id << LOC_BITS) + int(r)) for r in top]
    recalls = []
    for qi, found in enumerate(approx):
        locs = [loc for _, loc in sorted(best[qi], reverse=True)]
        ids = []
        for loc in locs:  # the 10 nearest live passages (a dead row has no id)
            row = db.execute("SELECT id FROM passages WHERE loc = ?", (loc,)).fetchone()
            if row is not None:
                ids.append(row[0])
            if len(ids) == 10:
                break
        recalls.append(len(set(ids) & set(found)) / 10)
    return {"recall": float(np.mean(recalls)), "questions": len(recalls), "passages": int(store.count())}


def in_child(target: Any, spec: dict[str, Any]) -> dict[str, Any]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(target, (spec,))


def questions(n: int) -> list[dict[str, Any]]:
    rows = [
        json.loads(line) for line in (DATA / "squad2-dev" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    answerable = [q for q in rows if answers(q)]
    return random.Random(SEED).sample(answerable, n + 3)


def measure(name: str, docs: Path, index: Path, args: argparse.Namespace, qs: list[dict[str, Any]]) -> dict[str, Any]:
    runs = [in_child(warm_child, {"docs": str(docs), "index": str(index), "questions": qs}) for _ in range(args.runs)]
    asks = []
    for _ in range(args.runs):
        command = cli() + ["ask", "--no-update", "--docs", str(docs), "--index", str(index), QUESTION]
        seconds, peak, _ = timed_process(command)
        asks.append((seconds, peak))
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    med.update(
        name=name,
        runs=args.runs,
        disk_mb=disk_mb(index),
        ask_s=statistics.median(s for s, _ in asks),
        ask_mb=max(p for _, p in asks),
        load=os.getloadavg()[0],
    )
    log(f"  {name}: open {med['open_s']:.2f} s, p50 {med['p50_ms']:.1f} ms, peak {med['hwm_mb']:.0f} MB")
    return med


def table(results: dict[str, Any]) -> str:
    grow = results.get("grow", {})
    lines = [
        f"Archive: {grow.get('documents', '?'):,} documents, {grow.get('passages', '?'):,} passages, "
        f"{grow.get('rows', '?'):,} searchable sentences ({grow.get('copies', '?')} copies of the base; "
        f"store `{results.get('store')}`). Written by `store.save` in {grow.get('save_s', 0):.0f} s "
        f"at {grow.get('hwm_mb', 0):,.0f} MB peak (the copies made in memory first: {grow.get('fill_s', 0):.0f} s).",
        "",
        "| index | on disk | open in process | anon RSS after open | 1st question | warm p50 | warm p95 | "
        "peak RSS | top citation holds a gold answer | one-shot `ask` | `ask` peak RSS | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key in ("base", "archive"):
        r = results.get(key)
        if not r:
            continue
        lines.append(
            f"| {r['name']} | {r['disk_mb']:,.0f} MB | {r['open_s']:.2f} s | {r['open_anon_mb']:.0f} MB | "
            f"{r['first_s'] * 1000:.0f} ms | {r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms | {r['hwm_mb']:,.0f} MB | "
            f"{r['held']:.0f} of {r['questions']} | {r['ask_s']:.2f} s | {r['ask_mb']:,.0f} MB | {r['load']:.1f} |"
        )
    if results.get("recall"):
        r = results["recall"]
        lines += [
            "",
            f"Recall@10 of the store's dense search (HNSW, efSearch 256) against exact search over its "
            f"{r['passages']:,} vectors, for the {r['questions']} questions: **{r['recall']:.3f}**.",
        ]
    lines += [
        "",
        f"Medians of {results.get('runs')} fresh processes each; open includes loading the embedder "
        "(`Assistant.open(config, update=False)`); warm questions: squad2-dev questions after 3 untimed; "
        "one-shot: `assistant ask` in a new process, its peak RSS from `/usr/bin/time -v`. Load: the "
        "1-minute load average after the runs (2 cores).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--store", default="embedded", help="the archive's passage store (--store of assistant)")
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--regrow", action="store_true", help="write the archive again even when cached")
    parser.add_argument("--report", action="store_true", help="print the last results without measuring")
    parser.add_argument("--recall-only", action="store_true", help="measure only the dense search's recall again")
    args = parser.parse_args()
    results_file = ARCHIVE / f"results-{args.passages}.json"
    if args.report:
        print(table(read_json(results_file)))
        return
    if not (DATA / "squad2-dev").is_dir():
        sys.exit(f"{DATA} is missing: this benchmark needs ../shared/data beside the project.")
    ARCHIVE.mkdir(parents=True, exist_ok=True)
    docs, base = build_base()
    out = ARCHIVE / f"archive-{args.passages}"
    grow_file = ARCHIVE / f"grow-{args.passages}.json"
    if args.regrow or not grow_file.is_file() or not (out / "CURRENT").is_file():
        log(f"writing an archive of {args.passages:,} passages")
        spec = {"base": str(base), "out": str(out), "docs": str(docs), "passages": args.passages, "store": args.store}
        write_json(grow_file, in_child(grow_child, spec))
    qs = questions(args.questions)
    if args.recall_only:
        results = read_json(results_file)
        spec = {"store": str(out / "passages"), "questions": [q["question"] for q in qs]}
        results["recall"] = in_child(recall_child, spec)
        write_json(results_file, results)
        print(table(results))
        return
    results = {"store": args.store, "runs": args.runs, "grow": read_json(grow_file)}
    results["base"] = measure(f"base ({BASE_ARTICLES:,} articles)", docs, base, args, qs)
    results["archive"] = measure(f"archive ({args.passages:,} passages)", docs, out, args, qs)
    if args.store == "embedded":
        spec = {"store": str(out / "passages"), "questions": [q["question"] for q in qs]}
        results["recall"] = in_child(recall_child, spec)
        log(f"  recall@10 {results['recall']['recall']:.3f}")
    write_json(results_file, results)
    print(table(results))


if __name__ == "__main__":
    main()
