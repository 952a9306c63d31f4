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
    ROOT,
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
    base_docs, docs = Path(spec["base_docs"]), Path(spec["docs"])
    config = Config(docs_dir=docs, index_dir=out, store=spec["store"])
    shutil.rmtree(docs, ignore_errors=True)
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
            # each copy a file of the archive's folder (a hard link: the same bytes, size and
            # time), so that a writer sees the folder as the index records it
            (docs / new).parent.mkdir(parents=True, exist_ok=True)
            os.link(base_docs / doc_id, docs / new)
            source = str((docs / new).resolve())
            data.documents[new] = dataclasses.replace(doc, doc_id=new, source=source)
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
        for qi in range(len(queries)):  # a small segment (an add's) may hold 10 rows or fewer
            top = np.argpartition(-scores[:, qi], 10)[:10] if n > 10 else np.arange(n)
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


NEW_ARTICLES = 1000  # the batch added at once
SINGLES = 20  # articles added one at a time: as many small segments as a busy day leaves


def new_articles() -> list[tuple[str, str]]:
    """(title, text) of articles the archive does not hold, news-sized like the base's: SQuAD
    1.1 training articles (in no other folder) cut into parts of three paragraphs, shuffled."""
    parts = []
    for article in read_json(DATA / "squad11-train" / "train-v1.1.json")["data"]:
        paragraphs = [p["context"].strip() for p in article["paragraphs"]]
        for i in range(0, len(paragraphs), 3):
            parts.append((article["title"].replace("_", " "), "\n\n".join(paragraphs[i : i + 3])))
    random.Random(SEED).shuffle(parts)
    return parts


def write_articles(folder: Path, parts: list[tuple[str, str]], stamp: str) -> list[Path]:
    """One .txt per part, its title line stamped: a rerun adds new texts, never skipped ones."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, (title, text) in enumerate(parts):
        path = folder / f"{stamp}-{k:04d}.txt"
        path.write_text(f"{title} ({stamp}-{k})\n\n{text}\n", encoding="utf-8")
        paths.append(path)
    return paths


def add_child(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: ``SINGLES`` articles added one by one, then ``NEW_ARTICLES`` at
    once, to the index of ``spec``, with the model loaded; the same articles added to an index
    of the two seed articles are the baseline (what they cost without the archive)."""
    from assistant.config import Config
    from assistant.core import Assistant
    from assistant.index import store
    from assistant.index.embed import load_embedder

    embedder = load_embedder(None)
    work = Path(spec["work"])
    singles = [Path(p) for p in spec["singles"]]
    batch = Path(spec["batch"])
    shutil.copytree(ROOT / "seeds", work / "alone-docs")  # the smallest collection there is: the two seeds
    alone = Assistant.open(Config(docs_dir=work / "alone-docs", index_dir=work / "alone-index"), embedder=embedder)
    alone_s = []
    for path in singles:
        t = time.perf_counter()
        alone.add([path])
        alone_s.append(time.perf_counter() - t)
    t = time.perf_counter()
    alone.add([batch])
    alone_batch_s = time.perf_counter() - t
    config = Config(docs_dir=Path(spec["docs"]), index_dir=Path(spec["index"]))
    t = time.perf_counter()
    archive = Assistant.open(config, embedder=embedder, update=False)
    open_s = time.perf_counter() - t
    single_s = []
    for path in singles:
        t = time.perf_counter()
        report = archive.add([path])
        single_s.append(time.perf_counter() - t)
        if len(report.added) != 1:
            raise SystemExit(f"the add did not add {path}: {report.files}")
    segments_after_singles = len(store.live_segments(config.index_dir))
    t = time.perf_counter()
    report = archive.add([batch])
    batch_s = time.perf_counter() - t
    if len(report.added) != len(list(batch.glob("*.txt"))):
        raise SystemExit(f"the batch add added {len(report.added)} articles")
    return {
        "open_s": open_s,
        "single_p50_s": statistics.median(single_s),
        "single_max_s": max(single_s),
        "alone_p50_s": statistics.median(alone_s),
        "segments_after_singles": segments_after_singles,
        "batch": len(report.added),
        "batch_s": batch_s,
        "alone_batch_s": alone_batch_s,
        "segments": len(store.live_segments(config.index_dir)),
        "hwm_mb": proc_status()["VmHWM"],
    }


def ask_while(docs: Path, index: Path, qs: list[dict[str, Any]], busy: Any) -> dict[str, Any]:
    """Questions asked one after another while ``busy()``, each after ``Assistant.refresh``
    as the web app asks them (a new manifest is taken up at the next question): their times
    (the reloads included), errors, and how many documents the reader saw first and last."""
    from assistant.config import Config
    from assistant.core import Assistant

    assistant = Assistant.open(Config(docs_dir=docs, index_dir=index), update=False)
    first_seen = len(assistant.documents())
    times, errors, n, reloads = [], [], 0, 0
    while busy() or n < len(qs):
        q = qs[n % len(qs)]["question"]
        t = time.perf_counter()
        try:
            reloads += assistant.refresh()  # as the web app does before each question
            answer = assistant.ask(q)
            if answer.found and not answer.citations:
                errors.append(f"{q}: found without a citation")
            for c in answer.citations[:1]:  # the integrity rule, while segments come and go
                if (docs / c.doc_id).read_text(encoding="utf-8")[c.start : c.end] != c.text:
                    errors.append(f"{q}: citation {c.doc_id} [{c.start}:{c.end}] is not the file's text")
        except Exception as error:  # noqa: BLE001  (counted: the target is none)
            errors.append(f"{q}: {type(error).__name__}: {error}")
        times.append(time.perf_counter() - t)
        n += 1
    return {
        "questions": len(times),
        "p50_ms": percentile(times, 50) * 1000,
        "p95_ms": percentile(times, 95) * 1000,
        "errors": errors[:5],
        "error_count": len(errors),
        "documents_first": first_seen,
        "documents_last": len(assistant.documents()),
        "reloads": reloads,
    }


def writer_child(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: the articles of ``spec`` added one at a time, as a newsroom does,
    at the CPU priority ``assistant add`` takes."""
    from assistant.cli import yield_to_questions
    from assistant.config import Config
    from assistant.core import Assistant

    yield_to_questions()

    archive = Assistant.open(Config(docs_dir=Path(spec["docs"]), index_dir=Path(spec["index"])), update=False)
    for path in spec["singles"]:
        archive.add([Path(path)])
    return {"added": len(spec["singles"])}


def measure_adds(docs: Path, index: Path, args: argparse.Namespace, qs: list[dict[str, Any]]) -> dict[str, Any]:
    """What adding costs the archive (it keeps what is added: ``--regrow`` writes it afresh)."""
    stamp = time.strftime("%Y%m%d%H%M%S")
    work = ARCHIVE / f"adds-{stamp}"
    parts = new_articles()
    singles = write_articles(work / "singles", parts[:SINGLES], stamp)
    batch_paths = write_articles(work / "batch", parts[SINGLES : SINGLES + args.batch], stamp)
    log(f"adding {len(singles)} articles one by one and {len(batch_paths)} at once")
    spec = {
        "docs": str(docs),
        "index": str(index),
        "work": str(work),
        "singles": [str(p) for p in singles],
        "batch": str(work / "batch"),
    }
    result = in_child(add_child, spec)
    # `assistant add` as a user runs it: a process of its own, the model loaded in it
    cli_runs = []
    for r in range(args.runs):
        (path,) = write_articles(
            work / f"cli-{r}", parts[SINGLES + args.batch + r : SINGLES + args.batch + r + 1], stamp
        )
        command = cli() + ["add", str(path), "--docs", str(docs), "--index", str(index)]
        seconds, peak, done = timed_process(command)
        if done.returncode != 0:
            raise SystemExit(f"assistant add failed: {done.stderr[-2000:]}")
        cli_runs.append((seconds, peak))
    result["cli_s"] = statistics.median(s for s, _ in cli_runs)
    result["cli_mb"] = max(p for _, p in cli_runs)
    # questions while another process adds articles one by one
    writes = write_articles(work / "during", parts[-SINGLES:], stamp)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        writer = pool.apply_async(
            writer_child, ({"docs": str(docs), "index": str(index), "singles": [str(p) for p in writes]},)
        )
        result["during"] = ask_while(docs, index, qs, lambda: not writer.ready())
        writer.get()
    from assistant.index import store

    result["segments_live"] = len(store.live_segments(index))
    result["after"] = in_child(warm_child, {"docs": str(docs), "index": str(index), "questions": qs})
    log(
        f"  one article {result['single_p50_s']:.2f} s (alone {result['alone_p50_s']:.2f} s), "
        f"{NEW_ARTICLES} articles {result['batch_s']:.1f} s (alone {result['alone_batch_s']:.1f} s)"
    )
    return result


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
    adds = results.get("adds")
    if adds:
        during, after = adds["during"], adds["after"]
        lines += [
            "",
            "Adding to the archive (`Assistant.add`, the model loaded; 'alone': the same articles added to an "
            "index of the two seed articles in the same process, what they cost without the archive):",
            "",
            "| what | to the archive | alone | beyond alone |",
            "| --- | --- | --- | --- |",
            f"| one article (median of {SINGLES}, one by one) | {adds['single_p50_s']:.2f} s "
            f"(max {adds['single_max_s']:.2f} s) | {adds['alone_p50_s']:.2f} s | "
            f"{adds['single_p50_s'] - adds['alone_p50_s']:+.2f} s |",
            f"| {adds['batch']:,} articles at once | {adds['batch_s']:.1f} s | {adds['alone_batch_s']:.1f} s | "
            f"{adds['batch_s'] / adds['alone_batch_s'] - 1:+.0%} |",
            "",
            f"`assistant add FILE` in a process of its own (model loading included), median of "
            f"{results.get('runs')}: {adds['cli_s']:.2f} s wall, peak RSS {adds['cli_mb']:,.0f} MB. The adding "
            f"process's peak RSS, archive opened and every add above: {adds['hwm_mb']:,.0f} MB. Segments live after "
            f"the {SINGLES} single adds: {adds['segments_after_singles']}; after the batch: {adds['segments']}.",
            "",
            f"Questions asked while another process added {SINGLES} articles one by one: {during['questions']} "
            f"questions, p50 {during['p50_ms']:.1f} ms, p95 {during['p95_ms']:.1f} ms, {during['error_count']} "
            f"errors; the asking process took up {during.get('reloads', 0)} new manifests (reloads timed with "
            f"the questions) and saw {during['documents_first']:,} documents first and "
            f"{during['documents_last']:,} last. Afterwards ({adds['segments_live']} segments live), a fresh "
            f"process: p50 {after['p50_ms']:.1f} ms, p95 {after['p95_ms']:.1f} ms, peak RSS {after['hwm_mb']:,.0f} MB.",
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
    parser.add_argument(
        "--adds",
        action="store_true",
        help=f"then add {SINGLES} articles one by one and {NEW_ARTICLES} at once, and ask while another process "
        "adds (the archive keeps them: --regrow writes it afresh)",
    )
    parser.add_argument("--adds-only", action="store_true", help="only the adds, on the archive as it is")
    parser.add_argument("--batch", type=int, default=NEW_ARTICLES, help="articles added at once by --adds")
    parser.add_argument("--grow-only", action="store_true", help="write the archive and stop (measure later, quiet)")
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
    archive_docs = ARCHIVE / f"docs-{args.passages}"
    grow_file = ARCHIVE / f"grow-{args.passages}.json"
    if args.regrow or not grow_file.is_file() or not (out / "CURRENT").is_file() or not archive_docs.is_dir():
        log(f"writing an archive of {args.passages:,} passages")
        spec = {
            "base": str(base),
            "out": str(out),
            "base_docs": str(docs),
            "docs": str(archive_docs),
            "passages": args.passages,
            "store": args.store,
        }
        write_json(grow_file, in_child(grow_child, spec))
    if args.grow_only:
        return
    qs = questions(args.questions)
    if args.recall_only:
        results = read_json(results_file)
        spec = {"store": str(out / "passages"), "questions": [q["question"] for q in qs]}
        results["recall"] = in_child(recall_child, spec)
        write_json(results_file, results)
        print(table(results))
        return
    if args.adds_only:
        results = read_json(results_file) if results_file.is_file() else {"runs": args.runs, "store": args.store}
        results["grow"] = read_json(grow_file)
        results["adds"] = measure_adds(archive_docs, out, args, qs)
        write_json(results_file, results)
        print(table(results))
        return
    results = {"store": args.store, "runs": args.runs, "grow": read_json(grow_file)}
    results["base"] = measure(f"base ({BASE_ARTICLES:,} articles)", docs, base, args, qs)
    results["archive"] = measure(f"archive ({args.passages:,} passages)", archive_docs, out, args, qs)
    if args.adds:
        results["adds"] = measure_adds(archive_docs, out, args, qs)
    if args.store == "embedded":
        spec = {"store": str(out / "passages"), "questions": [q["question"] for q in qs]}
        results["recall"] = in_child(recall_child, spec)
        log(f"  recall@10 {results['recall']['recall']:.3f}")
    write_json(results_file, results)
    print(table(results))


if __name__ == "__main__":
    main()
