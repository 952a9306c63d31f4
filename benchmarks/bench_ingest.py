"""Ingest speed at 1,000 articles: bulk add vs the model's own encode, one more article, reload.

Run from anywhere: ``.venv/bin/python benchmarks/bench_ingest.py [--runs N] [--profile]``.
Prints a markdown table (medians of ``--runs``). The corpus is 1,000 distinct articles made
from squad2-dev (../shared/data/squad2-dev): every paragraph is an article of its own,
the rest recombine sentences of those paragraphs (seed 0). Skipped, saying why, when that
folder is absent. Everything is written under a fresh temporary folder.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from timing import timed  # noqa: E402  (benchmarks/ is the script folder)

from assistant.config import Config  # noqa: E402
from assistant.core import Assistant  # noqa: E402
from assistant.index import indexer, store  # noqa: E402
from assistant.index.embed import load_embedder  # noqa: E402
from assistant.search.retrieve import Searcher  # noqa: E402

SQUAD_DOCS = ROOT.parent / "shared" / "data" / "squad2-dev" / "docs"  # ../shared beside the project
SEEDS = ROOT / "seeds"
N_ARTICLES = 1000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def build_corpus(out: Path, n: int = N_ARTICLES, seed: int = 0) -> list[Path]:
    """``n`` distinct articles: every squad2-dev paragraph, then recombined sentences."""
    out.mkdir(parents=True)
    paragraphs: list[tuple[str, str]] = []
    for doc in sorted(SQUAD_DOCS.glob("*.txt")):
        title, _, body = doc.read_text(encoding="utf-8").partition("\n\n")
        paragraphs += [(title.strip(), p.strip()) for p in body.split("\n\n") if p.strip()]
    articles = [f"{title} ({k})\n\n{p}\n" for k, (title, p) in enumerate(paragraphs[:n], 1)]
    pool = [s for _, p in paragraphs for s in _SENTENCE_END.split(p) if len(s) > 30]
    rng = random.Random(seed)
    seen = set(articles)
    while len(articles) < n:
        picked = rng.sample(pool, rng.randint(4, 8))
        half = len(picked) // 2
        text = f"Digest {len(articles) + 1}\n\n{' '.join(picked[:half])}\n\n{' '.join(picked[half:])}\n"
        if text not in seen:
            seen.add(text)
            articles.append(text)
    paths = []
    for k, text in enumerate(articles):
        path = out / f"article-{k:04d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def fresh_library(work: Path, name: str) -> Config:
    """The seeds in a new docs folder with a new index: what a user starts from before adding."""
    base = work / name
    shutil.rmtree(base, ignore_errors=True)
    shutil.copytree(SEEDS, base / "docs")
    return Config(docs_dir=base / "docs", index_dir=base / "index")


def profile(fn: Callable[[], object], top: int = 14) -> str:
    prof = cProfile.Profile()
    prof.runcall(fn)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    return "\n".join(line for line in out.getvalue().splitlines() if line.strip())


def median(values: list[float]) -> float:
    return statistics.median(values)


def run(args: argparse.Namespace) -> str:
    embedder = load_embedder()
    rows: list[tuple[str, str, str, str]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="assistant-bench-ingest-") as tmp:
        work = Path(tmp)
        corpus = build_corpus(work / "corpus")
        runs = f"median of {args.runs}"

        # 1. Bulk add of 1,000 articles vs encode() of exactly the texts the add embedded.
        add_s, enc_s = [], []
        for r in range(args.runs):
            config = fresh_library(work, f"bulk{r}")
            a = Assistant.open(config, embedder=embedder)
            seconds, report = timed(lambda a=a: a.add([corpus[0].parent]))
            assert len(report.added) == N_ARTICLES, report
            add_s.append(seconds)
            data = store.load(config.index_dir)
            added = sorted(report.added)
            sentences = [s.text for d in added for s in data.sentences[d] if s.searchable]
            n_passages = sum(len(data.passages[d]) for d in added)
            enc_s.append(timed(lambda s=sentences: embedder.encode(s))[0])
            if r < args.runs - 1:
                shutil.rmtree(config.index_dir.parent)  # the last one stays for the measures below
        n_sent = len(sentences)
        add_rate, enc_rate = n_sent / median(add_s), n_sent / median(enc_s)
        rows += [
            (
                f"bulk add of {N_ARTICLES} articles ({n_sent} searchable sentences, {n_passages} passages)",
                f"{median(add_s):.1f} s",
                runs,
                "",
            ),
            ("bulk add: sentences per second", f"{add_rate:.0f}", runs, f">= {0.85 * enc_rate:.0f} (encode - 15%)"),
            ("model encode() of the same sentences, one call: sentences per second", f"{enc_rate:.0f}", runs, ""),
            (
                "bulk add minus that encode (copy, read, segment, passage means, write, search structures)",
                f"{median(add_s) - median(enc_s):.1f} s",
                runs,
                "",
            ),
        ]
        # 2. One more article into the 1,000-article index, model loaded.
        big = Assistant.open(config, embedder=embedder)
        extra = work / "extra"
        extra.mkdir()
        one_s = []
        for r in range(args.runs):
            path = extra / f"extra-{r}.txt"
            path.write_text(f"Late report {r}\n\n" + corpus[r].read_text(encoding="utf-8").split("\n\n", 1)[1], "utf-8")
            seconds, report = timed(lambda p=path: big.add([p]))
            assert report.added == [path.name], report
            one_s.append(seconds)
        rows.append(
            ("add one article to the 1,000-article index (model loaded)", f"{median(one_s):.2f} s", runs, "<= 2 s")
        )

        # 3. Reload without changes: what a fresh process does after loading the model.
        open_s, load_s, search_s, plan_s = [], [], [], []
        for _ in range(args.runs):
            open_s.append(timed(lambda: Assistant.open(config, embedder=embedder))[0])
            seconds, data = timed(lambda: store.load(config.index_dir))
            load_s.append(seconds)
            search_s.append(timed(lambda d=data: Searcher(d, embedder))[0])
            plan_s.append(timed(lambda d=data: indexer.plan(d, config))[0])
        rows += [
            (
                "reload the 1,000-article index: Assistant.open, nothing changed, model loaded",
                f"{median(open_s):.2f} s",
                runs,
                "<= 1 s",
            ),
            ("  of which store.load", f"{median(load_s):.2f} s", runs, ""),
            ("  of which building the Searcher (vectors, BM25, features)", f"{median(search_s):.2f} s", runs, ""),
            ("  of which checking the docs folder for changes (hash every file)", f"{median(plan_s):.2f} s", runs, ""),
        ]
        if args.profile:
            path = extra / "extra-profiled.txt"
            path.write_text("Profiled report\n\n" + corpus[-1].read_text(encoding="utf-8").split("\n\n", 1)[1], "utf-8")
            notes.append("cProfile, add one article:\n\n```\n" + profile(lambda: big.add([path])) + "\n```")
            notes.append(
                "cProfile, reload:\n\n```\n" + profile(lambda: Assistant.open(config, embedder=embedder)) + "\n```"
            )

    load = os.getloadavg()[0]
    lines = [
        f"Ingest benchmark: {N_ARTICLES} articles from squad2-dev; {os.cpu_count()} CPUs, "
        f"load average {load:.1f} at the end; model {embedder.name}.",
        "",
        "| measure | value | runs | target |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {m} | {v} | {r} | {t} |" for m, v, r, t in rows]
    return "\n".join(lines + [""] + [n + "\n" for n in notes])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed repetitions of each measure (median)")
    parser.add_argument("--profile", action="store_true", help="also print cProfile of one add and one reload")
    args = parser.parse_args()
    if not SQUAD_DOCS.is_dir():
        print(f"Skipped: {SQUAD_DOCS} is absent; the ingest benchmark builds its corpus from it.")
        return 0
    print(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
