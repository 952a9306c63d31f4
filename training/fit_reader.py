"""Fit the reader's answering thresholds on validation articles, never on test data.

The whole pipeline (retrieval, reader, answer composition) runs over one folder of every
validation article held out of the reader's training: the squad2-train ones
(``reader_data.VALIDATION_SQUAD``, half their questions unanswerable) and the SQuADShifts
ones (``reader_data.shifts_validation``: new Wikipedia, Reddit, product reviews). From its
answers this picks:

- ``mix`` and ``span``: the weights of retrieval's score and of the span head's
  answer-against-null margin beside the reader's logit;
- ``window_cost``: the cost per character a neighbouring sentence's probability must pay
  to join the first citation, the one with the best top-citation accuracy whose mean first
  citation stays within ``--max-chars``;
- ``threshold``: the reader logit below which the answer is "The sources don't say", the
  one that refuses the most unanswerable questions while refusing at most ``--max-refused``
  of the answerable ones of every source (the kind of text the reader is least sure on
  decides);
- which hand-written rules of ``answer.compose.RULES`` stay beside the reader (each rule's worth
  is printed; one that measurably hurts is dropped), and below which reader probability
  the refusal rules apply;
- ``unsure``: the score below which an answer is flagged as possibly not answering: where
  the chance that its first citation holds the answer (isotonic on the score) is a third
  or less.

It writes them with the model's SHA-256 into ``assistant/data/reader.json``.

    .venv/bin/python training/fit_reader.py --model assistant/data/reader.onnx --write
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from reader_data import DATA, VALIDATION_SQUAD, shifts_validation  # noqa: E402

CANDIDATES = 16
WINDOW_COSTS = (0.0, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.008)
MARGIN = 3.0
MIXES = (0.0, 0.25, 0.5, 1.0, 2.0)
SPANS = (0.0, 0.25, 0.5, 1.0)  # weights of the span head's answer-against-null margin beside the logit
TRUSTS = (2.0, 0.9, 0.7, 0.5)
MIN_GAIN = 0.001  # dropping a rule must raise the objective on validation by this much
UNSURE_RIGHT = 2 / 3  # below the unsure level, an answer's calibrated chance of being right is under this
UNSURE_BAND = 0.5  # and the unsure band's answers must be right at least this often, or there is no band


def questions_of(docs: tuple[str, ...]) -> list[dict]:
    lines = (DATA / "squad2-train" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [{**q, "source": "squad2-train"} for q in map(json.loads, lines) if q["doc"] in docs]


def validation(work: Path) -> tuple[Path, list[dict]]:
    """One folder of every validation article: the squad2-train ones of ``VALIDATION_SQUAD``
    (half their questions unanswerable) and the SQuADShifts ones (new Wikipedia, Reddit,
    Amazon reviews; all answerable), with their questions, each marked with its source."""
    folder = work / "docs"
    folder.mkdir()
    for name in VALIDATION_SQUAD:
        shutil.copy(DATA / "squad2-train" / "docs" / name, folder / name)
    shifts, questions = shifts_validation(work / "shifts")
    for path in shifts.iterdir():
        shutil.copy(path, folder / path.name)
    shifted = [{**q, "source": q["doc"].split("__")[0]} for q in questions]
    return folder, questions_of(VALIDATION_SQUAD) + shifted


SILENT_PER_KIND = 300  # questions asked of a collection that does not hold their article, per kind
SILENT_SEED = 29


def read_all(model: Path, work: Path, candidates: int, max_tokens: int = 0) -> tuple[object, list[tuple]]:
    """Every validation question with its analysed form and reader-ranked candidates, and
    the silent cases, each a kind of its own (all unanswerable, never in the threshold's
    choice, reported apart):

    - ``silent-half``: the validation articles split in two halves by article; the
      answerable questions of one half asked over a folder of the other (a collection of
      a dozen articles that does not hold the question's article);
    - ``silent-two``: answerable questions of other articles asked over a folder of two
      validation articles (off-topic questions over a small collection).

    Each tuple ends with the searcher of the folder it was asked over."""
    import random

    from assistant import Assistant, Config
    from assistant.search.reader import Reader, ReaderSpec

    folder, questions = validation(work)
    assistant = Assistant.open(Config(docs_dir=folder, index_dir=work / "index"))
    reader = Reader.from_file(model, ReaderSpec(model, "", -99.0, 0.0, MARGIN, candidates))
    if max_tokens:  # a probe: pairs cut shorter than the reader was trained on
        from assistant.search.reader_input import load_tokenizer

        reader.tokenizer = load_tokenizer(max_tokens)
    out = [_read(q, assistant._state.searcher, reader, candidates) for q in questions]
    rng = random.Random(SILENT_SEED)
    articles = sorted({q["doc"] for q in questions})
    rng.shuffle(articles)
    answerable = [q for q in questions if q["answerable"]]
    kinds = (("silent-half", set(articles[: len(articles) // 2])), ("silent-two", set(articles[:2])))
    for kind, kept in kinds:
        sub = work / kind
        (sub / "docs").mkdir(parents=True)
        for name in kept:
            shutil.copy(folder / name, sub / "docs" / name)
        searcher = Assistant.open(Config(docs_dir=sub / "docs", index_dir=sub / "index"))._state.searcher
        away = [q for q in answerable if q["doc"] not in kept]
        for q in rng.sample(away, min(SILENT_PER_KIND, len(away))):
            out.append(_read({**q, "source": kind, "answerable": False, "answers": []}, searcher, reader, candidates))
    return assistant._state.searcher, out


def _read(q: dict, searcher, reader, candidates: int) -> tuple:  # type: ignore[no-untyped-def]
    from assistant.language.question import analyze
    from assistant.search.reader import _candidate

    question = searcher.scoped(analyze(q["question"]))
    ranked = searcher.rank(question, limit=max(20, candidates))
    logits, margins, words = reader.scores(question.read, [_candidate(searcher.view, s) for s in ranked[:candidates]])
    return (q, question, ranked, (logits, margins), words, searcher)


def mixed(read: list[tuple], mix: float, span: float = 0.0) -> list[tuple]:
    """(question, analysed question, reader-ranked candidates) with retrieval weighted by
    ``mix`` and the span head's margin by ``span``."""
    from assistant.search.reader import ReaderSpec, combine

    spec = ReaderSpec(Path(), "", -99.0, 0.0, MARGIN, CANDIDATES, mix, span=span)
    return [
        (q, question, combine(ranked, logits, words, spec, margins), searcher)
        for q, question, ranked, (logits, margins), words, searcher in read
    ]


def holds(q: dict, citation) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``citation`` is in the question's article and holds one of its gold answer spans."""
    from assistant.answer.evaluate import contains_answer

    return contains_answer(dataclasses.asdict(citation), q["doc"], q["answers"])


def answers(  # type: ignore[no-untyped-def]
    searcher, read: list[tuple], window_cost: float, rules: frozenset[str], trust: float = 2.0, coverage: float = 0.0
) -> list[dict]:
    from assistant.answer.compose import Policy, compose

    policy = Policy.from_reader(-99.0, MARGIN, window_cost, rules, trust, min_coverage=coverage)
    rows = []
    for q, question, ranked, asked_over in read:
        answer = compose(question, ranked, asked_over.view, k=3, policy=policy)
        top = answer.citations[0] if answer.citations else None
        hit = top is not None and holds(q, top)
        rows.append(
            {
                "source": q["source"],
                "answerable": q["answerable"],
                "found": answer.found,
                "hit": hit,
                "chars": len(top.text) if top else 0,
                "best": ranked[0].score if ranked else -99.0,
            }
        )
    return rows


def at_threshold(rows: list[dict], t: float) -> dict:
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    said = [r for r in ans if r["found"] and r["best"] >= t]
    return {
        "answer@1": sum(r["hit"] for r in said) / len(ans),
        "answerable_refused": 1 - len(said) / len(ans),
        "unanswerable_refused": sum(not (r["found"] and r["best"] >= t) for r in una) / len(una) if una else None,
        "chars": float(np.mean([r["chars"] for r in said])) if said else 0.0,
    }


REFUSED_OVER = "all"  # 'all': at most --max-refused of all answerable questions; 'each': of every source's


def pick_threshold(rows: list[dict], max_refused: float) -> float:
    """The highest threshold that refuses at most ``max_refused`` of the answerable questions
    (of them all, or with ``REFUSED_OVER = 'each'`` of every source: the kind of text refused
    most decides)."""
    if REFUSED_OVER == "all":
        return _source_threshold(rows, max_refused)
    return min(_source_threshold([r for r in rows if r["source"] == s], max_refused) for s in _sources(rows))


COVERAGES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def pick_coverage(searcher, read: list[tuple], cost: float, rules: frozenset[str], trust: float, args):  # type: ignore[no-untyped-def]
    """The 'coverage' rule's level with the best objective (its threshold chosen anew for
    each); 0.0 (the rule off) unless a level beats it by ``MIN_GAIN``."""
    print("| min coverage | threshold | answer@1 | answerable refused | unanswerable refused |")
    print("| --- | --- | --- | --- | --- |")
    best = None
    for level in COVERAGES:
        rows = answers(searcher, read, cost, rules | {"coverage"}, trust, level)
        t = pick_threshold(rows, args.max_refused)
        m = at_threshold(rows, t)
        print(
            f"| {level} | {t:.3f} | {m['answer@1']:.3f} | {m['answerable_refused']:.3f} | {m['unanswerable_refused']:.3f} |"
        )
        if best is None or objective(m) > best[0] + MIN_GAIN:
            best = (objective(m), level)
    assert best is not None
    return best[1]


def _source_threshold(rows: list[dict], max_refused: float) -> float:
    ts = sorted({r["best"] for r in rows if r["answerable"]})
    best = ts[0] - 1e-3
    for t in ts:
        if at_threshold(rows, t)["answerable_refused"] <= max_refused:
            best = t
    return best


def _sources(rows: list[dict]) -> list[str]:
    return sorted({r["source"] for r in rows if r["answerable"]})


def by_source(rows: list[dict], t: float) -> None:
    """Prints the figures at threshold ``t`` for each source."""
    print("| source | questions | answer@1 | answerable refused | unanswerable refused | chars |")
    print("| --- | --- | --- | --- | --- | --- |")
    for source in _sources(rows):
        part = [r for r in rows if r["source"] == source]
        m = at_threshold(part, t)
        una = f"{m['unanswerable_refused']:.3f}" if m["unanswerable_refused"] is not None else "n/a"
        print(
            f"| {source} | {len(part)} | {m['answer@1']:.3f} | {m['answerable_refused']:.3f} | {una} "
            f"| {m['chars']:.0f} |"
        )


def pick_unsure(rows: list[dict], t: float, right: float = UNSURE_RIGHT, band: float = UNSURE_BAND) -> float | None:
    """The score below which an answer is flagged unsure: where the chance that the first
    citation holds a gold answer, calibrated on the answered validation questions
    (answerable, SQuAD 2.0's unanswerable and the silent kinds) by isotonic regression on
    the score, falls below ``right``; kept only when the answers of that band, from the
    threshold up, are right at least ``band`` of the time (an 'unsure' answer is then still
    more often right than not). Prints the calibration by score. None: no unsure band."""
    from sklearn.isotonic import IsotonicRegression

    said = sorted((r for r in rows if r["found"] and r["best"] >= t), key=lambda r: r["best"])
    print("| reader score | answered | first citation holds the answer |")
    print("| --- | --- | --- |")
    edges = [t, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, float("inf")]
    for lo, hi in zip(edges, edges[1:], strict=False):
        part = [r["hit"] for r in said if lo <= r["best"] < hi]
        if part:
            print(f"| {lo:.1f} to {hi:.1f} | {len(part)} | {np.mean(part):.3f} |")
    score = np.array([r["best"] for r in said])
    chance = IsotonicRegression(increasing=True).fit_transform(score, [float(r["hit"]) for r in said])
    above = score[chance >= right]
    if len(above) == len(score) or not len(above):
        return None
    level = round(float(above.min()), 4)
    below = [r["hit"] for r in said if r["best"] < level]
    print(f"unsure below {level}: {len(below)} of {len(said)} answered questions, {np.mean(below):.3f} of them right")
    if np.mean(below) < band:
        print(f"no unsure band: its answers are right less than {band:.0%} of the time")
        return None
    return level


def by_kind(rows: list[dict], t: float) -> dict[str, float]:
    """Refusal rates at threshold ``t`` of each kind of unanswerable question (and of the
    answerable ones), printed and returned."""
    kinds = {
        "answerable (all sources)": [r for r in rows if r["answerable"]],
        "SQuAD 2.0 unanswerable": [r for r in rows if not r["answerable"] and r["source"] == "squad2-train"],
        "article not in a dozen-article collection": [r for r in rows if r["source"] == "silent-half"],
        "article not in a two-article collection": [r for r in rows if r["source"] == "silent-two"],
    }
    print("| kind | questions | refused |")
    print("| --- | --- | --- |")
    out = {}
    for kind, part in kinds.items():
        if part:
            out[kind] = float(np.mean([not (r["found"] and r["best"] >= t) for r in part]))
            print(f"| {kind} | {len(part)} | {out[kind]:.3f} |")
    return out


def objective(m: dict) -> float:
    """Top-citation accuracy, and a quarter point for each point of unanswerable questions refused."""
    return m["answer@1"] + 0.25 * m["unanswerable_refused"]


def scored(
    searcher, read: list[tuple], cost: float, rules: frozenset[str], args, trust: float = 2.0
) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    rows = answers(searcher, read, cost, rules, trust)
    t = pick_threshold(rows, args.max_refused)
    return t, at_threshold(rows, t)


def pick_rules(searcher, read: list[tuple], cost: float, args):  # type: ignore[no-untyped-def]
    """For each trust level (the reader's probability above which the refusal rules stand
    aside; 2.0: never), the rules forward selection keeps; the level and rules with the best
    objective, the plainest (no rules, rules always) winning ties."""
    best = None
    for trust in TRUSTS:
        print(f"### refusal rules apply below reader probability {trust}")
        rules, current = select_rules(searcher, read, cost, args, trust)
        if best is None or objective(current[1]) > best[0] + MIN_GAIN:
            best = (objective(current[1]), trust, rules, current)
    assert best is not None
    return best[1], best[2], best[3]


def pick_mix(searcher, raw: list[tuple], args) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The weights of retrieval's score and of the span head's margin beside the reader's
    logit with the best objective, each scored at its own window cost (the one
    ``pick_window_cost`` would choose for it); a later one in the grid must beat the best
    before it by ``MIN_GAIN``, so the plainest wins what is within noise."""
    print(
        "| span weight | retrieval weight | window cost | threshold | answer@1 | answerable refused "
        "| unanswerable refused | chars |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    best = None
    for span in SPANS:
        for mix in MIXES:
            cost, t, m = pick_window_cost(searcher, mixed(raw, mix, span), args, show=False)
            print(
                f"| {span} | {mix} | {cost} | {t:.3f} | {m['answer@1']:.3f} | {m['answerable_refused']:.3f} "
                f"| {m['unanswerable_refused']:.3f} | {m['chars']:.0f} |",
                flush=True,
            )
            if best is None or objective(m) > best[0] + MIN_GAIN:
                best = (objective(m), mix, span)
    assert best is not None
    return best[1], best[2]


def pick_window_cost(searcher, read: list[tuple], args, show: bool = True) -> tuple[float, float, dict]:  # type: ignore[no-untyped-def]
    """The cheapest window cost whose mean first citation stays within ``--max-chars`` (else
    the dearest), the reader alone, with its threshold and figures. With ``show``, every
    cost is scored and printed; without, the costs stop at the one chosen."""
    if show:
        print("| window cost | threshold | answer@1 | answerable refused | unanswerable refused | chars |")
        print("| --- | --- | --- | --- | --- | --- |")
    chosen = None
    for cost in WINDOW_COSTS:
        t, m = scored(searcher, read, cost, frozenset(), args)
        if show:
            print(
                f"| {cost} | {t:.3f} | {m['answer@1']:.3f} | {m['answerable_refused']:.3f} "
                f"| {m['unanswerable_refused']:.3f} | {m['chars']:.0f} |",
                flush=True,
            )
        if chosen is None and (m["chars"] <= args.max_chars or cost == WINDOW_COSTS[-1]):
            chosen = (cost, t, m)
            if not show:
                break
    assert chosen is not None
    return chosen


def select_rules(
    searcher, read: list[tuple], cost: float, args, trust: float
) -> tuple[frozenset[str], tuple[float, dict]]:  # type: ignore[no-untyped-def]
    """Backward elimination: from every rule of ``RULES``, drop the one whose removal raises
    the objective most, while one raises it by at least ``MIN_GAIN``: a rule stays unless it
    measurably hurts. (A rule that never fires on these questions, as news-style ones may
    not on Wikipedia, costs nothing here and stays.) Prints each rule's worth."""
    from assistant.answer.compose import RULES

    print(f"reader alone: {scored(searcher, read, cost, frozenset(), args, trust)[1]}")
    rules = frozenset(RULES) - {"coverage"}  # a rule with a level of its own: pick_coverage
    current = scored(searcher, read, cost, rules, args, trust)
    print(f"every rule: {current[1]}")
    print("| rules in force | rule dropped | answer@1 | answerable refused | unanswerable refused | objective change |")
    print("| --- | --- | --- | --- | --- | --- |")
    while rules:
        trials = {}
        for rule in sorted(rules):
            trial = scored(searcher, read, cost, rules - {rule}, args, trust)
            trials[rule] = trial
            m = trial[1]
            gain = objective(m) - objective(current[1])
            print(
                f"| {', '.join(sorted(rules))} | {rule} | {m['answer@1']:.3f} | {m['answerable_refused']:.3f} "
                f"| {m['unanswerable_refused']:.3f} | {gain:+.4f} |",
                flush=True,
            )
        worst = max(trials, key=lambda r: objective(trials[r][1]))
        if objective(trials[worst][1]) - objective(current[1]) < MIN_GAIN:
            break
        rules, current = rules - {worst}, trials[worst]
    return rules, current


MARGINS = (1.0, 2.0, 3.0, 4.0, 6.0, 100.0)


def margins_table(
    searcher: Any, read: list[tuple], cost: float, rules: frozenset[str], trust: float, t: float, unsure: float | None
) -> None:
    """How often one of the first three citations holds a gold answer (answer@3), and how many
    statements an answer shows, when further statements must score within each of
    ``MARGINS`` of the best (the manifest's ``margin``; unsure answers apart)."""
    from assistant.answer.compose import Policy, compose

    print("| margin | answer@3 | answer@3 of sure answers | answer@3 of unsure answers | statements per answer |")
    print("| --- | --- | --- | --- | --- |")
    for margin in MARGINS:
        policy = Policy.from_reader(t, margin, cost, rules, trust, unsure)
        hits: dict[bool, list[bool]] = {True: [], False: []}
        shown, answerable = [], 0
        for q, question, ranked, asked_over in read:
            answer = compose(question, ranked, asked_over.view, k=3, policy=policy)
            shown += [len(answer.statements)] if answer.found else []
            answerable += q["answerable"]
            if q["answerable"] and answer.found:
                hits[answer.unsure].append(any(holds(q, c) for c in answer.citations[:3]))
        print(
            f"| {margin:g} | {sum(hits[True] + hits[False]) / answerable:.3f} | {np.mean(hits[False]):.3f} "
            f"| {np.mean(hits[True]):.3f} | {np.mean(shown):.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "assistant" / "data" / "reader.onnx")
    parser.add_argument("--max-chars", type=float, default=200.0)
    parser.add_argument("--max-refused", type=float, default=0.025)
    parser.add_argument("--candidates", type=int, default=CANDIDATES)
    parser.add_argument("--write", action="store_true", help="record the choice in assistant/data/reader.json")
    parser.add_argument(
        "--max-tokens", type=int, default=0, help="a probe: read pairs of at most this many tokens (0: as trained)"
    )
    parser.add_argument("--margins", action="store_true", help="also print answer@3 by the further statements' margin")
    parser.add_argument(
        "--keep-mix",
        action="store_true",
        help="keep the manifest's retrieval and span weights instead of searching their grid (a quicker refit)",
    )
    args = parser.parse_args()
    if args.write and args.max_tokens:
        parser.error(
            "--max-tokens is a probe: the product reads pairs as the reader was trained, so nothing is written"
        )
    with tempfile.TemporaryDirectory() as tmp:
        searcher, raw = read_all(args.model, Path(tmp), args.candidates, args.max_tokens)
        articles = len({q["doc"] for q, *_ in raw})
        print(f"{len(raw)} validation questions on {articles} articles")
        if args.keep_mix:
            from assistant.search.reader import MANIFEST

            kept = json.loads(MANIFEST.read_text(encoding="utf-8"))
            mix, span = float(kept.get("mix", 0.0)), float(kept.get("span", 0.0))
        else:
            mix, span = pick_mix(searcher, raw, args)
        read = mixed(raw, mix, span)
        cost = pick_window_cost(searcher, read, args)[0]
        trust, rules, (t, m) = pick_rules(searcher, read, cost, args)
        coverage = pick_coverage(searcher, read, cost, rules, trust, args)
        if coverage > 0:
            rules = rules | {"coverage"}
        rows = answers(searcher, read, cost, rules, trust, coverage)
        t = pick_threshold(rows, args.max_refused)
        m = at_threshold(rows, t)
        by_source(rows, t)
        kinds = by_kind(rows, t)
        unsure = pick_unsure(rows, t)
        if args.margins:
            margins_table(searcher, read, cost, rules, trust, t, unsure)
    print(
        f"chosen: span={span} mix={mix} rules={sorted(rules)} trust={trust} window_cost={cost} threshold={t:.3f} "
        f"min_coverage={coverage} "
        f"unsure={unsure}: {m}"
    )
    if args.write:
        from assistant.files import sha256_file
        from assistant.search.reader import MANIFEST

        meta = json.loads(MANIFEST.read_text(encoding="utf-8")) if MANIFEST.exists() else {}
        meta.update(
            {
                "file": args.model.name,
                "sha256": sha256_file(args.model),
                "threshold": round(t, 4),
                "window_cost": cost,
                "margin": MARGIN,
                "candidates": args.candidates,
                "mix": mix,
                "span": span,
                "trust": trust,
                "rules": sorted(rules),
                "unsure": unsure,
                "min_coverage": coverage,
                "validation": {k: round(v, 4) for k, v in m.items()},
                "validation_refused": {k: round(v, 4) for k, v in kinds.items()},
            }
        )
        MANIFEST.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {MANIFEST}")


if __name__ == "__main__":
    main()
