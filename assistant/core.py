"""The facade: ``Assistant.open(config).ask(question)``. Adapters use only this."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np

from assistant.answer.claims import Candidate, ClaimCheck, Thresholds, check_claim, validate_claim
from assistant.answer.compose import Policy, compose, yes_no_answer
from assistant.answer.verifier import Verifier, default_verifier
from assistant.config import LIBRARY_PREFIX, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, Config, is_text
from assistant.errors import (
    Cancelled,
    DocumentError,
    IndexFormatChanged,
    IndexStateError,
    InvalidQuestion,
    NoDocuments,
    UnknownDocument,
)
from assistant.index import indexer, model, store
from assistant.index.embed import Embedder, load_embedder
from assistant.index.indexer import SyncReport
from assistant.index.model import IndexData, MappedIndex, WriterIndex
from assistant.index.passage_vectors import StoredPassages
from assistant.ingest import docs_folder, loaders
from assistant.language.question import analyze, yes_no_claim
from assistant.language.terms import terms
from assistant.search import timeframe
from assistant.search.reader import Reader, default_reader
from assistant.search.retrieve import Searcher
from assistant.types import Answer, Document, FileOutcome, LoadedText, Sentence

History = Sequence["str | Mapping[str, object]"]
# progress(stage, done, total): stage is "files" or "sentences"
Progress = Callable[[str, int, int], None]
Notify = Callable[[str], None]


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence close to some text, for claim checking."""

    sentence: Sentence
    dense: float  # cosine similarity of embeddings, -1..1
    lexical: float  # share of the text's content words found in the sentence, 0..1


@dataclass(frozen=True)
class _State:
    """One generation as this process has it open: its data, and the searcher over it,
    made at the first question (a writer that only adds never builds it)."""

    data: IndexData
    embedder: Embedder
    _newest: list[date | None] = field(default_factory=list)  # computed once, on first use

    @functools.cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.data, self.embedder)

    def newest_published(self) -> date | None:
        """The newest publication day of the collection's articles (None when none is
        dated), from the rows' dates: no document record is read."""
        if not self._newest:
            published = np.asarray(self.searcher.view.columns.row_published)
            dated = published[published >= 0]
            self._newest.append(date.fromordinal(int(dated.max())) if len(dated) else None)
        return self._newest[0]


class Assistant:
    """Question answering over one folder of articles and its index."""

    def __init__(self, config: Config, embedder: Embedder, data: IndexData, reader: Reader | None = None) -> None:
        self.config = config
        self.embedder = embedder
        if reader is not None:  # else the shipped one, opened at the first question
            self.__dict__["reader"] = reader
        self._state = _State(data, embedder)
        self._reload_lock = threading.Lock()
        self.last_report = SyncReport()

    @classmethod
    def open(
        cls,
        config: Config,
        *,
        embedder: Embedder | None = None,
        reader: Reader | None = None,
        progress: Progress | None = None,
        notify: Notify | None = None,
        update: bool = True,
        rebuild: bool = False,
    ) -> Assistant:
        """Load the index, building or updating it first when missing or stale.

        With ``rebuild`` the index is built from nothing (the old one stays live until
        the new one replaces it), e.g. after an incompatible model or format change.

        Raises:
            IndexMismatch: the index was built with another model.
            NoDocuments: nothing readable in the docs folder.
            IndexLocked: another writer kept the index busy too long.
        """
        if update and not config.docs_dir.is_dir():
            raise NoDocuments(f"The docs folder {config.docs_dir} does not exist.")
        if not update and store.current_generation(config.index_dir) is None:
            raise IndexStateError(f"No index at {config.index_dir}. Run 'assistant index' first.")
        embedder = embedder or load_embedder(config.model, cache_dir=str(config.cache_dir))
        data: IndexData | None
        try:
            data = None if rebuild else _open_or_none(config)
        except IndexFormatChanged:
            if not update:
                raise
            if notify:
                notify(f"The index at {config.index_dir} was written by another version; rebuilding it.")
            data, rebuild = None, True
        report = SyncReport()
        if data is not None:
            indexer.check_compatible(data, embedder, config)
        if update or rebuild:
            data, report = _update(config, embedder, data, progress, notify, fresh=rebuild)
        if data is None and not update:
            raise IndexStateError(f"No index at {config.index_dir}. Run 'assistant index' first.")
        if data is None or not data.documents:
            raise NoDocuments(_no_documents_message(config, report))
        assistant = cls(config, embedder, data, reader)
        assistant.last_report = report
        return assistant

    @functools.cached_property
    def reader(self) -> Reader:
        """The shipped reader, opened at the first question (its SHA-256 checked)."""
        return default_reader()

    @functools.cached_property
    def policy(self) -> Policy:
        spec = self.reader.spec
        return Policy.from_reader(
            spec.threshold, spec.margin, spec.window_cost, spec.rules, spec.trust, spec.unsure, spec.min_coverage
        )

    def ask(
        self, question: str, history: History = (), *, k: int | None = None, as_of: date | str | None = None
    ) -> Answer:
        """Answer from the sources only, every statement cited; history holds earlier questions.

        Time words in the question ('this week', 'on Tuesday', 'When will …') are counted
        from ``as_of`` (a date or 'YYYY-MM-DD'; today when None).

        Raises:
            InvalidQuestion: empty, whitespace-only, without a word, or longer than 2,000
                characters; or ``as_of`` is not a date.
        """
        text = validate_question(question)
        turns = validate_history(history)
        day = timeframe.as_of_day(as_of)
        state = self._state
        model.single_threaded()
        # analysed once: its terms, speaker and follow-up, the sources it names, its time window
        given = isinstance(as_of, date) or bool((as_of or "").strip())
        q = timeframe.timed(state.searcher.scoped(analyze(text, turns)), day, given, state.newest_published)
        # searched once (the articles of the asked time included), then read
        ranked, inside = state.searcher.search(q, limit=max(20, self.reader.spec.candidates))
        view = state.searcher.view
        ranked = self.reader.rerank(q.read, ranked, view, each_source=q.across)
        if q.window is not None:  # … and, read, what is from then leads
            ranked, inside = timeframe.prefer(q, ranked, view)
        answer = compose(q, ranked, view, k=k or self.config.k, policy=self.policy)
        claim = None if q.across else yes_no_claim(q.resolved)
        if claim is not None:  # 'Did Lee say …?': a claim in question form, for the verifier
            check, sentences = self._check(claim, [])  # the sources with close sentences only
            answer = yes_no_answer(answer, check, sentences, view)
        answer = timeframe.annotate(answer, view, q, inside)
        return replace(answer, as_of_note=q.as_of_note) if q.as_of_note else answer

    @functools.cached_property
    def verifier(self) -> Verifier:
        """The shipped claim verifier, opened at the first check (its SHA-256 checked)."""
        return default_verifier()

    def check(self, claim: object, documents: Sequence[Document] | None = None) -> ClaimCheck:
        """Whether the sources support ``claim``, contradict it, dispute it or do not say.

        Args:
            claim: the sentence to check.
            documents: the documents to list each with a verdict (default: every one of a
                collection of up to ``LISTED_DOCUMENTS``, else those with a sentence close to the claim).

        Raises:
            InvalidQuestion: an empty, wordless, invalid or oversized claim.
        """
        return self._check(validate_claim(claim), documents)[0]

    def _check(
        self, text: str, documents: Sequence[Document] | None
    ) -> tuple[ClaimCheck, dict[tuple[str, int], Sentence]]:
        """``check`` of a valid claim, and its candidate sentences by (doc id, start)."""
        scored = self.closest(text)
        searcher = self._state.searcher
        candidates = []
        for item in scored:
            candidates.append(Candidate(item.sentence, *searcher.view.context(item.sentence)))
        if documents is None and self.document_count() <= LISTED_DOCUMENTS:
            documents = self.documents()  # each one ("does not say" where nothing is close)
        if not documents:  # an archive, or asked for: the documents with close passages only
            found = (self.document(d) for d in sorted({c.sentence.doc_id for c in candidates}))
            documents = [d for d in found if d is not None]
        spec = self.verifier.spec
        thresholds = Thresholds(
            spec.supports,
            spec.contradicts,
            spec.swap_coverage,
            spec.anchor_coverage,
            spec.unaligned_contradicts,
            spec.content_below,
        )
        result = check_claim(text, candidates, documents, self.verifier.probabilities, thresholds)
        return result, {(c.sentence.doc_id, c.sentence.start): c.sentence for c in candidates}

    def closest(self, text: str, *, per_doc: int = 3) -> list[ScoredSentence]:
        """The searchable sentences closest to ``text``, up to ``per_doc`` per document, among
        the sentences of the passages nearest to it (every passage of a small index)."""
        text = validate_question(text)
        searcher = self._state.searcher
        model.single_threaded()
        if not searcher.view.rows:
            return []
        query = searcher.embed(text)  # one query vector, via the fast path
        # the sentences of the nearest passages (of every passage, in a small index)
        rows = np.array(
            searcher.view.near_rows(query.reshape(1, -1), searcher.candidates.claim_passages), dtype=np.int64
        )
        dense = searcher.view.sentence_vectors(rows) @ query
        wanted = set(terms(text))
        per: dict[str, int] = {}
        out = []
        for i in np.argsort(-dense, kind="stable"):
            r = int(rows[i])
            s = searcher.view.rows[r]
            if per.get(s.doc_id, 0) >= per_doc:
                continue
            per[s.doc_id] = per.get(s.doc_id, 0) + 1
            lexical = len(wanted & searcher.view.row_terms[r]) / len(wanted) if wanted else 0.0
            out.append(ScoredSentence(s, float(dense[i]), lexical))
        return out

    def documents(self) -> list[Document]:
        data = self._state.data
        return [data.documents[d] for d in sorted(data.documents)]

    def document_count(self) -> int:
        """How many documents the index holds (without reading their records)."""
        return len(self._state.data.documents)

    def document(self, doc_id: str) -> Document | None:
        """One document's record, or None when it is not in the index."""
        return self._state.data.documents.get(doc_id)

    def text(self, doc_id: str) -> str:
        """The decoded text that the document's offsets point into."""
        return self._state.data.texts[doc_id]

    def sentences(self, doc_id: str) -> list[Sentence]:
        """All sentences of a document (boilerplate included), in order."""
        return list(self._state.data.sentences[doc_id])

    @property
    def generation(self) -> str:
        return self._state.data.generation

    def refresh(self) -> bool:
        """Reload if another process changed the index on disk; True when it did."""
        live = store.current_generation(self.config.index_dir)
        if live is None or live == self._state.data.generation:
            return False
        with self._reload_lock:
            if store.current_generation(self.config.index_dir) == self._state.data.generation:
                return False
            # the segments already open are kept, and the columns grow by what was added
            data = store.load(self.config.index_dir, mapped=True, previous=self._state.data)
            indexer.check_compatible(data, self.embedder, self.config)
            self._state = _State(data, self.embedder)
        return True

    def compact(self, notify: Notify | None = None) -> int:
        """Merge the live generation's segments into one; returns how many were merged (0:
        there was one). A segment written before rows' facts were saved gets them first
        (``notify`` is told). Readers go on with what they have until their next question."""
        with store.WriterLock(self.config.index_dir):
            completed = store.complete_facts(self.config.index_dir)
            if completed and notify is not None:
                notify(
                    f"Saved the terms and text features of {len(completed)} segment(s) written by an earlier "
                    "version: questions no longer work them out from the text."
                )
            merged = len(store.live_segments(self.config.index_dir))
            if store.merge(self.config.index_dir) is None:
                return 0
        self.refresh()
        return merged

    def update(
        self, progress: Progress | None = None, notify: Notify | None = None, restore: frozenset[str] = frozenset()
    ) -> SyncReport:
        """Bring the index up to date with the docs folder and reload it."""
        return self._sync(progress, notify, restore)

    def _sync(
        self,
        progress: Progress | None,
        notify: Notify | None,
        restore: frozenset[str] = frozenset(),
        preloaded: Mapping[str, LoadedText] | None = None,
        only: Sequence[Path] | None = None,
    ) -> SyncReport:
        data, report = _update(
            self.config, self.embedder, self._state.data, progress, notify, restore, preloaded=preloaded, only=only
        )
        if data is not None and data.generation != self._state.data.generation:
            self._state = _State(data, self.embedder)
        self.last_report = report
        return report

    def add(
        self,
        paths: Sequence[Path],
        progress: Progress | None = None,
        notify: Notify | None = None,
        names: Mapping[Path, str] | None = None,
    ) -> SyncReport:
        """Copy readable articles into the docs folder and index them; bad files are listed, not raised.

        A file whose exact content is already indexed is skipped; nothing already in the
        docs folder is overwritten (a different file of the same name gets a new name).
        Every file given (or found in a folder given) gets one ``FileOutcome`` in
        ``report.files``; a file that fails in any way is refused alone.

        Args:
            paths: files and folders.
            names: how the user knows a path (an upload's own file name), for messages.
        """
        names = names or {}
        files, errors = loaders.discover(paths, exclude=[self.config.index_dir], refuse_hidden=True)
        refused = [_named(error, names) for error in errors]
        indexed = store.content_hashes(self._state.data.documents)  # content hash -> doc id
        skipped: list[FileOutcome] = []
        placed: dict[str, str] = {}  # doc id -> the file's name for the user
        preloaded: dict[str, LoadedText] = {}  # by content hash: each file is parsed once
        copied: list[str] = []  # the doc ids whose file this call copied in
        roots = [r for r in (self.config.docs_dir, self.config.library_dir) if r is not None]
        try:
            for n, path in enumerate(files, 1):
                name = names.get(path, str(path))
                inside = any(_inside(path, root) for root in roots)
                staged = self._stage(path, name, indexed)
                if isinstance(staged, DocumentError):
                    refused.append(staged)
                elif isinstance(staged, FileOutcome):
                    skipped.append(staged)
                else:
                    doc_id, loaded = staged
                    placed[doc_id] = name
                    preloaded[loaded.sha256] = loaded
                    if not inside:
                        copied.append(doc_id)
                if progress:
                    progress("files", n, len(files))
            # only the files placed: an add costs what its articles cost, not what the folder holds
            only = [self.config.path_of(doc_id) for doc_id in placed]
            update = self._sync(progress, notify, frozenset(placed), preloaded, only)
        except Cancelled:
            self._undo_add(copied)
            raise
        return self._add_report(update, refused, skipped, placed)

    def _undo_add(self, copied: Sequence[str]) -> None:
        """After a cancelled add: the copies it made deleted, and any batch it had already
        published taken out again."""
        for doc_id in copied:
            self.config.path_of(doc_id).unlink(missing_ok=True)
        if (
            any(d in self._state.data.documents for d in copied)
            or store.current_generation(self.config.index_dir) != self._state.data.generation
        ):
            self._sync(None, None)

    def _stage(
        self, path: Path, name: str, indexed: dict[str, str]
    ) -> FileOutcome | DocumentError | tuple[str, LoadedText]:
        """Read one file and copy it into the docs folder: its doc id and text, a skip, or why it is refused."""
        try:
            loaded = loaders.load(path, max_bytes=self.config.max_file_bytes)
        except DocumentError as error:
            return _named(error, names={path: name})
        except OSError as error:
            return DocumentError(name, f"cannot be read ({error.strerror or type(error).__name__})")
        except Exception as error:  # whatever else goes wrong with one file costs that file alone
            return DocumentError(name, f"could not be read ({type(error).__name__})")
        known = indexed.get(loaded.sha256)
        if known is not None:
            return FileOutcome(name, "skipped", known)
        library = self.config.library_dir
        try:
            if library is not None and not _inside(path, self.config.docs_dir):
                doc_id = LIBRARY_PREFIX + docs_folder.place(path, library, loaded.sha256)
            else:
                doc_id = docs_folder.place(path, self.config.docs_dir, loaded.sha256)
        except OSError as error:
            where = "library" if library is not None else "docs folder"
            return DocumentError(name, f"could not be copied into the {where} ({error.strerror or error})")
        indexed[loaded.sha256] = doc_id  # the same content twice in one batch is indexed once
        return doc_id, loaded

    def _add_report(
        self, update: SyncReport, refused: list[DocumentError], skipped: list[FileOutcome], placed: dict[str, str]
    ) -> SyncReport:
        # What this call placed, not what a concurrent writer's sync also picked up.
        live = self._state.data.documents
        update.added = sorted(d for d in placed if d in live and d not in update.updated)
        others = list(update.errors)  # files already in the docs folder that the sync could not read
        update.errors = [*refused, *others]
        update.skipped[:0] = [f"{s.name} (already indexed as {s.detail})" for s in skipped]
        outcomes = [FileOutcome(e.path, "refused", e.reason) for e in refused] + skipped
        for doc_id, name in placed.items():
            if doc_id in update.updated:
                outcomes.append(FileOutcome(name, "updated", doc_id))
            elif doc_id in live:
                outcomes.append(FileOutcome(name, "added", doc_id))
            else:
                outcomes.append(FileOutcome(name, "refused", "it was not indexed"))
                update.errors.append(DocumentError(name, "it was not indexed"))
        outcomes += [FileOutcome(e.path, "refused", e.reason) for e in others]
        update.files = outcomes
        self.last_report = update
        return update

    def remove(self, doc_id: str) -> Document:
        """Take a document out of the index. A library article's copy (made by ``add``) is
        deleted with it; a file of the docs folder stays where it is, ignored until added again.

        Raises:
            UnknownDocument: no document has this id.
        """
        with store.WriterLock(self.config.index_dir):
            data: IndexData | None = _open_or_none(self.config)
            if data is None:
                raise IndexStateError(f"No index at {self.config.index_dir}. Run 'assistant index' first.")
            doc = data.documents.get(doc_id)
            if doc is None:
                raise UnknownDocument(f"No document {doc_id!r} in the index. 'assistant docs' lists them.")
            copy = self.config.path_of(doc_id) if self.config.in_library(doc_id) else None
            if store.live_format(self.config.index_dir) == store.FORMAT_VERSION:
                # deleted from its segment by a line of the new manifest: nothing is rewritten
                keep = store.live_segments(self.config.index_dir)
                deleted = store.deletions(self.config.index_dir, keep, [doc_id])
                segment = store.new_segment(data)
                if isinstance(segment.passage_vectors, StoredPassages):
                    segment.passage_vectors.remove_document(doc_id)
                if copy is None:
                    segment.removed[doc_id] = doc.sha256
                store.save(self.config.index_dir, segment, keep=keep, deleted=deleted)
                data = store.load(self.config.index_dir, mapped=True)
            else:
                data = store.load(self.config.index_dir)
                indexer.drop(data, doc_id)
                if copy is None:
                    data.removed[doc_id] = doc.sha256
                store.save(self.config.index_dir, data)
            if copy is not None:  # after the save: a crash in between leaves the file, indexed again
                copy.unlink(missing_ok=True)
        self._state = _State(data, self.embedder)
        return doc


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` already lies in ``folder`` (then adding it indexes it where it is)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def _named(error: DocumentError, names: Mapping[Path, str]) -> DocumentError:
    """The error with the file named as the user knows it (not a temporary upload path)."""
    name = names.get(Path(error.path))
    return error if name is None else type(error)(name, error.reason)


LISTED_DOCUMENTS = 200  # up to this many, a claim check lists every document


def validate_question(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InvalidQuestion("The question is empty. Ask something about the articles.")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidQuestion(
            f"The question is {len(question):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. Ask something shorter."
        )
    if not any(ch.isalnum() for ch in question):
        raise InvalidQuestion("The question has no words in it. Ask something about the articles.")
    if not is_text(question):
        raise InvalidQuestion("The question holds characters that are not valid text (a lone surrogate).")
    return question.strip()


def validate_history(history: object) -> list[str | Mapping[str, object]]:
    """Earlier questions of a conversation, bounded: at most ``MAX_HISTORY_TURNS`` turns, each
    a question (a string, or a turn ``{"question": …}``) of at most ``MAX_QUESTION_CHARS``
    characters of valid text. Only the last few are read (``language.question.FOLLOW_UP_TURNS``).

    Raises:
        InvalidQuestion: anything else, with one message saying what is wrong.
    """
    if history is None:
        return []
    if isinstance(history, str | bytes) or not isinstance(history, Sequence):
        raise InvalidQuestion("history must be a list of earlier questions (strings).")
    if len(history) > MAX_HISTORY_TURNS:
        raise InvalidQuestion(f"history holds {len(history):,} turns; at most {MAX_HISTORY_TURNS} are accepted.")
    turns: list[str | Mapping[str, object]] = []
    for turn in history:
        texts = [turn] if isinstance(turn, str) else None
        if isinstance(turn, Mapping):
            texts = [v for k in ("question", "resolved_question") if isinstance(v := turn.get(k), str)]
            if not isinstance(turn.get("question"), str):
                texts = None
        if texts is None:
            raise InvalidQuestion("history must be a list of earlier questions (strings).")
        for text in texts:
            if len(text) > MAX_QUESTION_CHARS:
                raise InvalidQuestion(
                    f"An earlier question in history is {len(text):,} characters long; "
                    f"the limit is {MAX_QUESTION_CHARS:,}."
                )
            if not is_text(text):
                raise InvalidQuestion("history holds characters that are not valid text (a lone surrogate).")
        turns.append(turn)
    return turns


def _open_or_none(config: Config) -> MappedIndex | None:
    """The live generation opened for searching, or None when there is none."""
    if store.current_generation(config.index_dir) is None:
        return None
    return store.load(config.index_dir, mapped=True)


def _load_or_none(config: Config) -> WriterIndex | None:
    """The live generation loaded whole by a writer, or None when there is none."""
    if store.current_generation(config.index_dir) is None:
        return None
    return store.load(config.index_dir)


def _update(
    config: Config,
    embedder: Embedder,
    data: IndexData | None,
    progress: Progress | None,
    notify: Notify | None,
    restore: frozenset[str] = frozenset(),
    fresh: bool = False,
    preloaded: Mapping[str, LoadedText] | None = None,
    only: Sequence[Path] | None = None,
) -> tuple[IndexData | None, SyncReport]:
    """Sync with the docs folder under the writer lock, only when something changed.

    ``fresh`` builds from nothing; the live generation is replaced only at the end.
    ``only``: just these files are looked at (an add), not the whole folder.
    """
    planned = None
    if not fresh and data is not None and data.segmentation == config.segmentation.as_dict():
        planned = pending, gone, errors = indexer.plan(data, config, restore, only)
        if not pending and not gone:
            store.collect_leftovers(config.index_dir)
            indexer_report = SyncReport(errors=errors)
            return data, indexer_report
    if notify:
        verb = "Building" if data is None else "Updating"
        notify(f"{verb} the index at {config.index_dir} from {config.docs_dir} …")
    with store.WriterLock(config.index_dir):
        # what was planned still holds if no other writer moved on meanwhile
        same = data is not None and data.generation == store.current_generation(config.index_dir)
        reader = data if same and isinstance(data, MappedIndex) else None
        appended = (
            None
            if fresh
            else _append(config, embedder, progress, restore, preloaded, reader, planned if same else None, only)
        )
        if appended is not None:
            return appended
        writer = None if fresh else _load_or_none(config)  # another writer may have moved on meanwhile
        if writer is not None:
            indexer.check_compatible(writer, embedder, config)
        # a build or update is saved batch by batch, so a killed one resumes; a rebuild is
        # not, since the old index stays live until the whole new one replaces it
        checkpoint = None if fresh else (lambda d: store.save(config.index_dir, d))
        writer, report = indexer.sync(writer, config, embedder, progress, restore, preloaded, checkpoint=checkpoint)
        if report.changed or not writer.generation or fresh:
            if writer.documents or writer.generation:
                store.save(config.index_dir, writer)
    passages = writer.passage_vectors.ntotal
    if notify and not writer.passage_store and passages > EXACT_PASSAGES:
        notify(
            f"The index holds {passages:,} passages, searched exactly at every question; above "
            f"{EXACT_PASSAGES:,} an approximate index answers faster: rebuild it with "
            "'assistant index --rebuild --store embedded'."
        )
    return writer, report


def _append(
    config: Config,
    embedder: Embedder,
    progress: Progress | None,
    restore: frozenset[str],
    preloaded: Mapping[str, LoadedText] | None,
    live: MappedIndex | None = None,
    planned: indexer.Plan | None = None,
    only: Sequence[Path] | None = None,
) -> tuple[IndexData, SyncReport] | None:
    """New articles added as a segment of their own beside the live generation's, which
    stay as they are: an add costs what the added articles cost. None when the update is
    more than that (a folder moved, metadata edited, another cut or format): the caller then writes the whole index again. A removed or changed
    file is deleted from its segment by a line of the new manifest. Runs under the writer lock.
    ``live`` and ``planned``: the live generation as the caller has it open, and its
    comparison with the docs folder, when it has them; ``only``: the files an add placed, the
    rest of the folder not looked at (a moved folder or an edited sidecar waits for the next
    update)."""
    if store.live_format(config.index_dir) != store.FORMAT_VERSION:
        return None
    if live is None:
        live, planned = _open_or_none(config), None
    if live is None or live.segmentation != config.segmentation.as_dict():
        return None
    indexer.check_compatible(live, embedder, config)
    planned = planned or indexer.plan(live, config, restore, only)
    pending, gone, errors = planned
    if not pending and not gone:  # an add whose files another writer indexed meanwhile: nothing to write
        return (live, SyncReport(errors=errors)) if only is not None else None
    if only is None and indexer.needs_refresh(live, config):
        return None
    keep = store.live_segments(config.index_dir)
    # a removed or changed file: deleted from the segment that holds it (a changed one's
    # new version goes into the new segment)
    leaving = [*gone, *(item.doc_id for item in pending if item.doc_id in live.documents)]
    deleted = store.deletions(config.index_dir, keep, leaving)

    def checkpoint(batch: WriterIndex) -> None:  # each batch of a large add: a segment of its own
        store.save(config.index_dir, batch, keep=keep, deleted=deleted)
        keep[:] = store.live_segments(config.index_dir)
        store.emptied(batch)

    segment = store.new_segment(live)
    if isinstance(segment.passage_vectors, StoredPassages):
        for doc_id in leaving:  # the store holds every segment's passages: theirs go at the save
            segment.passage_vectors.remove_document(doc_id)
    segment, report = indexer.sync(
        segment, config, embedder, progress, restore, preloaded, checkpoint=checkpoint, known=live, planned=planned
    )
    if segment.documents or leaving:
        store.save(config.index_dir, segment, keep=keep, deleted=deleted)
    while names := store.segments_to_merge(config.index_dir):
        store.merge(config.index_dir, names)
    return store.load(config.index_dir, mapped=True), report


# Passages above which exact search costs more than the embedded store's HNSW (5.7 ms a
# search at 100k, 50 ms at 1M: benchmarks/README.md, "Scale")
EXACT_PASSAGES = 100_000


def _no_documents_message(config: Config, report: SyncReport) -> str:
    message = f"No readable article in {config.docs_dir} (.txt, .md, .html, .pdf)."
    if report.errors:
        shown = "; ".join(str(e) for e in report.errors[:3])
        more = f" (and {len(report.errors) - 3} more)" if len(report.errors) > 3 else ""
        message += f" Skipped: {shown}{more}."
    return message
