"""Answer composition: verbatim evidence sentences with citations, or an honest refusal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.analyze import Question
from assistant.retrieve import Scored, Searcher
from assistant.types import Answer, Citation, PassageHit, Sentence, Statement

NOT_FOUND = "The sources don't say. The closest passages are listed below; none of them answers the question."


@dataclass(frozen=True)
class Policy:
    """When evidence counts as an answer, and how much of it to show."""

    min_score: float = 0.42  # evidence score of the best sentence
    min_coverage: float = 0.45  # IDF-weighted share of the question's terms found
    min_names: float = 0.5  # share of the question's proper names found
    margin: float = 0.06  # further statements must score within this of the best
    max_statements: int = 3
    same_as: float = 0.80  # cosine above which two sentences say the same thing
    same_terms: float = 0.6  # or Jaccard of their terms above this


def answers_question(best: Scored, policy: Policy) -> bool:
    """Whether the best evidence covers the question well enough to be stated."""
    return best.score >= policy.min_score and best.coverage >= policy.min_coverage and best.names >= policy.min_names


def compose(question: Question, ranked: list[Scored], searcher: Searcher, *, k: int, policy: Policy = Policy()) -> Answer:
    passages = _passage_hits(searcher, ranked, k)
    if not ranked or not answers_question(ranked[0], policy):
        return Answer(question.text, False, NOT_FOUND, (), passages, (), question.resolved)
    groups = _select(ranked, searcher, policy)
    citations: list[Citation] = []
    statements: list[Statement] = []
    for group in groups:
        ids = []
        for sentence, score in group:
            citations.append(_citation(searcher, len(citations) + 1, sentence, score))
            ids.append(len(citations))
        statements.append(Statement(group[0][0].text, tuple(ids)))
    text = " ".join(f"{s.text} " + "".join(f"[{i}]" for i in s.citations) for s in statements)
    return Answer(question.text, True, text, tuple(citations), passages, tuple(statements), question.resolved)


def _select(ranked: list[Scored], searcher: Searcher, policy: Policy) -> list[list[tuple[Sentence, float]]]:
    """The best sentences as statements; each statement also cites what other sources say alike."""
    best = ranked[0].score
    used: set[int] = set()
    groups: list[list[tuple[Sentence, float]]] = []
    for cand in ranked:
        if len(groups) == policy.max_statements or cand.score < best - policy.margin:
            break
        if cand.sentence.id in used or any(_same(searcher, cand.sentence, g[0][0], policy) for g in groups):
            continue
        group = [(cand.sentence, cand.score)]
        used.add(cand.sentence.id)
        for twin, similarity in _twins(searcher, cand.sentence, policy):
            if twin.id not in used:
                group.append((twin, cand.score * similarity))
                used.add(twin.id)
        groups.append(group)
    return groups


def _twins(searcher: Searcher, sentence: Sentence, policy: Policy) -> list[tuple[Sentence, float]]:
    """Sentences of other documents that say the same as ``sentence``."""
    row = searcher.row_of_id[sentence.id]
    sims = searcher.vectors @ searcher.vectors[row]
    out = []
    seen_docs = {sentence.doc_id}
    for r in np.argsort(-sims)[:8]:
        other = searcher.rows[int(r)]
        if other.doc_id in seen_docs:
            continue
        if sims[r] >= policy.same_as or _jaccard(searcher, row, int(r)) >= policy.same_terms:
            out.append((other, float(max(sims[r], 0.0))))
            seen_docs.add(other.doc_id)
    return out


def _same(searcher: Searcher, a: Sentence, b: Sentence, policy: Policy) -> bool:
    ra, rb = searcher.row_of_id[a.id], searcher.row_of_id[b.id]
    cos = float(searcher.vectors[ra] @ searcher.vectors[rb])
    return cos >= policy.same_as or _jaccard(searcher, ra, rb) >= policy.same_terms


def _jaccard(searcher: Searcher, a: int, b: int) -> float:
    ta, tb = searcher.row_terms[a], searcher.row_terms[b]
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def _citation(searcher: Searcher, n: int, s: Sentence, score: float) -> Citation:
    doc = searcher.data.documents[s.doc_id]
    return Citation(n, s.doc_id, doc.title, doc.file, s.start, s.end, s.text, round(score, 4), doc.page_of(s.start))


def _passage_hits(searcher: Searcher, ranked: list[Scored], k: int) -> tuple[PassageHit, ...]:
    hits = []
    for p, score in searcher.passage_rank(ranked, k):
        doc = searcher.data.documents[p.doc_id]
        text = searcher.data.texts[p.doc_id][p.start : p.end]
        hits.append(PassageHit(p.doc_id, doc.title, doc.file, p.start, p.end, text, round(score, 4), doc.page_of(p.start)))
    return tuple(hits)
