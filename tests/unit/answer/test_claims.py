"""Claim verdicts from the verifier's probabilities (a fake judge: the probabilities are given)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest

from assistant.answer.claims import (
    LABELS,
    Candidate,
    CheckedPassage,
    Thresholds,
    check_claim,
    claimed_speaker,
    conflict_of,
    said_content,
    validate_claim,
)
from assistant.errors import InvalidQuestion
from assistant.types import Document, DocumentMeta, Sentence


def _doc(doc_id: str, title: str | None = None) -> Document:
    return Document(doc_id, doc_id, doc_id, "txt", "0" * 64, DocumentMeta(title=title), 3, "2026-01-13T00:00:00Z")


def _cand(doc_id: str, start: int, text: str) -> Candidate:
    return Candidate(Sentence(start, doc_id, start, start + len(text), text, 0, 0), "", doc_id)


def judge_of(table: dict[str, tuple[float, float, float]]):  # type: ignore[no-untyped-def]
    """A judge that looks each evidence sentence up in ``table`` (by its first words)."""

    def judge(claims: Sequence[str], evidence: Sequence[str]) -> np.ndarray:
        rows = []
        for text in evidence:
            sentence = text.split(" [SEP] ")[0]
            rows.append(table.get(sentence, (0.05, 0.05, 0.9)))
        return np.array(rows, dtype=np.float32)

    return judge


NARA = "Ms Takaichi hosted Mr Lee in Nara on Tuesday."
TALKS = "The leaders held talks in Nara."
DINNER = "They ate dinner together."


@pytest.fixture
def docs() -> list[Document]:
    return [_doc("a.txt", "Article A"), _doc("b.txt", "Article B"), _doc("c.txt", "Article C")]


def test_a_supporting_sentence_makes_the_claim_supported(docs) -> None:  # type: ignore[no-untyped-def]
    cands = [_cand("a.txt", 10, NARA), _cand("a.txt", 60, DINNER), _cand("b.txt", 0, TALKS)]
    result = check_claim(
        "Takaichi and Lee met in Nara.", cands, docs, judge_of({NARA: (0.9, 0.05, 0.05), TALKS: (0.8, 0.1, 0.1)})
    )
    assert result.verdict == "supported" and result.label == LABELS["supported"]
    by_doc = {s.doc_id: s for s in result.sources}
    assert by_doc["a.txt"].verdict == by_doc["b.txt"].verdict == "supported"
    assert by_doc["a.txt"].evidence is not None and by_doc["a.txt"].evidence.text == NARA
    assert by_doc["a.txt"].evidence.start == 10 and by_doc["a.txt"].conflict is None
    assert by_doc["c.txt"].verdict == "not_found" and by_doc["c.txt"].evidence is None


def test_a_contradicting_sentence_marks_the_conflicting_words(docs) -> None:  # type: ignore[no-untyped-def]
    claim = "Ms Takaichi hosted Mr Lee in Tokyo on Tuesday."
    result = check_claim(claim, [_cand("a.txt", 100, NARA)], docs, judge_of({NARA: (0.05, 0.9, 0.05)}))
    assert result.verdict == "contradicted"
    source = result.sources[0]
    assert source.verdict == "contradicted" and source.conflict is not None
    assert source.conflict.claim.text == "Tokyo" == claim[source.conflict.claim.start : source.conflict.claim.end]
    assert source.conflict.source.text == "Nara"
    assert NARA[source.conflict.source.start - 100 : source.conflict.source.end - 100] == "Nara"


def test_one_source_for_another_against_is_disputed(docs) -> None:  # type: ignore[no-untyped-def]
    cands = [_cand("a.txt", 0, NARA), _cand("b.txt", 0, TALKS)]
    result = check_claim("They met in Nara.", cands, docs, judge_of({NARA: (0.9, 0.05, 0.05), TALKS: (0.1, 0.8, 0.1)}))
    assert result.verdict == "disputed"
    assert [s.verdict for s in result.sources][:2] == ["supported", "contradicted"]


def test_support_wins_over_contradiction_within_one_source(docs) -> None:  # type: ignore[no-untyped-def]
    cands = [_cand("a.txt", 0, NARA), _cand("a.txt", 50, TALKS)]
    result = check_claim("They met in Nara.", cands, docs, judge_of({NARA: (0.9, 0.05, 0.05), TALKS: (0.1, 0.8, 0.1)}))
    assert result.sources[0].verdict == "supported" and result.verdict == "supported"


def test_nothing_close_is_not_in_the_sources(docs) -> None:  # type: ignore[no-untyped-def]
    result = check_claim("Lee was born in 1955.", [_cand("a.txt", 0, DINNER)], docs, judge_of({}))
    assert result.verdict == "not_found" and all(s.verdict == "not_found" for s in result.sources)
    assert check_claim("Lee was born in 1955.", [], docs, judge_of({})).verdict == "not_found"


def test_thresholds_are_inclusive_and_configurable(docs) -> None:  # type: ignore[no-untyped-def]
    judge = judge_of({NARA: (0.6, 0.3, 0.1)})
    claim = "Takaichi hosted Lee in Nara."
    assert check_claim(claim, [_cand("a.txt", 0, NARA)], docs, judge).verdict == "supported"
    strict = Thresholds(supports=0.7, contradicts=0.7)
    assert check_claim(claim, [_cand("a.txt", 0, NARA)], docs, judge, strict).verdict == "not_found"


def test_a_sentence_sharing_no_word_with_the_claim_does_not_support_it(docs) -> None:  # type: ignore[no-untyped-def]
    judge = judge_of({NARA: (0.9, 0.05, 0.05)})
    assert check_claim("The Eiffel Tower is in Paris.", [_cand("a.txt", 0, NARA)], docs, judge).verdict == "not_found"


def test_a_close_sentence_swapping_a_place_contradicts(docs) -> None:  # type: ignore[no-untyped-def]
    judge = judge_of({NARA: (0.8, 0.1, 0.1)})
    result = check_claim("Ms Takaichi hosted Mr Lee in Tokyo on Tuesday.", [_cand("a.txt", 0, NARA)], docs, judge)
    assert result.verdict == "contradicted"
    assert result.sources[0].conflict is not None and result.sources[0].conflict.source.text == "Nara"


def test_the_result_is_json_with_offsets(docs) -> None:  # type: ignore[no-untyped-def]
    result = check_claim("Tokyo hosted it.", [_cand("a.txt", 5, NARA)], docs, judge_of({NARA: (0.1, 0.85, 0.05)}))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["verdict"] == "contradicted"
    source = data["sources"][0]
    assert {"doc_id", "title", "verdict", "evidence", "conflict"} <= set(source)
    assert source["evidence"] == {"start": 5, "end": 5 + len(NARA), "text": NARA}


def test_a_negation_is_a_conflict() -> None:
    passage = CheckedPassage("a.txt", 0, 40, "Lee did not sign the trade agreement.", 0.1, 0.8)
    conflict = conflict_of("Lee did sign the trade agreement.", passage)
    assert conflict is not None and "not" in conflict.source.text


def test_a_changed_number_is_a_conflict() -> None:
    text = "The station will power 40,000 homes."
    conflict = conflict_of(
        "The station will power 60,000 homes.", CheckedPassage("a.txt", 7, 7 + len(text), text, 0, 1)
    )
    assert conflict is not None and conflict.claim.text == "60,000" and conflict.source.text == "40,000"
    assert conflict.source.start == 7 + text.index("40,000")


@pytest.mark.parametrize("claim", [None, "", "   ", "?!", "x" * 2001, 42, "Lee \ud800 met"])
def test_invalid_claims(claim) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidQuestion):
        validate_claim(claim)


def test_valid_claim_is_stripped() -> None:
    assert validate_claim("  Lee met Takaichi.  ") == "Lee met Takaichi."


SUGGESTION = (
    "The row was triggered by Ms Takaichi's November suggestion that Japan could intervene if China attacked Taiwan."
)
HIS_WORDS = "Mr Lee said Japan could intervene if China attacked Taiwan."


@pytest.mark.parametrize(
    ("claim", "name"),
    [
        ("Lee said Japan should intervene over Taiwan", "Lee"),
        ("President Lee Jae Myung has said Japan should intervene", "Lee Jae Myung"),
        ("According to Takaichi, Japan could intervene", "Takaichi"),
        ("Japan should intervene over Taiwan", None),
        ("Analysts said Japan should intervene", "Analysts"),
    ],
)
def test_the_name_a_claim_gives_its_words_to(claim: str, name: str | None) -> None:
    speaker = claimed_speaker(claim)
    assert (speaker.text if speaker else None) == name
    if speaker is not None:
        assert claim[speaker.start : speaker.end] == name


def test_words_given_to_someone_else_contradict_the_claim_and_the_names_are_the_conflict(docs) -> None:  # type: ignore[no-untyped-def]
    claim = "Lee said Japan should intervene over Taiwan"
    result = check_claim(claim, [_cand("a.txt", 5, SUGGESTION)], docs[:1], judge_of({SUGGESTION: (0.8, 0.1, 0.1)}))
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and conflict.claim.text == "Lee" and conflict.source.text == "Takaichi"
    assert SUGGESTION[conflict.source.start - 5 : conflict.source.end - 5] == "Takaichi"


def test_the_speakers_own_words_elsewhere_still_support_the_claim(docs) -> None:  # type: ignore[no-untyped-def]
    claim = "Lee said Japan could intervene if China attacked Taiwan"
    cands = [_cand("a.txt", 5, SUGGESTION), _cand("a.txt", 200, HIS_WORDS)]
    table = {SUGGESTION: (0.9, 0.05, 0.05), HIS_WORDS: (0.7, 0.1, 0.2)}
    result = check_claim(claim, cands, docs[:1], judge_of(table))
    assert result.verdict == "supported" and result.sources[0].evidence.text == HIS_WORDS


def test_a_claim_that_gives_no_ones_words_is_judged_as_before(docs) -> None:  # type: ignore[no-untyped-def]
    claim = "Japan could intervene if China attacked Taiwan"
    result = check_claim(claim, [_cand("a.txt", 5, SUGGESTION)], docs[:1], judge_of({SUGGESTION: (0.8, 0.1, 0.1)}))
    assert result.verdict == "supported"


NO_DAMAGE = "The Harlow Bridge will reopen on Thursday, engineers said, after an inspection found no structural damage."


def test_a_sentence_that_negates_what_the_claim_says_contradicts_it(docs) -> None:  # type: ignore[no-untyped-def]
    claim = "Engineers found structural damage on the Harlow Bridge."
    result = check_claim(claim, [_cand("a.txt", 7, NO_DAMAGE)], docs[:1], judge_of({NO_DAMAGE: (0.87, 0.1, 0.03)}))
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and conflict.claim.text == "structural" and conflict.source.text == "no"
    assert NO_DAMAGE[conflict.source.start - 7 : conflict.source.end - 7] == "no"


@pytest.mark.parametrize(
    "claim",
    [
        "The inspection found no structural damage on the Harlow Bridge.",  # negated alike
        "The Harlow Bridge will reopen on Thursday.",  # the negation is about something else
    ],
)
def test_a_negation_the_claim_shares_or_does_not_speak_of_leaves_the_support(docs, claim: str) -> None:  # type: ignore[no-untyped-def]
    result = check_claim(claim, [_cand("a.txt", 7, NO_DAMAGE)], docs[:1], judge_of({NO_DAMAGE: (0.87, 0.1, 0.03)}))
    assert result.verdict == "supported"


BUSES = "The city of Quito bought 40 electric buses on Monday, the mayor's office said."


@pytest.mark.parametrize(
    ("claim", "claimed", "told"),
    [
        ("Quito bought 60 electric buses.", "60", "40"),
        ("The city of Quito bought forty electric buses on Monday.", "forty", "40"),
        ("The city of Quito bought 40 electric buses on Friday.", "Friday", "Monday"),
    ],
)
def test_a_sentence_telling_the_same_but_one_fact_contradicts_even_when_the_verifier_is_unsure(  # type: ignore[no-untyped-def]
    docs, claim: str, claimed: str, told: str
) -> None:
    judge = judge_of({BUSES: (0.01, 0.03, 0.96)})  # 'neither', as the verifier reads a sentence with its attribution
    result = check_claim(claim, [_cand("a.txt", 0, BUSES)], docs, judge)
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == (claimed, told)
    assert BUSES[conflict.source.start : conflict.source.end] == told


@pytest.mark.parametrize(
    "claim",
    [
        "Quito bought 60 electric trams.",  # a second word the sentence lacks: not the same story
        "Quito bought 40 electric buses.",  # nothing changed
        "The city of Lima bought 60 electric buses.",  # two facts changed
    ],
)
def test_one_changed_fact_is_needed_and_everything_else_must_be_told(docs, claim: str) -> None:  # type: ignore[no-untyped-def]
    judge = judge_of({BUSES: (0.01, 0.03, 0.96)})
    assert check_claim(claim, [_cand("a.txt", 0, BUSES)], docs, judge).verdict == "not_found"


def test_counted_words_are_numbers_of_their_own_kind() -> None:
    text = "The port signed a deal to build two new berths."
    conflict = conflict_of(
        "The port signed a deal to build five new berths.", CheckedPassage("a.txt", 0, len(text), text, 0, 1)
    )
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("five", "two")


def test_a_fact_told_in_another_order_is_paired_only_when_asked() -> None:
    text = "Energy Minister Clara Osei pressed the button on Tuesday to start the largest solar plant."
    passage = CheckedPassage("a.txt", 0, len(text), text, 0, 1)
    claim = "Energy Minister Clara Osei started the solar plant on Friday."
    assert conflict_of(claim, passage) is None  # aligned in order, 'on Friday' meets 'in the country'
    found = conflict_of(claim, passage, any_order=True)
    assert found is not None and (found.claim.text, found.source.text) == ("Friday", "Tuesday")


def test_events_told_in_the_other_order_contradict(docs) -> None:  # type: ignore[no-untyped-def]
    text = "Lee visited Beijing before his trip to Japan, officials said."
    judge = judge_of({text: (0.8, 0.1, 0.1)})  # the verifier reads the order as support
    result = check_claim("Lee visited Beijing after his trip to Japan.", [_cand("a.txt", 0, text)], docs, judge)
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("after", "before")
    same = check_claim("Lee visited Beijing before his trip to Japan.", [_cand("a.txt", 0, text)], docs, judge)
    assert same.verdict == "supported"


APEC = "They last met in October at the Asia-Pacific Economic Cooperation summit in Gyeongju."
MET = "Japanese Prime Minister Sanae Takaichi met President Lee Jae Myung for talks on Jan 13."


@pytest.mark.parametrize(
    ("claim", "sentence"),
    [
        ("They last met at the APEC summit in Gyeongju.", APEC),  # the name spelt out
        ("The Japanese prime minister met Lee for talks.", "Japan's prime minister met Lee for talks."),
    ],
)
def test_another_form_of_the_same_name_is_no_changed_fact(docs, claim: str, sentence: str) -> None:  # type: ignore[no-untyped-def]
    result = check_claim(claim, [_cand("a.txt", 0, sentence)], docs[:1], judge_of({sentence: (0.7, 0.25, 0.05)}))
    assert result.verdict == "supported"


@pytest.mark.parametrize(
    ("claim", "claimed", "told"),
    [
        ("Sanae Takaichi met President Lee Jae Myung for talks in 2024.", None, None),  # a year is no day of the month
        ("Sanae Takaichi met President Lee Jae Myung for talks on Feb 13.", "Feb", "Jan"),  # a month for a month
    ],
)
def test_a_changed_fact_is_one_of_the_same_kind(claim: str, claimed: str | None, told: str | None) -> None:
    conflict = conflict_of(claim, CheckedPassage("a.txt", 0, len(MET), MET, 0, 1))
    found = (conflict.claim.text, conflict.source.text) if conflict else (None, None)
    assert found == (claimed, told)


def test_an_ordinal_is_a_number(docs) -> None:  # type: ignore[no-untyped-def]
    text = "It is Mr Lee's second visit to Japan since August 2025."
    result = check_claim(
        "It is Lee's third visit to Japan since August 2025.",
        [_cand("a.txt", 0, text)],
        docs[:1],
        judge_of({text: (0.7, 0.3, 0.0)}),
    )
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("third", "second")


def test_a_negation_governs_the_word_past_a_function_word(docs) -> None:  # type: ignore[no-untyped-def]
    text = "Mr Lee said that it was not his place to intervene in the row."
    result = check_claim(
        "Lee said it was his place to intervene in the row.",
        [_cand("a.txt", 0, text)],
        docs[:1],
        judge_of({text: (0.63, 0.35, 0.02)}),
    )
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("place", "not")


VISIT = "The meeting comes days after President Lee visited Beijing and met Chinese leader Xi Jinping."


@pytest.mark.parametrize(
    ("claim", "verdict"),
    [
        ("Lee visited Beijing after the meeting.", "contradicted"),  # told the other way round
        ("Lee met Xi Jinping after the meeting.", "contradicted"),
        ("The meeting comes after Lee visited Beijing.", "supported"),  # in the sentence's order
        ("After visiting Beijing, Lee met Xi Jinping.", "supported"),
    ],
)
def test_events_told_the_other_way_round_contradict(docs, claim: str, verdict: str) -> None:  # type: ignore[no-untyped-def]
    result = check_claim(claim, [_cand("a.txt", 0, VISIT)], docs[:1], judge_of({VISIT: (0.85, 0.13, 0.02)}))
    assert result.verdict == verdict
    if verdict == "contradicted":
        conflict = result.sources[0].conflict
        assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("after", "after")
        assert VISIT[conflict.source.start : conflict.source.end] == "after"


@pytest.mark.parametrize(
    ("claim", "said"),
    [
        ("Lee said Japan should intervene over Taiwan", "Japan should intervene over Taiwan"),
        ("Lee said that it was his place to intervene.", "It was his place to intervene."),
        ("According to Lee, the talks went well.", "The talks went well."),
        ("Takaichi and Lee met in Nara.", None),
    ],
)
def test_what_a_claim_says_someone_said(claim: str, said: str | None) -> None:
    assert said_content(claim) == said


def test_words_given_to_someone_else_are_found_by_what_is_said(docs) -> None:  # type: ignore[no-untyped-def]
    """The verifier hears little of 'Lee said X' in 'Takaichi's suggestion that X'; judged
    apart, X is told there, as Takaichi's words: the claim is contradicted."""
    text = "The row was triggered by Ms Takaichi's suggestion that Japan could intervene over Taiwan."

    def judge(claims: Sequence[str], evidence: Sequence[str]) -> np.ndarray:
        return np.array([(0.8, 0.1, 0.1) if c.startswith("Japan") else (0.2, 0.1, 0.7) for c in claims], np.float32)

    result = check_claim("Lee said Japan should intervene over Taiwan", [_cand("a.txt", 0, text)], docs[:1], judge)
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("Lee", "Takaichi")


def test_no_longer_negates(docs) -> None:  # type: ignore[no-untyped-def]
    text = "The council said that boats would no longer be allowed on the reservoir."
    result = check_claim(
        "Boats are still allowed on the reservoir.",
        [_cand("a.txt", 0, text)],
        docs[:1],
        judge_of({text: (0.8, 0.1, 0.1)}),
    )
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("allowed", "no")


def test_a_date_told_elsewhere_in_a_supporting_sentence_is_still_a_changed_fact(docs) -> None:  # type: ignore[no-untyped-def]
    text = "The row was triggered by Ms Takaichi's suggestion in November 2025 that Japan could intervene over Taiwan."
    claim = "Takaichi's suggestion about Taiwan was made in March 2025."
    result = check_claim(claim, [_cand("a.txt", 0, text)], docs[:1], judge_of({text: (0.7, 0.2, 0.1)}))
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("March", "November")


def test_a_negation_meets_the_claims_word_in_another_form(docs) -> None:  # type: ignore[no-untyped-def]
    text = "Prof Heng did not expect Mr Lee to bring any particular message from Mr Xi."
    result = check_claim(
        "Heng expected Lee to bring a message from Xi.",
        [_cand("a.txt", 0, text)],
        docs[:1],
        judge_of({text: (0.7, 0.2, 0.1)}),
    )
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("expected", "not")


def test_a_sentence_that_tells_nothing_of_its_own_cannot_contradict(docs) -> None:  # type: ignore[no-untyped-def]
    heading, body = "Harbour", "The harbour in Kessel stays shut until May."
    judge = judge_of({heading: (0.27, 0.59, 0.14), body: (0.03, 0.9, 0.07)})
    result = check_claim(
        "The harbour in Kessel is open.", [_cand("a.txt", 0, heading), _cand("a.txt", 9, body)], docs[:1], judge
    )
    assert result.verdict == "contradicted" and result.sources[0].evidence is not None
    assert result.sources[0].evidence.text == body
    alone = check_claim("The harbour in Kessel is open.", [_cand("a.txt", 0, heading)], docs[:1], judge)
    assert alone.verdict == "not_found"


HOST = "Japanese Prime Minister Sanae Takaichi will host South Korean President Lee Jae Myung in Nara on Tuesday."


def test_a_name_of_several_words_is_swapped_whole(docs) -> None:  # type: ignore[no-untyped-def]
    # the verifier unsure: the sentence tells all the claim tells but for the host
    result = check_claim(
        "Shigeru Ishiba hosted Lee Jae Myung in Nara.",
        [_cand("a.txt", 0, HOST)],
        docs[:1],
        judge_of({HOST: (0.12, 0.18, 0.7)}),
    )
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("Shigeru Ishiba", "Sanae Takaichi")
    assert HOST[conflict.source.start : conflict.source.end] == "Sanae Takaichi"


def test_a_name_told_in_another_form_is_no_change_and_the_fact_beside_the_same_words_is(docs) -> None:  # type: ignore[no-untyped-def]
    told = "“Behind closed doors, the leaders will discuss the Japan-China crisis,” Mr Hardy-Chartrand told AFP news agency."
    result = check_claim(
        "Benoit Hardy-Chartrand told Reuters that the leaders would discuss the Japan-China crisis.",
        [_cand("a.txt", 0, told)],
        docs[:1],
        judge_of({told: (0.53, 0.08, 0.39)}),
    )
    assert result.verdict == "contradicted"
    conflict = result.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("Reuters", "AFP")


def test_a_word_that_opens_a_quote_is_no_name(docs) -> None:  # type: ignore[no-untyped-def]
    quote = "“We can only wait for China and Japan to resolve matters amicably through dialogue.”"
    result = check_claim(
        "Lee said China and Japan should resolve their dispute through dialogue.",
        [_cand("a.txt", 0, quote)],
        docs[:1],
        judge_of({quote: (0.94, 0.02, 0.04)}),
    )
    assert result.verdict == "supported"


@pytest.mark.parametrize(
    ("claim", "verdict"),
    [
        # the sentence's 'after' governs what the claim tells second: Japan came after Beijing
        ("Lee's visit to Japan came days before his trip to Beijing.", "contradicted"),
        ("Lee's visit to Japan came days after his trip to Beijing.", "supported"),
        # the governed clause tells nothing of the claim's second event
        ("Lee visited Beijing shortly before the summit.", "supported"),
    ],
)
def test_the_opposite_order_word_over_the_claims_second_event_contradicts(docs, claim: str, verdict: str) -> None:  # type: ignore[no-untyped-def]
    result = check_claim(claim, [_cand("a.txt", 0, VISIT)], docs[:1], judge_of({VISIT: (0.69, 0.24, 0.07)}))
    assert result.verdict == verdict
    if verdict == "contradicted":
        conflict = result.sources[0].conflict
        assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("before", "after")


REGION = "The two leaders are in Ms Takaichi’s picturesque home region of Nara in western Japan, days after Mr Lee visited Beijing."


def test_a_fact_swapped_in_the_same_words_contradicts_at_its_own_coverage(docs) -> None:  # type: ignore[no-untyped-def]
    claim = "Takaichi hosted Lee in her home region of Kyoto."
    judge = judge_of({REGION: (0.04, 0.06, 0.9)})
    # 'hosted' is not in the sentence: four of the five other words are
    loose = check_claim(claim, [_cand("a.txt", 0, REGION)], docs[:1], judge, Thresholds(anchor_coverage=0.8))
    assert loose.verdict == "contradicted"
    conflict = loose.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("Kyoto", "Nara")
    strict = check_claim(claim, [_cand("a.txt", 0, REGION)], docs[:1], judge, Thresholds(anchor_coverage=0.9))
    assert strict.verdict == "not_found"
    # 'western Japan' is no swap of 'Kyoto': it does not stand in the claim's words
    assert (
        check_claim(
            "Takaichi hosted Lee in Kyoto.",
            [_cand("a.txt", 0, REGION)],
            docs[:1],
            judge,
            Thresholds(anchor_coverage=0.5),
        ).verdict
        == "not_found"
    )


def test_a_contradiction_with_no_words_to_show_must_be_surer(docs) -> None:  # type: ignore[no-untyped-def]
    half = "Harbour master Ingrid Solberg said the terminal would cut waiting times by half."
    claim = "Ingrid Solberg said the new terminal would halve waiting times."
    judge = judge_of({half: (0.28, 0.56, 0.16)})
    t = Thresholds(supports=0.4, contradicts=0.4, unaligned_contradicts=0.7)
    assert check_claim(claim, [_cand("a.txt", 0, half)], docs[:1], judge, t).verdict == "not_found"
    assert check_claim(claim, [_cand("a.txt", 0, half)], docs[:1], judge, Thresholds(0.4, 0.4)).verdict == (
        "contradicted"
    )
    # with the conflicting words found, the verifier's own threshold holds
    doubled = "Harbour master Ingrid Solberg said the terminal would cut waiting times by 40 minutes."
    numbered = check_claim(
        "Ingrid Solberg said the terminal would cut waiting times by 20 minutes.",
        [_cand("a.txt", 0, doubled)],
        docs[:1],
        judge_of({doubled: (0.28, 0.56, 0.16)}),
        t,
    )
    assert numbered.verdict == "contradicted" and numbered.sources[0].conflict is not None


def test_the_opposite_order_word_over_the_second_event_in_its_own_words(docs) -> None:  # type: ignore[no-untyped-def]
    dinner = "After the summit meeting, Mr Lee and Ms Takaichi will have dinner on Jan 13."
    judge = judge_of({dinner: (0.97, 0.02, 0.01)})
    before = check_claim(
        "Mr Lee and Ms Takaichi will have dinner before the summit meeting.",
        [_cand("a.txt", 0, dinner)],
        docs[:1],
        judge,
    )
    assert before.verdict == "contradicted"
    conflict = before.sources[0].conflict
    assert conflict is not None and (conflict.claim.text, conflict.source.text) == ("before", "After")
    after = check_claim(
        "Mr Lee and Ms Takaichi will have dinner after the summit meeting.",
        [_cand("a.txt", 0, dinner)],
        docs[:1],
        judge,
    )
    assert after.verdict == "supported"
