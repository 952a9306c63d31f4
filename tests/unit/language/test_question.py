"""Question analysis: answer types, quantities, speakers and follow-up resolution."""

from __future__ import annotations

import pytest

from assistant.language.question import analyze, answer_type, names_in, resolve, speaker_of


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When did Lee and Takaichi take office?", "date"),
        ("In what year did Japan occupy Korea?", "date"),
        ("On what day did the talks begin?", "date"),
        ("And what did he say about Trump?", "quote"),
        ("So how many people came?", "number"),
        ("What is the population of Nara?", "number"),
        ("What is the capital of France?", "none"),
        ("At what time does the market open?", "date"),
        ("How many people attended?", "number"),
        ("How old is Lee?", "number"),
        ("Where did the summit take place?", "place"),
        ("In which city did they meet?", "place"),
        ("What did Lee tell NHK?", "quote"),
        ("Who is hosting the summit?", "person"),
        ("Why did Lee travel to Japan?", "reason"),
        ("What set off the quarrel?", "reason"),
        ("Who is Takaichi?", "none"),  # what she is, not another name
        ("Who is Prof Heng Yee Kuang?", "none"),
        ("Who was Lee's predecessor?", "person"),
        ("What else did Lee say?", "quote"),
        ("What was the main cause of the crisis?", "reason"),
        ("What led to the row?", "reason"),
        ("What leadership did Lee show?", "none"),
    ],
)
def test_answer_type_follows_the_question_opening(question: str, expected: str) -> None:
    assert answer_type(question) == expected


def test_a_possessive_measure_asks_for_a_figure() -> None:
    assert answer_type("What is Lee's age?") == "number"
    assert answer_type("What is Lee's position?") == "none"


def test_speaker_and_names() -> None:
    assert speaker_of("What did Prof Heng tell AFP?") == ["heng"]  # 'prof' is a stopword
    assert speaker_of("Where did the summit take place?") == []
    assert names_in("What did Mr Lee tell NHK?") == ["Lee", "NHK"]


def test_the_degree_asked_for_is_not_a_term() -> None:
    assert analyze("How closely are the supply networks linked?").terms == ("suppli", "network", "link")
    assert "itali" in analyze("how Italy became a republic").terms  # a name, not an adverb


def test_verbs_that_only_frame_an_event_are_not_terms() -> None:
    assert analyze("Where did the summit take place?").terms == ("summit",)
    assert analyze("What happened to Yoon afterwards?").terms == ("yoon", "afterward")
    assert "take" in analyze("When did Lee take office?").terms


def test_a_bare_wh_word_asks_the_previous_question_again() -> None:
    history = ["Who was Lee's predecessor?", "What did he declare?"]
    q = analyze("When?", history)
    assert q.resolved == "When? (What did Lee declare?)"
    assert q.answer_type == "date" and "declar" in q.terms
    assert analyze("And why?", ["Where did Lee go?"]).answer_type == "reason"
    assert analyze("When?").terms == ()


def test_what_else_did_he_say_keeps_its_speaker() -> None:
    q = analyze("What else did he say?", ["What did Lee tell NHK?"])
    assert q.resolved == "What else did Lee say?"
    assert q.speaker == ("lee",)


def test_a_request_asks_about_its_topic() -> None:
    q = analyze("Summarize the summit")
    assert q.terms == ("summit",) and q.names == ()
    assert analyze("Please give me an overview of the talks").terms == ("talk",)
    assert analyze("What about Trump?").terms == ("trump",)


def test_name_particles_are_whole_words() -> None:
    # 'al', 'de', 'of' join a name only as words: not the start of 'already' or 'decided'
    assert names_in("Have Seoul and Tokyo already pledged?") == ["Seoul", "Tokyo"]
    assert names_in("Why has Lee decided to go?") == ["Lee"]
    assert names_in("Did Lee offer anything?") == ["Lee"]
    assert names_in("What did Bashar al-Assad tell Ursula von der Leyen?") == [
        "Bashar al-Assad",
        "Ursula von der Leyen",
    ]
    assert names_in("Where is the Bank of England?") == ["Bank of England"]
    assert names_in("Who was Lee's predecessor?") == ["Lee"]


def test_a_follow_up_takes_its_person_from_the_previous_question() -> None:
    history = ["What did Lee tell NHK?"]
    assert resolve("What did he say about China?", history) == "What did Lee say about China?"
    q = analyze("What did he say about China?", history)
    assert q.resolved == "What did Lee say about China?"
    assert q.speaker == ("lee",)


def test_a_chain_of_follow_ups_keeps_its_subject() -> None:
    history = ["Who is Benoit Hardy-Chartrand?", "Where does he work?"]
    assert "Benoit Hardy-Chartrand" in resolve("What did he say about Trump?", history)


def test_a_question_without_references_is_left_as_asked() -> None:
    assert resolve("Where did the summit take place?", ["What did Lee tell NHK?"]) == "Where did the summit take place?"


def test_words_about_the_articles_themselves_are_not_search_terms() -> None:
    q = analyze("Do both articles mention rare earths?")
    assert "articl" not in q.terms and "mention" not in q.terms
    assert q.terms  # the content words stay


def test_the_asked_for_time_slot_is_not_a_search_term() -> None:
    question = analyze("On what day were the talks held in Nara?")
    assert question.answer_type == "date"
    assert "day" not in question.terms
    assert {"talk", "nara"} <= set(question.terms)
    assert "day" in analyze("Why did the day of the talks change?").terms


def test_a_follow_up_opening_with_and_keeps_its_speaker() -> None:
    question = analyze("And what did he say about Trump?", ["Who is Benoit Hardy-Chartrand?"])
    assert question.answer_type == "quote"
    assert {"hardi", "chartrand"} <= set(question.speaker)
    assert analyze("Andrew said what?").speaker == ()
    assert analyze("What did Hardy-Chartrand say about Trump?").speaker == ("hardi", "chartrand")


def test_a_name_is_asked_about_as_a_source_only_in_source_words() -> None:
    from assistant.search.retrieve import _as_source

    assert _as_source("What does the CRBC article say?", "CRBC", ["crbc"], ("crbc", "articl"))
    assert _as_source("What is in CRBC's report?", "CRBC", ["crbc"], ())
    assert _as_source("According to CRBC News, who came?", "CRBC News", ["crbc", "news"], ())
    assert _as_source("What did CRBC News say?", "CRBC News", ["crbc", "news"], ("crbc", "news"))
    assert not _as_source("What did Hardy-Chartrand tell AFP?", "AFP", ["afp"], ("hardi", "chartrand"))


@pytest.mark.parametrize(
    ("question", "name", "read"),
    [
        ("Does the CRBC article mention martial law?", "CRBC", "Does the article mention martial law?"),
        ("What is in CRBC's report on Lee?", "CRBC", "What is in the report on Lee?"),
        ("What does CRBC News report about Trump?", "CRBC News", "What does the article report about Trump?"),
        ("What did Lee say, according to CRBC?", "CRBC", "What did Lee say, according to the article?"),
    ],
)
def test_a_source_a_question_is_scoped_to_is_read_as_the_article(question: str, name: str, read: str) -> None:
    # the source is the scope's filter; the reader must not look for its name in the sentence
    from assistant.search.retrieve import _unsourced

    assert _unsourced(question, name) == read


@pytest.mark.parametrize(
    ("question", "read"),
    [
        ("Do both articles report the martial law detail?", "Does the article report the martial law detail?"),
        ("What do the two stories say about Trump?", "What does the article say about Trump?"),
        ("Which sources report that Lee met Xi?", "Which sources report that Lee met Xi?"),  # any one answers
        ("Which article mentions the APEC summit?", "Which article mentions the APEC summit?"),
        ("Which outlets reported the summit?", "Which outlets reported the summit?"),
        ("How many articles quoted Lee?", "How many articles quoted Lee?"),
        ("Which sources said that Lee met Xi?", "Which sources said that Lee met Xi?"),
        ("Do the articles agree on where the summit was?", "Does the article agree on where the summit was?"),
        ("Do the articles both mention rare earths?", "Does the article mention rare earths?"),
        ("Is martial law mentioned in both articles?", "Is martial law mentioned in the article?"),
        ("Does either article mention Trump?", "Does the article mention Trump?"),
    ],
)
def test_a_question_asked_of_several_sources_is_read_of_one(question: str, read: str) -> None:
    q = analyze(question)
    assert q.across and q.read == read
    assert not {"articl", "sourc", "report", "stori", "both", "either", "two"} & set(q.terms)


@pytest.mark.parametrize(
    "question",
    [
        "What did Lee say about the articles?",
        "Did Lee read both of the reports?",
        "What does the article say?",
        "Which story is longer?",
        "What report did NHK air?",
        "Which reported outcome was best?",
    ],
)
def test_a_question_about_one_source_or_none_is_not_asked_across(question: str) -> None:
    q = analyze(question)
    assert not q.across and q.read == q.resolved
