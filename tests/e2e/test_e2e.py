"""End to end with the real model, real FAISS and the real seed files: Python API and CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.answer.evaluate import evaluate_gold, load_questions
from tests.conftest import GOLD, assert_verifiable, run_cli

pytestmark = pytest.mark.slow

AFP, CRBC = "000_c282072937a0cf8e.txt", "003_64419fa70da9995d.txt"


def test_what_did_lee_tell_nhk_cites_the_nhk_quote_in_both_articles(real_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = real_assistant.ask("What did Lee tell NHK?")
    assert_verifiable(answer)
    assert answer.found
    assert "NHK" in answer.citations[0].text
    assert {c.doc_id for c in answer.citations} == {AFP, CRBC}
    assert "confrontation between China and Japan is undesirable" in answer.answer
    # the same statement in two sources is one statement with two citations
    assert any(len(s.citations) == 2 for s in answer.statements)
    assert [c.id for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    # chips read in order, [1] [2] … [3]; [1] is the strongest evidence
    markers = [i for s in answer.statements for i in s.citations]
    assert markers == sorted(markers) == [c.id for c in answer.citations]
    assert answer.citations[0].score == max(c.score for c in answer.citations)


# Behaviours the hand rules gave on news questions that the reader, trained on Wikipedia,
# Reddit and review QA and checked on Wikipedia validation articles, does not yet give: a
# known regression, measured in EVALUATION.md. Strict: a fix makes these fail until the
# mark is removed.
def _lost(param, why: str):  # type: ignore[no-untyped-def]
    return pytest.param(*param, marks=pytest.mark.xfail(strict=True, reason=f"reader regression: {why}"))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who is Benoit Hardy-Chartrand?", "Temple University"),
        ("When did Yoon declare martial law?", "December 2024"),
        ("When did the leaders last meet?", "October"),
        ("When did Lee and Takaichi take office?", "took office in 2025"),
        ("Who is Prof Heng Yee Kuang?", "University of Tokyo"),
        ("What did Lee say at the beginning of the meeting?", "rapidly changing international order"),
        ("What happened between Japan and Korea in 1910?", "from 1910 to 1945"),
        ("Did China block exports to Japan?", "blocking exports to Japan"),
        ("Where does Hardy-Chartrand work?", "Temple University"),
        _lost(("What set off the quarrel between Japan and China?", "triggered by"), "a paraphrased cause"),
        ("What did Takaichi say?", "Ms Takaichi said she told Mr Lee"),
        ("Who is Takaichi?", "Prime Minister Sanae Takaichi"),
        ("What did officials say the talks would focus on?", "officials say talks will likely focus"),
        ("How many times has Lee visited Japan?", "second"),
        ("What did the presidential office say?", "according to South Korea’s presidential office"),
        ("What did China do in response to Takaichi's remarks?", "responded by imposing export controls"),
    ],
)
def test_answers_quote_the_sentence_that_answers(real_assistant, question: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    answer = real_assistant.ask(question)
    assert_verifiable(answer)
    assert answer.found
    assert expected in answer.citations[0].text


def test_a_bare_when_follows_up_the_previous_question(real_assistant) -> None:  # type: ignore[no-untyped-def]
    first = real_assistant.ask("What did Yoon declare?")
    answer = real_assistant.ask("When?", [{"question": first.question, "resolved_question": first.resolved_question}])
    assert_verifiable(answer)
    assert answer.found and "December 2024" in answer.citations[0].text


def test_a_date_question_is_not_led_by_a_date_about_something_else(real_assistant) -> None:  # type: ignore[no-untyped-def]
    # the articles date Lee's visits to Japan; his trip to Beijing only as 'days after' the talks
    answer = real_assistant.ask("When did Lee visit Beijing?")
    assert_verifiable(answer)
    assert answer.found and "days after" in answer.citations[0].text and "Beijing" in answer.citations[0].text


@pytest.mark.parametrize(
    "question",
    [
        "What does the CRBC article say about shuttle diplomacy?",
        "Does the CRBC article mention martial law?",
        "What does CRBC News report about Trump?",
    ],
)
def test_a_question_about_one_source_cites_only_that_source(real_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    # CRBC News published one of the two articles (seeds/metadata.json); both are credited to AFP
    answer = real_assistant.ask(question)
    assert_verifiable(answer)
    assert answer.found
    assert {c.doc_id for c in answer.citations} == {CRBC}
    assert {p.doc_id for p in answer.passages} == {CRBC}


def test_a_source_every_article_shares_keeps_them_all(real_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = real_assistant.ask("What does the AFP article say about Trump?")
    assert_verifiable(answer)
    assert answer.found and "Trump" in answer.citations[0].text


def test_a_statement_shows_the_source_that_names_the_speaker(real_assistant) -> None:  # type: ignore[no-untyped-def]
    # AFP closes the quotation with "he said": the statement shows the sentence naming him,
    # whichever source words it ("President Lee told …", "Mr Lee said in an interview …")
    answer = real_assistant.ask("Who said confrontation between China and Japan is undesirable?")
    assert_verifiable(answer)
    first = answer.statements[0]
    assert re.search(r"(?:President|Mr) Lee (?:told|said)", first.text) and len(first.citations) == 2
    assert "undesirable" in first.text
    assert first.text in {c.text for c in answer.citations if c.id in first.citations}


@pytest.mark.xfail(strict=True, reason="reader regression: the third stage adds Lee's unattributed follow-on quote")
def test_asked_what_someone_said_every_statement_is_their_words(real_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = real_assistant.ask("What did Lee say?")
    assert_verifiable(answer)
    assert answer.found and len(answer.statements) >= 2
    text = real_assistant.text(AFP)
    for statement in answer.statements:
        # Lee's words, not Hardy-Chartrand's or Takaichi's words about Lee: attributed to him,
        # or the quote that goes on from his attributed words in the next paragraph
        cited = answer.citations[statement.citations[0] - 1]
        before = text[: cited.start].rstrip().rsplit("\n", 1)[-1] if cited.doc_id == AFP else ""
        attributed = "Mr Lee said" in statement.text or "President Lee told" in statement.text
        goes_on = statement.text.startswith("“") and "Mr Lee said" in before
        assert attributed or goes_on, statement.text
        assert "Hardy-Chartrand" not in statement.text and "Ms Takaichi said" not in statement.text


@pytest.mark.parametrize(
    ("question", "words"),
    [
        _lost(
            ("Do both articles report the martial law detail?", "martial law"),
            "the third stage reads neither martial-law sentence as an answer",
        ),
        ("Do both articles mention rare earths?", "rare earth"),
        ("Which sources report that Lee met Xi?", "Xi Jinping"),
    ],
)
def test_a_question_about_both_articles_cites_each_one(real_assistant, question: str, words: str) -> None:  # type: ignore[no-untyped-def]
    answer = real_assistant.ask(question)
    assert_verifiable(answer)
    assert {c.doc_id for c in answer.citations if words in c.text} == {AFP, CRBC}
    # each statement carries the asked-about words: no unrelated sentence rides along
    assert all(words in s.text for s in answer.statements), answer.statements


def test_a_follow_up_is_resolved_from_the_earlier_question(real_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = real_assistant.ask("What did he say about Seoul's motives?", ["Who is Benoit Hardy-Chartrand?"])
    assert_verifiable(answer)
    assert "Hardy-Chartrand" in (answer.resolved_question or "")
    assert answer.found and "not favouring one side" in answer.citations[0].text


@pytest.mark.parametrize(
    "question",
    [
        "What did Trump say about the summit?",
        _lost(("How old is Sanae Takaichi?",), "no age in the evidence no longer refuses"),
        _lost(("When is Lee's next visit to Japan?",), "a past visit answers a 'next' question"),
        "What did Lee say in 1998?",
        _lost(
            ("Did Lee and Takaichi sign a trade agreement?",),
            "the yes/no rule no longer refuses: it refused answerable questions of validation",
        ),
        "qwzx vbnm plok",
        _lost(("When will Takaichi visit South Korea?",), "a past visit answers a 'when will' question"),
        "What is Lee's age?",
        "What did the US say about the summit?",
        # '… dovish towards North Korea, and has said …' is Lee speaking
        "What did North Korea say?",
    ],
)
def test_what_the_sources_do_not_say_is_refused_with_the_closest_passages(real_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = real_assistant.ask(question)
    assert_verifiable(answer)
    assert not answer.found
    assert answer.answer.startswith("The sources don't say")
    assert answer.passages


def test_the_reader_marks_the_answer_words_inside_the_first_citation(real_assistant) -> None:  # type: ignore[no-untyped-def]
    """'Where did the leaders meet?': the answer's JSON gives the words 'Gyeongju' as offsets
    into the cited file, inside the first citation."""
    answer = real_assistant.ask("Where did the leaders meet?")
    assert_verifiable(answer)
    words = answer.to_dict()["answer_span"]
    assert words is not None and words["text"] == "Gyeongju"
    first = answer.citations[0]
    assert words["citation"] == first.id and first.start <= words["start"] < words["end"] <= first.end


@pytest.mark.parametrize(
    "question",
    [
        "What is the weather in Nara?",
        _lost(("What was served at the dinner?",), "no unsure band is right half the time on validation: not flagged"),
    ],
)
def test_a_question_the_sources_only_touch_on_is_never_answered_as_sure(real_assistant, question: str) -> None:  # type: ignore[no-untyped-def]
    """The seeds mention Nara and the dinner, not the weather or the menu: the closest
    passages come flagged unsure (or the answer is refused), never as a plain answer."""
    answer = real_assistant.ask(question)
    assert_verifiable(answer)
    assert not answer.found or answer.unsure
    assert answer.to_dict()["unsure"] == answer.unsure


def test_a_sure_answer_is_not_flagged(real_assistant) -> None:  # type: ignore[no-untyped-def]
    for question in ("Where did the leaders meet?", "What did Lee tell NHK?"):
        answer = real_assistant.ask(question)
        assert answer.found and not answer.unsure


def test_words_reported_with_a_noun_answer_what_someone_said(real_assistant) -> None:  # type: ignore[no-untyped-def]
    """Takaichi's words on Taiwan are given only as 'Ms Takaichi’s suggestion … that Japan
    could intervene militarily': asked what she said, that is the answer, not a refusal."""
    answer = real_assistant.ask("What did Takaichi say about Taiwan?")
    assert_verifiable(answer)
    assert answer.found
    assert "suggestion in November 2025 that Japan could intervene militarily" in answer.citations[0].text


@pytest.mark.xfail(strict=True, reason="reader regression: the Trump sentence is not read as the answer")
def test_a_citation_grows_into_the_next_sentence_that_completes_it(real_assistant) -> None:  # type: ignore[no-untyped-def]
    """'… the unpredictable Mr Trump “has put in doubt old certainties …”, he said.' only says
    who 'he' is with the sentence before it: one citation covers both, verbatim."""
    answer = real_assistant.ask("What did Hardy-Chartrand say about Trump?")
    assert_verifiable(answer)
    first = answer.citations[0]
    assert first.text.startswith("Mr Hardy-Chartrand said he believed")
    assert first.text.endswith("highlighted the importance of strengthening their ties”, he said.")
    assert first.text in answer.answer


def test_gold_questions_hold_their_measured_quality(real_assistant) -> None:  # type: ignore[no-untyped-def]
    """A regression floor a little under the figures measured with the shipped reader (its
    third stage, docs/reader.md: evidence@1 0.788, @3 0.808, refusal recall 0.429, three
    answerable refused, no unsure band; the second stage's were evidence@1 0.846, @3 0.923,
    refusal recall 0.286, one answerable refused, 9 of 14 unanswerable refused or flagged
    unsure). Evidence@3 fell with further statements kept only where the reader holds that
    they answer; the unsure note is gone because no band of it was right half the time."""
    result = evaluate_gold(load_questions(GOLD), lambda q, h: real_assistant.ask(q, h))
    assert result["citation_integrity"] == 1.0
    assert result["evidence@1"] >= 0.75
    assert result["evidence@3"] >= 0.78
    assert result["refusal_precision"] >= 0.6
    assert result["refusal_recall"] >= 0.35
    assert result["answerable_refused"] <= 4
    assert result["answerable_unsure"] <= 13


def test_cli_ask_json_builds_the_index_then_answers(workdir: Path) -> None:
    done = run_cli("ask", "--json", "What did Lee tell NHK?", cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert "Building the index" in done.stderr
    assert "Traceback" not in done.stderr
    answer = json.loads(done.stdout)
    assert set(answer) >= {"question", "found", "answer", "citations", "passages"}
    assert set(answer["citations"][0]) >= {"id", "doc_id", "title", "file", "start", "end", "text", "score"}
    assert_verifiable(answer)
    assert (workdir / "index" / "CURRENT").is_file()


def test_cli_ask_marks_an_unsure_answer_only_where_the_manifest_has_a_band(workdir: Path) -> None:
    """fit_reader keeps an unsure band only where its answers are right half the time on
    validation; without one (the shipped manifest) no answer carries the note, and the
    plain output marks the note where a band exists."""
    from assistant.answer.compose import UNSURE
    from assistant.cli import _plain
    from assistant.search.reader import ReaderSpec
    from assistant.types import Answer

    done = run_cli("ask", "What is the weather in Nara?", cwd=workdir)
    assert done.returncode == 0, done.stderr
    if ReaderSpec.load().unsure is None:
        assert UNSURE not in done.stdout
    sure = run_cli("ask", "What did Lee tell NHK?", cwd=workdir)
    assert UNSURE not in sure.stdout
    flagged = Answer("q", True, "A sentence. [1]", (), (), unsure=True)
    assert _plain(flagged).splitlines()[0] == f"[unsure] {UNSURE}"


def test_cli_jsonl_answers_one_line_per_question(workdir: Path) -> None:
    lines = "\n".join(
        [
            "Where did Lee and Takaichi last meet?",
            json.dumps({"question": "What did he tell AFP?", "history": ["Who is Prof Heng Yee Kuang?"]}),
            "",
            "What did Xi Jinping tell Lee in Beijing?",
        ]
    )
    done = run_cli("ask", "--jsonl", cwd=workdir, stdin=lines + "\n")
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == 3
    for answer in answers:
        assert_verifiable(answer)
    assert "Gyeongju" in answers[0]["citations"][0]["text"]
    assert "Heng" in answers[1]["resolved_question"]
    assert answers[2]["found"] is False


def test_cli_eval_reports_the_metrics_as_json(workdir: Path) -> None:
    done = run_cli("eval", "--json", "--questions", str(GOLD), cwd=workdir)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    for key in ("evidence@1", "evidence@3", "mrr", "refusal_precision", "refusal_recall", "citation_integrity"):
        assert key in metrics
    assert metrics["citation_integrity"] == 1.0
