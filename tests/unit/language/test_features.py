"""Who a sentence says is speaking: the speaker and answer-type signals read it."""

from __future__ import annotations

import pytest

from assistant.language.features import _speakers, _text_features


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
    found = _text_features("They agreed to cooperate on AI, according to South Korea’s presidential office.")
    assert found["speech"] and {"presidenti", "offic"} <= found["speakers"]
    found = _text_features("According to the ministry, exports fell by 3 percent.")
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
    found = _text_features(text)
    assert found["speakers"] == speakers
    assert found["speech"] == bool(speakers)
