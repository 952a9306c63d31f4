"""Hybrid retrieval (FAISS + BM25, rank-fused) and a sentence-level evidence ranker for news."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np

from assistant.index import columns
from assistant.index.bm25 import Matches
from assistant.index.embed import Embedder, embed_query
from assistant.index.model import IndexData
from assistant.language.question import Question, names_in
from assistant.language.terms import terms, with_countries
from assistant.search import timeframe
from assistant.search.ranker_weights import BASE, FEATURES, Weights, learned_window_cost
from assistant.search.tuning import CANDIDATES
from assistant.search.view import IndexView
from assistant.types import PassageRow, Sentence

__all__ = ["FEATURES", "Scored", "Searcher", "Weights"]

K = TypeVar("K")
V = TypeVar("V")

_HEADLINE = columns.KINDS.index("headline")


@dataclass(frozen=True)
class Scored:
    """A candidate sentence with its evidence score and the features behind it."""

    sentence: Sentence
    score: float
    dense: float
    coverage: float  # IDF-weighted share of question terms in the sentence and its passage
    names: float  # share of the question's proper-name terms in the sentence or its passage
    type_match: float
    speaker: float  # 1: the asked-for speaker's words; 0.7: attributed nearby; 0: not theirs
    passage: PassageRow
    prob: float = 0.0  # belief that it holds the answer: the ranker's softmax, then the reader's probability
    words: tuple[int, int] | None = None  # the reader's answer words, as offsets into the sentence's text


class Searcher:
    """The ranker over one generation: hybrid candidates and the evidence ranker's scores.

    What the generation holds is its ``view`` (an ``IndexView``, read-only); the reader,
    composition and dating take that view, never the ranker."""

    def __init__(
        self, data: IndexData, embedder: Embedder, weights: Weights | None = None, window_cost: float | None = None
    ) -> None:
        self.embedder = embedder
        self.weights = weights or Weights.learned()
        # The cost only has a meaning on the scale of the weights it was fitted with.
        self.window_cost = window_cost if window_cost is not None else learned_window_cost() if weights is None else 0.0
        self._weight_vector = self.weights.vector()  # per question: features @ weights
        self._last_query: tuple[str, np.ndarray] | None = None
        self.view = IndexView(data)
        self.candidates = CANDIDATES

    def embed(self, text: str) -> np.ndarray:
        # The last query's vector is kept: a time question ranks twice (all articles, then
        # those dated in its window) and would otherwise encode the same text twice.
        last = self._last_query
        if last is not None and last[0] == text:
            return last[1]
        vector = embed_query(self.embedder, text)
        self._last_query = (text, vector)
        return vector

    def search(self, question: Question, limit: int = 20) -> tuple[list[Scored], np.ndarray | None]:
        """The question's candidates, best evidence first, and the rows inside its time
        window (None without one): the one search a question gets. With a window, the best
        sentences of the articles inside it join the candidates and lead where they fit
        (``timeframe.prefer``)."""
        ranked = self.rank(question, limit=limit)
        if question.window is None:
            return ranked, None
        return timeframe.prefer(question, ranked, self.view, self.rank)

    def rank(self, question: Question, vector: np.ndarray | None = None, limit: int = 20) -> list[Scored]:
        """Candidate sentences, best evidence first."""
        if not self.view.rows:
            return []
        rows, features, extra = self.features_for(question, vector)
        if not rows:
            return []
        scores = features @ self._weight_vector
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
        order = np.argsort(-scores)[:limit]
        return [
            Scored(
                self.view.rows[rows[i]],
                float(scores[i]),
                float(features[i, 0]),
                float(extra[i, 0]),
                float(extra[i, 1]),
                float(features[i, 5]),
                float(features[i, 6]),
                self.view.passages[int(self.view.passage_of_row[rows[i]])],
                float(probs[i]),
            )
            for i in order
        ]

    def features_for(
        self, question: Question, vector: np.ndarray | None = None
    ) -> tuple[list[int], np.ndarray, np.ndarray]:
        """Candidate rows, their ranking features (columns as in ``FEATURES``) and (coverage, names)."""
        queries = [self.embed(question.read) if vector is None else vector]
        variant = with_countries(question.read)
        if vector is None and variant != question.read:
            # 'Beijing retaliated' is China acting: similarity also with the countries named
            queries.append(self.embed(variant))
        qmatrix = np.stack(queries).astype(np.float32)
        candidates, best_passage = self._candidates(qmatrix)
        matched_rows = self.view.lexical.matches(question.terms).scaled()
        matched_passages = self.view.passage_lexical.matches(question.terms).scaled()
        dense_s: dict[int, float] = {}
        if question.sources:
            # only those articles: their best rows by similarity and BM25 are the candidates
            doc_numbers = sorted({self.view.doc_index[d] for d in question.sources if d in self.view.doc_index})
            if sum(len(self.view.rows_of_doc[d]) for d in doc_numbers) <= self.candidates.scoped_exact_rows:
                allowed_rows = np.array([r for d in doc_numbers for r in self.view.rows_of_doc[d]], dtype=np.int64)
                dense_s = self._dense_rows(qmatrix, allowed_rows)
                by_bm25 = allowed_rows[
                    np.argsort(-matched_rows.at(allowed_rows), kind="stable")[: self.candidates.lexical_rows]
                ]
            else:
                # a wide scope (thousands of articles, as a time window can be): its rows
                # among those of the passages nearest to the question, and its BM25 matches
                allowed_docs = np.array(doc_numbers, dtype=np.int64)
                near = np.array(self.view.near_rows(qmatrix, self.candidates.scoped_passages), dtype=np.int64)
                dense_s = self._dense_rows(qmatrix, near[np.isin(self.view.doc_of_row[near], allowed_docs)])
                inside = np.isin(self.view.doc_of_row[matched_rows.rows], allowed_docs)
                by_bm25 = Matches(matched_rows.rows[inside], matched_rows.scores[inside]).top(
                    self.candidates.lexical_rows
                )
            by_dense = sorted(dense_s, key=lambda r: -dense_s[r])[: self.candidates.lexical_rows]
            candidates = set(by_dense) | {int(r) for r in by_bm25}
            best_passage = max(
                (
                    v
                    for v in self._dense_passages(
                        qmatrix, {int(self.view.passage_of_row[r]) for r in candidates}
                    ).values()
                ),
                default=0.0,
            )
        else:
            if matched_rows:
                candidates.update(matched_rows.top(self.candidates.lexical_rows).tolist())
            if matched_passages:
                for p in matched_passages.top(self.candidates.lexical_passages):
                    candidates.update(self.view.rows_of_passage[p])
        idf = {t: self.view.lexical.idf(t) for t in set(question.terms)}
        total_idf = sum(idf.values()) or 1.0
        rows = sorted(candidates)
        bm25_s = dict(zip(rows, matched_rows.at(rows).tolist(), strict=True))
        passages_of_rows = sorted({int(self.view.passage_of_row[r]) for r in rows})
        bm25_p = dict(zip(passages_of_rows, matched_passages.at(passages_of_rows).tolist(), strict=True))
        # similarity of the candidates, the rows before them and their passages: read back by id
        doc_of = self.view.doc_of_row
        previous = {r - 1 for r in rows if r > 0 and doc_of[r - 1] == doc_of[r]}
        wanted = np.array(sorted((set(rows) | previous) - dense_s.keys()), dtype=np.int64)
        dense_s.update(self._dense_rows(qmatrix, wanted))
        dense_p = self._dense_passages(qmatrix, {int(self.view.passage_of_row[r]) for r in rows})
        qterms = frozenset(question.terms)
        speaker_terms = frozenset(question.speaker)
        best_dense = float(max(dense_s[r] for r in rows)) if rows else 0.0
        best_passage = max(best_passage, max(dense_p.values(), default=0.0))
        features = np.zeros((len(rows), len(FEATURES)), dtype=np.float32)
        extra = np.zeros((len(rows), 2), dtype=np.float32)
        # which of the question's terms each row, the row before it, its passage and its
        # article hold: read from the postings (as its terms would tell, row by row)
        held = self._held(question, idf, rows)
        for i, r in enumerate(rows):
            p = int(self.view.passage_of_row[r])
            sent_terms = self.view.row_terms[r]
            in_row, in_prev, in_pass, names_in_doc = held[0][:, i], held[1][:, i], held[2][:, i], held[3][:, i]
            speaker = self._speaker_match(question, r, p)
            if speaker:
                # '…, he said' names the speaker as surely as the name would: what is
                # left to match is what the question asks them about
                sent_terms = sent_terms | speaker_terms
                in_row, in_pass = in_row | held[4], in_pass | held[4]
                names_in_doc = names_in_doc | held[5]
            in_sentence = sum(v for v, h in zip(idf.values(), in_row, strict=True) if h) / total_idf
            in_passage = sum(v for v, h in zip(idf.values(), in_pass, strict=True) if h) / total_idf
            # 'It was commissioned by Odo': the subject is often named one sentence earlier
            has_prev = r > 0 and doc_of[r - 1] == doc_of[r]
            in_context = sum(v for v, h in zip(idf.values(), in_row | in_prev, strict=True) if h) / total_idf
            features[i, :BASE] = (
                dense_s[r],
                dense_p[p],
                bm25_s[r],
                bm25_p[p],
                in_sentence,
                self._type_match(question, r),
                speaker,
                self.view.lead[r],
                in_passage,
                1.0 if self.view.columns.row_kind[r] == _HEADLINE else 0.0,
                self.view.first_in_passage[r],
                self.view.length[r],
                _novelty(sent_terms, qterms),
                dense_s[r] - best_dense,
                dense_p[p] - best_passage,
                in_context,
                dense_s[r - 1] if has_prev else 0.0,
                self.view.pronoun_start[r],
            )
            extra[i] = (
                max(in_sentence, 0.5 * in_sentence + 0.5 * in_passage),
                # the names asked about may be given once per article ('the dam' after 'the Ruvuma dam')
                float(names_in_doc.mean()) if len(names_in_doc) else 1.0,
            )
        if rows:
            features[:, BASE:] = _interactions(features[:, :BASE], self.view.passage_of_row[rows])
        return rows, features, extra

    def scoped(self, question: Question) -> Question:
        """The question restricted to the articles it names as a source by their publisher
        or credit ('What does the CRBC article say about Trump?', 'What did CRBC News report
        …', 'according to CRBC'), that name taken out of what is searched and out of the
        speakers: a source is not a person quoted. A source every article shares keeps all."""
        if not self.view.docs_by_source:
            return question
        text = question.resolved
        for name in names_in(text):
            wanted = terms(name)
            docs = self.view.docs_by_source.get(tuple(wanted), ())
            if not docs or not _as_source(text, name, wanted, question.speaker):
                continue
            dropped = set(wanted)
            quoted = bool(set(question.speaker) & dropped)
            return replace(
                question,
                terms=tuple(t for t in question.terms if t not in dropped),
                names=tuple(t for t in question.names if t not in dropped),
                speaker=() if quoted else question.speaker,
                answer_type="none" if quoted and question.answer_type == "quote" else question.answer_type,
                sources=docs if len(docs) < self.view.n_documents else (),
                unsourced=_unsourced(question.read, name),
            )
        return question

    def _held(
        self, question: Question, idf: dict[str, float], rows: list[int]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For the question's terms (``idf``'s order) and ``rows``: whether each row holds
        each term, whether the row before it in its article does, and its passage; whether
        its article holds each of the question's names (in their order, as asked: a name
        given twice counts twice); and which terms, and names, the asked-for speaker's are."""
        view, terms = self.view, list(idf)
        at = np.asarray(rows, dtype=np.int64)
        doc = view.doc_of_row[at]
        before = np.maximum(at - 1, 0)
        has_prev = (at > 0) & (view.doc_of_row[before] == doc)
        in_row = view.lexical.within(terms, at, at + 1)
        in_prev = view.lexical.within(terms, before, before + 1) & has_prev
        passage = np.asarray(view.passage_of_row[at], dtype=np.int64)
        in_pass = view.passage_lexical.within(terms, passage, passage + 1)
        bounds = np.asarray(view.columns.doc_rows)
        names = list(question.names)
        names_in_doc = view.lexical.within(names, bounds[doc], bounds[doc + 1])
        speaker = set(question.speaker)
        return (
            in_row,
            in_prev,
            in_pass,
            names_in_doc,
            np.array([t in speaker for t in terms], dtype=bool),
            np.array([t in speaker for t in names], dtype=bool),
        )

    def _candidates(self, queries: np.ndarray) -> tuple[set[int], float]:
        """The sentences of the passages nearest to any of ``queries``, and the best similarity."""
        k = min(self.candidates.dense_passages, self.view.data.passage_vectors.ntotal)
        if k == 0:
            return set(), 0.0
        sims, pids = self.view.data.passage_vectors.search(queries, k)
        candidates: set[int] = set()
        known = np.array([self.view.passage_row_of_id.get(int(pid), -1) for pid in pids.ravel()]).reshape(pids.shape)
        # FAISS pads with -1 when k exceeds the vectors held; a passage store may hold passages
        # a writer added for a generation not yet live: neither is a candidate
        for row in known.ravel():
            if row >= 0:
                candidates.update(self.view.rows_of_passage[row])
        return candidates, float(sims[known >= 0].max(initial=0.0))

    def _dense_rows(self, queries: np.ndarray, rows: np.ndarray) -> dict[int, float]:
        if len(rows) == 0:
            return {}
        sims = (self.view.sentence_vectors(rows) @ queries.T).max(axis=1)
        return dict(zip(np.asarray(rows).tolist(), sims.tolist(), strict=True))

    def _dense_passages(self, queries: np.ndarray, prows: set[int]) -> dict[int, float]:
        if not prows:
            return {}
        order = np.array(sorted(prows), dtype=np.int64)
        vectors = self.view.data.passage_vectors.reconstruct_batch(self.view.passage_ids[order])
        return dict(zip(order.tolist(), (vectors @ queries.T).max(axis=1).tolist(), strict=True))

    def _type_match(self, question: Question, r: int) -> float:
        f = self.view.features[r]
        kind = question.answer_type
        if kind == "none":
            return 0.0
        if kind == "person":
            # a name other than the ones asked about
            return 1.0 if f["names"] - set(question.names) else 0.0
        return float(bool(f.get(kind, False)))

    def _speaker_match(self, question: Question, r: int, p: int) -> float:
        """1 when the sentence attributes words to the asked-for speaker, or 'he said' follows
        their attributed words; 0.7 when 'he said' follows a sentence naming them where no one
        else speaks; 0 otherwise (being mentioned is not speaking)."""
        if not question.speaker:
            return 0.0
        f = self.view.features[r]
        if not f["speech"]:
            return 0.0
        speaker = set(question.speaker)
        if speaker & f["speakers"]:
            return 1.0
        roles = f.get("role_speakers")
        for back in (r - 1, r - 2) if roles else ():
            # '…,” said the minister.' after 'Energy Minister Clara Osei …': the role names her
            if back >= 0 and self.view.doc_of_row[back] == self.view.doc_of_row[r]:
                before = self.view.row_terms[back]
                if roles & before and speaker & before:  # type: ignore[operator]
                    return 1.0
        if f["pronoun_speaker"] and r > 0 and self.view.doc_of_row[r - 1] == self.view.doc_of_row[r]:
            if speaker & self.view.features[r - 1]["speakers"]:
                return 1.0
            if speaker & self.view.row_terms[r - 1] and not self.view.features[r - 1]["speakers"]:
                return 0.7  # 'he' is not the person named when someone else spoke just before
        return 0.0


_WORK = r"(?:article|articles|story|stories|report|reports|piece|coverage)\b"


def _as_source(text: str, name: str, wanted: list[str], speaker: tuple[str, ...]) -> bool:
    """Whether ``name`` is asked about as a source: 'the CRBC article', 'CRBC's report',
    'according to CRBC', or the speaker of 'What does CRBC News say/report …'."""
    n = re.escape(name)
    if re.search(rf"{n}(?:['’]s)?\s+{_WORK}|\baccording to\s+(?:the\s+)?{n}", text, re.I):
        return True
    return bool(speaker) and set(wanted) <= set(speaker)


def _unsourced(text: str, name: str) -> str:
    """``text`` with the source ``name`` said as 'the article': 'the CRBC article' and
    'CRBC's report' become 'the article' and 'the report'; 'according to CRBC' and 'What
    does CRBC News report …', 'according to the article' and 'What does the article report …'."""
    n = rf"\b(?:the\s+)?{re.escape(name)}(?:['’]s)?"
    if not re.search(rf"\b(?:do|does|did|will|would|can)\s+{n}\s+reports?\b", text, re.I):  # 'report' is no verb
        text, k = re.subn(rf"{n}(?=\s+{_WORK})", "the", text, count=1, flags=re.I)
        if k:
            return text
    return re.sub(n, "the article", text, count=1, flags=re.I)


def _interactions(base: np.ndarray, passage: np.ndarray) -> np.ndarray:
    """How each candidate compares with the others: best of its passage by dense score, BM25
    and coverage; its dense gap to its passage's best; reciprocal ranks of its passage and of
    itself by dense score, BM25 and coverage; coverage crossed with dense score and passage coverage."""
    n = len(base)
    dense, passage_dense, bm25, coverage, passage_coverage = base[:, 0], base[:, 1], base[:, 2], base[:, 4], base[:, 8]
    groups = np.unique(passage, return_inverse=True)[1].reshape(-1)
    out = np.zeros((n, 10), dtype=np.float32)
    for col, values in ((0, dense), (1, bm25), (2, coverage)):
        best = np.full(groups.max() + 1, -np.inf, dtype=np.float32)
        np.maximum.at(best, groups, values)
        out[:, col] = values >= best[groups] - 1e-6
        if col == 0:
            out[:, 3] = values - best[groups]
    levels = np.unique(passage_dense)[::-1]
    out[:, 4] = 1.0 / (1.0 + np.searchsorted(-levels, -passage_dense))
    for col, values in ((5, dense), (6, bm25), (7, coverage)):
        order = np.argsort(-values, kind="stable")
        ranks = np.empty(n, dtype=np.float32)
        ranks[order] = np.arange(n)
        out[:, col] = 1.0 / (1.0 + ranks)
    out[:, 8] = coverage * dense
    out[:, 9] = coverage * passage_coverage
    return out


def _novelty(sentence_terms: frozenset[str], question_terms: frozenset[str]) -> float:
    """Share of the sentence's terms the question lacks: an answer says something new."""
    if not sentence_terms:
        return 0.0
    return len(sentence_terms - question_terms) / len(sentence_terms)
