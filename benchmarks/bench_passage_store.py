"""Passage store backends on ~20k real passages: build, open, latency, recall, disk size.

Run: ``nice .venv/bin/python benchmarks/bench_passage_store.py [--n 20000] [--edge PATH]``.
Passages are 2-sentence groups of the SQuADShifts contexts (Wikipedia, Reddit, Amazon
reviews) in ``../shared/data/squadshifts``, embedded with the product's all-MiniLM-L6-v2
(ONNX); queries are 200 of their questions. Vectors are cached in ``--cache`` so a rerun
does not embed again. ``--edge PATH`` adds Qdrant Edge (``qdrant-edge-py`` installed there
with ``pip install --target PATH``; it is not a dependency). Prints markdown tables.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from assistant.index import passages as ps  # noqa: E402
from assistant.index.bm25 import LexicalIndex  # noqa: E402
from assistant.index.passages import embedded, qdrant  # noqa: E402
from assistant.language.terms import terms  # noqa: E402

SHIFTS = ROOT.parent / "shared" / "data" / "squadshifts"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
K = 10


def load_passages(n: int) -> tuple[list[ps.PassageRecord], list[str]]:
    """(records without vectors yet, questions): 2-sentence passages of the contexts."""
    rng = random.Random(7)
    records, questions = [], []
    for name in ("new_wiki", "reddit", "amazon_reviews"):
        data = json.loads((SHIFTS / f"{name}_v1.0.json").read_text(encoding="utf-8"))
        for a, article in enumerate(data["data"]):
            for p, paragraph in enumerate(article["paragraphs"]):
                doc_id = f"{name}/{a}/{p}"
                published = (
                    None
                    if rng.random() < 0.1
                    else f"20{rng.randint(15, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                )
                context = paragraph["context"]
                questions.extend(q["question"] for q in paragraph["qas"])
                sentences = [s for s in _SENTENCE.split(context) if s.strip()]
                offset = 0
                for i in range(0, len(sentences), 2):
                    text = " ".join(sentences[i : i + 2])
                    start = context.find(sentences[i], offset)
                    records.append(
                        ps.PassageRecord(len(records), doc_id, text, start, start + len(text), published, None)
                    )  # type: ignore[arg-type]
                    offset = max(start, 0)
    if len(records) < n:
        raise SystemExit(f"only {len(records)} passages in {SHIFTS}")
    rng.shuffle(questions)
    return records[:n], questions[:200]


def embed_all(texts: list[str], cache: Path) -> np.ndarray:
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache / f"vectors-{len(texts)}-{key}.npy"
    if path.exists():
        return np.load(path)
    from assistant.index.embed import load_embedder

    embedder = load_embedder(cache_dir=cache / "model")
    t0 = time.perf_counter()
    vectors = embedder.encode(texts, batch_size=64).astype(np.float32)
    print(f"embedded {len(texts)} texts in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round((len(ordered) - 1) * q / 100)))]


def ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.2f} / {1000 * pct(values, 95):.2f}"


def disk(path: Path) -> str:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return f"{total / 1e6:.1f} MB"


def timings(fn, queries) -> tuple[list[float], list]:  # type: ignore[no-untyped-def]
    fn(queries[0])
    out, results = [], []
    for q in queries:
        t0 = time.perf_counter()
        results.append(fn(q))
        out.append(time.perf_counter() - t0)
    return out, results


def recall(got: list[list[int]], truth: list[list[int]]) -> float:
    return float(np.mean([len(set(g) & set(t)) / max(1, len(t)) for g, t in zip(got, truth, strict=True)]))


def open_time(spec: str, dim: int, query: list[float]) -> str:
    """Open in a fresh process and answer one query (the page cache is warm)."""
    code = (
        "import sys,time,numpy as np; t=time.perf_counter();"
        f"sys.path.insert(0,{str(ROOT)!r}); from assistant.index.passages import open_store;"
        "t1=time.perf_counter();"
        f"s=open_store({spec!r},{dim}); t2=time.perf_counter();"
        f"s.dense_search(np.array({query!r},dtype=np.float32),10); t3=time.perf_counter();"
        "print(f'{(t2-t1)*1000:.0f} ms open, {(t3-t2)*1000:.0f} ms first query')"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "passage-store-bench")
    parser.add_argument("--edge", type=Path, default=None, help="folder where qdrant-edge-py is installed")
    parser.add_argument("--skip-qdrant", action="store_true")
    args = parser.parse_args()

    records, questions = load_passages(args.n)
    vectors = embed_all([r.text for r in records], args.cache)
    qvectors = embed_all(questions, args.cache)
    records = [
        ps.PassageRecord(r.id, r.doc_id, r.text, r.start, r.end, r.published, vectors[i]) for i, r in enumerate(records)
    ]
    dim = vectors.shape[1]
    exact = [list(np.argsort(-(vectors @ q), kind="stable")[:K]) for q in qvectors]
    qterms = [terms(q) for q in questions]
    print(
        f"{len(records)} passages ({len(set(r.doc_id for r in records))} documents), {len(questions)} questions, dim {dim}\n"
    )

    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    rows: list[tuple[str, ...]] = []

    # -- flat against HNSW, by segment size ----------------------------------------------
    import faiss

    faiss.omp_set_num_threads(1)
    print(
        "| rows | flat search p50 ms | HNSW build s (1 thread) | HNSW search p50 ms | HNSW recall@10 |\n|---|---|---|---|---|"
    )
    for size in (1000, 5000, 10_000, 20_000):
        if size > len(vectors):
            break
        sub = vectors[:size]
        flat = faiss.IndexFlatIP(dim)
        flat.add(sub)
        flat_t, _ = timings(lambda q, flat=flat: flat.search(q[None], K), qvectors)
        hnsw = faiss.IndexHNSWFlat(dim, embedded.HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = embedded.HNSW_EF_CONSTRUCTION
        t0 = time.perf_counter()
        hnsw.add(sub)
        build = time.perf_counter() - t0
        hnsw.hnsw.efSearch = embedded.HNSW_EF_SEARCH
        hnsw_t, got = timings(lambda q, hnsw=hnsw: hnsw.search(q[None], K)[1][0].tolist(), qvectors)
        truth = [flat.search(q[None], K)[1][0].tolist() for q in qvectors]
        print(
            f"| {size} | {1000 * statistics.median(flat_t):.3f} | {build:.2f} | {1000 * statistics.median(hnsw_t):.3f} | {recall(got, truth):.3f} |"
        )
    print()

    # -- embedded store ------------------------------------------------------------------
    path = work / "embedded"
    store = ps.EmbeddedStore.open(path, dim)
    t0 = time.perf_counter()
    for i in range(0, len(records), 5000):
        store.add(records[i : i + 5000])
    add_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.compact()
    compact_s = time.perf_counter() - t0
    dense_t, dense_got = timings(lambda q: [h.id for h in store.dense_search(q, K)], qvectors)
    lex_t, lex_got = timings(lambda t: [h.id for h in store.lexical_search(t, K)], qterms)
    pairs = list(zip(qvectors, qterms, strict=True))
    hyb_t, _ = timings(lambda p: store.search(p[0], p[1], K), pairs)
    # a filter selecting ~1% of the passages, forced through the ANN over-fetch path
    docs = sorted({r.doc_id for r in records})
    rng = random.Random(1)
    chosen = set(rng.sample(docs, max(1, len(docs) // 100)))
    selected = np.array([r.doc_id in chosen for r in records])
    embedded.EXACT_MAX, saved = 0, embedded.EXACT_MAX
    filt_t, filt_got = timings(lambda q: [h.id for h in store.dense_search(q, K, docs=chosen)], qvectors)
    embedded.EXACT_MAX = saved
    exact_t, exact_got = timings(lambda q: [h.id for h in store.dense_search(q, K, docs=chosen)], qvectors)
    idx = np.flatnonzero(selected)
    filt_truth = [idx[np.argsort(-(vectors[idx] @ q), kind="stable")[:K]].tolist() for q in qvectors]
    date_t, date_got = timings(lambda q: store.dense_search(q, K, since="2020-01-01", until="2020-03-31"), qvectors)
    store.flush()
    rows.append(
        (
            "embedded (SQLite FTS5 + FAISS HNSW)",
            f"{add_s:.1f} s in 4 adds + {compact_s:.1f} s compact",
            disk(path),
            open_time(f"embedded:{path}", dim, qvectors[0].tolist()),
            ms(dense_t),
            f"{recall(dense_got, exact):.3f}",
            ms(lex_t),
            ms(hyb_t),
        )
    )
    print(
        f"embedded, filter selecting {selected.mean():.1%} of passages: ANN over-fetch p50/p95 {ms(filt_t)} ms, "
        f"hits {min(len(g) for g in filt_got)}..{max(len(g) for g in filt_got)}, recall@10 {recall(filt_got, filt_truth):.3f}; "
        f"exact over the selection {ms(exact_t)} ms, recall {recall(exact_got, filt_truth):.3f}; "
        f"date range (one quarter): {ms(date_t)} ms, hits {min(len(g) for g in date_got)}"
    )

    # -- lexical: FTS5 against bm25s ------------------------------------------------------
    tokens = [terms(r.text) for r in records]
    t0 = time.perf_counter()
    reference = LexicalIndex(tokens)
    ref_build = time.perf_counter() - t0

    def bm25s_top(t):  # type: ignore[no-untyped-def]
        scores = reference.scores(t)
        top = np.argpartition(-scores, K)[:K]
        return [int(i) for i in top[np.argsort(-scores[top])] if scores[i] > 0]

    ref_t, ref_got = timings(bm25s_top, qterms)
    segments = [LexicalIndex(tokens[i : i + 2000]) for i in range(0, len(tokens), 2000)]

    def per_segment(t):  # type: ignore[no-untyped-def]
        found = []
        for s, seg in enumerate(segments):
            scores = seg.scores(t)
            top = np.argsort(-scores)[:K]
            found.extend((float(scores[i]), s * 2000 + int(i)) for i in top if scores[i] > 0)
        return [i for _, i in sorted(found, reverse=True)[:K]]

    seg_t, seg_got = timings(per_segment, qterms)
    print(
        f"\nlexical, top-10 overlap with one global bm25s index (the product's LexicalIndex, built in {ref_build:.1f} s):\n"
        f"| method | p50 / p95 ms | top-10 overlap | top-1 agreement |\n|---|---|---|---|\n"
        f"| bm25s, one index in memory | {ms(ref_t)} | 1.000 | 1.000 |\n"
        f"| bm25s, 10 segments of 2k, merged by score | {ms(seg_t)} | {recall(seg_got, ref_got):.3f} | "
        f"{np.mean([a[:1] == b[:1] for a, b in zip(seg_got, ref_got, strict=True)]):.3f} |\n"
        f"| SQLite FTS5 bm25() (the store) | {ms(lex_t)} | {recall(lex_got, ref_got):.3f} | "
        f"{np.mean([a[:1] == b[:1] for a, b in zip(lex_got, ref_got, strict=True)]):.3f} |"
    )
    store.close()

    # -- Qdrant, local mode --------------------------------------------------------------
    if not args.skip_qdrant:
        path = work / "qdrant"
        t0 = time.perf_counter()
        q = ps.QdrantStore.open_local(path, dim)
        for i in range(0, len(records), 5000):
            q.add(records[i : i + 5000])
        build = time.perf_counter() - t0
        dense_t, dense_got = timings(lambda v: [h.id for h in q.dense_search(v, K)], qvectors[:50])
        lex_t, _ = timings(lambda t: q.lexical_search(t, K), qterms[:50])
        hyb_t, _ = timings(lambda p: q.search(p[0], p[1], K), pairs[:50])
        q.close()
        rows.append(
            (
                "qdrant-client local mode (tests only)",
                f"{build:.1f} s",
                disk(path),
                open_time(f"qdrant+local:{path}", dim, qvectors[0].tolist()),
                ms(dense_t),
                f"{recall(dense_got, exact[:50]):.3f}",
                ms(lex_t),
                ms(hyb_t),
            )
        )

    if args.edge is not None:
        rows.append(bench_edge(args.edge, work / "edge", records, qvectors, qterms, exact, dim))

    print(
        "\n| store | build | disk | open (fresh process) | dense p50 / p95 ms | dense recall@10 | lexical p50 / p95 ms | hybrid p50 / p95 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    shutil.rmtree(work, ignore_errors=True)


def bench_edge(where: Path, path: Path, records, qvectors, qterms, exact, dim: int) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """Qdrant Edge: the Qdrant engine in-process (HNSW M 32, ef_construct 80, ef 64)."""
    sys.path.insert(0, str(where))
    import qdrant_edge as qe

    config = qe.EdgeConfig(
        vectors={"dense": qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
        sparse_vectors={"bm25": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        hnsw_config=qe.HnswIndexConfig(m=32, ef_construct=80, full_scan_threshold=1000),
    )
    t0 = time.perf_counter()
    shard = qe.EdgeShard.create(str(path), config)
    for i in range(0, len(records), 1000):
        points = []
        for r in records[i : i + 1000]:
            indices, values = qdrant.sparse_bm25(terms(r.text))
            vector = {"dense": r.vector.tolist()}
            if indices:
                vector["bm25"] = qe.SparseVector(indices=indices, values=values)
            points.append(qe.Point(id=r.id, vector=vector, payload={"doc_id": r.doc_id, "published": r.published}))
        shard.update(qe.UpdateOperation.upsert_points(points))
    shard.optimize()  # builds the HNSW index
    shard.flush()
    build = time.perf_counter() - t0
    params = qe.SearchParams(hnsw_ef=64)

    def dense(v):  # type: ignore[no-untyped-def]
        got = shard.query(qe.QueryRequest(limit=K, query=qe.Query.Nearest(v.tolist(), using="dense"), params=params))
        return [int(p.id) for p in got]

    def lexical(t):  # type: ignore[no-untyped-def]
        i, v = qdrant.sparse_query(t)
        return shard.query(
            qe.QueryRequest(limit=K, query=qe.Query.Nearest(qe.SparseVector(indices=i, values=v), using="bm25"))
        )

    def hybrid(p):  # type: ignore[no-untyped-def]
        i, v = qdrant.sparse_query(p[1])
        return shard.query(
            qe.QueryRequest(
                limit=K,
                query=qe.Fusion.Rrf(k=ps.RRF_K),
                prefetches=[
                    qe.Prefetch(
                        limit=ps.FUSION_DEPTH, query=qe.Query.Nearest(p[0].tolist(), using="dense"), params=params
                    ),
                    qe.Prefetch(
                        limit=ps.FUSION_DEPTH,
                        query=qe.Query.Nearest(qe.SparseVector(indices=i, values=v), using="bm25"),
                    ),
                ],
                with_payload=["doc_id"],
            )
        )

    dense_t, dense_got = timings(dense, qvectors)
    lex_t, _ = timings(lexical, [t for t in qterms if t])
    hyb_t, _ = timings(hybrid, [p for p in zip(qvectors, qterms, strict=True) if p[1]])
    shard.close()
    t0 = time.perf_counter()
    shard = qe.EdgeShard.load(str(path))
    shard.query(qe.QueryRequest(limit=K, query=qe.Query.Nearest(qvectors[0].tolist(), using="dense")))
    reopen = time.perf_counter() - t0
    shard.close()
    return (
        "Qdrant Edge 0.9.0 (in-process, not shipped)",
        f"{build:.1f} s",
        disk(path),
        f"{reopen * 1000:.0f} ms open + first query (same process)",
        ms(dense_t),
        f"{recall(dense_got, exact):.3f}",
        ms(lex_t),
        ms(hyb_t),
    )


if __name__ == "__main__":
    main()
