"""Train the evidence ranker's weights on squad2-dev and report held-out figures.

The ranker is linear over the features of ``assistant.retrieve.FEATURES``. Weights are
fitted with a listwise softmax loss: for each answerable question, the candidate
sentences containing a gold answer span should outscore the others.

Honest evaluation: the eight squad2-dev articles are split into two folds by article;
each fold is scored with weights trained on the other fold only, and those held-out
figures are what we report. The shipped weights are then fitted on all eight articles,
so squad2-dev figures measured with the shipped weights are NOT held-out and must not be
reported as such. The seeds' gold questions are never used for training.

Needs ../shared/data/squad2-dev (not part of a user's clone):

    .venv/bin/python benchmarks/train_ranker.py [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared" / "data" / "squad2-dev"
WEIGHTS = ROOT / "assistant" / "data" / "ranker.json"
sys.path.insert(0, str(ROOT))


def collect(index_dir: Path):  # type: ignore[no-untyped-def]
    from assistant import Assistant, Config
    from assistant.analyze import analyze

    assistant = Assistant.open(Config(docs_dir=SQUAD / "docs", index_dir=index_dir))
    searcher = assistant._state.searcher
    items = []
    for line in (SQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if not q["answerable"]:
            continue
        rows, features, _ = searcher.features_for(analyze(q["question"]))
        labels = np.array(
            [
                searcher.rows[r].doc_id == q["doc"]
                and any(searcher.rows[r].start <= a["start"] and a["end"] <= searcher.rows[r].end for a in q["answers"])
                for r in rows
            ]
        )
        lengths = np.array([len(searcher.rows[r].text) for r in rows])
        items.append((q["doc"], features, labels, lengths))
    return items


def collect_cached(index_dir: Path, cache: Path | None):  # type: ignore[no-untyped-def]
    import pickle

    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    items = collect(index_dir)
    if cache:
        cache.write_bytes(pickle.dumps(items))
    return items


def fit(items, epochs: int = 1500, lr: float = 2.0, l2: float = 1e-4) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Listwise softmax regression by full-batch gradient descent."""
    dim = items[0][1].shape[1]
    w = np.zeros(dim, dtype=np.float64)
    usable = [(f.astype(np.float64), y) for _, f, y, _ in items if y.any()]
    for _ in range(epochs):
        grad = l2 * w
        for f, y in usable:
            z = f @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            target = y / y.sum()
            grad += f.T @ (p - target) / len(usable)
        w -= lr * grad
    return w


def score(items, w: np.ndarray) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Share of questions whose top sentence holds an answer, and the mean top length."""
    hits, lengths = 0, []
    for _, f, y, n in items:
        top = int(np.argmax(f @ w))
        hits += bool(y[top])
        lengths.append(n[top])
    return hits / len(items), float(np.mean(lengths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=None, help="index folder for squad2-dev (default: temporary)")
    parser.add_argument(
        "--cache", type=Path, default=None, help="pickle of the collected features, reused when present"
    )
    parser.add_argument("--write", action="store_true", help=f"write the weights fitted on all articles to {WEIGHTS}")
    args = parser.parse_args()
    if not SQUAD.is_dir():
        print(f"squad2-dev not found at {SQUAD}: it is only beside the project in development. Nothing to train.")
        return
    from assistant.retrieve import FEATURES, Weights

    index_dir = args.index or Path(tempfile.mkdtemp()) / "index"
    items = collect_cached(index_dir, args.cache)
    docs = sorted({d for d, *_ in items})
    folds = [set(docs[0::2]), set(docs[1::2])]
    print(f"{len(items)} answerable questions, {len(docs)} articles; folds: {[sorted(f) for f in folds]}")
    default = Weights.hand().vector().astype(np.float64)
    rows = []
    for k, held in enumerate(folds):
        train = [it for it in items if it[0] not in held]
        test = [it for it in items if it[0] in held]
        w = fit(train)
        rows.append((k, score(test, default), score(test, w)))
    print("| fold | hand weights: answer@1 | mean chars | learned (held out): answer@1 | mean chars |")
    print("| --- | --- | --- | --- | --- |")
    for k, (a0, l0), (a1, l1) in rows:
        print(f"| {k} | {a0:.3f} | {l0:.0f} | {a1:.3f} | {l1:.0f} |")
    both = [it for it in items]
    w_all = fit(both)
    print("weights fitted on all articles:", dict(zip(FEATURES, np.round(w_all, 3).tolist(), strict=True)))
    if args.write:
        WEIGHTS.write_text(
            json.dumps(
                {
                    "features": list(FEATURES),
                    "weights": [round(float(x), 5) for x in w_all],
                    "trained_on": "squad2-dev (SQuAD 2.0 dev, 8 articles, answerable questions), listwise softmax",
                    "held_out_answer@1": {str(k): round(a1, 4) for k, _, (a1, _) in rows},
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {WEIGHTS}")


if __name__ == "__main__":
    main()
