"""The assistant's data model: frozen dataclasses; JSON is made from them.

A document's text is addressed by character offsets into the decoded text of
``Document.file``: for a sentence ``s`` of document ``d``,
``read_text(d.file)[s.start:s.end] == s.text`` always holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any, Literal

from assistant.display import plain

Format = Literal["txt", "md", "html", "pdf"]

# What a sentence is in the page it came from; only "body" and "headline" are searched.
Kind = Literal["body", "headline", "caption", "promo", "furniture", "section", "credit"]
SEARCHABLE_KINDS: frozenset[str] = frozenset({"body", "headline"})


@dataclass(frozen=True)
class DocumentMeta:
    """What is known about an article; None where unknown."""

    title: str | None = None
    publisher: str | None = None
    credit: str | None = None
    section: str | None = None
    published: str | None = None
    author: str | None = None
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LoadedText:
    """The text of one file as the assistant reads it.

    ``text`` is what offsets point into. For .txt/.md it is the file's decoded
    content; for .html/.pdf it is the extracted text, which the store saves
    beside the index. ``pages`` holds one (start, end) range per PDF page;
    ``sha256`` is the hash of the very bytes the text was read from.
    """

    text: str
    format: Format
    meta: DocumentMeta = field(default_factory=DocumentMeta)
    pages: tuple[tuple[int, int], ...] = ()
    encoding: str = "utf-8"
    sha256: str = ""


@dataclass(frozen=True)
class FileOutcome:
    """What adding one file did. ``name`` is the file as the user knows it; ``detail``
    is the doc id it was indexed or found under, or the reason it was refused."""

    name: str
    status: Literal["added", "updated", "skipped", "refused"]
    detail: str = ""

    def __str__(self) -> str:
        name = plain(self.name)
        if self.status == "refused":
            return f"refused {name}: {self.detail}"
        if self.status == "skipped":
            return f"skipped {name} (already indexed as {plain(self.detail)})"
        renamed = self.detail and self.detail != PurePath(self.name).name
        return f"{self.status} {name}" + (f" as {plain(self.detail)}" if renamed else "")


@dataclass(frozen=True)
class Document:
    """An indexed article."""

    doc_id: str  # path relative to the docs folder (or the name given on add)
    source: str  # the original file
    file: str  # the file whose decoded text offsets point into
    format: Format
    sha256: str  # hash of the original file's bytes
    meta: DocumentMeta
    n_sentences: int
    added_at: str  # ISO 8601, UTC
    pages: tuple[tuple[int, int], ...] = ()
    dating: Dating = field(default_factory=lambda: Dating())
    # the original file's (size, mtime_ns) when it was hashed, and when that was (time_ns):
    # an update trusts an unchanged size and time instead of hashing the file again
    stat: tuple[int, int, int] | None = None

    @property
    def title(self) -> str:
        return self.meta.title or self.doc_id

    def record(self, *, paths: bool = False) -> dict[str, object]:
        """The document as JSON for listings: its date as a citation gives it (``published``,
        ``published_from``, ``published_inferred``); the server paths of its files only with
        ``paths`` (the CLI, run by the user on their own machine; never the web API)."""
        out: dict[str, object] = {
            "doc_id": self.doc_id,
            "title": self.title,
            "format": self.format,
            "sentences": self.n_sentences,
            "added_at": self.added_at,
            "sha256": self.sha256,
            "published": self.dating.published,
            "published_from": self.dating.source,
            "published_inferred": self.dating.inferred,
            "meta": self.meta.to_dict(),
        }
        if paths:
            out["file"], out["source"] = self.file, self.source
        return out

    def page_of(self, offset: int) -> int | None:
        """The 1-based page holding ``offset`` (PDF only)."""
        for number, (start, end) in enumerate(self.pages, 1):
            if start <= offset < end:
                return number
        return None


@dataclass(frozen=True)
class Sentence:
    """A sentence with its offsets: the unit of citation."""

    id: int  # stable across index updates
    doc_id: str
    start: int
    end: int
    text: str
    position: int  # ordinal in the document
    passage: int  # ordinal of the passage (paragraph group) holding it
    kind: Kind = "body"

    @property
    def searchable(self) -> bool:
        return self.kind in SEARCHABLE_KINDS


@dataclass(frozen=True)
class Citation:
    """A cited sentence; ``id`` is the n of its ``[n]`` marker."""

    id: int
    doc_id: str
    title: str
    file: str
    start: int
    end: int
    text: str
    score: float
    page: int | None = None
    published: str | None = None  # the article's date, ISO 8601 (see Dating)
    published_from: str | None = None  # metadata | html | pdf | text
    published_inferred: bool = False
    published_evidence: TextSpan | None = None  # the sentence an inferred or dateline date came from
    dates: tuple[DateSpan, ...] = ()  # dates told inside the cited text, resolved


@dataclass(frozen=True)
class PassageHit:
    """A retrieved passage listed beside the answer."""

    doc_id: str
    title: str
    file: str
    start: int
    end: int
    text: str
    score: float
    page: int | None = None


@dataclass(frozen=True)
class Statement:
    """One sentence of the answer and the citations that support it."""

    text: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class AnswerSpan:
    """The answer words the reader found inside a citation: offsets into the same file."""

    citation: int
    start: int
    end: int
    text: str


def answer_text(statements: Iterable[Statement]) -> str:
    """The plain answer: each statement followed by its ``[n]`` markers."""
    return " ".join(f"{s.text} " + "".join(f"[{i}]" for i in s.citations) for s in statements)


@dataclass(frozen=True)
class Answer:
    """An answer whose every statement is a verbatim, cited passage."""

    question: str
    found: bool
    answer: str
    citations: tuple[Citation, ...]
    passages: tuple[PassageHit, ...]
    statements: tuple[Statement, ...] = ()
    resolved_question: str | None = None
    as_of: str | None = None  # the day time words in the question were counted from
    time_window: TimeWindow | None = None  # what the question's time words asked for
    time_note: str | None = None  # when no source is from that time: said apart from the quoted statements
    # with no as-of day given, over a collection older than the time asked about, time words
    # are counted from its newest article's date: this says so ('as of 14 Jan 2026, …')
    as_of_note: str | None = None
    answer_span: AnswerSpan | None = None
    # the reader's best score is below the level under which, on validation, an answer's
    # first citation held the answer at most a third of the time: it may not answer at all
    unsure: bool = False
    # a yes/no question answered by the claim verifier: 'yes' (a source says so), 'no' (a
    # source says otherwise, none says so) or 'disputed' (sources disagree); None otherwise
    yes_no: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- time: when articles were published and the dates they tell --------------------------

PublishedFrom = Literal["metadata", "html", "pdf", "text"]


@dataclass(frozen=True)
class Dating:
    """When an article was published, how that is known, and the dates told in its text.

    ``published`` is an ISO day or None. ``inferred``: the text only implies it (the year
    a weekday and a day fit, or the same report in a dated article); ``evidence`` is then,
    or for a dateline, the (start, end) of the sentence it came from. ``mentions`` are the
    date expressions of the text as (start, end, value), values as in ``assistant.language.dates``.
    """

    published: str | None = None
    source: PublishedFrom | None = None
    inferred: bool = False
    evidence: tuple[int, int] | None = None
    mentions: tuple[tuple[int, int, str | None], ...] = ()


@dataclass(frozen=True)
class TextSpan:
    """A stretch of a cited file: ``file[start:end] == text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class DateSpan:
    """A date told in a cited sentence: ``file[start:end] == text``, resolved to ``value``
    ('2026-01-13', '2026-01', '2025', or 'first/last'); ``label`` reads 'Tue 13 Jan 2026'."""

    start: int
    end: int
    text: str
    value: str | None
    label: str | None = None


@dataclass(frozen=True)
class TimeWindow:
    """The days a question's time words ask about ('this week' as of a day)."""

    start: str
    end: str
    label: str  # 'the week of 5 Jan 2026'
    words: str  # the question's words: 'this week'


@dataclass(frozen=True)
class PassageRow:
    """A paragraph-aware group of sentences: the unit of recall."""

    id: int
    doc_id: str
    start: int
    end: int
    first: int  # position of its first sentence in the document
    last: int  # position of its last sentence
