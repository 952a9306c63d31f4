"""A segmented index ranks as one built in one go: BM25 top-10 and the ranker's top-10 for
the first N squad2-dev questions, over squad2-dev's articles indexed in one go and added a
few articles at a time (one segment each), both opened as a reader opens them.

BM25 and the segments do not depend on the embedding model, so both indexes are built with
a deterministic hashing embedder in seconds; the ranker's top-10 compares the whole
candidate ranking on those vectors. Needs ``../shared/data/squad2-dev``.

    .venv/bin/python benchmarks/bench_segments.py [--questions 100] [--per-segment 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQUAD = ROOT.parent / "shared" / "data" / "squad2-dev"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--per-segment", type=int, default=2, help="articles added per segment")
    args = parser.parse_args()
    if not SQUAD.is_dir():
        print(f"skipped: {SQUAD} is absent")
        return

    from assistant import Assistant, Config
    from assistant.index import store
    from assistant.language.question import analyze
    from assistant.search.retrieve import Searcher
    from tests.conftest import FakeEmbedder

    embedder = FakeEmbedder()
    articles = sorted((SQUAD / "docs").glob("*.txt"))
    questions = [json.loads(line)["question"] for line in (SQUAD / "questions.jsonl").read_text().splitlines()]
    questions = questions[: args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        one_go, segmented = work / "one-go", work / "segmented"
        for folder in (one_go, segmented):
            (folder / "docs").mkdir(parents=True)
        for path in articles:
            shutil.copy(path, one_go / "docs" / path.name)
        Assistant.open(Config(docs_dir=one_go / "docs", index_dir=one_go / "index"), embedder=embedder)
        for start in range(0, len(articles), args.per_segment):
            for path in articles[start : start + args.per_segment]:
                shutil.copy(path, segmented / "docs" / path.name)
            Assistant.open(Config(docs_dir=segmented / "docs", index_dir=segmented / "index"), embedder=embedder)
        n_segments = len(store.live_segments(segmented / "index"))
        a = Searcher(store.load(one_go / "index", mapped=True), embedder)
        b = Searcher(store.load(segmented / "index", mapped=True), embedder)
        bm25_same = ranked_same = tied = 0
        worst = 0.0
        for text in questions:
            q = analyze(text)
            left, right = a.view.lexical.matches(q.terms), b.view.lexical.matches(q.terms)
            top_a = [int(a.view.row_ids[r]) for r in left.top(10)]
            top_b = [int(b.view.row_ids[r]) for r in right.top(10)]
            if top_a == top_b:
                bm25_same += 1
            elif sorted(left.scores)[-10:] == sorted(right.scores)[-10:]:
                tied += 1  # the same scores, ties ordered by row number (rows are numbered differently)
            if len(left.scores):
                worst = max(worst, float(abs(left.scores.max() - right.scores.max()) / left.scores.max()))
            ra = [s.sentence.id for s in a.rank(q, limit=10)]
            rb = [s.sentence.id for s in b.rank(q, limit=10)]
            ranked_same += ra == rb
    n = len(questions)
    print(f"squad2-dev: {len(articles)} articles, one segment against {n_segments}; {n} questions\n")
    print("| | equal | ties ordered otherwise | differing |")
    print("| --- | --- | --- | --- |")
    print(f"| BM25 top-10 | {bm25_same} | {tied} | {n - bm25_same - tied} |")
    print(f"| ranker top-10 (hashing vectors) | {ranked_same} | | {n - ranked_same} |")
    print(f"\nlargest relative difference of a question's best BM25 score: {worst:.1e}")


if __name__ == "__main__":
    main()
