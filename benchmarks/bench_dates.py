"""Date expressions in news sentences: candidate parsers against hand-labelled sentences.

    .venv/bin/python benchmarks/bench_dates.py [--labels tests/data/date_labels.jsonl]

Each labelled sentence (the seeds', the dated test fixtures' and a few hand-written
ones) lists its date expressions with their resolved values against the article's
date. Per parser: expressions found (precision, recall: the found text overlaps a
labelled one's characters; dateparser's 'on Jan 13' counts for 'Jan 13'), values right
among the labelled expressions it found, and milliseconds
per sentence. dateutil gives one date per sentence and no text: it is scored on values
only (a found date counts when it falls inside a labelled value).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from assistant.language.dates import bounds, find_dates

ROOT = Path(__file__).resolve().parent.parent
Found = list[tuple[str | None, date | None, str | None]]  # (text, a day it names, its value as labelled)


def regex_layer(sentence: str, anchor: date) -> Found:
    return [(m.text, bounds(m.value)[0] if m.value else None, m.value) for m in find_dates(sentence, anchor)]


def dateparser_search(sentence: str, anchor: date) -> Found:
    from dateparser.search import search_dates

    settings = {"RELATIVE_BASE": datetime(anchor.year, anchor.month, anchor.day), "RETURN_AS_TIMEZONE_AWARE": False}
    found = search_dates(sentence, languages=["en"], settings=settings) or []
    return [(text, value.date(), None) for text, value in found]


def dateutil_fuzzy(sentence: str, anchor: date) -> Found:
    from dateutil import parser

    try:
        value = parser.parse(sentence, fuzzy=True, default=datetime(anchor.year, anchor.month, anchor.day))
    except (ValueError, OverflowError):
        return []
    return [(None, value.date(), None)]


PARSERS: dict[str, Callable[[str, date], Found]] = {
    "regex layer (assistant/language/dates.py)": regex_layer,
    "dateparser.search_dates": dateparser_search,
    "dateutil.parser fuzzy": dateutil_fuzzy,
}


def _right(day: date | None, value: str | None) -> bool:
    if day is None or value is None:
        return value is None and day is None
    first, last = bounds(value)
    return first <= day <= last


def _span(sentence: str, text: str) -> tuple[int, int]:
    start = sentence.find(text)
    return start, start + len(text)


def _same(where: tuple[int, int] | None, day: date | None, labelled: tuple) -> bool:
    """A found expression is a labelled one when their characters overlap (or, without
    text, when its date falls inside the labelled value)."""
    if where is None:
        return _right(day, labelled[1])
    (start, end), (lstart, lend) = where, labelled[2]
    return max(start, lstart) < min(end, lend)


def score(parse: Callable[[str, date], Found], rows: list[dict]) -> dict[str, float]:
    found_n = labelled_n = matched = right = 0
    elapsed = 0.0
    for row in rows:
        anchor = date.fromisoformat(row["anchor"])
        expected = [(text, value) for text, value in row["expected"]]
        began = time.perf_counter()
        found = parse(row["sentence"], anchor)
        elapsed += time.perf_counter() - began
        found_n += len(found)
        labelled_n += len(expected)
        open_ = [(text, value, _span(row["sentence"], text)) for text, value in expected]
        for text, day, _ in found:
            where = _span(row["sentence"], text) if text else None
            hit = next((e for e in open_ if _same(where, day, e)), None)
            if hit is not None:
                open_.remove(hit)
                matched += 1
                right += _right(day, hit[1])
    return {
        "precision": matched / found_n if found_n else 0.0,
        "recall": matched / labelled_n if labelled_n else 0.0,
        "value_right": right / matched if matched else 0.0,
        "ms_per_sentence": 1000 * elapsed / len(rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=Path, default=ROOT / "tests" / "data" / "date_labels.jsonl")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    n_expr = sum(len(r["expected"]) for r in rows)
    print(f"{len(rows)} sentences, {n_expr} labelled date expressions\n")
    print("| parser | precision | recall | value right | ms / sentence |")
    print("| --- | --- | --- | --- | --- |")
    warnings.simplefilter("ignore")
    for name, parse in PARSERS.items():
        parse(rows[0]["sentence"], date.fromisoformat(rows[0]["anchor"]))  # imports and caches out of the timing
        s = score(parse, rows)
        print(
            f"| {name} | {s['precision']:.2f} | {s['recall']:.2f} | {s['value_right']:.2f} | {s['ms_per_sentence']:.3f} |"
        )


if __name__ == "__main__":
    main()
