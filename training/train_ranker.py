"""Train the evidence ranker's weights on squad2-train and report held-out figures.

The ranker is linear over the features of ``assistant.search.ranker_weights.FEATURES``. Weights are
fitted with a listwise softmax loss: for each answerable question, the candidate
sentences containing a gold answer span should outscore the others.

The answer's first citation is the top sentence grown into its best window of
neighbouring sentences (``assistant.answer.compose.best_window``): probability mass under the
ranker's softmax, less a cost per character. That cost is fitted here too, as the lowest
whose mean first citation stays within ``TARGET_CHARS`` on the training articles.

Honest evaluation: the training articles are squad2-train's, less the four the reader
keeps for validation (``training/reader_data.VALIDATION_SQUAD``: the reader's thresholds
are fitted there, on candidates from these weights). They are split into two folds by
article; each fold is scored with weights trained on the other fold only, and those
held-out figures are printed. The shipped weights are then fitted on all training
articles. squad2-dev and the seeds' gold questions are never used: figures on them stay
held out.

Needs ../shared/data/squad2-train (not part of a user's clone):

    .venv/bin/python training/train_ranker.py [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared" / "data" / "squad2-train"
WEIGHTS = ROOT / "assistant" / "data" / "ranker.json"
sys.path.insert(0, str(ROOT))

from training.reader_data import VALIDATION_SQUAD  # noqa: E402


@dataclass(frozen=True)
class Item:
    """One answerable question: its candidate rows, their features and which hold an answer."""

    doc: str
    rows: np.ndarray
    features: np.ndarray
    labels: np.ndarray
    answers: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Layout:
    """Where each searchable row of the index sits: for growing a citation into a window."""

    doc: list[str]
    start: np.ndarray
    end: np.ndarray
    run: np.ndarray


def training_docs(folder: Path) -> Path:
    """squad2-train's articles less the reader's validation ones, copied into ``folder``."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((SQUAD / "docs").iterdir()):
        if path.name not in VALIDATION_SQUAD and not (folder / path.name).exists():
            shutil.copy(path, folder / path.name)
    return folder


def collect(index_dir: Path) -> tuple[list[Item], Layout]:
    from assistant import Assistant, Config
    from assistant.language.question import analyze

    docs = training_docs(index_dir.parent / "ranker-docs")
    assistant = Assistant.open(Config(docs_dir=docs, index_dir=index_dir))
    searcher = assistant._state.searcher
    layout = Layout(
        [r.doc_id for r in searcher.view.rows],
        np.array([r.start for r in searcher.view.rows]),
        np.array([r.end for r in searcher.view.rows]),
        np.asarray(searcher.view.run_of_row),
    )
    items = []
    for line in (SQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if not q["answerable"] or q["doc"] in VALIDATION_SQUAD:
            continue
        rows, features, _ = searcher.features_for(analyze(q["question"]))
        answers = tuple((a["start"], a["end"]) for a in q["answers"])
        labels = np.array([_holds(layout, q["doc"], answers, r, r) for r in rows])
        items.append(Item(q["doc"], np.array(rows), features, labels, answers))
    return items, layout


def _holds(layout: Layout, doc: str, answers: tuple[tuple[int, int], ...], first: int, last: int) -> bool:
    start, end = layout.start[first], layout.end[last]
    return layout.doc[first] == doc and any(start <= a and b <= end for a, b in answers)


def collect_cached(index_dir: Path, cache: Path | None) -> tuple[list[Item], Layout]:
    import pickle

    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    collected = collect(index_dir)
    if cache:
        cache.write_bytes(pickle.dumps(collected))
    return collected


def fit(items, epochs: int = 1500, lr: float = 2.0, l2: float = 1e-4) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Listwise softmax regression by full-batch gradient descent."""
    dim = items[0].features.shape[1]
    w = np.zeros(dim, dtype=np.float64)
    usable = [(it.features.astype(np.float64), it.labels) for it in items if it.labels.any()]
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


def score(items: list[Item], w: np.ndarray) -> tuple[float, float]:
    """Share of questions whose top sentence holds an answer, and the mean top length."""
    hits, lengths = 0, []
    for it in items:
        top = int(np.argmax(it.features @ w))
        hits += bool(it.labels[top])
        lengths.append(LAYOUT.end[it.rows[top]] - LAYOUT.start[it.rows[top]])
    return hits / len(items), float(np.mean(lengths))


def score_windows(items: list[Item], w: np.ndarray, cost: float) -> tuple[float, float]:
    """The same for the first citation as the answer makes it: the top sentence grown into
    its best window (``assistant.answer.compose.best_window``)."""
    from assistant.answer.compose import Policy, best_window

    hits, lengths = 0, []
    for it in items:
        z = it.features @ w
        p = np.exp(z - z.max())
        p /= p.sum()
        top = int(it.rows[int(np.argmax(z))])
        prob = dict(zip(it.rows.tolist(), p.tolist(), strict=True))
        first, last = best_window(top, prob, LAYOUT.run, LAYOUT.start, LAYOUT.end, cost, Policy().window)
        hits += _holds(LAYOUT, it.doc, it.answers, first, last)
        lengths.append(LAYOUT.end[last] - LAYOUT.start[first])
    return hits / len(items), float(np.mean(lengths))


COSTS = (0.001, 0.0008, 0.0007, 0.0006, 0.0005, 0.0004, 0.0003)
TARGET_CHARS = 230  # mean first-citation length the window cost is chosen for (the issue allows 250)


def choose_cost(items: list[Item], w: np.ndarray) -> float:
    """The lowest cost per character (widest windows) whose mean first citation stays within
    ``TARGET_CHARS`` on ``items``."""
    fitting = [c for c in COSTS if score_windows(items, w, c)[1] <= TARGET_CHARS]
    return min(fitting) if fitting else max(COSTS)


LAYOUT: Layout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--index", type=Path, default=None, help="index folder for the training articles (default: temporary)"
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="pickle of the collected features, reused when present"
    )
    parser.add_argument("--write", action="store_true", help=f"write the weights fitted on all articles to {WEIGHTS}")
    args = parser.parse_args()
    if not SQUAD.is_dir():
        print(f"squad2-train not found at {SQUAD}: it is only beside the project in development. Nothing to train.")
        return
    from assistant.search.ranker_weights import FEATURES, Weights

    global LAYOUT
    index_dir = args.index or Path(tempfile.mkdtemp()) / "index"
    items, LAYOUT = collect_cached(index_dir, args.cache)
    docs = sorted({it.doc for it in items})
    folds = [set(docs[0::2]), set(docs[1::2])]
    print(f"{len(items)} answerable questions, {len(docs)} articles; folds: {[sorted(f) for f in folds]}")
    default = Weights.hand().vector().astype(np.float64)
    rows = []
    for k, held in enumerate(folds):
        train = [it for it in items if it.doc not in held]
        test = [it for it in items if it.doc in held]
        w = fit(train)
        cost = choose_cost(train, w)
        rows.append((k, score(test, default), score(test, w), cost, score_windows(test, w, cost)))
    print(
        "| fold | hand weights: answer@1 | mean chars | learned (held out): answer@1 | mean chars "
        "| window cost (from the other fold) | first citation, window: answer@1 | mean chars |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for k, (a0, l0), (a1, l1), cost, (a2, l2) in rows:
        print(f"| {k} | {a0:.3f} | {l0:.0f} | {a1:.3f} | {l1:.0f} | {cost} | {a2:.3f} | {l2:.0f} |")
    w_all = fit(items)
    cost_all = choose_cost(items, w_all)
    print("weights fitted on all articles:", dict(zip(FEATURES, np.round(w_all, 3).tolist(), strict=True)))
    print(f"window cost per character fitted on all articles: {cost_all}")
    if args.write:
        WEIGHTS.write_text(
            json.dumps(
                {
                    "features": list(FEATURES),
                    "weights": [round(float(x), 5) for x in w_all],
                    "window_cost_per_char": cost_all,
                    "trained_on": "squad2-train less the reader's 4 validation articles (SQuAD 2.0, 15 articles, answerable questions), listwise softmax",
                    "held_out_answer@1": {str(k): round(a1, 4) for k, _, (a1, _), _, _ in rows},
                    "held_out_window_answer@1": {str(k): round(a2, 4) for k, _, _, _, (a2, _) in rows},
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {WEIGHTS}")


if __name__ == "__main__":
    main()
