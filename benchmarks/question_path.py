"""Where a question's time goes: per stage of the question path, on the seeds, the 2,912
articles of ``bench_archive.py``'s base, or its million-passage archive.

Run from the project folder, with nothing else busy on the cores::

    .venv/bin/python benchmarks/question_path.py --on archive --runs 3
    .venv/bin/python benchmarks/question_path.py --on base --tree /path/to/other/checkout

Each run is a fresh process that opens the index (``Assistant.open(config, update=False)``; the seeds
are indexed into ``benchmarks/build/seeds-index`` at the first run),
asks 3 untimed squad2-dev questions (the seeds: their gold questions), then times the next
``--questions`` ones end to end and, inside, each stage the question passes through: the
stage's own functions wrapped in a timer (nested stages are counted inside their caller
too, so the rows do not add up). ``--tree`` runs the same in another checkout of the
project (its ``assistant`` package), alternating with this one, so that a change is
measured against what came before, back to back. The base and the archive are those
``bench_archive.py`` built (``benchmarks/build/archive``); this script builds nothing.
Prints a markdown table: medians over the runs.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEEDS_GOLD = ROOT / "tests" / "data" / "gold_seeds.jsonl"
# (module, class or None, function, row label): what is timed inside a question
STAGES = (
    ("assistant.search.retrieve", "Searcher", "features_for", "search: candidates and their features"),
    ("assistant.search.retrieve", "Searcher", "embed", "search: question embedded"),
    ("assistant.search.retrieve", "Searcher", "_candidates", "search: dense passages"),
    ("assistant.index.bm25", "SegmentedLexical", "matches", "search: BM25 (rows and passages)"),
    ("assistant.index.bm25", "LexicalIndex", "matches", "search: BM25 (rows and passages)"),
    ("assistant.search.view", "IndexView", "_row_terms", "search: terms of rows first reached"),
    ("assistant.language.features", None, "_text_features", "search: text features of rows first reached"),
    ("assistant.language.features", None, "text_features", "search: text features of rows first reached"),
    ("assistant.search.reader", "Reader", "rerank", "reader"),
    ("assistant.core", None, "compose", "answer composed"),
)


def where(on: str) -> tuple[Path, Path]:
    # bench_archive (and bench_scale under it) put this tree first on the path: imported
    # here, in the parent only, so that a child measures the package of its --tree
    from bench_archive import ARCHIVE, BASE_ARTICLES, BUILD

    if on == "seeds":  # indexed here at the first run (never the project's own index/)
        return ROOT / "seeds", BUILD / "seeds-index"
    if on == "base":
        return BUILD / f"corpus-{BASE_ARTICLES}", ARCHIVE / f"base-{BASE_ARTICLES}"
    return ARCHIVE / f"docs-{on}", ARCHIVE / f"archive-{on}"


def questions(on: str, n: int) -> list[str]:
    """The seeds' gold questions, or ``bench_archive.py``'s sample of answerable squad2-dev ones."""
    if on == "seeds":
        rows = [json.loads(line) for line in SEEDS_GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [r["question"] for r in rows if not r.get("history")][: n + 3]
    import bench_archive

    return [q["question"] for q in bench_archive.questions(n)]


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process, with ``spec['tree']`` first on the path: time one run."""
    sys.path.insert(0, spec["tree"])
    import importlib

    spent: dict[str, float] = defaultdict(float)

    def timed(owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - t

        setattr(owner, name, wrapper)

    for module_name, owner_name, name, label in STAGES:
        module = importlib.import_module(module_name)
        owner = getattr(module, owner_name) if owner_name else module
        if hasattr(owner, name):
            timed(owner, name, label)
    from assistant.config import Config
    from assistant.core import Assistant

    assert Path(sys.modules["assistant"].__file__ or "").is_relative_to(spec["tree"]), "another assistant package"
    docs, index = (Path(p) for p in spec["where"])
    assistant = Assistant.open(Config(docs_dir=docs, index_dir=index), update=spec["update"])
    asked = spec["questions"]
    for q in asked[:3]:
        assistant.ask(q)
    spent.clear()
    times = []
    for q in asked[3:]:
        t = time.perf_counter()
        assistant.ask(q)
        times.append(time.perf_counter() - t)
    n = len(times)
    return {"p50": 1000 * statistics.median(times), **{k: 1000 * v / n for k, v in spent.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--on", default="archive", help="seeds, base, archive, or a size bench_archive built (20000)")
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tree", help="another checkout to measure against, alternating with this one")
    args = parser.parse_args()
    on = "1000000" if args.on == "archive" else args.on
    docs, index = where(on)
    if on != "seeds" and not index.is_dir():
        sys.exit(f"No index at {index}: build it with benchmarks/bench_archive.py first.")
    trees = {"this tree": str(ROOT)}
    if args.tree:
        other = Path(args.tree).resolve()
        if not (other / "assistant" / "__init__.py").is_file():
            sys.exit(f"{other} holds no assistant package.")
        trees = {f"--tree {other.name}": str(other), **trees}
    spec = {"where": (str(docs), str(index)), "questions": questions(on, args.questions), "update": on == "seeds"}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, tree in trees.items():
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                results[name].append(pool.apply(child, ({**spec, "tree": tree},)))
    rows = ["question, end to end (p50)"] + list(dict.fromkeys(label for *_, label in STAGES))
    print(f"## Question path on {args.on}: {args.questions} questions, median of {args.runs} runs (ms a question)\n")
    print(f"Load average at the end: {os.getloadavg()[0]:.2f}\n")
    print("| stage | " + " | ".join(trees) + " |")
    print("| --- |" + " --- |" * len(trees))
    for row in rows:
        key = "p50" if row.startswith("question") else row
        cells = []
        for name in trees:
            values = [r.get(key) for r in results[name] if r.get(key) is not None]
            cells.append(f"{statistics.median(values):.1f}" if values else "")
        if any(cells):
            print(f"| {row} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
