"""Probe whether the reader may stop after retrieval's first few candidates (validation only).

The reader reads retrieval's best 8 sentences with the question (pairs of up to 96 tokens,
nearly always 96: most of a question's time, about 4 ms a pair on two cores). Often the
first few decide:

- one of them scores so far above what the next could reach, after retrieval's weight
  (``mix``) lowers those further down, that reading the rest changes nothing;
- or all of them are hopeless, and what retrieval ranks below them is no likelier to hold
  the answer.

This reads every validation question's candidates once (as ``fit_reader.py`` does), then
for each number read first (``FIRSTS``), lead (``LEVELS``) and hopeless level
(``HOPELESS``) replays the shipped decision (``stops_after``, then ``combine`` and
``compose``) with the later candidates unread where the rule says so. It prints every
rule's figures and names the one that reads the fewest pairs on average among those whose
top-citation accuracy, gold answer in any citation and refusal rate of every kind of
question are no worse than reading everything by more than ``--tolerance``.

Measured 2026-12-07 (docs/reader.md, "Reading fewer candidates"): the chosen rule reads
6.49 pairs on average; it does not move the p50 (most questions still read all 8), and
held out it costs one seeds gold question its top citation; the product reads all 8.

    .venv/bin/python training/probe_early_stop.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from fit_reader import holds, read_all  # noqa: E402

FIRSTS = (3, 4)
LEVELS = (2.0, 3.0, 4.0, 5.0, 6.0, 99.0)
HOPELESS = (-99.0, -9.0, -8.0, -7.0, -6.0, -5.0)


def stops_after(ranked: list, logits: np.ndarray, mix: float, first: int, level: float, hopeless: float) -> bool:
    """Whether the candidates after the ``first`` of ``ranked`` may go unread: the best of
    the first ones' scores (as ``combine`` scores them) leads by ``level`` or more what the
    next candidate would score with a logit of 0, retrieval's weight having lowered it by
    how far its retrieval score falls below the best; or the first ones' best logit is
    ``hopeless`` or lower."""
    if len(ranked) <= first:
        return True
    if float(np.max(logits)) <= hopeless:
        return True
    top = max(s.score for s in ranked[:first])
    best = max(float(z) + mix * (s.score - top) for s, z in zip(ranked, logits, strict=False))
    return best - mix * (ranked[first].score - top) >= level


def replay(read: list[tuple], spec, first: int, level: float, hopeless: float) -> tuple[list[dict], float]:  # type: ignore[no-untyped-def]
    """Each question's answer with the shipped decision when the reader stops after
    ``first`` candidates at ``level``, and the share of questions that stop."""
    from assistant.answer.compose import Policy, compose
    from assistant.search.reader import combine

    policy = Policy.from_reader(
        spec.threshold, spec.margin, spec.window_cost, frozenset(spec.rules), spec.trust, min_coverage=spec.min_coverage
    )
    rows, stopped = [], 0
    for q, question, ranked, (logits, margins), words, searcher in read:
        n = len(logits)
        if n > first and stops_after(ranked, logits[:first], spec.mix, first, level, hopeless):
            n = first
            stopped += 1
        scored = combine(ranked, logits[:n], words[:n], spec, margins[:n])
        answer = compose(question, scored, searcher.view, k=3, policy=policy)
        cited = answer.citations
        rows.append(
            {
                "source": q["source"],
                "answerable": q["answerable"],
                "found": answer.found,
                "hit": bool(answer.found and cited and holds(q, cited[0])),
                "any": bool(answer.found and any(holds(q, c) for c in cited)),
                "key": (answer.found, tuple((c.doc_id, c.start, c.end) for c in cited)),
            }
        )
    return rows, stopped / len(read)


def measures(rows: list[dict]) -> dict[str, float]:
    """Top-citation accuracy and a gold answer in any citation (of the answerable questions),
    and the refusal rate of every kind of question."""
    ans = [r for r in rows if r["answerable"]]
    out = {
        "answer@1": float(np.mean([r["hit"] for r in ans])),
        "answer@3": float(np.mean([r["any"] for r in ans])),
    }
    by_kind: dict[str, list[dict]] = {}
    for r in rows:
        kind = (
            r["source"] if r["source"].startswith("silent") else ("answerable" if r["answerable"] else "unanswerable")
        )
        by_kind.setdefault(kind, []).append(r)
    for kind, part in sorted(by_kind.items()):
        out[f"{kind} refused"] = float(np.mean([not r["found"] for r in part]))
    return out


def no_worse(got: dict[str, float], full: dict[str, float], tolerance: float) -> bool:
    """Accuracy, and the refusals of every unanswerable kind, down by at most ``tolerance``;
    the refusals of answerable questions up by at most as much."""
    for name, value in full.items():
        worse = got[name] - value if name == "answerable refused" else value - got[name]
        if worse > tolerance:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "assistant" / "data" / "reader.onnx")
    parser.add_argument("--tolerance", type=float, default=0.001)
    args = parser.parse_args()
    from assistant.search.reader import MANIFEST, ReaderSpec

    spec = ReaderSpec.load(MANIFEST)
    with tempfile.TemporaryDirectory() as tmp:
        _, read = read_all(args.model, Path(tmp), spec.candidates)
        full_rows, _ = replay(read, spec, spec.candidates, 99.0, -99.0)
        full = measures(full_rows)
        names = list(full)
        print(f"{len(read)} validation questions; reading all {spec.candidates}:")
        print("| first | lead | hopeless | stop early | pairs read | answers changed | " + " | ".join(names) + " |")
        print("| --- " * (6 + len(names)) + "|")
        print(
            f"| {spec.candidates} | - | - | 0 | {spec.candidates} | 0 | "
            + " | ".join(f"{full[n]:.4f}" for n in names)
            + " |"
        )
        best = None
        for first in FIRSTS:
            for level in LEVELS:
                for hopeless in HOPELESS:
                    if level == 99.0 and hopeless == -99.0:
                        continue
                    rows, stopped = replay(read, spec, first, level, hopeless)
                    got = measures(rows)
                    changed = float(np.mean([a["key"] != b["key"] for a, b in zip(rows, full_rows, strict=True)]))
                    pairs = first * stopped + spec.candidates * (1 - stopped)
                    print(
                        f"| {first} | {level} | {hopeless} | {stopped:.3f} | {pairs:.2f} | {changed:.3f} | "
                        + " | ".join(f"{got[n]:.4f}" for n in names)
                        + " |"
                    )
                    if no_worse(got, full, args.tolerance) and (best is None or pairs < best[0]):
                        best = (pairs, first, level, hopeless, stopped)
    if best is None:
        print("no stop keeps the answers as good: the reader reads every candidate")
        return
    pairs, first, level, hopeless, stopped = best
    print(
        f"chosen: first={first} stop={level} hopeless={hopeless}: {stopped:.3f} of validation questions stop early, "
        f"{pairs:.2f} pairs read on average against {spec.candidates}"
    )


if __name__ == "__main__":
    main()
