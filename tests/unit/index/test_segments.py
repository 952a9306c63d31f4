"""Generations made of segments: an add writes only the added articles, the index ranks as
one written in one go, small segments are merged (fake embedder, real FAISS and BM25)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Config
from assistant.core import Assistant
from assistant.index import store
from assistant.index.bm25 import LexicalIndex, SegmentedLexical
from assistant.language.question import analyze
from assistant.search.retrieve import Searcher

ARTICLES = {
    "bridge.md": "# Osaka bridge opens\n\nThe new bridge in Osaka opened on Monday. It cost 40 million dollars.\n",
    "dam.txt": "Dam finished\n\nThe Ruvuma dam was completed in March after six years of work. Lee visited it.\n",
    "port.txt": "Port deal\n\nThe port of Accra signed a deal to build two new berths. Lee and Takaichi praised it.\n",
    "summit.txt": "Summit dinner\n\nThe leaders ate dinner in Nara after the summit. Takaichi hosted Lee.\n",
}
QUESTIONS = [
    "Where did the leaders meet?",
    "What did Lee say about China?",
    "How much did the bridge cost?",
    "When was the dam completed?",
    "Who hosted the dinner in Nara?",
    "What deal did the port sign?",
    "What did Takaichi say about Taiwan?",
    "Why did Lee visit Japan?",
]


def _open(docs: Path, index: Path, embedder) -> Assistant:  # type: ignore[no-untyped-def]
    return Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=embedder)


def _added_one_by_one(seeds_copy: Path, index: Path, embedder) -> Assistant:  # type: ignore[no-untyped-def]
    a = _open(seeds_copy, index, embedder)
    for name, text in ARTICLES.items():
        (seeds_copy / name).write_text(text, encoding="utf-8")
        a = _open(seeds_copy, index, embedder)
    return a


def _built_in_one_go(seeds_copy: Path, tmp_path: Path, embedder) -> Assistant:  # type: ignore[no-untyped-def]
    docs = tmp_path / "one-go"
    shutil.copytree(seeds_copy, docs)
    for name, text in ARTICLES.items():
        (docs / name).write_text(text, encoding="utf-8")
    return _open(docs, tmp_path / "one-go-index", embedder)


def test_an_added_article_is_a_segment_of_its_own_and_nothing_written_is_rewritten(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    index = tmp_path / "index"
    first = _open(seeds_copy, index, fake_embedder).generation
    written = {p: p.stat().st_mtime_ns for p in (index / first).rglob("*") if p.is_file()}
    (seeds_copy / "bridge.md").write_text(ARTICLES["bridge.md"], encoding="utf-8")
    a = _open(seeds_copy, index, fake_embedder)
    assert store.live_segments(index) == [first, a.generation]
    assert {p: p.stat().st_mtime_ns for p in (index / first).rglob("*") if p.is_file()} == written
    own = store._read_json(index / a.generation / "manifest.json")
    assert (own["own_documents"], own["documents"]) == (1, 3)
    assert sorted(d.doc_id for d in a.documents()) == sorted(["bridge.md", *(p.name for p in seeds_copy.glob("0*"))])
    answer = a.ask("How much did the bridge cost?")
    assert answer.found and "40 million" in " ".join(c.text for c in answer.citations)
    for c in a.ask("Where did the leaders meet?").citations + answer.citations:
        assert a.text(c.doc_id)[c.start : c.end] == c.text


def test_a_segmented_index_ranks_as_one_built_in_one_go(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    _added_one_by_one(seeds_copy, tmp_path / "index", fake_embedder)
    assert len(store.live_segments(tmp_path / "index")) == 1 + len(ARTICLES)
    whole = _built_in_one_go(seeds_copy, tmp_path, fake_embedder)
    # both as a reader opens them (a writer searches its float32 vectors, a reader the saved float16)
    a = Searcher(store.load(tmp_path / "index", mapped=True), fake_embedder)
    b = Searcher(store.load(whole.config.index_dir, mapped=True), fake_embedder)
    assert isinstance(a.view.lexical, SegmentedLexical) and isinstance(b.view.lexical, LexicalIndex)
    assert a.view.n_documents == b.view.n_documents
    for text in QUESTIONS:
        q = analyze(text)
        # BM25 over the segments uses the whole collection's statistics: the same scores
        left, right = a.view.lexical.matches(q.terms), b.view.lexical.matches(q.terms)
        ids = lambda view, rows: [int(view.row_ids[r]) for r in rows]  # noqa: E731
        assert sorted(ids(a.view, left.rows)) == sorted(ids(b.view, right.rows)), text
        by_id = dict(zip(ids(b.view, right.rows), right.scores.tolist(), strict=True))
        for sid, score in zip(ids(a.view, left.rows), left.scores.tolist(), strict=True):
            assert score == pytest.approx(by_id[sid], rel=1e-5), text
        for t in set(q.terms):
            assert a.view.lexical.idf(t) == pytest.approx(b.view.lexical.idf(t))
        ranked_a, ranked_b = a.rank(q, limit=10), b.rank(q, limit=10)
        assert [s.sentence.id for s in ranked_a] == [s.sentence.id for s in ranked_b], text
        assert [s.score for s in ranked_a] == pytest.approx([s.score for s in ranked_b], abs=1e-4)


def _reader(assistant: Assistant, embedder) -> Assistant:  # type: ignore[no-untyped-def]
    return Assistant.open(assistant.config, embedder=embedder, update=False)


def test_answers_and_citations_are_the_same_either_way(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    segmented = _reader(_added_one_by_one(seeds_copy, tmp_path / "index", fake_embedder), fake_embedder)
    whole = _reader(_built_in_one_go(seeds_copy, tmp_path, fake_embedder), fake_embedder)
    for text in QUESTIONS:
        left, right = segmented.ask(text), whole.ask(text)
        assert left.answer == right.answer, text
        assert [(c.doc_id, c.start, c.end) for c in left.citations] == [
            (c.doc_id, c.start, c.end) for c in right.citations
        ]
        for c in left.citations:
            assert segmented.text(c.doc_id)[c.start : c.end] == c.text


def test_small_segments_are_merged_and_nothing_is_lost_or_doubled(
    seeds_copy: Path, tmp_path: Path, fake_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "MAX_SEGMENTS", 3)
    monkeypatch.setattr(store, "MERGE_FACTOR", 2)
    index = tmp_path / "index"
    segmented = _added_one_by_one(seeds_copy, index, fake_embedder)
    live = store.live_segments(index)
    assert len(live) <= 3
    on_disk = {p.name for p in index.glob("gen-*")}
    assert set(live) <= on_disk and len(on_disk) <= 2 * 3  # the live segments, and the predecessor's
    ids = [d.doc_id for d in segmented.documents()]
    assert len(ids) == len(set(ids)) == 2 + len(ARTICLES)
    view = segmented._state.searcher.view
    assert len(set(view.row_ids.tolist())) == len(view.row_ids)  # every sentence once
    whole = _reader(_built_in_one_go(seeds_copy, tmp_path, fake_embedder), fake_embedder)
    segmented = _reader(segmented, fake_embedder)
    for text in QUESTIONS:
        assert segmented.ask(text).answer == whole.ask(text).answer, text


def test_compacting_writes_one_segment(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    index = tmp_path / "index"
    _added_one_by_one(seeds_copy, index, fake_embedder)
    assert store.merge(index) is not None
    assert len(store.live_segments(index)) == 1
    reopened = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder, update=False)
    assert len(reopened.documents()) == 2 + len(ARTICLES)
    assert store.merge(index) is None  # one segment: nothing to merge


def test_a_changed_or_removed_file_is_deleted_from_its_segment_and_nothing_is_rewritten(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    index = tmp_path / "index"
    _added_one_by_one(seeds_copy, index, fake_embedder)
    before = store.live_segments(index)
    written = {p: p.stat().st_mtime_ns for seg in before for p in (index / seg).rglob("*") if p.is_file()}
    (seeds_copy / "dam.txt").write_text("Dam finished\n\nThe Ruvuma dam opened in May.\n", encoding="utf-8")
    (seeds_copy / "port.txt").unlink()
    a = _open(seeds_copy, index, fake_embedder)
    assert a.last_report.updated == ["dam.txt"] and a.last_report.removed == ["port.txt"]
    assert store.live_segments(index) == [*before, a.generation]  # the new dam.txt in a segment of its own
    assert {p: p.stat().st_mtime_ns for seg in before for p in (index / seg).rglob("*") if p.is_file()} == written
    manifest = store._read_json(index / a.generation / "manifest.json")
    assert sorted(d for docs in manifest["deleted"].values() for d in docs) == ["dam.txt", "port.txt"]
    assert set(manifest["deleted"]) <= set(before)
    assert "port.txt" not in {d.doc_id for d in a.documents()}
    assert "May" in a.text("dam.txt") and "six years" not in a.text("dam.txt")
    # the same index, answers and citations as one built in one go from the folder as it is now
    (tmp_path / "one-go").mkdir()
    whole = _open(
        shutil.copytree(seeds_copy, tmp_path / "one-go" / "docs"), tmp_path / "one-go" / "index", fake_embedder
    )
    reader = Assistant.open(a.config, embedder=fake_embedder, update=False)
    whole = Assistant.open(whole.config, embedder=fake_embedder, update=False)
    assert sorted(d.doc_id for d in reader.documents()) == sorted(d.doc_id for d in whole.documents())
    for text in [*QUESTIONS, "When did the dam open?", "What deal did the port sign?"]:
        left, right = reader.ask(text), whole.ask(text)
        assert left.answer == right.answer, text
        for c in left.citations:
            assert c.doc_id != "port.txt" and reader.text(c.doc_id)[c.start : c.end] == c.text
    view = reader._state.searcher.view
    assert view.lexical.doc_freq("ruvuma") == whole._state.searcher.view.lexical.doc_freq("ruvuma")
    assert store.merge(index) is not None  # merging drops what was deleted
    merged = Assistant.open(a.config, embedder=fake_embedder, update=False)
    assert store.live_segments(index) == [merged.generation]
    assert sorted(d.doc_id for d in merged.documents()) == sorted(d.doc_id for d in whole.documents())


def test_a_reader_sees_an_appended_article_at_its_next_question(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    index = tmp_path / "index"
    _open(seeds_copy, index, fake_embedder)
    reader = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder, update=False)
    (seeds_copy / "bridge.md").write_text(ARTICLES["bridge.md"], encoding="utf-8")
    _open(seeds_copy, index, fake_embedder)
    assert reader.refresh()
    answer = reader.ask("How much did the bridge cost?")
    assert "40 million" in " ".join(c.text for c in answer.citations)
    rows = reader._state.searcher.view.sentence_vectors(np.arange(3))
    assert rows.shape == (3, fake_embedder.dim)


def test_the_cli_compacts_the_segments(run, seeds_copy: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    index = tmp_path / "index"
    for name, text in ARTICLES.items():
        (seeds_copy / name).write_text(text, encoding="utf-8")
        assert run("index").exit_code == 0
    assert len(store.live_segments(index)) == 1 + len(ARTICLES)
    result = run("index", "--compact")
    assert result.exit_code == 0, result.output
    assert f"{1 + len(ARTICLES)} segments merged into one." in result.output
    assert len(store.live_segments(index)) == 1
    result = run("index", "--compact")
    assert "One segment: nothing to merge." in result.output and "Saved the terms" not in result.output
    # a segment written before rows' facts were saved (an older version's) gets them, and says so
    (live,) = store.live_segments(index)
    shutil.rmtree(index / live / "facts")
    result = run("index", "--compact")
    assert "Saved the terms and text features of 1 segment(s)" in result.output, result.output
    assert (index / live / "facts" / "records.bin").is_file()


def test_an_appended_undated_copy_of_a_story_borrows_its_date_as_in_one_go(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    index = tmp_path / "index"
    a = _open(seeds_copy, index, fake_embedder)
    dated = next(d for d in a.documents() if d.dating.published)
    body = [s.text for s in a.sentences(dated.doc_id) if s.kind == "body"][2:8]
    copy = "Wire copy\n\n" + " ".join(body) + "\n"
    (seeds_copy / "wire-copy.txt").write_text(copy, encoding="utf-8")
    b = _open(seeds_copy, index, fake_embedder)
    assert len(store.live_segments(index)) == 2
    borrowed = b.document("wire-copy.txt")
    assert borrowed is not None and borrowed.dating.inferred
    assert borrowed.dating.published == dated.dating.published
    whole = _built_in_one_go(seeds_copy, tmp_path, fake_embedder)
    assert whole.document("wire-copy.txt").dating.published == borrowed.dating.published


def test_removing_a_document_by_hand_is_a_deletion_too(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    index = tmp_path / "index"
    a = _added_one_by_one(seeds_copy, index, fake_embedder)
    before = store.live_segments(index)
    a.remove("bridge.md")
    assert store.live_segments(index) == before  # nothing written but the manifest
    manifest = store._read_json(index / a.generation / "manifest.json")
    assert ["bridge.md"] in manifest["deleted"].values() and manifest["removed"]["bridge.md"]
    assert "bridge.md" not in {d.doc_id for d in a.documents()}
    reopened = _open(seeds_copy, index, fake_embedder)  # the file is still there: ignored, as before
    assert "bridge.md" not in {d.doc_id for d in reopened.documents()}
    assert not any(c.doc_id == "bridge.md" for c in reopened.ask("How much did the bridge cost?").citations)


def test_content_hashes_of_a_segmented_index_are_its_live_documents(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    """What an add checks its files against, read per segment by SQLite: the live documents'
    hashes, a changed file's old version left out."""
    index = tmp_path / "index"
    a = _added_one_by_one(seeds_copy, index, fake_embedder)
    (seeds_copy / "dam.txt").write_text(ARTICLES["dam.txt"].replace("six", "seven"), encoding="utf-8")
    a = _open(seeds_copy, index, fake_embedder)
    data = store.load(index, mapped=True)
    assert len(store.live_segments(index)) > 1
    found = store.content_hashes(data.documents)
    written = store.load(index)  # the same index loaded whole: a plain mapping of records
    assert found == store.content_hashes(written.documents)
    assert found == {doc.sha256: doc.doc_id for doc in a.documents()}
    assert len(found) == len(ARTICLES) + 2


def test_best_rows_of_many_queries_are_each_querys_top_rows() -> None:
    """The batched search (an add's twin search) ranks as one query at a time does, over
    segments with deleted rows and over one index alike."""
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(40)]
    rows = [[str(w) for w in rng.choice(words, size=int(rng.integers(1, 9)))] for _ in range(120)]
    parts = [LexicalIndex(rows[:50]), LexicalIndex(rows[50:90]), LexicalIndex(rows[90:])]
    kept = [None, np.array([0, 3, 4, 9, 10, 11, 20, 39]), np.arange(1, 30)]
    segmented = SegmentedLexical(parts, [0, 50, 58], kept)
    queries = [[str(w) for w in rng.choice(words, size=int(rng.integers(1, 5)), replace=False)] for _ in range(30)]
    queries += [[], ["unknown"]]
    for lexical in (segmented, LexicalIndex(rows)):
        best = lexical.best_rows(queries, 5)
        assert len(best) == len(queries)
        for query, found in zip(queries, best, strict=True):
            assert found.tolist() == lexical.matches(sorted(set(query))).top(5).tolist(), query
    assert any(len(b) == 5 for b in segmented.best_rows(queries, 5))


def test_matches_sum_each_rows_scores_over_the_terms_lists() -> None:
    """``summed`` (each term's sorted list one after the other, a stable sort): every row
    once, in order, its values summed as a plain loop sums them; a term given twice counts twice."""
    from assistant.index.bm25 import summed

    rng = np.random.default_rng(5)
    lists = [np.sort(rng.choice(1000, size=n, replace=False)) for n in (300, 40, 0, 7, 300)]
    rows = np.concatenate(lists).astype(np.int64)
    values = rng.random(len(rows))
    expected: dict[int, float] = {}
    for row, value in zip(rows.tolist(), values.tolist(), strict=True):
        expected[row] = expected.get(row, 0.0) + value
    found = summed(rows, values)
    assert found.rows.tolist() == sorted(expected)
    assert np.allclose(found.scores, [expected[r] for r in sorted(expected)])
    empty = summed(np.zeros(0, dtype=np.int64), np.zeros(0))
    assert len(empty.rows) == 0 and not empty


def _columns_equal(a, b) -> None:  # type: ignore[no-untyped-def]
    from assistant.index import columns as columns_

    for name in columns_.ARRAYS:
        assert np.array_equal(np.asarray(getattr(a, name)), np.asarray(getattr(b, name))), name
    assert list(a.doc_ids) == list(b.doc_ids)
    assert dict(a.sources) == dict(b.sources)


def test_a_reader_grows_its_columns_by_what_each_add_wrote(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    from assistant.index import segments

    index = tmp_path / "index"
    names = list(ARTICLES)
    (seeds_copy / names[0]).write_text(ARTICLES[names[0]], encoding="utf-8")
    _open(seeds_copy, index, fake_embedder)
    (seeds_copy / names[1]).write_text(ARTICLES[names[1]], encoding="utf-8")
    writer = _open(seeds_copy, index, fake_embedder)
    reader = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder, update=False)
    reader.ask("Where did the leaders meet?")  # the columns are concatenated at the first question
    for name in names[2:]:
        before = reader._state.data.columns
        kept = {n: np.array(getattr(before, n)) for n in ("row_id", "passage_rows", "doc_rows", "row_id_order")}
        (seeds_copy / name).write_text(ARTICLES[name], encoding="utf-8")
        writer.add([seeds_copy / name])
        assert len(store.live_segments(index)) >= 3
        assert reader.refresh()
        reader.ask("How much did the bridge cost?")
        after = reader._state.data.columns
        # what the generation holds, as a reader opening it afresh concatenates it
        fresh = store.load(index, mapped=True)
        _columns_equal(after, segments.concatenate(fresh.columns._shapes))  # type: ignore[attr-defined]
        # grown in place: the old arrays are the start of the new ones, and are unchanged
        assert np.shares_memory(np.asarray(before.row_id), np.asarray(after.row_id))
        for n, values in kept.items():
            assert np.array_equal(np.asarray(getattr(before, n)), values), n
        assert reader._state.data.opened  # type: ignore[attr-defined]
    answer = reader.ask("Who hosted the dinner in Nara?")
    assert answer.citations and all(
        (seeds_copy / c.doc_id).read_text(encoding="utf-8")[c.start : c.end] == c.text for c in answer.citations
    )


def _with_added(seeds_copy: Path, index: Path, embedder, n: int) -> Assistant:  # type: ignore[no-untyped-def]
    """A writer over the seeds that has added the first ``n`` articles, one segment each."""
    writer = _open(seeds_copy, index, embedder)
    for name, text in list(ARTICLES.items())[:n]:
        (seeds_copy / name).write_text(text, encoding="utf-8")
        writer.add([seeds_copy / name])
    return writer


def test_columns_grow_only_by_later_ids_and_only_into_room(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    from assistant.index import segments

    index = tmp_path / "index"
    _with_added(seeds_copy, index, fake_embedder, 3)
    shapes = store.load(index, mapped=True).columns._shapes  # type: ignore[attr-defined]
    assert len(shapes) >= 3
    base, buffers = segments.concatenate_growable(shapes[:-1])
    grown = segments.extend(base, buffers, shapes[-1:])
    assert grown is not None
    _columns_equal(grown, segments.concatenate(shapes))
    # a segment of older ids after newer ones: the orders by id must be sorted again
    later, room = segments.concatenate_growable(shapes[1:])
    assert segments.extend(later, room, shapes[:1]) is None
    # no room left: nothing is written
    tight = {n: v[: len(getattr(base, n))] for n, v in buffers.items()}
    assert segments.extend(base, tight, shapes[-1:]) is None


def test_after_a_merge_a_reader_concatenates_afresh(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    from assistant.index import segments

    index = tmp_path / "index"
    writer = _with_added(seeds_copy, index, fake_embedder, 2)
    reader = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder, update=False)
    reader.ask("Where did the leaders meet?")
    before = reader._state.data.columns
    assert writer.compact() > 1
    (seeds_copy / "summit.txt").write_text(ARTICLES["summit.txt"], encoding="utf-8")
    writer.add([seeds_copy / "summit.txt"])  # the merged segment, and one more after it
    assert reader.refresh()
    answer = reader.ask("Who hosted the dinner in Nara?")
    after = reader._state.data.columns
    fresh = store.load(index, mapped=True)
    _columns_equal(after, segments.concatenate(fresh.columns._shapes))  # type: ignore[attr-defined]
    assert not np.shares_memory(np.asarray(before.row_id), np.asarray(after.row_id))
    assert answer.citations and all(
        (seeds_copy / c.doc_id).read_text(encoding="utf-8")[c.start : c.end] == c.text for c in answer.citations
    )


def test_after_a_removal_a_reader_holds_no_row_of_the_removed_document(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    from assistant.index import segments

    index = tmp_path / "index"
    writer = _with_added(seeds_copy, index, fake_embedder, 2)
    reader = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder, update=False)
    reader.ask("How much did the bridge cost?")
    writer.remove("bridge.md")
    assert reader.refresh()
    reader.ask("How much did the bridge cost?")
    after = reader._state.data.columns
    assert "bridge.md" not in after.doc_ids
    _columns_equal(after, segments.concatenate(store.load(index, mapped=True).columns._shapes))  # type: ignore[attr-defined]


def test_within_tells_what_the_terms_of_rows_passages_and_articles_tell(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    index = tmp_path / "index"
    _added_one_by_one(seeds_copy, index, fake_embedder)
    (seeds_copy / "dam.txt").write_text("Dam finished\n\nThe Ruvuma dam opened in May.\n", encoding="utf-8")
    reader = _reader(_open(seeds_copy, index, fake_embedder), fake_embedder)  # a deletion in a kept segment
    view = reader._state.searcher.view
    assert (
        isinstance(view.lexical, SegmentedLexical)
        and store._read_json(index / reader.generation / "manifest.json")["deleted"]
    )
    terms = sorted({t for text in [*QUESTIONS, *ARTICLES.values()] for t in analyze(text).terms}) + ["absent"]
    rows = np.arange(len(view.rows))
    held = view.lexical.within(terms, rows, rows + 1)
    assert held.any()
    for r in rows:
        assert {t for t, h in zip(terms, held[:, r], strict=True) if h} == set(terms) & view.row_terms[int(r)]
    passages = np.arange(len(view.passages))
    held = view.passage_lexical.within(terms, passages, passages + 1)
    for p in passages:
        passage_terms = frozenset().union(*(view.row_terms[r] for r in view.rows_of_passage[int(p)]))
        assert {t for t, h in zip(terms, held[:, p], strict=True) if h} == set(terms) & passage_terms
    bounds = np.asarray(view.columns.doc_rows)
    held = view.lexical.within(terms, bounds[:-1], bounds[1:])
    for d, doc_id in enumerate(view.columns.doc_ids):
        doc_terms = frozenset().union(*(view.row_terms[r] for r in view.rows_of_doc[d]))
        assert doc_terms == view.data.doc_terms[doc_id]  # type: ignore[attr-defined]
        assert {t for t, h in zip(terms, held[:, d], strict=True) if h} == set(terms) & doc_terms
    one = Searcher(
        store.load(_built_in_one_go(seeds_copy, tmp_path, fake_embedder).config.index_dir, mapped=True), fake_embedder
    )
    assert isinstance(one.view.lexical, LexicalIndex)
    rows = np.arange(len(one.view.rows))
    held = one.view.lexical.within(terms, rows, rows + 1)
    for r in rows:
        assert {t for t, h in zip(terms, held[:, r], strict=True) if h} == set(terms) & one.view.row_terms[int(r)]
