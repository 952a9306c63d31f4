"""Claim checking: how close does each source come to a pasted sentence?

The verdict is a measure of closeness, not of truth. ``Assistant.closest`` scores
every searchable sentence against the claim twice: ``dense`` (cosine of sentence
embeddings) and ``lexical`` (share of the claim's content words found in the
sentence). A source *supports* the claim only when one of its sentences is close
on both, i.e. says nearly the same thing in nearly the same words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from assistant.config import MAX_QUESTION_CHARS, is_text
from assistant.errors import InvalidQuestion

if TYPE_CHECKING:
    from assistant.core import ScoredSentence
    from assistant.types import Document

Verdict = Literal["supported", "related", "nothing"]

LABELS: dict[str, str] = {
    "supported": "supported by a near-verbatim passage",
    "related": "related passages only",
    "nothing": "nothing in the sources",
}

# Shown beside every verdict: what closeness can and cannot tell.
MEANING = (
    "“Supported” means one sentence of the source says nearly the same thing in "
    "nearly the same words (embedding similarity ≥ {dense:.2f} and ≥ {lexical:.0%} of "
    "the claim's content words). “Related” means the source talks about the same "
    "things but no sentence matches closely: read the passages yourself. "
    "“Nothing” means no sentence comes close."
)
LIMITS = (
    "The check compares wording, it does not reason. It cannot detect a negation "
    "(“Lee did not tell NHK…” can look supported), a changed number, date or name "
    "inside an otherwise identical sentence, or a paraphrase that contradicts the "
    "source; and it only knows the indexed articles, not whether they are right."
)
_RANK = {"supported": 2, "related": 1, "nothing": 0}


@dataclass(frozen=True)
class Thresholds:
    """Where the verdicts change; calibrated on all-MiniLM-L6-v2 over the seeds."""

    supported_dense: float = 0.85
    supported_lexical: float = 0.6
    related_dense: float = 0.45
    related_lexical: float = 0.5

    def verdict(self, dense: float, lexical: float) -> Verdict:
        if dense >= self.supported_dense and lexical >= self.supported_lexical:
            return "supported"
        if dense >= self.related_dense or lexical >= self.related_lexical:
            return "related"
        return "nothing"


@dataclass(frozen=True)
class CheckedPassage:
    """A sentence of a source close to the claim, with its scores and verdict."""

    doc_id: str
    start: int
    end: int
    text: str
    dense: float
    lexical: float
    verdict: Verdict


@dataclass(frozen=True)
class SourceCheck:
    """The verdict of one source: that of its best passage."""

    doc_id: str
    title: str
    verdict: Verdict
    label: str
    passages: tuple[CheckedPassage, ...]


@dataclass(frozen=True)
class ClaimCheck:
    """The verdict over all sources (the best one) and the verdict of each."""

    claim: str
    verdict: Verdict
    label: str
    sources: tuple[SourceCheck, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_claim(claim: object, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """The claim stripped of surrounding space.

    Raises:
        InvalidQuestion: not a string, empty, whitespace-only, without a word, or longer than max_chars.
    """
    if not isinstance(claim, str) or not claim.strip():
        raise InvalidQuestion("The claim is empty: paste a sentence to check.")
    if len(claim) > max_chars:
        raise InvalidQuestion(f"The claim is too long ({len(claim)} characters; at most {max_chars}).")
    if not is_text(claim):
        raise InvalidQuestion("The claim holds characters that are not valid text (a lone surrogate).")
    if not any(ch.isalnum() for ch in claim):
        raise InvalidQuestion("The claim has no words in it: paste a sentence to check.")
    return claim.strip()


def check_claim(
    claim: str,
    scored: Iterable[ScoredSentence],
    documents: Sequence[Document],
    thresholds: Thresholds | None = None,
) -> ClaimCheck:
    """Judge every document against ``claim`` from the sentences closest to it.

    Args:
        claim: the sentence being checked.
        scored: the output of ``Assistant.closest(claim)``.
        documents: every indexed document; one without close sentences gets "nothing".
        thresholds: where verdicts change (default: Thresholds()).

    Returns:
        The overall verdict (the best source's) and one SourceCheck per document,
        best first, each with its passages best first.
    """
    thresholds = thresholds or Thresholds()
    by_doc: dict[str, list[CheckedPassage]] = {doc.doc_id: [] for doc in documents}
    for item in scored:
        s = item.sentence
        verdict = thresholds.verdict(item.dense, item.lexical)
        passage = CheckedPassage(s.doc_id, s.start, s.end, s.text, item.dense, item.lexical, verdict)
        by_doc.setdefault(s.doc_id, []).append(passage)
    titles = {doc.doc_id: doc.title for doc in documents}
    sources = [_source(doc_id, titles.get(doc_id, doc_id), found) for doc_id, found in by_doc.items()]
    sources.sort(key=lambda src: (-_RANK[src.verdict], -_best_score(src)))
    verdict: Verdict = sources[0].verdict if sources else "nothing"
    return ClaimCheck(claim, verdict, LABELS[verdict], tuple(sources))


def _source(doc_id: str, title: str, passages: list[CheckedPassage]) -> SourceCheck:
    passages = sorted(passages, key=lambda p: (-_RANK[p.verdict], -p.dense, -p.lexical))
    verdict: Verdict = passages[0].verdict if passages else "nothing"
    return SourceCheck(doc_id, title, verdict, LABELS[verdict], tuple(passages))


def _best_score(source: SourceCheck) -> float:
    return source.passages[0].dense if source.passages else -1.0
