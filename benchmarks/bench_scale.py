"""Scale of retrieval: the dense ANN index at 10k, 100k and 1M passages, and the product end to end.

Run from the project folder (heavy: run it niced, in the background, with a log)::

    nice .venv/bin/python benchmarks/bench_scale.py                    # everything
    nice .venv/bin/python benchmarks/bench_scale.py --skip-e2e --sizes 10000,100000
    nice .venv/bin/python benchmarks/bench_scale.py --skip-ann --articles 200,1000

Part 1 (ANN): real passages (about three sentences, cut by ``assistant.ingest.segment``) from
``../shared/data`` embedded with the product's embedder (``assistant.index.embed.load_embedder``,
its ONNX path); beyond the real passages, sizes are filled with perturbed copies of the
real vectors (said in the output). Each FAISS backend is built once per size, then a fresh
subprocess per run opens it (normally and memory-mapped) and answers the questions one at a
time on one thread, reporting open time, latency, recall@10 against exact search and its
peak resident memory (VmHWM).

Part 2 (end to end): the product as it is, through ``assistant index`` / ``assistant ask``
in subprocesses and ``Assistant.open(...).ask()`` in a child process, over folders of real
articles written to ``benchmarks/build/corpus-N/``.

Vectors, indexes and corpora are cached under ``benchmarks/build/`` (git-ignored): a rerun
measures again without re-embedding. See benchmarks/README.md, section "Scale".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script without installing the package
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the script is an edge: nothing downloads
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from timing import percentile  # noqa: E402  (benchmarks/ is the script folder)

DATA = ROOT.parent / "shared" / "data"  # ../shared beside the project
BUILD = ROOT / "benchmarks" / "build"
SCALE = BUILD / "scale"
PLOT = ROOT / "benchmarks" / "scale.png"
DIM = 384
K = 10
SEED = 0
PASSAGE_SENTENCES = 3
PASSAGE_CHARS = 800
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
EF_SEARCH = (32, 64, 128, 256, 512)
WARMUP = 10
E2E_QUESTION = "In what country is Normandy located?"

# backend name -> efSearch values measured on one build (None: not a graph)
BACKENDS: dict[str, tuple[int, ...] | tuple[None]] = {
    "flat": (None,),
    "hnsw": EF_SEARCH,
    "hnsw-sq8": (128, 256),
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def proc_status() -> dict[str, int]:
    """VmHWM (peak resident), VmRSS, RssAnon and RssFile of this process, in MB."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) // 1024
    return out


def disk_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(value, indent=1), encoding="utf-8")
    os.replace(tmp, path)


# --- real text ----------------------------------------------------------------------------


def source_documents() -> Iterator[tuple[str, str, list[str]]]:
    """(source, title, paragraphs) of every document in ../shared/data, in a fixed order."""
    for name in ("squad2-dev", "squad2-train"):
        for path in sorted((DATA / name / "docs").glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
            yield name, path.stem.replace("_", " "), paragraphs
    for part in ("new_wiki", "reddit", "amazon_reviews"):
        file = DATA / "squadshifts" / f"{part}_v1.0.json"
        if not file.is_file():
            continue
        for article in read_json(file)["data"]:
            contexts = [p["context"].strip() for p in article["paragraphs"]]
            yield f"squadshifts-{part}", str(article["title"]), contexts
    sections: dict[str, dict[str, str]] = {}
    for split in ("dev", "test"):
        file = DATA / "selqa" / f"ass_selqa-ass-{split}.json"
        if not file.is_file():
            continue
        for item in read_json(file):
            sections.setdefault(item["article"], {}).setdefault(item["section"], " ".join(item["candidates"]))
    for article in sorted(sections):
        yield "selqa", article, list(sections[article].values())


def articles() -> list[tuple[str, str, str]]:
    """(source, title, text) of news-sized articles: squad2-dev's 8 articles whole and first
    (the warm questions are theirs), then every other document cut into parts of at most 3
    paragraphs (news-sized: 2,912 articles, 7.4 M characters in all), in a fixed random order."""
    first, rest = [], []
    for source, title, paragraphs in source_documents():
        if source == "squad2-dev":
            first.append((source, title, "\n\n".join(paragraphs)))
            continue
        parts = [paragraphs[i : i + 3] for i in range(0, len(paragraphs), 3)]
        for n, part in enumerate(parts):
            label = title if len(parts) == 1 else f"{title} (part {n + 1})"
            rest.append((source, label, "\n\n".join(part)))
    random.Random(SEED).shuffle(rest)
    return first + rest


def split_passages(text: str) -> list[str]:
    """Passages of at most three sentences within a paragraph, by the product's segmenter
    (boilerplate left out, as the product leaves it out of retrieval)."""
    from assistant.config import SegmentationConfig
    from assistant.ingest.segment import segment

    config = SegmentationConfig(passage_max_sentences=PASSAGE_SENTENCES, passage_max_chars=PASSAGE_CHARS)
    groups: dict[int, list[tuple[int, int]]] = {}
    for span in segment(text, "txt", config):
        if span.kind == "body":
            groups.setdefault(span.passage, []).append((span.start, span.end))
    return [text[g[0][0] : g[-1][1]] for g in groups.values()]


def real_passages() -> list[dict[str, str]]:
    cache = SCALE / "passages.jsonl"
    if cache.is_file():
        return [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
    seen: set[str] = set()
    rows = []
    for source, title, paragraphs in source_documents():
        for passage in split_passages("\n\n".join(paragraphs)):
            if len(passage) >= 20 and passage not in seen:
                seen.add(passage)
                rows.append({"source": source, "title": title, "text": passage})
    random.Random(SEED).shuffle(rows)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return rows


def question_texts() -> list[str]:
    lines = (DATA / "squad2-dev" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines]
    random.Random(SEED).shuffle(questions)
    return questions


# --- vectors ------------------------------------------------------------------------------


def embedder() -> Any:
    from assistant.config import default_cache_dir
    from assistant.index.embed import load_embedder

    return load_embedder(None, cache_dir=str(default_cache_dir()))


def embedding_rate(sample: int, runs: int) -> dict[str, Any]:
    """Passages/s of the product's embedder as it is now, on the first ``sample`` real
    passages (median of ``runs``); the cached vectors may come from an earlier embedder."""
    texts = [r["text"] for r in real_passages()[:sample]]
    model = embedder()
    model.encode(texts[:64])  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        model.encode(texts)
        times.append(time.perf_counter() - t0)
    rate = len(texts) / statistics.median(times)
    log(f"embedding now: {rate:.0f} passages/s over {len(texts)} passages")
    return {
        "passages": len(texts),
        "passages_per_s": rate,
        "embedder": type(model).__name__,
        "runs": runs,
        "load_average": os.getloadavg()[0],
    }


def real_vectors() -> tuple[np.ndarray, dict[str, Any]]:
    """MiniLM vectors of every real passage (cached), and how fast they were embedded."""
    vectors_file, stats_file = SCALE / "passages.npy", SCALE / "passages-embed.json"
    if vectors_file.is_file() and stats_file.is_file():
        return np.load(vectors_file, mmap_mode="r"), read_json(stats_file)
    rows = real_passages()
    texts = [r["text"] for r in rows]
    model = embedder()
    log(f"embedding {len(texts)} real passages with {type(model).__name__}")
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    chunk = 2048
    t0 = time.perf_counter()
    for start in range(0, len(texts), chunk):
        out[start : start + chunk] = model.encode(texts[start : start + chunk])
        done = min(start + chunk, len(texts))
        log(f"  {done}/{len(texts)} passages, {done / (time.perf_counter() - t0):.0f}/s")
    seconds = time.perf_counter() - t0
    stats = {
        "passages": len(texts),
        "seconds": seconds,
        "passages_per_s": len(texts) / seconds,
        "mean_chars": sum(map(len, texts)) / len(texts),
        "embedder": type(model).__name__,
        "threads": getattr(model, "workers", None),
        "load_average": os.getloadavg()[0],
        "sources": {s: sum(r["source"] == s for r in rows) for s in sorted({r["source"] for r in rows})},
    }
    np.save(vectors_file, out)
    write_json(stats_file, stats)
    return out, stats


def query_vectors(n: int) -> np.ndarray:
    cache = SCALE / "queries.npy"
    if cache.is_file():
        vectors = np.load(cache)
        if len(vectors) >= n:
            return vectors[:n]
    from assistant.index.embed import embed_query

    model = embedder()
    questions = question_texts()[: max(n, 1000)]
    vectors = np.stack([embed_query(model, q) for q in questions]).astype(np.float32)
    np.save(cache, vectors)
    return vectors[:n]


def synthetic_rows(real: np.ndarray, start: int, stop: int, seed: int) -> np.ndarray:
    """Rows ``start..stop`` beyond the real ones: a real vector (cycled) plus noise shaped
    like the real vectors' own covariance, of a norm drawn per row so that the copy keeps a
    cosine of about 0.80 to 0.93 with its original; renormalised."""
    rng = np.random.default_rng(seed + start)
    sample = np.asarray(real[: min(len(real), 20000)], dtype=np.float64)
    cov = np.cov(sample, rowvar=False)
    values, vecs = np.linalg.eigh(cov)
    shape = (vecs * np.sqrt(np.clip(values, 0, None))).astype(np.float32)
    n = stop - start
    origin = np.asarray(real[np.arange(start, stop) % len(real)], dtype=np.float32)
    noise = rng.standard_normal((n, DIM), dtype=np.float32) @ shape.T
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    scale = rng.uniform(0.4, 0.75, size=(n, 1)).astype(np.float32)  # cos = 1/sqrt(1+s^2): 0.80..0.93
    out = origin + scale * noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def base_vectors(size: int, real: np.ndarray, seed: int = SEED) -> np.ndarray:
    """The first ``size`` vectors: real ones, then perturbed copies; a float32 memmap on disk."""
    path = SCALE / f"base-{size}-r{len(real)}.f32"
    if path.is_file() and path.stat().st_size == size * DIM * 4:
        return np.memmap(path, dtype=np.float32, mode="r", shape=(size, DIM))
    tmp = path.with_suffix(".tmp")
    out = np.memmap(tmp, dtype=np.float32, mode="w+", shape=(size, DIM))
    n_real = min(size, len(real))
    out[:n_real] = real[:n_real]
    for start in range(n_real, size, 100_000):
        stop = min(size, start + 100_000)
        out[start:stop] = synthetic_rows(real, start, stop, seed)
    out.flush()
    del out
    os.replace(tmp, path)
    return np.memmap(path, dtype=np.float32, mode="r", shape=(size, DIM))


def ground_truth(name: str, base: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Exact top-10 ids by inner product (numpy in chunks), cached."""
    path = SCALE / f"gt-{name}-q{len(queries)}.npy"
    if path.is_file():
        return np.load(path)
    best_s = np.full((len(queries), K), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), K), dtype=np.int64)
    for start in range(0, len(base), 100_000):
        chunk = np.asarray(base[start : start + 100_000])
        scores = queries @ chunk.T
        top = np.argpartition(-scores, K, axis=1)[:, :K]
        s = np.concatenate([best_s, np.take_along_axis(scores, top, axis=1)], axis=1)
        i = np.concatenate([best_i, top + start], axis=1)
        keep = np.argsort(-s, axis=1)[:, :K]
        best_s, best_i = np.take_along_axis(s, keep, axis=1), np.take_along_axis(i, keep, axis=1)
    np.save(path, best_i)
    return best_i


# --- ANN: build (in this process) and query (in a fresh child per run) ---------------------


def new_index(backend: str) -> Any:
    import faiss

    if backend == "flat":
        return faiss.IndexFlatIP(DIM)
    if backend == "hnsw":
        index = faiss.IndexHNSWFlat(DIM, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    elif backend == "hnsw-sq8":
        index = faiss.IndexHNSWSQ(DIM, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    else:
        raise ValueError(backend)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    return index


def build_index(name: str, backend: str, base: np.ndarray, rebuild: bool) -> dict[str, Any]:
    """Build (all cores, in chunks read from the memmap), write; cached with its timings."""
    import faiss

    path, stats_file = SCALE / f"index-{name}-{backend}.faiss", SCALE / f"index-{name}-{backend}.json"
    if not rebuild and path.is_file() and stats_file.is_file():
        return read_json(stats_file)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    log(f"building {backend} over {len(base)} vectors ({name})")
    index = new_index(backend)
    t0 = time.perf_counter()
    if not index.is_trained:
        index.train(np.asarray(base[: min(len(base), 100_000)]))
    for start in range(0, len(base), 50_000):
        index.add(np.asarray(base[start : start + 50_000]))
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    faiss.write_index(index, str(path))
    write_s = time.perf_counter() - t1
    stats = {
        "vectors": int(index.ntotal),
        "build_s": seconds,
        "vectors_per_s": index.ntotal / seconds,
        "write_s": write_s,
        "size_mb": disk_mb(path),
        "threads": os.cpu_count(),
    }
    write_json(stats_file, stats)
    log(f"  built in {seconds:.1f} s ({stats['vectors_per_s']:.0f}/s), {stats['size_mb']:.0f} MB")
    return stats


def query_child(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: open the index, answer each query alone on one thread."""
    import faiss

    faiss.omp_set_num_threads(1)
    queries = np.load(spec["queries"])
    truth = np.load(spec["truth"])
    baseline = proc_status()
    flags = faiss.IO_FLAG_MMAP_IFC if spec["mode"] == "mmap" else 0
    t0 = time.perf_counter()
    index = faiss.read_index(spec["index"], flags)
    open_s = time.perf_counter() - t0
    after_open = proc_status()
    if spec["ef"]:
        index.hnsw.efSearch = int(spec["ef"])
    t0 = time.perf_counter()
    index.search(queries[-1][None, :], K)  # the first question pays the page faults of a mapped file
    first_s = time.perf_counter() - t0
    for q in queries[:WARMUP]:
        index.search(q[None, :], K)
    times, found = [], []
    for q in queries:
        t = time.perf_counter()
        _, ids = index.search(q[None, :], K)
        times.append(time.perf_counter() - t)
        found.append(ids[0])
    hits = [len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True)]
    end = proc_status()
    return {
        "open_s": open_s,
        "p50_ms": percentile(times, 50) * 1000,
        "p95_ms": percentile(times, 95) * 1000,
        "recall": sum(hits) / (K * len(hits)),
        "first_ms": first_s * 1000,
        "hwm_mb": end["VmHWM"],
        "anon_mb": end["RssAnon"],
        "anon_after_open_mb": after_open["RssAnon"] - baseline["RssAnon"],
        "baseline_mb": baseline["VmHWM"],
        "queries": len(queries),
    }


def run_child(flag: str, spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, flag, json.dumps(spec)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {flag} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_queries(spec: dict[str, Any], runs: int) -> dict[str, Any]:
    """Medians over ``runs`` fresh processes (peak memory: the largest)."""
    results = [run_child("--child-query", spec) for _ in range(runs)]
    keys = ("open_s", "first_ms", "p50_ms", "p95_ms", "recall")
    merged = {key: statistics.median(r[key] for r in results) for key in keys}
    merged["hwm_mb"] = max(r["hwm_mb"] for r in results)
    merged["anon_mb"] = max(r["anon_mb"] for r in results)
    merged["anon_after_open_mb"] = statistics.median(r["anon_after_open_mb"] for r in results)
    merged["baseline_mb"] = results[0]["baseline_mb"]
    merged["queries"] = results[0]["queries"]
    merged["runs"] = runs
    return merged


def size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def run_ann(args: argparse.Namespace) -> dict[str, Any]:
    real, embed_stats = real_vectors()
    log(f"{len(real)} real passage vectors ({embed_stats['passages_per_s']:.0f} passages/s when embedded)")
    embed_now = embedding_rate(args.embed_sample, args.runs) if args.embed_sample else None
    queries = query_vectors(args.queries)
    queries_file = SCALE / f"queries-{len(queries)}.npy"
    np.save(queries_file, queries)
    rows = []
    configs = [(size, f"{size_label(size)}", real) for size in args.sizes]
    if args.calibrate and len(real) >= 20000:
        # The same size twice: all real, and a tenth real grown by the perturbation above.
        configs.append((20000, "20k-real", real))
        configs.append((20000, "20k-synth", np.asarray(real[:2000])))
    for size, name, source in configs:
        base = base_vectors(size, source)
        real_share = min(size, len(source)) / size
        ground_truth(name + f"-r{len(source)}", base, queries)
        truth_file = SCALE / f"gt-{name}-r{len(source)}-q{len(queries)}.npy"
        for backend in args.backends:
            stats = build_index(f"{name}-r{len(source)}", backend, base, args.rebuild)
            for ef in BACKENDS[backend]:
                for mode in args.modes:
                    n_queries = len(queries) if backend != "flat" or size < 500_000 else min(len(queries), 200)
                    spec = {
                        "index": str(SCALE / f"index-{name}-r{len(source)}-{backend}.faiss"),
                        "queries": str(SCALE / f"queries-{n_queries}.npy"),
                        "truth": str(SCALE / f"gt-{name}-r{len(source)}-q{n_queries}.npy"),
                        "ef": ef,
                        "mode": mode,
                    }
                    if n_queries != len(queries):
                        np.save(spec["queries"], queries[:n_queries])
                        np.save(spec["truth"], np.load(truth_file)[:n_queries])
                    log(f"querying {name} {backend} ef={ef} {mode}")
                    measured = measure_queries(spec, args.runs)
                    row = {
                        "size": size,
                        "name": name,
                        "real_share": real_share,
                        "backend": backend,
                        "ef": ef,
                        "mode": mode,
                        **stats,
                        **measured,
                    }
                    rows.append(row)
                    log(
                        f"  open {row['open_s'] * 1000:.1f} ms, p50 {row['p50_ms']:.3f} ms, "
                        f"recall {row['recall']:.3f}, peak {row['hwm_mb']} MB"
                    )
                    write_json(
                        SCALE / "results-ann.json",
                        {"embed": embed_stats, "embed_now": embed_now, "rows": rows, "argv": args.argv},
                    )
    return {"embed": embed_stats, "embed_now": embed_now, "rows": rows, "argv": args.argv}


# --- end to end: the product through its CLI and facade ------------------------------------


def write_corpus(n: int) -> tuple[Path, int, int]:
    """A folder of ``n`` articles (or all there are), one .txt each: title line, then text."""
    chosen = articles()[:n]
    folder = BUILD / f"corpus-{len(chosen)}"
    marker = folder / ".complete"
    if not marker.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for k, (_, title, text) in enumerate(chosen):
            slug = re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_")[:60]
            (folder / f"{k:05d}-{slug}.txt").write_text(f"{title}\n\n{text}\n", encoding="utf-8")
        marker.write_text("")
    return folder, len(chosen), sum(len(t) for _, _, t in chosen)


def cli() -> list[str]:
    exe = Path(sys.executable).with_name("assistant")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant"]


def timed_process(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds and peak resident MB of one process (GNU time -v when present)."""
    gnu_time = Path("/usr/bin/time")
    wrapped = [str(gnu_time), "-v", *command] if gnu_time.exists() else command
    t0 = time.perf_counter()
    done = subprocess.run(wrapped, capture_output=True, text=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - t0
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if match:
        peak = int(match.group(1)) / 1024
    else:
        import resource

        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()[-2000:]}")
    return seconds, peak, done


def warm_child(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: open the product on a built index, time warm questions."""
    from assistant.config import Config
    from assistant.core import Assistant

    config = Config(docs_dir=Path(spec["docs"]), index_dir=Path(spec["index"]))
    t0 = time.perf_counter()
    try:
        assistant = Assistant.open(config, update=False)
    except TypeError:  # a facade without the ``update`` switch
        assistant = Assistant.open(config)
    open_s = time.perf_counter() - t0
    questions = spec["questions"]
    for q in questions[:3]:
        assistant.ask(q)
    times = []
    for q in questions[3:]:
        t = time.perf_counter()
        assistant.ask(q)
        times.append(time.perf_counter() - t)
    return {
        "open_s": open_s,
        "p50_ms": percentile(times, 50) * 1000,
        "p95_ms": percentile(times, 95) * 1000,
        "questions": len(times),
        "hwm_mb": proc_status()["VmHWM"],
    }


def run_e2e(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    questions = [
        json.loads(line)["question"]
        for line in (DATA / "squad2-dev" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    questions = random.Random(SEED).sample(questions, args.warm_questions + 3)
    for n in args.articles:
        docs, n, chars = write_corpus(n)
        index = BUILD / "e2e" / f"index-{n}"
        builds_file = BUILD / "e2e" / f"index-{n}-builds.json"
        if args.e2e_builds == 0 and builds_file.is_file() and index.is_dir():
            builds = read_json(builds_file)  # measured by an earlier run; only the questions are timed again
        else:
            builds = []
            for _ in range(max(1, args.e2e_builds)):
                shutil.rmtree(index, ignore_errors=True)
                log(f"assistant index over {n} articles ({chars / 1e6:.1f} M characters)")
                seconds, peak, _ = timed_process(cli() + ["index", "--docs", str(docs), "--index", str(index)])
                builds.append((seconds, peak, os.getloadavg()[0]))
                log(f"  {seconds:.1f} s, peak {peak:.0f} MB")
            write_json(builds_file, builds)
        build_s = statistics.median(b[0] for b in builds)
        asks = []
        for _ in range(args.runs):
            command = cli() + ["ask", "--docs", str(docs), "--index", str(index), E2E_QUESTION]
            seconds, peak, _ = timed_process(command)
            asks.append((seconds, peak))
        log(f"  one-shot ask {statistics.median(s for s, _ in asks):.2f} s")
        warm = [
            run_child("--child-warm", {"docs": str(docs), "index": str(index), "questions": questions})
            for _ in range(args.runs)
        ]
        row = {
            "articles": n,
            "chars": chars,
            "build_s": build_s,
            "articles_per_s": n / build_s,
            "build_peak_mb": max(b[1] for b in builds),
            "build_load": builds[-1][2] if len(builds[-1]) > 2 else None,
            "load": os.getloadavg()[0],
            "index_mb": disk_mb(index),
            "ask_s": statistics.median(s for s, _ in asks),
            "ask_peak_mb": max(p for _, p in asks),
            "open_s": statistics.median(w["open_s"] for w in warm),
            "p50_ms": statistics.median(w["p50_ms"] for w in warm),
            "p95_ms": statistics.median(w["p95_ms"] for w in warm),
            "warm_peak_mb": max(w["hwm_mb"] for w in warm),
            "questions": warm[0]["questions"],
            "runs": args.runs,
            "builds": len(builds),
        }
        log(f"  warm p50 {row['p50_ms']:.1f} ms")
        rows.append(row)
        write_json(SCALE / "results-e2e.json", {"rows": rows, "argv": args.argv})
    return rows


# --- report -------------------------------------------------------------------------------


def merged_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (size, backend, efSearch): the 'read' figures, with the 'mmap' ones beside."""
    out: dict[tuple[str, str, Any], dict[str, Any]] = {}
    for r in rows:
        row = out.setdefault((r["name"], r["backend"], r["ef"]), dict(r))
        if r["mode"] == "mmap":
            row["mmap"] = r
        else:
            row.update(r)
    return list(out.values())


def ann_table(result: dict[str, Any]) -> list[str]:
    embed = result["embed"]
    rows = merged_rows(result["rows"])
    main = [r for r in rows if not r["name"].endswith(("-real", "-synth"))]
    lines = [
        "### Dense ANN index (FAISS), one thread per query",
        "",
        f"Real passages: {embed['passages']:,} (at most {PASSAGE_SENTENCES} sentences of one paragraph, mean "
        f"{embed['mean_chars']:.0f} characters), embedded by the product's {embed['embedder']} at "
        f"**{embed['passages_per_s']:.0f} passages/s** ({embed['threads']} threads, {embed['seconds']:.0f} s"
        + (f", load average {embed['load_average']:.1f} at the end" if "load_average" in embed else "")
        + "). 'real' is the share of real vectors; the rest are perturbed copies of them (synthetic).",
        "",
        *embed_now_line(result.get("embed_now")),
        "| passages | real | backend | efSearch | build (2 cores) | added/s | on disk | open: read / mmap | "
        "1st query: read / mmap | peak RSS: read / mmap | own (anon) RSS: read / mmap | p50 | p95 | recall@10 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    nan = float("nan")
    for r in main:
        m = r.get("mmap", {})
        lines.append(
            f"| {r['name']} | {r['real_share']:.0%} | {r['backend']} | {r['ef'] or '-'} | "
            f"{seconds(r['build_s'])} | {r['vectors_per_s']:,.0f} | {r['size_mb']:,.0f} MB | "
            f"{r['open_s'] * 1000:,.1f} / {m.get('open_s', nan) * 1000:,.1f} ms | "
            f"{r.get('first_ms', nan):,.2f} / {m.get('first_ms', nan):,.2f} ms | "
            f"{r['hwm_mb']:,} / {m.get('hwm_mb', nan):,} MB | {r.get('anon_mb', nan):,} / {m.get('anon_mb', nan):,} MB | "
            f"{r['p50_ms']:.3f} ms | {r['p95_ms']:.3f} ms | {r['recall']:.3f} |"
        )
    if main:
        r = main[0]
        lines += [
            "",
            f"Latency and recall over {r['queries']} squad2-dev questions (200 for flat at 1M), asked one at a time, "
            f"median of {r['runs']} fresh processes (one thread each, the file opened normally); open, first query "
            f"and memory from the same processes, opened normally ('read') and memory-mapped ('mmap', "
            f"faiss.IO_FLAG_MMAP_IFC; its p50 is within noise of 'read'). Peak RSS is VmHWM, the "
            f"~{r['baseline_mb']} MB of Python, numpy and faiss included; mapped, it counts the file pages the "
            "questions touched, which the OS can drop again, while 'own (anon) RSS' (RssAnon at the end) is the "
            "memory that is the process's alone. The index files were in the OS page cache (just built): mapped "
            "opens and first queries are warm-cache figures. Builds: once per size, all cores.",
        ]
    lines += ["", *calibration_table(rows), "", *growth_table(rows)]
    return lines


def embed_now_line(now: dict[str, Any] | None) -> list[str]:
    if not now:
        return []
    return [
        f"The product's embedder at the time of this run ({now['embedder']}): **{now['passages_per_s']:.0f} "
        f"passages/s** on the first {now['passages']:,} of them (median of {now['runs']}, load average "
        f"{now['load_average']:.1f}).",
        "",
    ]


def calibration_table(rows: list[dict[str, Any]]) -> list[str]:
    """The same 20k passages real, and made from a tenth of them by the perturbation."""
    real = {(r["backend"], r["ef"]): r for r in rows if r["name"] == "20k-real"}
    synth = {(r["backend"], r["ef"]): r for r in rows if r["name"] == "20k-synth"}
    keys = [k for k in real if k in synth and k[1] is not None]
    if not keys:
        return []
    lines = [
        "Is the perturbation a fair stand-in? 20k vectors all real, against 2k real ones grown to 20k by it:",
        "",
        "| backend | efSearch | recall@10 real | recall@10 synthetic | p50 real | p50 synthetic |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for k in keys:
        a, b = real[k], synth[k]
        lines.append(
            f"| {k[0]} | {k[1]} | {a['recall']:.3f} | {b['recall']:.3f} | {a['p50_ms']:.3f} ms | {b['p50_ms']:.3f} ms |"
        )
    return lines


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:,.1f} s"


def growth_table(rows: list[dict[str, Any]]) -> list[str]:
    """Factor per decade (x10 passages) of each measure, for the sizes 10k, 100k, 1M."""
    by_key: dict[tuple[str, Any], dict[int, dict[str, Any]]] = {}
    for r in rows:
        if r["name"].endswith(("-real", "-synth")) or r["ef"] not in (None, 256):
            continue
        by_key.setdefault((r["backend"], r["ef"]), {})[r["size"]] = r
    lines = [
        "Growth per decade (x10 passages), opened normally; p50 and recall at efSearch 256:",
        "",
        "| backend | step | build | on disk | open | peak RSS | p50 | recall@10 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (backend, _), sizes in by_key.items():
        ordered = sorted(sizes)
        for a, b in zip(ordered, ordered[1:], strict=False):
            if b != 10 * a:
                continue
            ra, rb = sizes[a], sizes[b]
            lines.append(
                f"| {backend} | {size_label(a)} -> {size_label(b)} | "
                f"x{rb['build_s'] / ra['build_s']:.1f} | x{rb['size_mb'] / ra['size_mb']:.1f} | "
                f"x{rb['open_s'] / max(ra['open_s'], 1e-6):.1f} | x{rb['hwm_mb'] / ra['hwm_mb']:.1f} | "
                f"x{rb['p50_ms'] / ra['p50_ms']:.1f} | {ra['recall']:.3f} -> {rb['recall']:.3f} |"
            )
    return lines


def load(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def e2e_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "### End to end: the product as it is (`assistant index`, `assistant ask`, `Assistant.open().ask()`)",
        "",
        "| articles | characters | index build | articles/s | build peak RSS | index on disk | "
        "one-shot `ask` | `ask` peak RSS | open in process | warm p50 | warm p95 | process peak RSS | load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['articles']:,} | {r['chars'] / 1e6:.1f} M | {r['build_s']:.1f} s | {r['articles_per_s']:.1f} | "
            f"{r['build_peak_mb']:,.0f} MB | {r['index_mb']:,.0f} MB | {r['ask_s']:.2f} s | "
            f"{r['ask_peak_mb']:,.0f} MB | {r['open_s']:.2f} s | {r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms | "
            f"{r['warm_peak_mb']:,} MB | {load(r.get('build_load'))} / {load(r.get('load'))} |"
        )
    if rows:
        r = rows[0]
        lines += [
            "",
            f'Index builds: {r["builds"]} per size (median); one-shot `assistant ask "{E2E_QUESTION}"`: '
            f"median of {r['runs']} processes, peak RSS from `/usr/bin/time -v` (largest); warm questions: "
            f"{r['questions']} squad2-dev questions after 3 untimed, in a fresh process that opens the built "
            f"index (`Assistant.open(config, update=False)`, model load included in its open time), median "
            f"of {r['runs']} processes. Load: the 1-minute load average after the build / after the questions "
            "(2 cores: above 2, other work was competing for them).",
        ]
    return lines


def plot(ann: dict[str, Any]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing (pip install -e '.[bench]'): no plot")
        return
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    rows = [r for r in ann.get("rows", []) if not r["name"].endswith(("-real", "-synth"))]

    def draw(ax: Any, key: str, pick: Any, label: Any, style: str = "-") -> None:
        series: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            if pick(r):
                series.setdefault(label(r), []).append(r)
        for name, points in series.items():
            points = sorted(points, key=lambda r: r["size"])
            ax.plot([p["size"] for p in points], [p[key] for p in points], style, marker="o", label=name)

    first_ef = {backend: efs[0] for backend, efs in BACKENDS.items()}
    by_ef = lambda r: r["backend"] + (f" ef{r['ef']}" if r["ef"] else "")  # noqa: E731
    draw(axes[0, 0], "p50_ms", lambda r: r["mode"] == "read", by_ef)
    axes[0, 0].set_title("search p50 (ms, one thread, one question)")
    by_backend = lambda r: r["backend"]  # noqa: E731
    draw(axes[0, 1], "hwm_mb", lambda r: r["mode"] == "read" and r["ef"] == first_ef[r["backend"]], by_backend)
    draw(
        axes[0, 1],
        "anon_mb",
        lambda r: r["mode"] == "mmap" and r["ef"] == first_ef[r["backend"]] and "anon_mb" in r,
        lambda r: r["backend"] + " mmap (anon)",
        "--",
    )
    axes[0, 1].set_title("peak RSS (read) / own memory (mmap), MB")
    draw(axes[1, 0], "build_s", lambda r: r["mode"] == "read" and r["ef"] == first_ef[r["backend"]], by_backend)
    axes[1, 0].set_title("build time (s, 2 cores)")
    draw(axes[1, 1], "recall", lambda r: r["mode"] == "read", by_ef)
    axes[1, 1].set_title("recall@10 against exact search")
    for ax in axes.flat:
        ax.set_xscale("log")
        ax.set_xlabel("passages")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in (axes[0, 0], axes[0, 1], axes[1, 0]):
        ax.set_yscale("log")
    axes[0, 1].axhline(4096, color="red", lw=0.8, ls="--")
    axes[1, 1].axhline(0.95, color="red", lw=0.8, ls="--")
    fig.suptitle("FAISS over MiniLM passage vectors (10k: real; 100k and 1M: mostly perturbed copies). Red: 1M targets")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=80)
    log(f"plot written to {PLOT}")


def render(ann: dict[str, Any] | None, e2e: dict[str, Any] | None) -> str:
    lines = [
        f"# Scale benchmark ({platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs)",
        "",
        "Load average when this was printed (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()) + ".",
        "",
    ]
    for part in (ann, e2e):
        if part is not None:
            command = " ".join(["nice .venv/bin/python benchmarks/bench_scale.py", *part.get("argv", [])])
            lines += [f"Measured by: `{command}`", ""]
            lines += (ann_table(part) if part is ann else e2e_table(part["rows"])) + [""]
    return "\n".join(lines)


def last_results() -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """What the last measuring runs wrote under benchmarks/build/scale/."""
    ann_file, e2e_file = SCALE / "results-ann.json", SCALE / "results-e2e.json"
    ann = read_json(ann_file) if ann_file.is_file() else None
    e2e = read_json(e2e_file) if e2e_file.is_file() else None
    if isinstance(e2e, list):
        e2e = {"rows": e2e}
    return ann, e2e


def int_list(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int_list, default=[10_000, 100_000, 1_000_000], help="ANN sizes")
    parser.add_argument("--backends", type=lambda t: t.split(","), default=list(BACKENDS), help="flat,hnsw,hnsw-sq8")
    parser.add_argument("--modes", type=lambda t: t.split(","), default=["read", "mmap"], help="read,mmap")
    parser.add_argument("--queries", type=int, default=500, help="questions per ANN run (at least 200)")
    parser.add_argument(
        "--embed-sample", type=int, default=2048, help="passages embedded again to time today's embedder (0: skip)"
    )
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per measurement (median)")
    parser.add_argument("--articles", type=int_list, default=[200, 1000, 3000], help="end-to-end corpus sizes")
    parser.add_argument(
        "--e2e-builds", type=int, default=1, help="index builds per corpus size (median); 0: reuse the last ones"
    )
    parser.add_argument("--warm-questions", type=int, default=60, help="warm questions per process (>= 30)")
    parser.add_argument("--skip-ann", action="store_true", help="leave out the ANN part")
    parser.add_argument("--skip-e2e", action="store_true", help="leave out the end-to-end part")
    parser.add_argument("--no-calibrate", dest="calibrate", action="store_false", help="skip 20k real vs synthetic")
    parser.add_argument("--rebuild", action="store_true", help="build the ANN indexes again even when cached")
    parser.add_argument(
        "--report", action="store_true", help="measure nothing: print (and plot) the last results again"
    )
    parser.add_argument("--no-plot", dest="plot", action="store_false", help="do not write benchmarks/scale.png")
    args = parser.parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])
    unknown = set(args.backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backends {sorted(unknown)}")
    if args.queries < 200 or args.warm_questions < 30 or args.runs < 1:
        parser.error("--queries must be >= 200, --warm-questions >= 30 and --runs >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(argv if argv is not None else sys.argv[1:])
    if argv[:1] == ["--child-query"]:
        print(json.dumps(query_child(json.loads(argv[1]))))
        return
    if argv[:1] == ["--child-warm"]:
        print(json.dumps(warm_child(json.loads(argv[1]))))
        return
    args = parse_args(argv)
    if not (DATA / "squad2-dev" / "questions.jsonl").is_file():
        sys.exit(f"{DATA} is absent: the scale benchmark needs its real text and questions.")
    if args.report:
        ann, e2e = last_results()
        if args.plot and ann is not None:
            plot(ann)
        print(render(ann, e2e))
        return
    SCALE.mkdir(parents=True, exist_ok=True)
    ann = None if args.skip_ann else run_ann(args)
    e2e = None if args.skip_e2e else {"rows": run_e2e(args), "argv": args.argv}
    if args.plot and ann is not None:
        plot(ann)
    print(render(ann, e2e))


if __name__ == "__main__":
    main()
