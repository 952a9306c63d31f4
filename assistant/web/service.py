"""The assistant as the web app uses it: serialised calls, cheap refresh, cached sources."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer.claims import ClaimCheck, validate_claim
from assistant.core import LISTED_DOCUMENTS
from assistant.errors import Cancelled, DocumentError
from assistant.index.indexer import SyncReport
from assistant.types import Answer, AnswerSpan, Citation, Document, FileOutcome, Sentence
from assistant.web import render

if TYPE_CHECKING:
    from assistant.core import Assistant


class Service:
    """The assistant as the web app uses it: one call at a time, cheap refresh, cached sources."""

    def __init__(self, assistant: Assistant, refresh_every: float = 1.0) -> None:
        self.assistant = assistant
        self.refresh_every = refresh_every
        # One question at a time: the reader's tokenizer and the index view are not shared
        # across threads. A write (add, remove) takes its own lock instead: it works on its own
        # copy of the index and publishes a new generation when done, so questions keep being
        # answered from the published one meanwhile (the embedder's ONNX session and its
        # fixed-setting tokenizer are safe to share).
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._cancel = threading.Event()  # set to stop the running add at its next progress step
        self._checked = time.monotonic()
        self._docs: dict[str, Document] | None = None
        self._texts: dict[str, tuple[str, list[Sentence]]] = {}

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked >= self.refresh_every:
            self._checked = now
            if self.assistant.refresh():
                self._docs, self._texts = None, {}

    def ask(
        self, question: str, history: Sequence[str | Mapping[str, object]] = (), as_of: str | None = None
    ) -> Answer:
        with self._lock:
            self._refresh()
            return self.assistant.ask(question, history, as_of=as_of)

    def check(self, claim: object) -> ClaimCheck:
        text = validate_claim(claim)
        with self._lock:
            self._refresh()
            # each document of a collection (the cached list, not read again); of an archive,
            # only the documents with close sentences ([]: those the check finds)
            listed = self.assistant.document_count() <= LISTED_DOCUMENTS
            return self.assistant.check(text, list(self._documents().values()) if listed else [])

    def add(
        self,
        paths: Sequence[Path],
        progress: Any = None,
        names: Mapping[Path, str] | None = None,
        refused: Sequence[DocumentError] = (),
    ) -> str:
        """Index uploaded files (the same code as ``assistant add``); an HTML report naming them by ``names``.

        ``refused`` are uploads refused before reading (not the page's own uploads): they
        are reported with the rest.
        """
        report = SyncReport()
        if paths:
            with self._write_lock:
                self._cancel.clear()

                def tracked(stage: str, done: int, total: int) -> None:
                    if self._cancel.is_set():
                        raise Cancelled("The add was cancelled: nothing of it was added.")
                    if progress is not None:
                        progress(stage, done, total)

                report = self.assistant.add(list(paths), progress=tracked, names=names)
            with self._lock:
                self._docs, self._texts = None, {}
        report.errors[:0] = refused
        report.files[:0] = [FileOutcome(e.path, "refused", e.reason) for e in refused]
        return render.render_add_report(report)

    def cancel_add(self) -> bool:
        """Ask a running add to stop at its next progress step; whether one was running."""
        running = self._write_lock.locked()
        if running:
            self._cancel.set()
        return running

    def remove(self, doc_id: str) -> str:
        """Take a document out of the index (the same code as ``assistant remove``)."""
        with self._write_lock:
            doc = self.assistant.remove(doc_id)
        with self._lock:
            self._docs, self._texts = None, {}
        return f'<p class="ok-text">Removed {render.esc(doc.title)} (<code>{render.esc(doc.doc_id)}</code>).</p>'

    def documents(self) -> list[Document]:
        with self._lock:
            self._refresh()
            return list(self._documents().values())

    def _documents(self) -> dict[str, Document]:
        if self._docs is None:
            self._docs = {d.doc_id: d for d in self.assistant.documents()}
        return self._docs

    def source(
        self, doc_id: str, citations: Sequence[Any] = (), active: int | None = None, words: AnswerSpan | None = None
    ) -> str:
        """The article rendered with ``citations`` marked; '' for an unknown document."""
        with self._lock:
            # one record, not every document's: an archive holds hundreds of thousands
            doc = self._docs.get(doc_id) if self._docs is not None else self.assistant.document(doc_id)
            if doc is None:
                return ""
            if doc_id not in self._texts:
                self._texts[doc_id] = (self.assistant.text(doc_id), self.assistant.sentences(doc_id))
            text, sentences = self._texts[doc_id]
        return render.render_source(doc, text, sentences, citations, active=active, words=words)

    def checked_sources(self, result: ClaimCheck) -> dict[str, str]:
        """Each deciding source's article rendered with its deciding sentence marked."""
        out = {}
        for src in result.sources:
            if src.evidence is not None:
                mark = Citation(
                    1, src.doc_id, src.title, "", src.evidence.start, src.evidence.end, src.evidence.text, 0.0
                )
                out[src.doc_id] = self.source(src.doc_id, [mark], active=1)
        return out

    def cited_sources(self, answer: Answer) -> dict[str, str]:
        by_doc: dict[str, list[Any]] = {}
        for c in answer.citations:
            by_doc.setdefault(c.doc_id, []).append(c)
        return {doc_id: self.source(doc_id, cits, words=answer.answer_span) for doc_id, cits in by_doc.items()}
