"""The learned reader: a cross-encoder trained here (``training/train_reader.py``) that reads
each of retrieval's best candidates with its question and says how likely it is to hold the
answer. It decides which sentence leads, which others are worth citing, and whether any
sentence answers at all.

The model is one int8 ONNX file shipped in the package, run with onnxruntime: answering
needs neither torch nor a network. Its SHA-256 is recorded in ``reader.json`` beside it and
checked on load, so a damaged or swapped file is an error, not quietly different answers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ReaderError
from assistant.files import sha256_file
from assistant.index.embed import onnx_session
from assistant.search.reader_input import encode_pairs, load_tokenizer, pair_text, sentence_tokens
from assistant.search.retrieve import Scored
from assistant.search.view import IndexView

DATA = Path(__file__).resolve().parents[1] / "data"
MANIFEST = DATA / "reader.json"


@dataclass(frozen=True)
class ReaderSpec:
    """What ``reader.json`` records of the shipped model."""

    file: Path
    sha256: str
    threshold: float  # logit: below it for every candidate, the sources don't say
    window_cost: float  # probability per character a neighbouring sentence must pay for
    margin: float  # logits: further statements must score within this of the best
    candidates: int  # how many of retrieval's best are read
    mix: float = 0.0  # weight of retrieval's score beside the reader's logit
    rules: tuple[str, ...] = ()  # the hand-written rules of ``answer.compose.RULES`` that still paid on validation
    trust: float = 2.0  # the reader's probability above which its answer stands whatever the refusal rules say
    span: float = 0.0  # weight of the answer words' score against "no answer words" beside the logit
    unsure: float | None = None  # below this score an answer is flagged unsure (fit_reader.pick_unsure)
    min_coverage: float = 0.0  # the 'coverage' rule's level (fit_reader.pick_coverage)

    @classmethod
    def load(cls, manifest: Path = MANIFEST) -> ReaderSpec:
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ReaderError(f"The reader's manifest {manifest} cannot be read: {e}") from e
        return cls(
            manifest.with_name(meta["file"]),
            meta["sha256"],
            float(meta["threshold"]),
            float(meta["window_cost"]),
            float(meta["margin"]),
            int(meta["candidates"]),
            float(meta.get("mix", 0.0)),
            tuple(meta.get("rules", ())),
            float(meta.get("trust", 2.0)),
            float(meta.get("span", 0.0)),
            float(meta["unsure"]) if meta.get("unsure") is not None else None,
            float(meta.get("min_coverage", 0.0)),
        )


def checked_model(path: Path, sha256: str, what: str) -> Path:
    """``path``, a shipped model file, after checking it is there with the recorded SHA-256.

    Raises:
        ReaderError: the file is missing or its content is not the recorded one.
    """
    if not path.is_file():
        raise ReaderError(f"The {what} model {path} is missing; reinstall the package.")
    if sha256_file(path) != sha256:
        raise ReaderError(f"The {what} model {path} is not the recorded one (SHA-256 differs); reinstall.")
    return path


class Reader:
    """Scores (question, candidate sentence) pairs; higher logits hold the answer more surely."""

    def __init__(self, session: Any, spec: ReaderSpec) -> None:
        self.session = session
        self.spec = spec
        self.tokenizer = load_tokenizer()

    @classmethod
    def load(cls, manifest: Path = MANIFEST) -> Reader:
        """Open the shipped model after checking its SHA-256 against the manifest.

        Raises:
            ReaderError: the file is missing or its content is not the recorded one.
        """
        spec = ReaderSpec.load(manifest)
        return cls.from_file(checked_model(spec.file, spec.sha256, "reader"), spec)

    @classmethod
    def from_file(cls, path: Path, spec: ReaderSpec) -> Reader:
        """A reader over any exported model file, unchecked: for training and fitting."""
        # most laptops have two cores or more to spare for one question
        return cls(onnx_session(path, threads=2), spec)

    def logits(self, question: str, candidates: Sequence[tuple[str, str, str]]) -> np.ndarray:
        """One logit per (sentence, previous sentence, title)."""
        return self.read(question, candidates)[0]

    def read(
        self, question: str, candidates: Sequence[tuple[str, str, str]]
    ) -> tuple[np.ndarray, list[tuple[int, int] | None]]:
        """One logit per (sentence, previous sentence, title), and per sentence the answer
        words the reader is sure enough of, as character offsets into the sentence."""
        logits, _, words = self.scores(question, candidates)
        return logits, words

    def scores(
        self, question: str, candidates: Sequence[tuple[str, str, str]]
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int] | None]]:
        """Per candidate: the sentence head's logit; the span head's margin, how much more
        likely its best answer words inside the sentence are than no answer words ([CLS],
        SQuAD 2.0's null answer); and the answer words it is sure enough of."""
        if not candidates:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32), []
        # A story syndicated to many articles brings the same pair many times: each distinct
        # pair (its text, and where the sentence ends in it) is read once. The batch holds
        # the same distinct pairs, so its padding and its int8 activation scales, taken over
        # the whole batch, are those of reading every copy: the outputs are the same.
        distinct: dict[tuple[str, int], int] = {}
        read_as = [distinct.setdefault((pair_text(*c), len(c[0])), len(distinct)) for c in candidates]
        pairs = list(distinct)
        ids, mask, types, encodings = encode_pairs(self.tokenizer, [question] * len(pairs), [t for t, _ in pairs])
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        logits, starts, ends = self.session.run(None, feed)
        spans = [_span(e, chars, s, t) for e, (_, chars), s, t in zip(encodings, pairs, starts, ends, strict=True)]
        margins = np.array([spans[i][1] for i in read_as], dtype=np.float32)
        return logits.astype(np.float32).reshape(-1)[read_as], margins, [spans[i][0] for i in read_as]

    def rerank(
        self, question: str, ranked: list[Scored], view: IndexView, *, each_source: bool = False
    ) -> list[Scored]:
        """The first ``spec.candidates`` of ``ranked`` read and re-ordered (see ``combine``);
        with ``each_source``, each source's best candidate is among those read, room allowing."""
        if each_source:
            ranked = spread(ranked, self.spec.candidates)
        read = ranked[: self.spec.candidates]
        logits, margins, words = self.scores(question, [_candidate(view, s) for s in read])
        return combine(ranked, logits, words, self.spec, margins)


def spread(ranked: list[Scored], n: int) -> list[Scored]:
    """``ranked`` with each document's best candidate among the first ``n`` (the best
    documents first, while there is room), the rest of the first ``n`` filled in rank order."""
    firsts: dict[str, int] = {}
    for i, s in enumerate(ranked):
        firsts.setdefault(s.sentence.doc_id, i)
    head = set(list(firsts.values())[:n])
    others = [i for i in range(len(ranked)) if i not in head]
    head.update(others[: n - len(head)])
    return [ranked[i] for i in sorted(head)] + [ranked[i] for i in others if i not in head]


def combine(
    ranked: list[Scored],
    logits: np.ndarray,
    words: Sequence[tuple[int, int] | None],
    spec: ReaderSpec,
    margins: np.ndarray | None = None,
) -> list[Scored]:
    """``ranked`` re-scored by the reader's ``logits`` for its first ``len(logits)`` candidates.

    A candidate's ``score`` becomes its logit, plus ``spec.span`` times the span head's
    margin (``Reader.scores``), plus ``spec.mix`` times how far retrieval's score for it
    falls below retrieval's best (0 for the best, negative for the others): they disagree
    in different ways, and together rank better than any alone on validation. ``prob`` is
    the sentence head's own probability that the sentence holds the answer. The candidates
    not read follow below every read one, with ``prob`` 0."""
    n = len(logits)
    read, rest = ranked[:n], ranked[n:]
    top = max((s.score for s in read), default=0.0)
    spans = margins if margins is not None and spec.span else np.zeros(n, dtype=np.float32)
    scored = [
        replace(s, score=float(z) + spec.span * float(m) + spec.mix * (s.score - top), prob=_sigmoid(float(z)), words=w)
        for s, z, m, w in zip(read, logits, spans, words, strict=True)
    ]
    scored.sort(key=lambda s: -s.score)
    floor = min((s.score for s in scored), default=0.0)
    return scored + [replace(s, score=floor - 1.0 - i, prob=0.0, words=None) for i, s in enumerate(rest)]


def _candidate(view: IndexView, scored: Scored) -> tuple[str, str, str]:
    return (scored.sentence.text, *view.context(scored.sentence))


MAX_ANSWER_TOKENS = 30
MIN_WORDS_PROB = 0.3  # below it the reader is unsure where the answer words are: none are marked


NO_WORDS = -20.0  # the span margin of a sentence with no token to read


def _span(encoding: Any, chars: int, starts: np.ndarray, ends: np.ndarray) -> tuple[tuple[int, int] | None, float]:
    """The most likely answer span inside the sentence (start and end token, in order, at
    most ``MAX_ANSWER_TOKENS`` apart) as character offsets, if its probability reaches
    ``MIN_WORDS_PROB`` (the whole sentence is no answer span); and the log-odds of that
    span against the null answer, [CLS] as both start and end."""
    inside = sentence_tokens(encoding, chars)
    if not inside:
        return None, NO_WORDS
    p_start, p_end = _softmax(starts[: len(encoding.ids)]), _softmax(ends[: len(encoding.ids)])
    idx = np.array([i for i, _, _ in inside])
    pairs = np.triu(np.outer(p_start[idx], p_end[idx]))  # start no later than end …
    pairs -= np.triu(pairs, MAX_ANSWER_TOKENS)  # … and not too far from it
    first, last = np.unravel_index(int(np.argmax(pairs)), pairs.shape)
    best, span = float(pairs[first, last]), (inside[first][1], inside[last][2])
    margin = float(starts[idx[first]] + ends[idx[last]] - starts[0] - ends[0])  # softmax's sums cancel
    if best < MIN_WORDS_PROB or span == (inside[0][1], inside[-1][2]):
        return None, margin
    return span, margin


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0


@lru_cache(maxsize=1)
def default_reader() -> Reader:
    """The shipped reader, loaded once per process."""
    return Reader.load()
