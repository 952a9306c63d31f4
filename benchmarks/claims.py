"""The claim verifier on claims written against the seeds and their sibling articles in
tests/data (never used to train or to choose a threshold): verdicts through the whole product.

    .venv/bin/python benchmarks/claims.py [tests/data/claims_fresh.jsonl]

The default set is ``claims_siblings.jsonl``; ``claims_fresh.jsonl`` was written later,
before any rule it measures was tried; ``claims_seeds.jsonl`` (over the two seeds: claims
in other words, with a swapped place, number, date, order, person or negation, and claims
the articles do not address) before the second verifier was measured. A claim's folder is
one of tests/data, or ``seeds``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data"


def main() -> None:
    from assistant import Assistant, Config

    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA / "claims_siblings.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    print("| claim | expected | verdict |")
    print("| --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for folder in sorted({i["folder"] for i in items}):
            docs = Path(tmp) / folder
            shutil.copytree(ROOT / "seeds" if folder == "seeds" else DATA / folder, docs)
            assistant = Assistant.open(Config(docs_dir=docs, index_dir=Path(tmp) / f"index-{folder}"))
            for item in (i for i in items if i["folder"] == folder):
                verdict = assistant.check(item["claim"]).verdict
                total[item["verdict"]] += 1
                right[item["verdict"]] += verdict == item["verdict"]
                print(f"| {item['claim']} | {item['verdict']} | {verdict} |")
    print()
    for kind in ("supported", "contradicted", "not_found"):
        print(f"{kind}: {right[kind]} of {total[kind]}")
    print(f"all: {sum(right.values())} of {sum(total.values())}")


if __name__ == "__main__":
    main()
