"""Probes of what could be added around the shipped reader without new weights, on data it
was never trained on. Each prints a table; nothing is written.

``--calibrate``: the validation articles of ``fit_reader.py`` (squad2-train's 4, half their
questions unanswerable). Does a logistic model over the reader's best score and features of
the question and the best candidate (the gap to the second, the span head's margin, the
question's rare words missing from the sentence or its article, retrieval's similarity and
term coverage) tell unanswerable questions better than the score alone? Cross-validated by
article: fitted on three articles, scored on the fourth.

``--scale``: one folder of the SQuADShifts articles no reader stage read (those after the
first 7,000 questions of each part in ``reader_data``'s shuffle: 199 articles) and 300 of
their questions per part. Top-sentence accuracy when the reader reads 4 to 32 of
retrieval's candidates, and with each candidate's article's share of the reader's belief
added to its score: do more candidates or the article's weight help in a larger folder?

``--silent``: questions whose article is not in the folder (the sources are silent), asked
over half of those unread SQuADShifts articles beside questions of the half that stays: how
many of each does a reader, at its threshold, refuse?

``--stack``: the validation articles of ``fit_reader.py`` in one folder. Does a linear
combination of the reader's logit with retrieval's features of each candidate (its score,
similarity, term and name coverage, answer type, the span head's margin, the question's
words the sentence itself lacks) pick the answering sentence more often than the logit and
retrieval's score as shipped? Fitted listwise, cross-validated by article (five folds).

``--silent-fit``: the validation articles in two folders, each half's questions asked over
both: does a logistic model beside the reader's score refuse more silent questions?

    .venv/bin/python training/probe_reader.py --calibrate --scale     # ~4 min
    .venv/bin/python training/probe_reader.py --silent-fit --stack    # ~8 min
    .venv/bin/python training/probe_reader.py --silent [--model M --threshold T --mix W]   # ~3 min
"""

from __future__ import annotations

import argparse
import collections
import random
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from reader_data import SEED, squadshifts  # noqa: E402

from assistant.answer.evaluate import contains_answer  # noqa: E402

MODEL = ROOT / "assistant" / "data" / "reader.onnx"
MIX = 0.25  # retrieval's weight beside the logit, as the manifest has it


def holds(q: dict, c: dict) -> bool:
    return contains_answer(c, q["doc"], q["answers"])


def read(searcher, reader, question_text: str, limit: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Retrieval's first ``limit`` candidates with the reader's logit and span margin and
    the features the probes use."""
    from assistant.language.question import analyze
    from assistant.language.terms import terms
    from assistant.search.reader import _candidate

    question = searcher.scoped(analyze(question_text))
    ranked = searcher.rank(question, limit=max(limit, 20))[:limit]
    logits, margins = [], []
    for i in range(0, len(ranked), 8):  # in batches of 8, as in use
        z, m, _ = reader.scores(question.read, [_candidate(searcher.view, s) for s in ranked[i : i + 8]])
        logits += z.tolist()
        margins += m.tolist()
    words = terms(question.read)
    idf = {t: searcher.view.lexical.idf(t) for t in words}
    out = []
    for s, z, m in zip(ranked, logits, margins, strict=True):
        row = searcher.view.row_of_id[s.sentence.id]
        out.append(
            {
                "doc_id": s.sentence.doc_id,
                "start": s.sentence.start,
                "end": s.sentence.end,
                "retr": s.score,
                "dense": s.dense,
                "coverage": s.coverage,
                "names": s.names,
                "type_match": s.type_match,
                "logit": z,
                "margin": max(m, -5.0),
                "missing_row": [idf[t] for t in words if t not in searcher.view.row_terms[row]],
                "missing_doc": [idf[t] for t in words if t not in searcher.view.doc_terms[s.sentence.doc_id]],
                "idf": sum(idf.values()) or 1.0,
            }
        )
    return out


def scores(cands: list[dict], mix: float = MIX) -> np.ndarray:
    top = max(c["retr"] for c in cands)
    return np.array([c["logit"] + mix * (c["retr"] - top) for c in cands])


def open_reader(model: Path = MODEL):  # type: ignore[no-untyped-def]
    """The reader in ``model`` with no threshold: every candidate's logit is read."""
    from assistant.search.reader import Reader, ReaderSpec

    return Reader.from_file(model, ReaderSpec(model, "", -99.0, 0.0, 3.0, 8))


def unread_folder(work: Path) -> tuple[Path, list[dict]]:
    """The SQuADShifts articles no reader stage read (those after the first 7,000 questions
    of each part in ``reader_data``'s shuffle) as one folder, with their questions."""
    seen = {p.name for p in squadshifts(work / "seen", 7000, random.Random(SEED))[0].iterdir()}
    docs, questions = squadshifts(work / "all", 10**9, random.Random(SEED))
    for path in docs.iterdir():
        if path.name in seen:
            path.unlink()
    return docs, [q for q in questions if q["doc"] not in seen]


def per_part(questions: list[dict], n: int, key) -> list[dict]:  # type: ignore[no-untyped-def]
    """At most ``n`` questions of each ``key(question)``, drawn in a fixed shuffle."""
    shuffled = list(questions)
    random.Random(5).shuffle(shuffled)
    taken: collections.Counter = collections.Counter()
    sample = []
    for q in shuffled:
        if taken[key(q)] < n:
            taken[key(q)] += 1
            sample.append(q)
    return sample


def cross_validated(z: np.ndarray, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Each row's logistic decision value from a model fitted on the other folds (features
    standardised on the fitting folds)."""
    from sklearn.linear_model import LogisticRegression

    pred = np.zeros(len(y))
    for f in np.unique(folds):
        train, test = folds != f, folds == f
        mu, sd = z[train].mean(0), z[train].std(0) + 1e-9
        model = LogisticRegression(max_iter=3000).fit((z[train] - mu) / sd, y[train])
        pred[test] = model.decision_function((z[test] - mu) / sd)
    return pred


def calibrate() -> None:
    from fit_reader import questions_of
    from reader_data import DATA, VALIDATION_SQUAD
    from sklearn.metrics import roc_auc_score

    from assistant import Assistant, Config

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        for name in VALIDATION_SQUAD:
            shutil.copy(DATA / "squad2-train" / "docs" / name, folder / name)
        searcher = Assistant.open(Config(docs_dir=folder, index_dir=Path(tmp) / "index"))._state.searcher
        reader = open_reader()
        rows = [(q, read(searcher, reader, q["question"], 8)) for q in questions_of(VALIDATION_SQUAD)]

    def question_features(cands: list[dict]) -> list[float]:
        s = scores(cands)
        order = np.argsort(-s)
        best = cands[order[0]]
        return [
            s[order[0]],
            s[order[0]] - s[order[1]],
            best["margin"],
            max(best["missing_doc"], default=0.0),
            sum(best["missing_doc"]) / best["idf"],
            max(best["missing_row"], default=0.0),
            best["coverage"],
            best["names"],
            best["dense"],
        ]

    x = np.array([question_features(c) for _, c in rows])
    y = np.array([q["answerable"] for q, _ in rows])
    articles = np.array([q["doc"] for q, _ in rows])

    def refused(pred: np.ndarray) -> float:  # unanswerable refused at 2.5% of answerable refused
        return float(np.mean(pred[~y] < np.quantile(pred[y], 0.025)))

    print("## Telling unanswerable questions (4 squad2-train validation articles, by article)")
    print("| model | AUC | unanswerable refused at 2.5% answerable refused |")
    print("| --- | --- | --- |")
    print(f"| reader's best score alone | {roc_auc_score(y, x[:, 0]):.3f} | {refused(x[:, 0]):.3f} |")
    names = ("gap", "margin", "rarest word not in the article", "share of words not in the article")
    for j, name in enumerate(names, 1):
        print(f"| {name} alone | {roc_auc_score(y, x[:, j]):.3f} | |")
    for label, cols in (("score + gap", [0, 1]), ("score + missing words", [0, 3, 4]), ("all", list(range(9)))):
        pred = cross_validated(x[:, cols], y, articles)
        print(f"| logistic: {label} | {roc_auc_score(y, pred):.3f} | {refused(pred):.3f} |")


def _part(q: dict) -> str:
    return q["doc"].split("__")[0]


def scale(n: int = 300) -> None:
    from assistant import Assistant, Config

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docs, unread = unread_folder(work)
        sample = per_part(unread, n, _part)
        searcher = Assistant.open(Config(docs_dir=docs, index_dir=work / "index"))._state.searcher
        reader = open_reader()
        rows = [(q, read(searcher, reader, q["question"], 32)) for q in sample]
        print(f"\n## {len(sample)} questions over a folder of {len(list(docs.iterdir()))} unread SQuADShifts articles")
    print(
        "| candidates read | top sentence holds the answer | with the article's share (weight 0.5) | any of them holds it |"
    )
    print("| --- | --- | --- | --- |")
    for k in (4, 8, 12, 16, 24, 32):
        plain = aggregated = anywhere = 0
        for q, cands in rows:
            cs = cands[:k]
            s = scores(cs)
            belief = np.exp(s - s.max())
            share = collections.Counter()
            for c, b in zip(cs, belief, strict=True):
                share[c["doc_id"]] += b
            with_doc = s + 0.5 * np.log([share[c["doc_id"]] for c in cs])
            plain += holds(q, cs[int(np.argmax(s))])
            aggregated += holds(q, cs[int(np.argmax(with_doc))])
            anywhere += any(holds(q, c) for c in cs)
        n = len(rows)
        print(f"| {k} | {plain / n:.3f} | {aggregated / n:.3f} | {anywhere / n:.3f} |")
    print("\n| part | top sentence (8 read) | right article first | any of 32 holds it |")
    print("| --- | --- | --- | --- |")
    for part in sorted({_part(q) for q in sample}):
        mine = [(q, c) for q, c in rows if q["doc"].startswith(part + "__")]
        top = np.mean([holds(q, c[:8][int(np.argmax(scores(c[:8])))]) for q, c in mine])
        doc = np.mean([c[0]["doc_id"] == q["doc"] for q, c in mine])
        any32 = np.mean([any(holds(q, x) for x in c) for q, c in mine])
        print(f"| {part} | {top:.3f} | {doc:.3f} | {any32:.3f} |")


def silent(model: Path, threshold: float, unsure: float, mix: float, n: int = 200) -> None:
    """Questions whose article is not in the folder: the sources are silent, and the
    answer should say so. Half of the unread SQuADShifts articles stay in one folder; the
    questions of the other half are asked over it beside questions of the kept half. A
    question is refused when no candidate's score (the logit plus ``mix`` times retrieval's
    score against the best) reaches ``threshold``, and answered with the unsure note when
    the best stays below ``unsure``."""
    from assistant import Assistant, Config

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docs, asked = unread_folder(work)
        unread = sorted(p.name for p in docs.iterdir())
        random.Random(7).shuffle(unread)
        gone = set(unread[::2])
        for name in gone:
            (docs / name).unlink()
        sample = per_part(asked, n, lambda q: (_part(q), q["doc"] in gone))
        searcher = Assistant.open(Config(docs_dir=docs, index_dir=work / "index"))._state.searcher
        reader = open_reader(model)
        rows = [(q, read(searcher, reader, q["question"], 8)) for q in sample]
        print(f"\n## Silent sources: {model.name}, threshold {threshold}, unsure {unsure}, retrieval weight {mix}")
        print(f"{len(list(docs.iterdir()))} unread SQuADShifts articles in the folder, {len(gone)} left out")
    print(
        "| part | top sentence holds the answer | answerable refused | answerable refused or unsure "
        "| silent refused | silent refused or unsure |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for part in sorted({_part(q) for q in sample}):
        here = [(q, c) for q, c in rows if q["doc"].startswith(part + "__") and q["doc"] not in gone]
        away = [(q, c) for q, c in rows if q["doc"].startswith(part + "__") and q["doc"] in gone]
        top = np.mean([holds(q, c[int(np.argmax(scores(c, mix)))]) for q, c in here])
        best_here = np.array([scores(c, mix).max() for _, c in here])
        best_away = np.array([scores(c, mix).max() for _, c in away])
        print(
            f"| {part} | {top:.3f} | {np.mean(best_here < threshold):.3f} | {np.mean(best_here < unsure):.3f} "
            f"| {np.mean(best_away < threshold):.3f} | {np.mean(best_away < unsure):.3f} |"
        )


def silent_fit() -> None:
    """On the validation articles of ``fit_reader.py``, split in two folders: each half's
    questions are asked over its own folder (answerable, or SQuAD 2.0's unanswerable) and
    over the other (silent sources). Does a logistic model over the reader's best score and
    features of the question and the best candidate (the question's rare words missing from
    its article, retrieval's score, similarity and coverage) refuse more unanswerable and
    silent questions than the score alone, each threshold refusing at most 2.5% of the
    answerable questions of every kind of text? Cross-validated by article, five folds."""
    from fit_reader import validation

    from assistant import Assistant, Config

    reader = open_reader()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder, questions = validation(work)
        names = sorted(p.name for p in folder.iterdir())
        random.Random(3).shuffle(names)
        for h, half in enumerate((set(names[::2]), set(names[1::2]))):
            sub = work / f"half{h}"
            sub.mkdir()
            for name in half:
                shutil.copy(folder / name, sub / name)
            searcher = Assistant.open(Config(docs_dir=sub, index_dir=work / f"index{h}"))._state.searcher
            for q in questions:
                present = q["doc"] in half
                if present or q["answerable"]:
                    kind = ("answerable" if q["answerable"] else "unanswerable") if present else "silent"
                    rows.append((kind, q["source"], q["doc"], read(searcher, reader, q["question"], 8)))

    def features(cands: list[dict]) -> list[float]:
        s = scores(cands)
        best = cands[int(np.argmax(s))]
        return [
            float(s.max()),
            sum(best["missing_doc"]) / best["idf"],
            max(best["missing_doc"], default=0.0),
            best["coverage"],
            max(c["retr"] for c in cands),
            max(c["dense"] for c in cands),
        ]

    x = np.array([features(c) for *_, c in rows])
    kinds = np.array([k for k, *_ in rows])
    sources = np.array([s for _, s, *_ in rows])
    articles = sorted({d for _, _, d, _ in rows})
    folds = np.array([articles.index(d) % 5 for _, _, d, _ in rows])
    y = kinds == "answerable"
    print(f"\n## Silent sources on the validation articles: {collections.Counter(kinds.tolist())}")
    print("| model | answerable refused | unanswerable refused | silent refused |")
    print("| --- | --- | --- | --- |")
    for label, cols in (
        ("reader's best score alone", [0]),
        ("logistic: score + missing words", [0, 1, 2]),
        ("logistic: score + missing words + retrieval", [0, 1, 2, 3, 4, 5]),
    ):
        pred = cross_validated(x[:, cols], y, folds) if len(cols) > 1 else x[:, 0]
        t = min(np.quantile(pred[y & (sources == s)], 0.025) for s in set(sources[y].tolist()))
        refused = {k: float(np.mean(pred[kinds == k] < t)) for k in ("answerable", "unanswerable", "silent")}
        print(f"| {label} | {refused['answerable']:.3f} | {refused['unanswerable']:.3f} | {refused['silent']:.3f} |")


# what ``--stack`` may add to the logit, per candidate
STACKED = {
    "retrieval's score": lambda c, top: c["retr"] - top,
    "similarity": lambda c, top: c["dense"],
    "term coverage (sentence and passage)": lambda c, top: c["coverage"],
    "name coverage": lambda c, top: c["names"],
    "answer type": lambda c, top: c["type_match"],
    "span margin": lambda c, top: c["margin"] / 5.0,
    "term coverage (sentence alone)": lambda c, top: 1.0 - sum(c["missing_row"]) / c["idf"],
    "rarest word the sentence lacks": lambda c, top: max(c["missing_row"], default=0.0) / 10.0,
}


def listwise_fit(groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]], l2: float = 0.01) -> np.ndarray:
    """Weights ``w`` of the features beside the logit (score = logit + features @ w) that
    maximise the softmax likelihood of each group's answering candidates."""
    from scipy.optimize import minimize

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for logit, x, y in groups:
            s = logit + x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            target = y / y.sum()
            total -= float(target @ np.log(p + 1e-12))
            grad += x.T @ (p - target)
        return total / len(groups) + l2 * float(w @ w), grad / len(groups) + 2 * l2 * w

    return minimize(loss, np.zeros(groups[0][1].shape[1]), jac=True, method="L-BFGS-B").x


def stack() -> None:
    from fit_reader import validation

    from assistant import Assistant, Config

    with tempfile.TemporaryDirectory() as tmp:
        folder, questions = validation(Path(tmp))
        searcher = Assistant.open(Config(docs_dir=folder, index_dir=Path(tmp) / "index"))._state.searcher
        reader = open_reader()
        rows = [(q, read(searcher, reader, q["question"], 8)) for q in questions if q["answerable"]]
    rows = [(q, c) for q, c in rows if c]
    articles = sorted({q["doc"] for q, _ in rows})
    order = np.random.default_rng(0).permutation(len(articles))
    fold = {articles[i]: k % 5 for k, i in enumerate(order)}

    def group(q: dict, cands: list[dict], names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        top = max(c["retr"] for c in cands)
        x = np.array([[STACKED[n](c, top) for n in names] for c in cands]).reshape(len(cands), len(names))
        return np.array([c["logit"] for c in cands]), x, np.array([holds(q, c) for c in cands], dtype=float)

    def shares(hits: list[tuple[dict, bool]]) -> dict[str, float]:
        by: dict[str, list[bool]] = collections.defaultdict(list)
        for q, hit in hits:
            by[q["source"]].append(hit)
            by["all"].append(hit)
        return {k: float(np.mean(v)) for k, v in by.items()}

    def firsts(names: list[str]) -> dict[str, float]:
        hits = []
        for f in range(5):
            fitted = [group(q, c, names) for q, c in rows if fold[q["doc"]] != f]
            w = listwise_fit([g for g in fitted if g[2].any()])
            for q, c in rows:
                if fold[q["doc"]] == f:
                    logit, x, y = group(q, c, names)
                    hits.append((q, bool(y[int(np.argmax(logit + x @ w))])))
        return shares(hits)

    sources = sorted({q["source"] for q, _ in rows})
    print(f"\n## The first sentence holds the answer ({len(rows)} answerable validation questions)")
    print("| score | all | " + " | ".join(sources) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in sources) + " |")
    first = "retrieval's score"
    for label, result in [
        (
            f"logit + {MIX} x retrieval's score (shipped)",
            shares([(q, holds(q, c[int(np.argmax(scores(c)))])) for q, c in rows]),
        ),
        ("logit + retrieval's score, weight fitted", firsts([first])),
        *((f"... + {n}", firsts([first, n])) for n in STACKED if n != first),
        ("... + all of them", firsts(list(STACKED))),
    ]:
        print(f"| {label} | {result['all']:.3f} | " + " | ".join(f"{result[s]:.3f}" for s in sources) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--silent", action="store_true")
    parser.add_argument("--silent-fit", action="store_true")
    parser.add_argument("--stack", action="store_true")
    parser.add_argument("--model", type=Path, default=MODEL, help="with --silent: the reader to probe")
    parser.add_argument("--threshold", type=float, help="with --silent: its threshold (default: the manifest's)")
    parser.add_argument("--unsure", type=float, help="with --silent: its unsure level (default: the manifest's)")
    parser.add_argument("--mix", type=float, default=MIX, help="with --silent: retrieval's weight")
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
    if args.scale:
        scale()
    if args.silent_fit:
        silent_fit()
    if args.stack:
        stack()
    if args.silent:
        from assistant.search.reader import ReaderSpec

        spec = ReaderSpec.load()
        threshold = spec.threshold if args.threshold is None else args.threshold
        unsure = args.unsure if args.unsure is not None else spec.unsure if spec.unsure is not None else threshold
        silent(args.model, threshold, unsure, args.mix)


if __name__ == "__main__":
    main()
