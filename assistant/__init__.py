"""A local, citation-first question answering assistant over news articles."""

from __future__ import annotations

from assistant.config import Config
from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.types import Answer, Citation, Document, PassageHit, Sentence

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "Config",
    "Document",
    "PassageHit",
    "Sentence",
]
__version__ = "0.1.0"
