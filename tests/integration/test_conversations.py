"""Follow-ups only when the question needs them, one level deep: measured on written turns."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.language.question import resolve

TURNS = Path(__file__).resolve().parents[1] / "data" / "conversations.jsonl"


def _turns() -> list[dict]:
    return [json.loads(line) for line in TURNS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_follow_ups_are_resolved_and_independent_questions_stand_alone() -> None:
    wrong = []
    for turn in _turns():
        resolved = resolve(turn["question"], turn["history"])
        if not turn["follow_up"]:
            ok = resolved == turn["question"]
        else:
            ok = resolved != turn["question"] and turn["contains"] in resolved
        if not ok:
            wrong.append((turn["question"], resolved))
    assert wrong == []


def test_understood_as_never_nests() -> None:
    for turn in _turns():
        resolved = resolve(turn["question"], turn["history"])
        assert resolved.count("(") <= 1, resolved
