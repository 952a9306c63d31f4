"""Choose the claim check's swapped-fact coverage (``swap_coverage`` in verifier.json) on
the verifier's validation pairs, and report it on the test pairs.

One pair is one (claim, evidence sentence) judged as the claim check judges a source with
a single sentence: supported where the verifier supports it (contradicted when a name,
place or number of the claim is swapped for another), else contradicted where one fact is
swapped and the sentence holds the given share of the claim's other words, else
contradicted where the verifier reads a contradiction, else not in the sources. Sources
whose evidence is one sentence: VitaminC (real and synthetic), the swaps made from
SQuAD 1.1 sentences and counterfactual SNLI; pages and articles are split as the verifier
was trained (``training/verifier_data.py``).

    .venv/bin/python training/fit_claim_rules.py            # validation: choose; test: report
    .venv/bin/python training/fit_claim_rules.py --write    # … and write the choice into verifier.json

Run it after ``train_verifier.py --fit``, which writes a new verifier.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE = Path.home() / ".cache" / "news-assistant" / "training" / "verifier"
SOURCES = ("vitaminc-real", "vitaminc-synthetic", "swaps", "snli-cf")
CHOICES = (None, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # None: the rule off
SUPPORT_CHOICES = (0.0, 0.2, 0.3, 0.4, 0.5)  # 0: any sentence the verifier reads as support


def pairs(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["source"] in SOURCES]


def probabilities(rows: list[dict]) -> np.ndarray:
    from assistant.answer.verifier import default_verifier
    from assistant.search.reader_input import pair_text

    verifier = default_verifier()
    out = [
        verifier.probabilities(
            [r["claim"] for r in rows[i : i + 64]], [pair_text(r["evidence"], "", "") for r in rows[i : i + 64]]
        )
        for i in range(0, len(rows), 64)
    ]
    return np.concatenate(out) if out else np.zeros((0, 3), dtype=np.float32)


def decide(rows: list[dict], probs: np.ndarray, coverage: float | None, support: float = 0.0) -> np.ndarray:
    """0 supported, 1 contradicted, 2 not in the sources, as ``claims._source`` decides one sentence."""
    from assistant.answer import claims
    from assistant.answer.verifier import default_verifier

    spec = default_verifier().spec
    out = np.full(len(rows), 2, dtype=np.int64)
    for n, (r, p) in enumerate(zip(rows, probs, strict=True)):
        evidence = r["evidence"]
        passage = claims.CheckedPassage("d", 0, len(evidence), evidence, float(p[0]), float(p[1]))
        if p[0] >= spec.supports and p[0] >= p[1] and claims.covered(r["claim"], evidence) >= support:
            out[n] = 1 if claims.changed_fact(r["claim"], passage, evidence) is not None else 0
            continue
        if coverage is not None:
            if claims.swapped_fact(r["claim"], passage, evidence, coverage) is not None:
                out[n] = 1
                continue
        if p[1] >= spec.contradicts:
            out[n] = 1
    return out


def scores(pred: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    f1 = [2 * ((pred == k) & (labels == k)).sum() / max((pred == k).sum() + (labels == k).sum(), 1) for k in range(3)]
    hit = ((pred == 1) & (labels == 1)).sum()
    return {
        "accuracy": float((pred == labels).mean()),
        "macro_f1": float(np.mean(f1)),
        "contradicts_precision": float(hit / max((pred == 1).sum(), 1)),
        "contradicts_recall": float(hit / max((labels == 1).sum(), 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=CACHE)
    parser.add_argument("--write", action="store_true", help="record the chosen coverage in verifier.json")
    args = parser.parse_args()
    results: dict[str, dict[tuple[float | None, float], dict[str, float]]] = {}
    grid = [(c, t) for c in CHOICES for t in SUPPORT_CHOICES]
    for split in ("valid", "test"):
        rows = pairs(args.data / f"{split}.jsonl")
        probs = probabilities(rows)
        labels = np.array([r["label"] for r in rows])
        results[split] = {(c, t): scores(decide(rows, probs, c, t), labels) for c, t in grid}
        print(f"{split}: {len(rows)} pairs")
        print("| swap coverage | support coverage | accuracy | macro F1 | contradicts P | contradicts R |")
        print("| --- | --- | --- | --- | --- | --- |")
        for (c, t), s in results[split].items():
            print(
                f"| {'off' if c is None else c} | {t} | {s['accuracy']:.4f} | {s['macro_f1']:.4f} | "
                f"{s['contradicts_precision']:.3f} | {s['contradicts_recall']:.3f} |"
            )
    # the best macro F1 on validation; ties to the rule off, then the looser support
    best = max(grid, key=lambda g: (round(results["valid"][g]["macro_f1"], 4), g[0] is None, -g[1], g[0] or 0))
    test, off = results["test"][best], results["test"][(None, 0.0)]
    print(
        f"chosen on validation: swap {best[0]}, support {best[1]} (test macro F1 {test['macro_f1']:.4f}, both off {off['macro_f1']:.4f})"
    )
    if args.write:
        from assistant.answer.verifier import MANIFEST

        meta = json.loads(MANIFEST.read_text(encoding="utf-8"))
        meta["swap_coverage"] = best[0] if best[0] is not None else 2.0  # above 1: the rule never fires
        meta["swap_coverage_validation"] = {
            "pairs": len(pairs(args.data / "valid.jsonl")),
            "macro_f1": round(results["valid"][best]["macro_f1"], 4),
            "macro_f1_without": round(results["valid"][(None, 0.0)]["macro_f1"], 4),
            "fit": "training/fit_claim_rules.py",
        }
        MANIFEST.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {MANIFEST}")


if __name__ == "__main__":
    main()
