"""How a (question, candidate) pair is shown to the reader: shared by training and answering,
so that the model reads at run time exactly what it was trained on."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MAX_TOKENS = 96
_PREV_CHARS = 120  # the previous sentence's end is what 'It', 'he said' refer back to
TOKENIZER = Path(__file__).resolve().parents[1] / "data" / "reader-tokenizer.json"


def pair_text(sentence: str, prev: str, title: str) -> str:
    """The candidate first, so truncation cuts context, never the sentence; then the
    article's title and the end of the sentence before it."""
    prev = prev[-_PREV_CHARS:]
    return f"{sentence} [SEP] {title}: {prev}" if prev else f"{sentence} [SEP] {title}"


@lru_cache(maxsize=2)
def load_tokenizer(max_tokens: int = MAX_TOKENS) -> Any:
    """The reader's WordPiece tokenizer (all-MiniLM-L6-v2's), shipped beside its weights,
    truncating pairs at ``max_tokens`` (the claim verifier reads longer pairs)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_tokens, strategy="longest_first")
    return tokenizer


def encode_pairs(
    tokenizer: Any, questions: list[str], texts: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """input_ids, attention_mask, token_type_ids as int64 arrays, padded to the longest pair,
    and the encodings (for their character offsets)."""
    encodings = tokenizer.encode_batch(list(zip(questions, texts, strict=True)))
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for i, e in enumerate(encodings):
        n = len(e.ids)
        ids[i, :n], mask[i, :n], types[i, :n] = e.ids, e.attention_mask, e.type_ids
    return ids, mask, types, encodings


def sentence_tokens(encoding: Any, sentence_chars: int) -> list[tuple[int, int, int]]:
    """(token index, start, end) of the tokens inside the candidate sentence, which opens the
    second text of the pair: offsets are characters of the sentence."""
    return [
        (i, a, b)
        for i, ((a, b), t) in enumerate(zip(encoding.offsets, encoding.type_ids, strict=True))
        if t == 1 and b <= sentence_chars and b > a
    ]


def span_targets(encoding: Any, sentence_chars: int, start: int, end: int) -> tuple[int, int]:
    """The first and last token of the answer ``sentence[start:end]``; (-100, -100) when
    truncation cut it off."""
    inside = sentence_tokens(encoding, sentence_chars)
    first = next((i for i, a, b in inside if b > start), None)
    last = next((i for i, a, b in reversed(inside) if a < end), None)
    if first is None or last is None or last < first:
        return -100, -100
    return first, last
