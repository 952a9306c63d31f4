"""Time words in questions, counted from an as-of day, and what they do to an answer."""

from __future__ import annotations

import json
import math
import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant import Assistant, Config
from assistant.answer.evaluate import evaluate_gold, for_docs, load_questions
from assistant.errors import InvalidQuestion
from assistant.language.question import analyze
from assistant.search.retrieve import Scored
from assistant.search.timeframe import as_of_day, asked_window, has_time_words, prefer, timed
from assistant.search.view import IndexView
from assistant.types import PassageRow
from tests.conftest import GOLD, assert_verifiable

DATED = Path(__file__).resolve().parents[2] / "data" / "dated"


@pytest.mark.parametrize(
    ("question", "as_of", "start", "end", "label"),
    [
        (
            "Which US city was the center of an immigration crackdown this week?",
            "2026-01-09",
            "2026-01-03",
            "2026-01-11",
            "the week of 5 Jan 2026",
        ),
        ("How many died last week?", "2026-01-09", "2025-12-29", "2026-01-04", "the week of 29 Dec 2025"),
        ("What did the governor say on Friday?", "2026-01-19", "2026-01-16", "2026-01-16", "16 Jan 2026"),
        ("Who will Takaichi host on Tuesday?", "2026-01-12", "2026-01-13", "2026-01-13", "13 Jan 2026"),
        ("What did Lee tell NHK yesterday?", "2026-01-13", "2026-01-12", "2026-01-12", "12 Jan 2026"),
        ("What happened in January?", "2026-11-30", "2026-01-01", "2026-01-31", "January 2026"),
        ("What was this year's biggest story?", "2026-11-30", "2026-01-01", "2026-12-31", "2026"),
        ("What is the latest death toll?", "2026-01-20", "2025-12-21", "2026-01-20", "the 30 days to 20 Jan 2026"),
        ("When will the bridge reopen?", "2026-01-13", "2026-01-13", "2028-01-13", "13 Jan 2026 or later"),
        (
            "What did Lee say in the NHK interview aired on Jan 12?",
            "2026-11-30",
            "2026-01-12",
            "2026-01-12",
            "12 Jan 2026",
        ),
    ],
)
def test_time_words_make_a_window(question: str, as_of: str, start: str, end: str, label: str) -> None:
    window = asked_window(question, date.fromisoformat(as_of))
    assert window is not None
    assert (window.start, window.end, window.label) == (start, end, label)


@pytest.mark.parametrize(
    "question",
    [
        "When did Lee and Takaichi last meet?",  # a date is asked for, not a time counted from today
        "What happened days after the summit?",
        "Who is Benoit Hardy-Chartrand?",
        "What may the two leaders discuss?",
    ],
)
def test_questions_without_time_words_get_no_window(question: str) -> None:
    assert asked_window(question, date(2026, 1, 14)) is None


def test_the_seeds_gold_questions_are_almost_all_without_time_words() -> None:
    worded = [q["question"] for q in load_questions(GOLD) if has_time_words(q["question"], date(2026, 1, 14))]
    assert worded == ["When will Lee and Takaichi have dinner?"]


@pytest.mark.parametrize("value", ["2026-13-01", "13/01/2026", "yesterday", "2026-1-5", 20260113])
def test_an_as_of_that_is_not_a_date_is_one_clear_error(value: object) -> None:
    with pytest.raises(InvalidQuestion, match="YYYY-MM-DD"):
        as_of_day(value)  # type: ignore[arg-type]


def test_as_of_defaults_to_today() -> None:
    assert as_of_day(None) == as_of_day("") == date.today()
    assert as_of_day("2026-01-14") == date(2026, 1, 14)


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    from tests.conftest import FakeEmbedder

    base = tmp_path_factory.mktemp("dated")
    shutil.copytree(DATED, base / "docs")
    return Assistant.open(Config(docs_dir=base / "docs", index_dir=base / "index"), embedder=FakeEmbedder())


def test_citations_carry_their_article_date_and_the_dates_they_tell(dated: Assistant) -> None:
    answer = dated.ask("What did the governor say on Friday?", as_of="2026-01-19")
    d = json.loads(json.dumps(answer.to_dict()))
    assert_verifiable(d)
    assert d["as_of"] == "2026-01-19" and d["time_window"]["label"] == "16 Jan 2026"
    top = d["citations"][0]
    assert (top["published"], top["published_from"]) == ("2026-01-19", "html")
    text = Path(top["file"]).read_bytes().decode("utf-8")
    assert [(x["text"], x["value"], x["label"]) for x in top["dates"]] == [("Friday", "2026-01-16", "Fri 16 Jan 2026")]
    for x in top["dates"]:
        assert text[x["start"] : x["end"]] == x["text"]


def test_an_article_published_after_the_as_of_day_is_never_the_news_of_then(dated: Assistant) -> None:
    answer = dated.ask("How many residents were forced from their homes this week?", as_of="2026-01-07")
    assert answer.found and answer.citations[0].published == "2026-01-05"


def test_nothing_from_the_asked_time_is_said_in_a_note_apart_from_the_statements(dated: Assistant) -> None:
    answer = dated.ask("How low was the Kessel River reservoir this week?", as_of="2026-04-08")
    # the closest evidence is the drought report of 28 Aug 2025; the note gives the day it tells, else that date
    assert answer.citations[0].doc_id == "kessel-drought.txt"
    note = answer.time_note or ""
    assert note.startswith("Nothing in the sources is from the week of 6 Apr 2026; the closest, from ")
    assert note.endswith(" Aug 2025:")
    assert answer.found
    assert_verifiable(answer)
    assert all("Nothing in the sources" not in s.text for s in answer.statements)


def test_a_question_without_time_words_is_the_same_whatever_the_as_of_day(dated: Assistant) -> None:
    question = "How many sandbags did volunteers fill?"
    answers = [dated.ask(question, as_of=day) for day in (None, "2025-01-01", "2026-01-13", "2031-06-30")]
    shown = {(a.answer, tuple((c.doc_id, c.start, c.end) for c in a.citations)) for a in answers}
    assert len(shown) == 1
    assert all(a.time_note is None and a.time_window is None for a in answers)


def test_eval_scores_time_worded_questions_apart_and_can_ignore_as_of() -> None:
    questions = for_docs(load_questions(Path(__file__).resolve().parents[2] / "data" / "gold_time.jsonl"), DATED)
    assert questions and all(q["docs"] == "tests/data/dated" for q in questions)
    asked: list[tuple[str, str | None]] = []

    def ask(question: str, history: list[str], as_of: str | None = None):  # type: ignore[no-untyped-def]
        asked.append((question, as_of))
        return {"found": False, "citations": [], "passages": []}

    with_day = evaluate_gold(questions, ask)
    assert with_day["time_worded"]["questions"] + with_day["without_time_words"]["questions"] == len(questions)
    assert all(as_of for _, as_of in asked)
    asked.clear()
    evaluate_gold(questions, ask, use_as_of=False)
    assert all(as_of is None for _, as_of in asked)


def _read_as(view: IndexView, logits: dict[str, float]) -> list[Scored]:
    """Candidates as a reader would leave them: each sentence starting with a key of
    ``logits`` scored with that logit, in the reader's order."""
    out = []
    for head, z in logits.items():
        row = next(r for r in range(len(view.rows)) if view.rows[r].text.startswith(head))
        s = view.rows[row]
        passage = PassageRow(row, s.doc_id, s.start, s.end, s.position, s.position)
        out.append(Scored(s, z, 0.5, 0.5, 1.0, 0.0, 0.0, passage, prob=1 / (1 + math.exp(-z))))
    return sorted(out, key=lambda c: -c.score)


@pytest.mark.parametrize("spread", [1.0, 5.0])
def test_after_the_reader_the_asked_time_orders_the_answers_whatever_the_logits_spread(
    dated: Assistant, spread: float
) -> None:
    view = dated._state.searcher.view
    toll_nine, toll_eleven, bridge = (
        "The death toll from the Kessel",
        "The death toll from this month",
        "The Harlow Bridge reo",
    )
    question = "How many people have died in the Kessel Valley floods this week?"
    # asked in March: nothing is from then, the latest report before it (19 Jan) is the closest
    q = timed(analyze(question), date(2026, 3, 10), True, lambda: None)
    ranked = _read_as(view, {toll_nine: 3.0 * spread, toll_eleven: 1.0 * spread, bridge: -2.0 * spread})
    preferred, _ = prefer(q, ranked, view)
    assert preferred[0].sentence.text.startswith(toll_eleven)
    assert preferred[0].score == max(c.score for c in ranked)  # it leads as the strongest evidence
    # a sentence the reader reads as no answer does not lead for being from then
    assert [c.sentence.text[:21] for c in preferred[1:]] == [toll_nine[:21], bridge[:21]]
    # asked on 13 Jan, the report of 19 Jan did not exist yet: it goes last
    q = timed(analyze(question), date(2026, 1, 13), True, lambda: None)
    preferred, _ = prefer(q, ranked, view)
    assert preferred[0].sentence.text.startswith(toll_nine)
    assert preferred[-1].sentence.text.startswith((toll_eleven, bridge))
    assert not preferred[0].sentence.text.startswith(bridge)
