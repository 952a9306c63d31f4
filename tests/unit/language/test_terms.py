"""Lexical terms: stemming, irregular forms, and capitals standing for their countries."""

from __future__ import annotations

from assistant.index.bm25 import LexicalIndex
from assistant.language.terms import metonym_terms, terms, with_countries


def test_irregular_forms_match_their_base() -> None:
    assert terms("They took office") == terms("they take office")
    assert terms("Lee met Takaichi")[1] == terms("to meet")[0]


def test_us_in_capitals_is_the_united_states() -> None:
    assert terms("US allies") == terms("U.S. allies") == ["us", "alli"]
    assert terms("let us go") == ["let", "go"]


def test_a_noun_naming_an_act_matches_its_verb() -> None:
    assert terms("China's response") == terms("China responded")
    assert terms("decisions, speeches and losses") == terms("decided, spoke and lost")
    assert terms("a statement") != terms("the state")  # not every noun in -ment names an act


def test_a_capital_brings_its_country_and_back() -> None:
    assert set(terms("North Korea")) <= set(metonym_terms("talks with Pyongyang"))
    assert set(terms("Beijing")) <= set(metonym_terms("China reacted angrily"))
    assert set(terms("Seoul")) <= set(metonym_terms("South Korea's president"))
    assert metonym_terms("The Korean peninsula") == []


def test_a_metonym_lets_a_question_term_find_its_sentence() -> None:
    rows = [
        terms("Lee is more dovish towards North Korea") + metonym_terms("Lee is more dovish towards North Korea"),
        terms("The summit was held in Nara") + metonym_terms("The summit was held in Nara"),
    ]
    scores = LexicalIndex(rows).scores(terms("Lee's stance on Pyongyang"))
    assert scores[0] > scores[1]


def test_a_question_can_be_read_with_countries_for_capitals() -> None:
    assert with_countries("How did Beijing retaliate against Tokyo?") == "How did China retaliate against Japan?"
    assert with_countries("Why did Lee visit Nara?") == "Why did Lee visit Nara?"


def test_matches_are_the_full_scores_from_the_postings_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from assistant.index.bm25 import LexicalIndex
    from assistant.language.terms import row_terms

    texts = [
        "The summit in Nara ended on Tuesday.",
        "Lee and Takaichi met in Nara.",
        "Exports of chips rose in Japan.",
        "Nara is an ancient capital; Nara hosted the summit.",
        "Nothing here matches.",
    ]
    built = LexicalIndex([row_terms(t) for t in texts])
    built.save(tmp_path / "bm25")
    for index in (built, LexicalIndex.open(tmp_path / "bm25")):
        for query in (["nara"], ["nara", "summit", "nara"], ["chip", "unseen"], ["unseen"], []):
            dense = index.scores(query)
            found = index.matches(query)
            np.testing.assert_allclose(found.at(np.arange(len(texts))), dense, rtol=1e-6)
            assert found.rows.tolist() == np.flatnonzero(dense).tolist()
            assert bool(found) == bool(dense.any())
            if found:
                best = [r for r in np.argsort(-dense, kind="stable")[:2].tolist() if dense[r] > 0]
                assert found.top(2).tolist() == best  # rows that match nothing are never among them
                assert float(found.scaled().scores.max()) == 1.0
