"""Time-aware answers end to end with the real model: the seeds, the dated fixtures, CLI and eval."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant import Assistant, Config
from assistant.answer.evaluate import evaluate_gold, for_docs, load_questions
from assistant.search.timeframe import has_time_words
from tests.conftest import GOLD, ROOT, assert_verifiable, run_cli

pytestmark = pytest.mark.slow

DATED = ROOT / "tests" / "data" / "dated"
GOLD_TIME = ROOT / "tests" / "data" / "gold_time.jsonl"


@pytest.fixture(scope="module")
def dated_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    base = tmp_path_factory.mktemp("dated_real")
    shutil.copytree(DATED, base / "docs")
    return Assistant.open(Config(docs_dir=base / "docs", index_dir=base / "index"))


def _json(answer) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(json.dumps(answer.to_dict()))


def test_the_seeds_json_answer_gives_each_citation_its_date_and_its_told_dates(real_assistant) -> None:  # type: ignore[no-untyped-def]
    d = _json(real_assistant.ask("Who did Takaichi meet on Tuesday?", as_of="2026-01-14"))
    assert_verifiable(d)
    assert d["found"] and d["time_note"] is None
    for c in d["citations"]:
        text = Path(c["file"]).read_bytes().decode("utf-8")
        assert (c["published"], c["published_from"], c["published_inferred"]) == ("2026-01-13", "text", True)
        evidence = c["published_evidence"]
        assert text[evidence["start"] : evidence["end"]] == evidence["text"]
        for told in c["dates"]:
            assert text[told["start"] : told["end"]] == told["text"]
    told = {x["text"]: x["value"] for c in d["citations"] for x in c["dates"]}
    assert told.get("Jan 13", "2026-01-13") == told.get("Tuesday", "2026-01-13") == "2026-01-13"
    assert told.keys() & {"Jan 13", "Tuesday"}


def test_the_second_seed_takes_its_date_from_the_same_story_in_the_first(real_assistant) -> None:  # type: ignore[no-untyped-def]
    doc = next(d for d in real_assistant.documents() if d.doc_id.startswith("003_"))
    assert (doc.dating.published, doc.dating.inferred) == ("2026-01-13", True)
    text = real_assistant.text(doc.doc_id)
    told = {text[s:e]: v for s, e, v in doc.dating.mentions}
    assert told["Tuesday"] == "2026-01-13"


def test_a_week_without_news_says_so_and_still_cites_the_closest(real_assistant) -> None:  # type: ignore[no-untyped-def]
    d = _json(real_assistant.ask("Who did Takaichi meet on Tuesday?", as_of="2026-03-10"))
    assert d["time_note"] == "Nothing in the sources is from 10 Mar 2026; the closest, from 13 Jan 2026:"
    assert d["found"]
    assert_verifiable(d)


def test_gold_seed_questions_without_time_words_do_not_depend_on_the_as_of_day(real_assistant) -> None:  # type: ignore[no-untyped-def]
    for q in load_questions(GOLD):
        if has_time_words(q["question"]) or has_time_words(q["question"], date(2026, 1, 14)):
            continue
        shown = {
            (a.found, a.answer, tuple((c.doc_id, c.start, c.end) for c in a.citations))
            for a in (real_assistant.ask(q["question"], q["history"], as_of=day) for day in (None, "2026-01-14"))
        }
        assert len(shown) == 1, q["question"]


def test_time_questions_find_their_evidence_with_the_as_of_day_and_less_without(dated_assistant) -> None:  # type: ignore[no-untyped-def]
    questions = for_docs(load_questions(GOLD_TIME), DATED)

    def ask(question, history, as_of=None):  # type: ignore[no-untyped-def]
        return dated_assistant.ask(question, history, as_of=as_of)

    with_day = evaluate_gold(questions, ask)
    without = evaluate_gold(questions, ask, use_as_of=False)
    assert with_day["citation_integrity"] == 1.0
    assert with_day["time_worded"]["evidence@1"] >= 0.9  # 1.0 measured (14 questions)
    assert with_day["time_worded"]["evidence@1"] >= without["time_worded"]["evidence@1"] + 0.3  # 0.57 measured


def test_a_newer_report_leads_the_same_statement(dated_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = dated_assistant.ask("What is the latest death toll from the Kessel Valley floods?", as_of="2026-01-21")
    assert "stood at eleven" in answer.statements[0].text
    assert_verifiable(answer)


def test_cli_as_of_and_jsonl_objects_with_as_of(workdir: Path) -> None:
    done = run_cli("ask", "--json", "--as-of", "2026-03-10", "Who did Takaichi meet on Tuesday?", cwd=workdir)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["as_of"] == "2026-03-10" and answer["time_note"].startswith("Nothing in the sources is from")
    lines = [
        json.dumps({"question": "What did Lee tell NHK yesterday?", "as_of": "2026-01-13"}),
        "What did Lee tell NHK?",
        json.dumps({"question": "Who did Takaichi meet?", "as_of": "13/01/2026"}),
    ]
    done = run_cli("ask", "--jsonl", "--as-of", "2026-01-14", cwd=workdir, stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    first, second, third = (json.loads(line) for line in done.stdout.splitlines())
    assert first["as_of"] == "2026-01-13" and first["time_window"]["label"] == "12 Jan 2026"
    assert_verifiable(first)
    assert second["as_of"] == "2026-01-14" and second["time_window"] is None
    assert "YYYY-MM-DD" in third["error"]


def test_cli_a_bad_as_of_is_one_line_on_stderr(workdir: Path) -> None:
    done = run_cli("ask", "--as-of", "next Tuesday", "Who did Takaichi meet?", cwd=workdir)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "YYYY-MM-DD" in done.stderr
