"""The facade: ``Assistant.open(config).ask(question)``. Adapters use only this."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from assistant.config import Config
from assistant.types import Answer, Document, Sentence

History = Sequence["str | Mapping[str, object]"]
# progress(stage, done, total): stage is "files" or "sentences"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence close to some text, for claim checking."""

    sentence: Sentence
    dense: float  # cosine similarity of embeddings, -1..1
    lexical: float  # share of the text's content words found in the sentence, 0..1


class Assistant:
    """Question answering over one folder of articles and its index (IN PROGRESS)."""

    @classmethod
    def open(cls, config: Config, *, embedder=None, progress: Progress | None = None) -> Assistant:
        """Load the index, building or updating it first when missing or stale."""
        raise NotImplementedError

    def ask(self, question: str, history: History = (), *, k: int | None = None) -> Answer:
        """Answer from the sources only, every statement cited; history holds earlier questions."""
        raise NotImplementedError

    def closest(self, text: str, *, per_doc: int = 3) -> list[ScoredSentence]:
        """The searchable sentences closest to ``text``, up to ``per_doc`` per document."""
        raise NotImplementedError

    def documents(self) -> list[Document]:
        raise NotImplementedError

    def text(self, doc_id: str) -> str:
        """The decoded text that the document's offsets point into."""
        raise NotImplementedError

    def sentences(self, doc_id: str) -> list[Sentence]:
        """All sentences of a document (boilerplate included), in order."""
        raise NotImplementedError

    def refresh(self) -> bool:
        """Reload if another process changed the index on disk; True when it did."""
        raise NotImplementedError
