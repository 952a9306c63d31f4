"""Lexical side of retrieval: news-aware terms and a BM25 index (bm25s)."""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*", re.UNICODE)

# Irregular forms a stemmer leaves alone: "took office" must match "take office".
# fmt: off
_IRREGULAR = {
    "took": "take", "taken": "take", "met": "meet", "said": "say", "says": "say",
    "told": "tell", "went": "go", "gone": "go", "came": "come", "made": "make",
    "held": "hold", "left": "leave", "began": "begin", "begun": "begin",
    "saw": "see", "seen": "see", "won": "win", "lost": "lose", "gave": "give",
    "given": "give", "thought": "think", "brought": "bring", "sought": "seek",
    "fought": "fight", "led": "lead", "spoke": "speak", "spoken": "speak",
    "wrote": "write", "written": "write", "knew": "know", "known": "know",
    "grew": "grow", "grown": "grow", "chose": "choose", "chosen": "choose",
    "drove": "drive", "driven": "drive", "rose": "rise", "risen": "rise",
    "fell": "fall", "fallen": "fall", "became": "become", "built": "build",
    "sent": "send", "spent": "spend", "felt": "feel", "kept": "keep",
    "found": "find", "paid": "pay", "sold": "sell", "bought": "buy",
    "caught": "catch", "taught": "teach", "struck": "strike", "hit": "hit",
    "ran": "run", "sat": "sit", "stood": "stand", "heard": "hear", "meant": "mean",
    "fled": "flee", "drew": "draw", "drawn": "draw", "flew": "fly", "flown": "fly",
    "ate": "eat", "eaten": "eat", "men": "man", "women": "woman", "people": "person",
    "children": "child", "countries": "country", "visited": "visit",
    "u.s": "us", "u.k": "uk", "u.n": "un",
}
# fmt: on

# A noun naming an act matches its verb: "China's response" is how China responded, which
# the stemmer leaves apart ("respons" / "respond").
# fmt: off
_ACTS = {
    "respond": "response", "decide": "decision", "agree": "agreement", "intervene": "intervention",
    "occupy": "occupation", "invade": "invasion", "react": "reaction", "depart": "departure",
    "explain": "explanation", "expand": "expansion", "die": "death", "grow": "growth", "lose": "loss",
    "speak": "speech", "succeed": "success", "fail": "failure", "compare": "comparison",
    "describe": "description", "conclude": "conclusion", "extend": "extension", "destroy": "destruction",
    "solve": "solution", "marry": "marriage", "persuade": "persuasion", "collide": "collision",
    "assume": "assumption", "consume": "consumption", "reduce": "reduction", "detain": "detention",
    "compete": "competition", "oppose": "opposition", "acquire": "acquisition", "complain": "complaint",
    "pursue": "pursuit", "choose": "choice", "argue": "argument", "settle": "settlement", "pay": "payment",
    "treat": "treatment", "judge": "judgment", "fly": "flight", "analyse": "analysis", "emphasize": "emphasis",
    "believe": "belief", "include": "inclusion", "prove": "proof", "repeat": "repetition", "enter": "entry",
}
# fmt: on
_IRREGULAR.update({noun: verb for verb, noun in _ACTS.items()})
_IRREGULAR.update({noun + ("es" if noun.endswith(("s", "ch")) else "s"): verb for verb, noun in _ACTS.items()})
# fmt: off
_IRREGULAR.update({"analyses": "analyse", "emphases": "emphasize", "judgement": "judge", "judgements": "judge",
                   "entries": "enter", "defence": "defend", "defense": "defend"})
# fmt: on

# Function words and question words carry no evidence.
STOPWORDS = frozenset(
    """a an and are as at be been being but by can could did do does doing for from had has
    have having he her hers him his how i if in into is it its itself me my of on or our ours
    she should so than that the their theirs them then there these they this those through to
    too us was we were what when where which while who whom whose why will with would you your
    yours also about after before over under again further once here all any both each few
    more most other some such no nor not only own same very s t just don now according
    mr ms mrs dr prof many much""".split()
)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def _normal(word: str) -> str:
    word = _IRREGULAR.get(word, word)
    return _stemmer().stemWord(word)


def terms(text: str) -> list[str]:
    """Content terms of a text: lower-cased, irregular forms mapped, stemmed, stopwords out."""
    return list(_terms(text))


_US = re.compile(r"\bUS\b")


@lru_cache(maxsize=200_000)
def _terms(text: str) -> tuple[str, ...]:
    # Index builds ask for a sentence's terms several times (BM25, coverage, features).
    # 'US' is the United States, as 'U.S.' is; lower-cased it would be the pronoun
    return tuple(itertools.chain.from_iterable(map(_word_terms, _WORD.findall(_US.sub("U.S", text).lower()))))


@lru_cache(maxsize=65536)
def _word_terms(word: str) -> tuple[str, ...]:
    """The terms of one lower-cased word: none for a stopword, the stem otherwise, and one
    per part of "o'clock"-like words (a possessive 's dropped first)."""
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    out = []
    for part in word.split("'") if "'" in word and "." not in word else (word,):
        if len(part) < 2 or part in STOPWORDS:
            continue
        out.append(_normal(part))
    return tuple(out)


# News names a government by its capital: "Beijing retaliated" is China acting, "talks with
# Pyongyang" are talks with North Korea. Each pair is (capital, country); a text naming either
# also carries the other's terms.
# fmt: off
_CAPITALS = (
    ("Beijing", "China"), ("Tokyo", "Japan"), ("Seoul", "South Korea"), ("Pyongyang", "North Korea"),
    ("Taipei", "Taiwan"), ("Washington", "United States"), ("Moscow", "Russia"), ("Kyiv", "Ukraine"),
    ("Kiev", "Ukraine"), ("London", "Britain"), ("Paris", "France"), ("Berlin", "Germany"),
    ("Rome", "Italy"), ("Madrid", "Spain"), ("Brussels", "Belgium"), ("Ottawa", "Canada"),
    ("Canberra", "Australia"), ("New Delhi", "India"), ("Islamabad", "Pakistan"), ("Kabul", "Afghanistan"),
    ("Tehran", "Iran"), ("Baghdad", "Iraq"), ("Damascus", "Syria"), ("Ankara", "Turkey"),
    ("Riyadh", "Saudi Arabia"), ("Cairo", "Egypt"), ("Jerusalem", "Israel"), ("Manila", "Philippines"),
    ("Hanoi", "Vietnam"), ("Jakarta", "Indonesia"), ("Bangkok", "Thailand"), ("Kuala Lumpur", "Malaysia"),
    ("Naypyidaw", "Myanmar"), ("Dhaka", "Bangladesh"), ("Brasilia", "Brazil"), ("Buenos Aires", "Argentina"),
    ("Mexico City", "Mexico"), ("Havana", "Cuba"), ("Caracas", "Venezuela"), ("Pretoria", "South Africa"),
    ("Nairobi", "Kenya"), ("Abuja", "Nigeria"), ("Addis Ababa", "Ethiopia"), ("Minsk", "Belarus"),
    ("Warsaw", "Poland"), ("Stockholm", "Sweden"), ("Oslo", "Norway"), ("Helsinki", "Finland"),
)
# fmt: on
_CAPITAL_OF = {capital: country for capital, country in _CAPITALS}
_COUNTRY_OF: dict[str, str] = {}
for _capital, _country in _CAPITALS:
    _COUNTRY_OF.setdefault(_country, _capital)
_PLACE = re.compile(
    r"\b(?:" + "|".join(re.escape(n) for n in sorted({*_CAPITAL_OF, *_COUNTRY_OF}, key=len, reverse=True)) + r")\b"
)


def metonym_terms(text: str) -> list[str]:
    """The terms of the other name of each capital or country ``text`` names: 'Pyongyang'
    brings 'north', 'korea'; 'China' brings 'beijing'."""
    out: list[str] = []
    for name in dict.fromkeys(_PLACE.findall(text)):
        out.extend(terms(_CAPITAL_OF.get(name) or _COUNTRY_OF[name]))
    return out


_CAPITAL = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in sorted(_CAPITAL_OF, key=len, reverse=True)) + r")\b")


def with_countries(text: str) -> str:
    """``text`` with each capital named as its country: 'How did Beijing retaliate against
    Tokyo?' → 'How did China retaliate against Japan?'."""
    return _CAPITAL.sub(lambda m: _CAPITAL_OF[m.group()], text)


def row_terms(text: str) -> list[str]:
    """The terms a sentence is searched by: its words' terms and the places they stand for."""
    return terms(text) + metonym_terms(text)
