"""The claim verifier: a cross-encoder trained here (``training/train_verifier.py``) that reads
a claim against one evidence sentence (with the sentence before it and the article's
title, as the reader sees a candidate) and says whether the evidence supports it,
contradicts it, or neither.

One int8 ONNX file shipped in the package, run with onnxruntime; its SHA-256 and the
decision thresholds chosen on validation are recorded in ``verifier.json`` beside it and
the hash is checked on load.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ReaderError
from assistant.index.embed import onnx_session
from assistant.search import reader_input
from assistant.search.reader import checked_model
from assistant.search.reader_input import encode_pairs

DATA = Path(__file__).resolve().parents[1] / "data"
MANIFEST = DATA / "verifier.json"
MAX_TOKENS = 128  # a claim and its evidence sentence with context
BATCH = 32

SUPPORTS, CONTRADICTS, NEITHER = 0, 1, 2


@dataclass(frozen=True)
class VerifierSpec:
    """What ``verifier.json`` records of the shipped model."""

    file: Path
    sha256: str
    supports: float = 0.5  # probability of 'supports' from which a sentence supports the claim
    contradicts: float = 0.5  # probability of 'contradicts' from which a sentence contradicts it
    # the share of a claim's other words a sentence with one changed fact must hold to
    # contradict it while the model is unsure (``answer/claims.py: swapped_fact``)
    swap_coverage: float = 1.0
    # the same for a fact swapped in the same words ('told Reuters' against 'told AFP';
    # ``answer/claims.py: anchored_swap``); above 1: never
    anchor_coverage: float = 2.0
    # the probability of 'contradicts' from which a sentence contradicts the claim when no
    # conflicting words can be found in it
    unaligned_contradicts: float = 0.5
    # below this probability of 'supports', a supporting sentence must share a word of the
    # claim that is not a name or a number (0: any)
    content_below: float = 0.0

    @classmethod
    def load(cls, manifest: Path = MANIFEST) -> VerifierSpec:
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ReaderError(f"The verifier's manifest {manifest} cannot be read: {e}") from e
        return cls(
            manifest.with_name(meta["file"]),
            meta["sha256"],
            float(meta.get("supports", 0.5)),
            float(meta.get("contradicts", 0.5)),
            float(meta.get("swap_coverage", 1.0)),
            float(meta.get("anchor_coverage", 2.0)),
            float(meta.get("unaligned_contradicts", meta.get("contradicts", 0.5))),
            float(meta.get("content_below", 0.0)),
        )


def load_tokenizer() -> Any:
    """The reader's WordPiece tokenizer, truncating at ``MAX_TOKENS``."""
    return reader_input.load_tokenizer(MAX_TOKENS)


class Verifier:
    """Probabilities of supports / contradicts / neither for (claim, evidence) pairs."""

    def __init__(self, session: Any, spec: VerifierSpec) -> None:
        self.session = session
        self.spec = spec
        self.tokenizer = load_tokenizer()
        self._inputs = [i.name for i in session.get_inputs()]

    @classmethod
    def load(cls, manifest: Path = MANIFEST) -> Verifier:
        """Open the shipped model after checking its SHA-256 against the manifest.

        Raises:
            ReaderError: the file is missing or its content is not the recorded one.
        """
        spec = VerifierSpec.load(manifest)
        return cls(onnx_session(checked_model(spec.file, spec.sha256, "verifier"), threads=2), spec)

    @classmethod
    def from_file(cls, path: Path) -> Verifier:
        """A verifier over any exported file, unchecked: for training and evaluation."""
        return cls(onnx_session(path, threads=2), VerifierSpec(path, ""))

    def probabilities(self, claims: Sequence[str], evidence: Sequence[str]) -> np.ndarray:
        """An (n, 3) array: supports, contradicts, neither, for each pair."""
        out = np.zeros((len(claims), 3), dtype=np.float32)
        for at in range(0, len(claims), BATCH):
            ids, mask, types, _ = encode_pairs(
                self.tokenizer, list(claims[at : at + BATCH]), list(evidence[at : at + BATCH])
            )
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            logits = self.session.run(None, {k: feed[k] for k in self._inputs})[0]
            z = np.exp(logits - logits.max(axis=1, keepdims=True))
            out[at : at + BATCH] = z / z.sum(axis=1, keepdims=True)
        return out


@lru_cache(maxsize=1)
def default_verifier() -> Verifier:
    """The shipped verifier, loaded once per process."""
    return Verifier.load()
