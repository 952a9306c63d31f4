"""Hybrid retrieval (FAISS + BM25, rank-fused) and a sentence-level evidence ranker for news."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.analyze import Question
from assistant.embed import Embedder
from assistant.lexical import LexicalIndex, terms
from assistant.store import IndexData, PassageRow, vectors_of
from assistant.types import Sentence

_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}}\b|\d{{1,2}}\s+{_MONTHS}|{_MONTHS}\s+\d{{4}}|(?:1[5-9]|20)\d\d(?:s)?\b|"
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|last (?:week|month|year)|"
    r"(?:January|February|March|April|June|July|August|September|October|November|December))\b|\b\d+(?:st|nd|rd|th) century)"
)
_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozens?|several|percent)\b",
    re.I,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*")
_PLACE = re.compile(r"\b(?:in|at|from|to|near|across|of)\s+(?:the\s+)?[A-Z][a-z]+")
_QUOTE = re.compile(r"[\"“”]")
_SPEECH = re.compile(r"\b(?:said|says|told|tells|telling|added|noted|warned|stressed|argued|believed|described|characteri[sz]ed)\b", re.I)
_REASON = re.compile(r"\b(?:because|due to|in order to|so that|as a result|after|amid|triggered|since|aimed at|intended)\b", re.I)

_K_DENSE = 40
_K_PASSAGES = 8


@dataclass(frozen=True)
class Scored:
    """A candidate sentence with its evidence score and the features behind it."""

    sentence: Sentence
    score: float
    dense: float
    coverage: float  # IDF-weighted share of question terms in the sentence and its passage
    names: float  # share of the question's proper-name terms in the sentence or its passage
    type_match: float
    passage: PassageRow


@dataclass(frozen=True)
class Weights:
    """The evidence ranker's linear weights, set by measurement on the gold questions."""

    dense: float = 0.45
    passage_dense: float = 0.25
    bm25: float = 0.12
    passage_bm25: float = 0.08
    coverage: float = 0.25
    type_match: float = 0.08
    speaker: float = 0.10
    lead: float = 0.03


class Searcher:
    """In-memory search structures built once per loaded index generation."""

    def __init__(self, data: IndexData, embedder: Embedder, weights: Weights = Weights()) -> None:
        self.embedder = embedder
        self.weights = weights
        self.data = data
        rows = [s for doc in sorted(data.sentences) for s in data.sentences[doc] if s.searchable]
        self.rows = rows
        self.row_of_id = {s.id: i for i, s in enumerate(rows)}
        ids, vectors = vectors_of(data.sentence_vectors)
        order = np.array([self.row_of_id[int(i)] for i in ids], dtype=np.int64)
        self.vectors = np.zeros((len(rows), data.dim), dtype=np.float32)
        if len(order):
            self.vectors[order] = vectors
        self.passages = [p for doc in sorted(data.passages) for p in data.passages[doc]]
        self.passage_row_of_id = {p.id: i for i, p in enumerate(self.passages)}
        pids, pvectors = vectors_of(data.passage_vectors)
        self.passage_vectors = np.zeros((len(self.passages), data.dim), dtype=np.float32)
        if len(pids):
            self.passage_vectors[[self.passage_row_of_id[int(i)] for i in pids]] = pvectors
        by_doc_pos = {(p.doc_id, pos): n for n, p in enumerate(self.passages) for pos in range(p.first, p.last + 1)}
        self.passage_of_row = np.array([by_doc_pos[(s.doc_id, s.position)] for s in rows], dtype=np.int64)
        self.rows_of_passage: list[list[int]] = [[] for _ in self.passages]
        for r, p in enumerate(self.passage_of_row):
            self.rows_of_passage[p].append(r)
        passage_texts = [data.texts[p.doc_id][p.start : p.end] for p in self.passages]
        self.lexical = LexicalIndex([s.text for s in rows])
        self.passage_lexical = LexicalIndex(passage_texts)
        self.row_terms = [frozenset(terms(s.text)) for s in rows]
        self.passage_terms = [frozenset(terms(t)) for t in passage_texts]
        self.features = _text_features(rows)
        body_rank: dict[str, int] = {}
        lead = np.zeros(len(rows), dtype=np.float32)
        for r, s in enumerate(rows):
            n = body_rank.get(s.doc_id, 0)
            body_rank[s.doc_id] = n + 1
            lead[r] = 1.0 / (1.0 + n)
        self.lead = lead

    def embed(self, text: str) -> np.ndarray:
        return self.embedder.encode([text])[0]

    def rank(self, question: Question, vector: np.ndarray | None = None, limit: int = 20) -> list[Scored]:
        """Candidate sentences, best evidence first."""
        if not self.rows:
            return []
        q = self.embed(question.resolved) if vector is None else vector
        candidates, dense_s, dense_p = self._candidates(q)
        bm25_s = _unit(self.lexical.scores(question.terms))
        bm25_p = _unit(self.passage_lexical.scores(question.terms))
        candidates |= set(np.argsort(-bm25_s)[:_K_DENSE].tolist()) if bm25_s.any() else set()
        for p in np.argsort(-bm25_p)[:_K_PASSAGES] if bm25_p.any() else ():
            candidates.update(self.rows_of_passage[p])
        idf = {t: self.lexical.idf(t) for t in set(question.terms)}
        total_idf = sum(idf.values()) or 1.0
        w = self.weights
        out = []
        for r in candidates:
            p = int(self.passage_of_row[r])
            sent_terms, pass_terms = self.row_terms[r], self.passage_terms[p]
            cov = sum(v * (1.0 if t in sent_terms else 0.5 if t in pass_terms else 0.0) for t, v in idf.items()) / total_idf
            names = _share(question.names, sent_terms | pass_terms)
            type_match = self._type_match(question, r)
            speaker = self._speaker_match(question, r, p)
            score = (
                w.dense * dense_s[r]
                + w.passage_dense * dense_p[p]
                + w.bm25 * bm25_s[r]
                + w.passage_bm25 * bm25_p[p]
                + w.coverage * cov
                + w.type_match * type_match
                + w.speaker * speaker
                + w.lead * self.lead[r]
            )
            out.append(Scored(self.rows[r], float(score), float(dense_s[r]), cov, names, type_match, self.passages[p]))
        out.sort(key=lambda s: -s.score)
        return out[:limit]

    def _candidates(self, q: np.ndarray) -> tuple[set[int], np.ndarray, np.ndarray]:
        qv = q.reshape(1, -1).astype(np.float32)
        k = min(_K_DENSE, self.data.sentence_vectors.ntotal)
        _, ids = self.data.sentence_vectors.search(qv, k)
        # FAISS pads with -1 when k exceeds the vectors held.
        candidates = {self.row_of_id[int(i)] for i in ids[0] if i >= 0}
        dense_s = self.vectors @ q
        dense_p = self.passage_vectors @ q
        kp = min(_K_PASSAGES, self.data.passage_vectors.ntotal)
        _, pids = self.data.passage_vectors.search(qv, kp)
        for pid in pids[0]:
            if pid >= 0:
                candidates.update(self.rows_of_passage[self.passage_row_of_id[int(pid)]])
        return candidates, dense_s, dense_p

    def _type_match(self, question: Question, r: int) -> float:
        f = self.features[r]
        kind = question.answer_type
        if kind == "none":
            return 0.0
        if kind == "person":
            # a name other than the ones asked about
            return 1.0 if f["names"] - set(question.names) else 0.0
        return float(f.get(kind, False))

    def _speaker_match(self, question: Question, r: int, p: int) -> float:
        if not question.speaker:
            return 0.0
        f = self.features[r]
        if not (f["quote"] or f["speech"]):
            return 0.0
        speaker = set(question.speaker)
        if speaker & self.row_terms[r]:
            return 1.0
        if speaker & self.passage_terms[p] or (r > 0 and self.rows[r - 1].doc_id == self.rows[r].doc_id and speaker & self.row_terms[r - 1]):
            return 0.7
        return 0.0

    def passage_rank(self, scored: list[Scored], k: int) -> list[tuple[PassageRow, float]]:
        """Passages holding the best sentences, best first, each once."""
        seen: dict[int, float] = {}
        for s in scored:
            if s.passage.id not in seen:
                seen[s.passage.id] = s.score
        order = sorted(seen.items(), key=lambda kv: -kv[1])[:k]
        by_id = {p.id: p for p in self.passages}
        return [(by_id[pid], score) for pid, score in order]


def _unit(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else scores


def _share(wanted: tuple[str, ...], have: frozenset[str]) -> float:
    if not wanted:
        return 1.0
    return sum(1 for t in wanted if t in have) / len(wanted)


def _text_features(rows: list[Sentence]) -> list[dict[str, object]]:
    out = []
    for s in rows:
        text = s.text
        names = {t for m in _NAME.finditer(text) for t in terms(m.group())}
        out.append(
            {
                "date": bool(_DATE.search(text)),
                "number": bool(_NUMBER.search(text)),
                "names": names,
                "place": bool(_PLACE.search(text)),
                "quote": bool(_QUOTE.search(text)),
                "speech": bool(_SPEECH.search(text)),
                "reason": bool(_REASON.search(text)),
            }
        )
    return out
