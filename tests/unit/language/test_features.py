"""Who a sentence says is speaking: the speaker and answer-type signals read it."""

from __future__ import annotations

import pytest

from assistant.language.features import _speakers, text_features


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        ("“From the standpoint of peace,” President Lee told Japanese public broadcaster NHK.", {"lee", "presid"}),
        ("Mr Lee said in an interview with NHK aired on Jan 12 that it was not his place.", {"lee"}),
        ("Tense geopolitics could help, said Mr Benoit Hardy-Chartrand, an expert.", {"benoit", "hardi", "chartrand"}),
        ('"We will go," said Lee.', {"lee"}),
        # who listened, who is spoken about and who is reported on do not speak
        ("Ms Takaichi said she told Mr Lee that, “both countries should cooperate”.", {"takaichi"}),
        ("Analysts said Lee would go to Tokyo.", {"analyst"}),  # not Lee
        ("Mr Lee is more dovish towards North Korea, and has said so.", set()),
        ("Privately, officials say talks will focus on the crisis.", {"offici"}),
        ("They will compare notes on Washington, analysts said.", {"analyst"}),
        ("“It will hit South Korea as well,” Mr Hardy-Chartrand told AFP.", {"hardi", "chartrand"}),
        ("The speech was described in Mr Yoon’s memoir.", set()),
        # the speaker may open the sentence; an opening phrase of time or place is no speaker
        ("Lee said it was not his place to intervene.", {"lee"}),
        ("Governor Maria Ostrander said on Friday that the state would ask for aid.", {"governor", "maria", "ostrand"}),
        (
            "On Friday, Governor Maria Ostrander said that the recovery would cost more.",
            {"governor", "maria", "ostrand"},
        ),
        ("In Seoul, Lee said the talks went well.", {"lee"}),
        ("Asked about Taiwan, Takaichi told reporters nothing.", {"takaichi"}),
    ],
)
def test_speakers_are_those_the_sentence_attributes_words_to(text: str, speakers: set[str]) -> None:
    assert _speakers(text) == speakers


def test_according_to_attributes_the_sentence() -> None:
    found = text_features("They agreed to cooperate on AI, according to South Korea’s presidential office.")
    assert found["speech"] and {"presidenti", "offic"} <= found["speakers"]
    found = text_features("According to the ministry, exports fell by 3 percent.")
    assert found["speakers"] == {"ministri"}


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        ("The spat was triggered by Ms Takaichi’s suggestion in November that Japan could intervene.", {"takaichi"}),
        ("Lee’s repeated claims that the deal was fair angered many.", {"lee"}),
        # a noun that names words without giving them, or a report that is not speech
        ("Beijing protested over Ms. Takaichi's comments about Taiwan.", set()),
        ("The company’s report shows that sales fell.", set()),
    ],
)
def test_words_reported_with_a_noun_are_attributed(text: str, speakers: set[str]) -> None:
    """'X's suggestion that …' gives X's words as 'X suggested that …' would."""
    found = text_features(text)
    assert found["speakers"] == speakers
    assert found["speech"] == bool(speakers)


def test_speaker_windows_are_the_window_patterns_matches() -> None:
    """The fast scan finds exactly what scanning every position finds: a verb glued to a
    quote mark, a later verb a window reaches first, windows that swallow the next verb,
    non-breaking spaces, long runs of words before a verb."""
    from pathlib import Path

    from assistant.language.features import _SPEAKER_WINDOW, _speaker_windows

    texts = [
        "a b c d e f g “said h told",
        "He said, she said; “they told”, said the minister, who told reporters.",
        "one two three four five six seven said eight nine ten eleven twelve thirteen fourteen told",
        "x\u00a0said y",
        "said",
        " said ",
        "“said”",
        "No speech here at all.",
        "Officials SAID on Monday that talks would resume, Mr Lee told NHK, and she added nothing.",
    ]
    seeds = Path(__file__).parents[3] / "seeds"
    for path in sorted(seeds.iterdir()):
        if path.suffix in {".txt", ".md", ".html"}:
            text = path.read_text(encoding="utf-8")
            texts += [text, *text.split("\n"), *text.split(". ")]
    windows = 0
    for text in texts:
        expected = [(m.span(), m.groups()) for m in _SPEAKER_WINDOW.finditer(text)]
        assert [(m.span(), m.groups()) for m in _speaker_windows(text)] == expected, text[:80]
        windows += len(expected)
    assert windows > 20
