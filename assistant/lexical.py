"""Lexical side of retrieval: news-aware terms and a BM25 index (bm25s)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

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
    out: list[str] = []
    # 'US' is the United States, as 'U.S.' is; lower-cased it would be the pronoun
    for match in _WORD.finditer(_US.sub("U.S", text).lower()):
        word = match.group().replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
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
_COUNTRY_OF = {}
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


class Matches:
    """Rows (sorted) with a BM25 score above zero; every other row scores 0."""

    def __init__(self, rows: np.ndarray, scores: np.ndarray) -> None:
        self.rows = rows
        self.scores = scores

    def __bool__(self) -> bool:
        return bool(len(self.rows)) and bool(self.scores.max() > 0)

    def scaled(self) -> Matches:
        """Divided by the best score (1.0 at the top)."""
        top = float(self.scores.max()) if len(self.scores) else 0.0
        return Matches(self.rows, self.scores / top) if top > 0 else self

    def at(self, rows: np.ndarray | Sequence[int]) -> np.ndarray:
        """The scores of ``rows`` (any rows: 0 where they match nothing)."""
        wanted = np.asarray(rows, dtype=np.int64)
        out = np.zeros(len(wanted), dtype=np.float32)
        if len(self.rows) and len(wanted):
            i = np.minimum(np.searchsorted(self.rows, wanted), len(self.rows) - 1)
            hit = self.rows[i] == wanted
            out[hit] = self.scores[i[hit]]
        return out

    def top(self, k: int) -> np.ndarray:
        """The ``k`` best-scoring rows, best first, ties by row."""
        scores = self.scores
        if len(scores) > 4 * k:  # the k best without sorting every match (a common term matches millions)
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = np.flatnonzero(scores >= kth)
            return self.rows[keep[np.argsort(-scores[keep], kind="stable")[:k]]]
        return self.rows[np.argsort(-scores, kind="stable")[:k]]


class LexicalIndex:
    """BM25 over rows of terms (``terms`` of each text), addressed by row.

    Built from the rows' terms by a writer and saved with its generation (``save``); a
    reader opens the saved arrays memory-mapped (``open``) instead of building it again.
    """

    def __init__(self, tokens: Sequence[Sequence[str]]) -> None:
        import bm25s

        self._rows = len(tokens)
        self._bm25 = bm25s.BM25()
        if self._rows:
            self._bm25.index([list(t) for t in tokens], show_progress=False)
        self._ready()

    def _ready(self) -> None:
        self._vocab: dict[str, int] = dict(getattr(self._bm25, "vocab_dict", {}) or {})
        indptr = getattr(self._bm25, "scores", {}).get("indptr") if self._rows else None
        # rows holding each term: the width of its column in the CSC matrix of scores
        self._doc_freq = np.diff(np.asarray(indptr)) if indptr is not None else np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return self._rows

    def doc_freq(self, term: str) -> int:
        at = self._vocab.get(term)
        return int(self._doc_freq[at]) if at is not None and at < len(self._doc_freq) else 0

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency; unseen terms weigh most."""
        n = self.doc_freq(term)
        return float(np.log(1.0 + (self._rows - n + 0.5) / (n + 0.5)))

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for the query terms."""
        known = [t for t in query_terms if t in self._vocab]
        if not known or not self._rows:
            return np.zeros(self._rows, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def matches(self, query_terms: Sequence[str]) -> Matches:
        """The rows holding any of the query terms and their BM25 scores, worked out from
        those terms' postings alone: no array over every row (what ``scores`` gives, the
        same sums, at the cost of the index's size)."""
        ids = [self._vocab[t] for t in query_terms if t in self._vocab]
        if not ids or not self._rows:
            return Matches(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        arrays = self._bm25.scores
        indptr, indices, data = arrays["indptr"], arrays["indices"], arrays["data"]
        rows = np.concatenate([np.asarray(indices[indptr[i] : indptr[i + 1]]) for i in ids]).astype(np.int64)
        values = np.concatenate([np.asarray(data[indptr[i] : indptr[i + 1]]) for i in ids]).astype(np.float64)
        unique, where = np.unique(rows, return_inverse=True)
        return Matches(unique, np.bincount(where.reshape(-1), weights=values).astype(np.float32))

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (bm25s's arrays, vocabulary and parameters)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "rows.json").write_text(json.dumps({"rows": self._rows}), encoding="utf-8")
        if self._rows:
            self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def open(cls, folder: Path) -> LexicalIndex:
        """The index saved in ``folder``, its arrays memory-mapped: nothing is rebuilt."""
        import bm25s

        index = cls.__new__(cls)
        index._rows = int(json.loads((folder / "rows.json").read_text(encoding="utf-8"))["rows"])
        index._bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False) if index._rows else bm25s.BM25()
        index._ready()
        return index


def row_terms(text: str) -> list[str]:
    """The terms a sentence is searched by: its words' terms and the places they stand for."""
    return terms(text) + metonym_terms(text)
