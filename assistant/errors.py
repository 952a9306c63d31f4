"""Errors raised by the assistant's core; adapters turn them into one clear message.

AssistantError
├── InvalidQuestion       empty, whitespace-only or oversized question
├── DocumentError         a file that cannot be taken in (carries the path)
│   ├── UnsupportedFormat
│   └── UnreadableDocument  missing, unreadable, binary, empty, too large, no text layer
├── NoDocuments           a docs folder with no readable article
├── UnknownDocument       no indexed document has that id
├── ReaderError           the shipped reader model is missing or not the recorded file
└── IndexStateError       missing, corrupt or incompatible index
    ├── IndexMismatch     built with another model or format
    │   └── IndexFormatChanged  written by another version: rebuilt when opened for update
    └── IndexLocked       another writer holds the lock
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error the assistant reports to a user."""


class Cancelled(AssistantError):
    """The user cancelled an add before it was published; nothing of it was kept."""


class InvalidQuestion(AssistantError):
    """The question is empty, whitespace-only or too long."""


class DocumentError(AssistantError):
    """A file cannot be taken into the index."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnsupportedFormat(DocumentError):
    """The file's extension is not one the assistant reads."""


class UnreadableDocument(DocumentError):
    """The file exists but yields no usable text."""


class NoDocuments(AssistantError):
    """The docs folder holds no readable article."""


class UnknownDocument(AssistantError):
    """No indexed document has the given id."""


class ReaderError(AssistantError):
    """The reader's weights are missing or not the ones recorded."""


class IndexStateError(AssistantError):
    """The index is missing, corrupt or cannot be used."""


class IndexMismatch(IndexStateError):
    """The index was built with another model, dimension or format."""


class IndexFormatChanged(IndexMismatch):
    """The index was written in another format version; a rebuild makes it current."""


class IndexLocked(IndexStateError):
    """Another process is writing the index."""
