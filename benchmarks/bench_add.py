"""What adding one article costs as the index grows: into the two seeds, and into the seeds
with N more articles (squad2-dev paragraphs and recombinations, as ``bench_ingest.py``).

Two measures, each a median of ``--runs`` adds of a new article:

- ``Assistant.add`` with the model already loaded (what the web app's upload costs);
- ``assistant add FILE`` as a user runs it, a process of its own: wall time and peak
  memory (``/usr/bin/time``), model loading included.

The larger index is built once and kept in ``benchmarks/build/add/`` (git-ignored);
``--rebuild`` builds it again. Needs ``../shared/data/squad2-dev``.

    .venv/bin/python benchmarks/bench_add.py [--articles 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

BUILD = ROOT / "benchmarks" / "build" / "add"


def _library(name: str, corpus: list[Path]) -> Path:
    """A docs folder: the seeds and the corpus articles."""
    docs = BUILD / name / "docs"
    if not docs.is_dir():
        shutil.copytree(ROOT / "seeds", docs)
        for path in corpus:
            shutil.copy(path, docs / path.name)
    return docs


def _article(n: int, where: Path) -> Path:
    """A new article (never the same text twice: an add skips a text already indexed)."""
    stamp = time.time_ns()
    path = where / f"late-{n}-{stamp}.txt"
    path.write_text(
        f"Late report {n} ({stamp})\n\nThe harbour authority in Kessel opened a new ferry berth on Tuesday, "
        f"officials said. It can take {n + 3} ferries a day. The works took {n + 10} months and cost "
        f"{stamp % 1000} million kroner.\n",
        encoding="utf-8",
    )
    return path


def _cli_add(docs: Path, index: Path, path: Path) -> tuple[float, int]:
    """``assistant add`` in a process of its own: (wall seconds, peak RSS in MB)."""
    start = time.perf_counter()
    done = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%M",
            sys.executable,
            "-m",
            "assistant",
            "add",
            str(path),
            "--docs",
            str(docs),
            "--index",
            str(index),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    return wall, int(done.stderr.strip().splitlines()[-1]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    from bench_ingest import SQUAD_DOCS, build_corpus

    from assistant import Assistant, Config
    from assistant.index import store
    from assistant.index.embed import load_embedder

    if not SQUAD_DOCS.is_dir():
        print(f"skipped: {SQUAD_DOCS} is absent")
        return
    if args.rebuild:
        shutil.rmtree(BUILD, ignore_errors=True)
    BUILD.mkdir(parents=True, exist_ok=True)
    corpus_dir = BUILD / f"corpus-{args.articles}"
    corpus = sorted(corpus_dir.glob("*.txt")) if corpus_dir.is_dir() else build_corpus(corpus_dir, args.articles)
    embedder = load_embedder()
    rows = []
    for name, articles in (("seeds", []), (f"seeds + {args.articles} articles", corpus)):
        docs = _library(name.replace(" ", "").replace("+", "-"), articles)
        index = docs.parent / "index"
        config = Config(docs_dir=docs, index_dir=index)
        started = time.perf_counter()
        assistant = Assistant.open(config, embedder=embedder)
        if time.perf_counter() - started > 5:
            print(f"built the index of {name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        extra = docs.parent / "extra"
        extra.mkdir(exist_ok=True)
        loaded = []
        for r in range(args.runs):
            path = _article(r, extra)
            start = time.perf_counter()
            report = assistant.add([path])
            loaded.append(time.perf_counter() - start)
            if len(report.added) != 1:
                raise SystemExit(f"the add did not add the article: {report.files}")
        cli = [_cli_add(docs, index, _article(100 + r, extra)) for r in range(args.runs)]
        segments = len(store.live_segments(index))
        rows.append(
            (
                name,
                len(assistant.documents()),
                statistics.median(loaded),
                statistics.median(c[0] for c in cli),
                statistics.median(c[1] for c in cli),
                segments,
            )
        )
    print(f"adding one article (median of {args.runs}; the same session, one after the other)\n")
    print(
        "| index | documents | add, model loaded | `assistant add` wall | `assistant add` peak RSS | segments after |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, n_docs, loaded_s, wall, rss, segments in rows:
        print(f"| {name} | {n_docs:,} | {loaded_s:.2f} s | {wall:.2f} s | {rss} MB | {segments} |")
    base, big = rows[0], rows[-1]
    print(
        f"\nratio to the seeds: model loaded {big[2] / base[2]:.2f}x, `assistant add` wall {big[3] / base[3]:.2f}x, "
        f"peak RSS {big[4] / base[4]:.2f}x (targets: <= 2x time, <= 1.5x memory)"
    )


if __name__ == "__main__":
    main()
