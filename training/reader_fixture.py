"""Record the shipped reader's logits on a small fixture (``tests/data/reader_fixture.json``).

The test suite checks that the reader gives these logits (and span margins) again (it is deterministic) and
that in each case it reads the answering sentence as the answer. Run after a new model is
exported; the sentences are from the seed articles.

    .venv/bin/python training/reader_fixture.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TITLE = "Japanese Prime Minister Sanae Takaichi met South Korea's President Lee Jae Myung in Nara"
CASES = [
    {
        "question": "Which region of Japan is Ms Takaichi's home?",
        "answer": 1,
        "candidates": [
            [
                "Mr Lee and Ms Takaichi, who both took office in 2025, last met in October on the sidelines of the "
                "Asia-Pacific Economic Cooperation regional summit in Gyeongju in South Korea.",
                "",
                TITLE,
            ],
            [
                "The two leaders are in Ms Takaichi’s picturesque home region of Nara in western Japan, days after "
                "Mr Lee visited Chinese leader Xi Jinping in Beijing.",
                "",
                TITLE,
            ],
            ["“Therefore, cooperation between our two countries is more important than ever”.", "", TITLE],
        ],
    },
    {
        "question": "What triggered the diplomatic spat between Japan and China?",
        "answer": 0,
        "candidates": [
            [
                "Looming in the background is Japan’s heated diplomatic spat with China, triggered by Ms Takaichi’s "
                "suggestion in November 2025 that Japan could intervene militarily if China attacks Taiwan.",
                "",
                TITLE,
            ],
            [
                "After the summit meeting, Mr Lee and Ms Takaichi will have dinner on Jan 13 to discuss regional "
                "and global issues.",
                "",
                TITLE,
            ],
        ],
    },
]


def main() -> None:
    from assistant.search.reader import default_reader

    reader = default_reader()
    cases = []
    for case in CASES:
        logits, margins, _ = reader.scores(case["question"], [tuple(c) for c in case["candidates"]])
        cases.append(
            {**case, "logits": [round(float(z), 5) for z in logits], "margins": [round(float(m), 5) for m in margins]}
        )
        print(case["question"], [round(float(z), 3) for z in logits], [round(float(m), 3) for m in margins])
    out = ROOT / "tests" / "data" / "reader_fixture.json"
    out.write_text(json.dumps({"model_sha256": reader.spec.sha256, "cases": cases}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
