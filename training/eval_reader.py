"""Held-out ranking figures of a reader model on the validation groups (``valid.jsonl``).

For each answerable validation question whose candidates hold an answer: is the top
candidate an answering one, by retrieval's order and by the reader's? Per source, since
the sources differ in kind (Wikipedia, Reddit, reviews, SelQA sections).

    .venv/bin/python training/eval_reader.py --model assistant/data/reader.onnx
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from assistant.search.reader import Reader, ReaderSpec

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "assistant" / "data" / "reader.onnx")
    parser.add_argument("--groups", type=Path, default=ROOT / "training" / "build" / "valid.jsonl")
    parser.add_argument("--candidates", type=int, default=16)
    parser.add_argument("--limit", type=int, default=0, help="only the first N validation questions")
    args = parser.parse_args()
    reader = Reader.from_file(args.model, ReaderSpec(args.model, "", 0.0, 0.0, 0.0, args.candidates))
    hits: dict[str, list[tuple[int, int]]] = defaultdict(list)
    started, pairs = time.time(), 0
    lines = args.groups.read_text(encoding="utf-8").splitlines()
    if args.limit:
        lines = random.Random(13).sample(lines, min(args.limit, len(lines)))
    for line in lines:
        g = json.loads(line)
        cands = g["candidates"][: args.candidates]
        if not g["answerable"] or not any(c["label"] for c in cands):
            continue
        logits = reader.logits(g["question"], [(c["text"], c["prev"], c["title"]) for c in cands])
        pairs += len(cands)
        labels = np.array([c["label"] for c in cands])
        linear = np.array([c["score"] for c in cands])
        hits[g["source"]].append((labels, logits, linear))
    print(f"{pairs} pairs in {time.time() - started:.0f} s")
    betas = (0.0, 0.25, 0.5, 1.0, 2.0)
    print("| source | questions | retrieval top-1 | " + " | ".join(f"reader + {b} x retrieval" for b in betas) + " |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in betas) + " |")
    for source, rows in sorted(hits.items()):
        base = np.mean([labels[0] for labels, _, _ in rows])
        mixed = [np.mean([labels[int(np.argmax(z + b * lin))] for labels, z, lin in rows]) for b in betas]
        print(f"| {source} | {len(rows)} | {base:.3f} | " + " | ".join(f"{m:.3f}" for m in mixed) + " |")


if __name__ == "__main__":
    main()
