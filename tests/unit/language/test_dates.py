"""Dates in news text: found with their offsets, resolved against the article's date."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant.language.dates import bounds, find_dates, label, parse_date, relative_value

LABELS = Path(__file__).resolve().parents[2] / "data" / "date_labels.jsonl"
ROWS = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['doc']}:{r['sentence'][:40]}" for r in ROWS])
def test_labelled_sentences_resolve_as_labelled(row: dict) -> None:
    """The seeds', the dated fixtures' and hand-written sentences, against hand labels."""
    found = find_dates(row["sentence"], date.fromisoformat(row["anchor"]))
    assert [[m.text, m.value] for m in found] == row["expected"]


def test_offsets_point_into_the_text_they_were_found_in() -> None:
    text = "Intro. Japanese Prime Minister Sanae Takaichi will host Lee Jae Myung in Nara on Tuesday."
    (tuesday,) = find_dates(text[7:], date(2026, 1, 13), offset=7)
    assert text[tuesday.start : tuesday.end] == tuesday.text == "Tuesday"


def test_tuesday_and_jan_13_of_the_seeds_are_the_same_day() -> None:
    seed_a = "Japanese Prime Minister Sanae Takaichi met South Korea’s President Lee Jae Myung for talks on Jan 13"
    seed_b = "Japanese Prime Minister Sanae Takaichi will host South Korean President Lee Jae Myung in Nara on Tuesday"
    anchor = date(2026, 1, 13)
    assert find_dates(seed_a, anchor)[0].value == find_dates(seed_b, anchor)[0].value == "2026-01-13"
    assert label("2026-01-13") == "Tue 13 Jan 2026"


def test_a_weekday_is_the_past_one_in_a_report_and_the_coming_one_in_a_plan() -> None:
    monday = date(2026, 1, 19)
    assert find_dates("The bridge reopened on Thursday.", monday)[0].value == "2026-01-15"
    assert find_dates("The bridge will reopen on Thursday.", monday)[0].value == "2026-01-22"
    assert find_dates("It closed last Monday.", monday)[0].value == "2026-01-12"


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("This will be his second trip to Japan since August.", "2025-08"),
        ("Prices have risen since May and will rise again.", "2025-05"),
        ("It has been shut since January and will reopen.", "2026-01"),
        ("The port, closed since Thursday, will reopen.", "2026-01-15"),
        ("The port, closed since Monday, will reopen.", "2026-01-19"),
        ("He will visit in August.", "2026-08"),
    ],
)
def test_since_names_a_time_before_the_article_even_in_a_sentence_about_the_future(sentence: str, value: str) -> None:
    """'since August' in a sentence about what is to come is still the August before."""
    assert find_dates(sentence, date(2026, 1, 19))[0].value == value


def test_without_an_article_date_relative_expressions_stay_unresolved() -> None:
    found = find_dates("He visited on Tuesday, days after the vote, in November 2025.")
    assert [(m.text, m.value) for m in found] == [
        ("Tuesday", None),
        ("days after", None),
        ("November 2025", "2025-11"),
    ]


def test_a_weekday_that_does_not_fit_the_date_is_not_vouched_for() -> None:
    assert find_dates("Published Fri January 8, 2026")[0].value is None  # 8 Jan 2026 is a Thursday


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("this week", "2026-01-12/2026-01-18"),
        ("last week", "2026-01-05/2026-01-11"),
        ("earlier this month", "2026-01-01/2026-01-13"),
        ("last month", "2025-12"),
        ("this year's", "2026"),
        ("the past week", "2026-01-06/2026-01-13"),
        ("yesterday", "2026-01-12"),
    ],
)
def test_relative_expressions(words: str, value: str) -> None:
    assert relative_value(words, date(2026, 1, 13)) == value


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-01-19T09:30:00Z", date(2026, 1, 19)),
        ("2026-01-05", date(2026, 1, 5)),
        ("Jan. 28, 2025", date(2025, 1, 28)),
        ("Thu, 08 Jan 2026 15:12:00 -0500", date(2026, 1, 8)),
        ("next spring", None),
        ("", None),
    ],
)
def test_metadata_dates(text: str, day: date | None) -> None:
    assert parse_date(text) == day


def test_bounds_of_each_kind_of_value() -> None:
    assert bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert bounds("1910/1945") == (date(1910, 1, 1), date(1945, 12, 31))
    assert label("2025-12-31/2026-01-12") == "31 Dec 2025 – 12 Jan 2026"
