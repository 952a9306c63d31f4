"""The persisted index: offsets, incremental updates, atomic writes, compatibility (fake embedder)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from assistant.config import Config
from assistant.core import Assistant
from assistant.errors import IndexMismatch, IndexStateError, NoDocuments
from assistant.index import indexer, model, store
from assistant.ingest.loaders import read_text


def _open(docs: Path, index: Path, embedder) -> Assistant:  # type: ignore[no-untyped-def]
    return Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=embedder)


def test_every_sentence_is_the_exact_slice_of_its_file(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    a = _open(seeds_copy, tmp_path / "index", fake_embedder)
    docs = a.documents()
    assert [d.doc_id for d in docs] == ["000_c282072937a0cf8e.txt", "003_64419fa70da9995d.txt"]
    for doc in docs:
        text = read_text(Path(doc.file))
        assert text == a.text(doc.doc_id)
        sentences = a.sentences(doc.doc_id)
        assert len(sentences) == doc.n_sentences > 20
        for s in sentences:
            assert text[s.start : s.end] == s.text


def test_metadata_sidecar_fills_what_is_known(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    a = _open(seeds_copy, tmp_path / "index", fake_embedder)
    crbc = {d.doc_id: d for d in a.documents()}["003_64419fa70da9995d.txt"]
    assert crbc.meta.publisher == "CRBC News"
    assert crbc.meta.section == "Politics"
    assert crbc.meta.published is None
    assert crbc.title.startswith("Japan and South Korea Hold Summit")


def test_without_a_sidecar_an_article_is_titled_by_its_headline(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    (seeds_copy / "metadata.json").unlink()
    a = Assistant.open(Config(docs_dir=seeds_copy, index_dir=tmp_path / "index"), embedder=fake_embedder)
    crbc = a.documents()[1]
    assert crbc.title == "Japan and South Korea Hold Summit in Nara as China Steps Up Pressure Over Taiwan"
    assert crbc.meta.publisher is None
    # no line of the other is a headline (it opens with a promo and a caption): the id stands in
    assert a.documents()[0].title == a.documents()[0].doc_id


def test_reopening_an_up_to_date_index_embeds_nothing(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    first = _open(seeds_copy, tmp_path / "index", fake_embedder)
    encoded = fake_embedder.texts_encoded
    again = _open(seeds_copy, tmp_path / "index", fake_embedder)
    assert fake_embedder.texts_encoded == encoded
    assert again.generation == first.generation


def test_a_changed_file_is_re_embedded_alone(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    first = _open(seeds_copy, tmp_path / "index", fake_embedder)
    kept_ids = [s.id for s in first.sentences("000_c282072937a0cf8e.txt")]
    changed = seeds_copy / "003_64419fa70da9995d.txt"
    changed.write_bytes(changed.read_bytes() + b"\n\nA new closing paragraph about the summit.\n")
    before = fake_embedder.texts_encoded
    second = _open(seeds_copy, tmp_path / "index", fake_embedder)
    n_new = sum(1 for s in second.sentences("003_64419fa70da9995d.txt") if s.searchable)
    encoded = fake_embedder.texts_encoded - before
    assert n_new <= encoded <= 2 * n_new  # its sentences and passages, nothing of the other article
    assert [s.id for s in second.sentences("000_c282072937a0cf8e.txt")] == kept_ids
    assert second.last_report.updated == ["003_64419fa70da9995d.txt"]
    assert "A new closing paragraph" in second.text("003_64419fa70da9995d.txt")


def test_a_deleted_file_leaves_the_index(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    _open(seeds_copy, tmp_path / "index", fake_embedder)
    (seeds_copy / "000_c282072937a0cf8e.txt").unlink()
    a = _open(seeds_copy, tmp_path / "index", fake_embedder)
    assert [d.doc_id for d in a.documents()] == ["003_64419fa70da9995d.txt"]
    data = store.load(tmp_path / "index")
    assert data.sentence_vectors.ntotal == sum(1 for s in a.sentences("003_64419fa70da9995d.txt") if s.searchable)


def test_an_index_built_with_another_model_is_refused(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    _open(seeds_copy, tmp_path / "index", fake_embedder)

    class Other(type(fake_embedder)):  # type: ignore[misc]
        name = "another-model"

    with pytest.raises(IndexMismatch, match="another-model"):
        _open(seeds_copy, tmp_path / "index", Other())


def test_an_interrupted_write_leaves_the_previous_index(
    seeds_copy: Path, tmp_path: Path, fake_embedder, monkeypatch
) -> None:
    index = tmp_path / "index"
    first = _open(seeds_copy, index, fake_embedder)
    (seeds_copy / "000_c282072937a0cf8e.txt").unlink()

    import faiss

    real_write = faiss.write_index
    calls = []

    def failing_write(idx, path):  # type: ignore[no-untyped-def]
        calls.append(path)
        if len(calls) == 1:  # the passage vectors: the tables, columns and row vectors are written
            raise OSError("disk full")
        real_write(idx, path)

    monkeypatch.setattr(faiss, "write_index", failing_write)
    with pytest.raises(OSError, match="disk full"):
        _open(seeds_copy, index, fake_embedder)
    monkeypatch.setattr(faiss, "write_index", real_write)
    data = store.load(index)
    assert data.generation == first.generation
    assert sorted(data.documents) == ["000_c282072937a0cf8e.txt", "003_64419fa70da9995d.txt"]
    assert not list(index.glob(".tmp-*"))


def test_a_docs_folder_without_articles_is_a_clear_error(tmp_path: Path, fake_embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.txt").write_text("   \n", encoding="utf-8")
    with pytest.raises(NoDocuments, match="No readable article.*empty.txt"):
        _open(docs, tmp_path / "index", fake_embedder)


def test_a_missing_generation_is_reported_not_crashed(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    index = tmp_path / "index"
    _open(seeds_copy, index, fake_embedder)
    (index / "CURRENT").write_text("gen-999999\n", encoding="utf-8")
    with pytest.raises(IndexStateError, match="unreadable"):
        store.load(index)


def test_manifest_records_model_dimension_segmentation_and_hashes(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    index = tmp_path / "index"
    _open(seeds_copy, index, fake_embedder)
    manifest = json.loads((index / store.current_generation(index) / "manifest.json").read_text())
    assert manifest["model"] == "fake-hash-64" and manifest["dim"] == 64
    assert manifest["format_version"] == store.FORMAT_VERSION
    assert manifest["segmentation"] == Config().segmentation.as_dict()
    documents = store.load(index, mapped=True).documents
    assert manifest["documents"] == len(documents) == len(list(seeds_copy.glob("*.txt"))) > 0
    assert all(len(d.sha256) == 64 for d in documents.values())


def test_refresh_picks_up_another_writers_generation(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    index = tmp_path / "index"
    reader = _open(seeds_copy, index, fake_embedder)
    assert reader.refresh() is False
    (seeds_copy / "extra.md").write_text("# Extra\n\nThe summit dinner was held in Nara.\n", encoding="utf-8")
    _open(seeds_copy, index, fake_embedder)
    assert reader.refresh() is True
    assert "extra.md" in [d.doc_id for d in reader.documents()]


def test_a_reader_opens_the_saved_indexes_memory_mapped_and_builds_nothing(
    seeds_copy: Path, tmp_path: Path, fake_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from assistant.index import bm25

    index = tmp_path / "index"
    _open(seeds_copy, index, fake_embedder)
    built: list[int] = []
    real = bm25.LexicalIndex.__init__

    def counting(self, tokens) -> None:  # type: ignore[no-untyped-def]
        built.append(len(tokens))
        real(self, tokens)

    monkeypatch.setattr(bm25.LexicalIndex, "__init__", counting)
    reader = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder, update=False)
    data = reader._state.data
    assert isinstance(data, model.MappedIndex) and data.mapped and not hasattr(data, "terms")
    assert isinstance(data.doc_terms, store.TableMapping)
    assert built == []  # BM25 over sentences and passages: opened as saved, not rebuilt
    assert isinstance(reader._state.searcher.view.lexical._bm25.scores["data"], np.memmap)
    with pytest.raises(RuntimeError, match="read-only"):  # a reader cannot change what it searches
        indexer.drop(data, "000_c282072937a0cf8e.txt")
    answer = reader.ask("Which broadcaster did Lee speak to?")
    assert answer.citations and "NHK" in " ".join(c.text for c in answer.citations)


def test_the_saved_bm25_matches_one_built_from_the_texts(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    import numpy as np

    from assistant.index.bm25 import LexicalIndex
    from assistant.language.terms import row_terms

    index = tmp_path / "index"
    _open(seeds_copy, index, fake_embedder)
    from assistant.index import columns

    saved = store.load(index, mapped=True)
    shape = saved.columns
    fresh = LexicalIndex([row_terms(s.text) for s in columns.Rows(shape, saved.texts)])
    query = row_terms("Takaichi and Lee met in Nara for talks")
    np.testing.assert_allclose(saved.lexical.scores(query), fresh.scores(query), rtol=1e-6)
    assert saved.lexical.idf("nara") == pytest.approx(fresh.idf("nara"))
    assert len(saved.passage_lexical) == shape.n_passages == sum(len(p) for p in saved.passages.values())


def test_a_build_killed_midway_resumes_from_its_last_batch(
    tmp_path: Path, fake_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(12):
        (docs / f"story-{n:02d}.txt").write_text(
            f"Story {n}\n\nThe council of town {n} met on Monday. It voted on the budget for {n} bridges.\n",
            encoding="utf-8",
        )
    monkeypatch.setattr(indexer, "CHECKPOINT_FILES", 4)
    index = tmp_path / "index"
    real_encode = fake_embedder.encode
    batches: list[int] = []

    def killed_at_the_third_batch(texts, **kwargs):  # type: ignore[no-untyped-def]
        batches.append(len(texts))
        if len(batches) == 3:
            raise KeyboardInterrupt  # the process dies while embedding the last batch
        return real_encode(texts, **kwargs)

    monkeypatch.setattr(fake_embedder, "encode", killed_at_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        _open(docs, index, fake_embedder)
    saved = store.load(index)
    assert len(saved.documents) == 8  # two batches of four, each saved when done
    assert all(len(saved.sentences[d]) >= 2 for d in saved.documents)

    monkeypatch.setattr(fake_embedder, "encode", real_encode)
    resumed = _open(docs, index, fake_embedder)
    report = resumed.last_report
    assert sorted(report.added) == sorted(
        f"story-{n:02d}.txt" for n in range(12) if f"story-{n:02d}.txt" not in saved.documents
    )
    assert len(resumed.documents()) == 12 and sorted(d.doc_id for d in resumed.documents()) == sorted(
        p.name for p in docs.iterdir()
    )
    ids = [s.id for d in resumed.documents() for s in resumed.sentences(d.doc_id)]
    assert len(ids) == len(set(ids))  # no document or sentence twice


def test_a_readers_columns_and_ranking_equal_a_writers(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    """The columns a reader maps from disk are the ones a writer builds in memory, and
    both rank a question alike (scores within the half precision of stored vectors)."""
    import numpy as np

    from assistant.index import columns
    from assistant.language.question import analyze
    from assistant.language.terms import row_terms
    from assistant.search.retrieve import Searcher

    index = tmp_path / "index"
    _open(seeds_copy, index, fake_embedder)
    mapped, whole = store.load(index, mapped=True), store.load(index)
    assert mapped.columns is not None and not hasattr(whole, "columns")
    built = columns.build(whole)
    assert mapped.columns.doc_ids == built.doc_ids and mapped.columns.sources == built.sources
    for name in columns.ARRAYS:
        assert isinstance(getattr(mapped.columns, name).base, np.memmap), name  # a view of the mapped file
        np.testing.assert_array_equal(getattr(mapped.columns, name), getattr(built, name), err_msg=name)
    reader, writer = Searcher(mapped, fake_embedder), Searcher(whole, fake_embedder)
    assert list(reader.view.rows) == list(writer.view.rows) and len(reader.view.rows) > 40
    assert list(reader.view.passages) == [p for d in sorted(whole.passages) for p in whole.passages[d]]
    for r, s in enumerate(reader.view.rows):  # every row is the exact slice of its text; its saved terms are its text's
        assert whole.texts[s.doc_id][s.start : s.end] == s.text
        assert reader.view.row_terms[r] == frozenset(row_terms(s.text)) == writer.view.row_terms[r]
    for doc_id in mapped.columns.doc_ids:
        assert mapped.doc_terms[doc_id] == frozenset(t for row in whole.terms[doc_id] for t in row)
    question = analyze("Where did Takaichi and Lee meet?")
    a, b = reader.rank(question), writer.rank(question)
    assert [s.sentence.id for s in a[:5]] == [s.sentence.id for s in b[:5]]
    np.testing.assert_allclose([s.score for s in a], [s.score for s in b], atol=1e-2)


def test_ids_are_found_without_a_dict_over_every_row() -> None:
    import numpy as np

    from assistant.index.columns import IdLookup, RowRanges

    ids = np.array([40, 7, 19, 3, 88], dtype=np.int64)
    lookup = IdLookup(ids, np.argsort(ids))
    assert [lookup[i] for i in (40, 7, 19, 3, 88)] == [0, 1, 2, 3, 4]
    assert 19 in lookup and 20 not in lookup and "19" not in lookup
    assert lookup.get(5, -1) == -1 and lookup.get(88) == 4 and len(lookup) == 5
    with pytest.raises(KeyError):
        lookup[2]
    assert list(IdLookup(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))) == []
    ranges = RowRanges(np.array([0, 3, 3, 7]))
    assert [list(r) for r in ranges] == [[0, 1, 2], [], [3, 4, 5, 6]] and len(ranges) == 3


def test_a_reader_keeps_answering_from_a_generation_writers_collected(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    """A reader reads its generation's tables on use: they stay readable after writers
    moved on twice and removed its folder (a rebuild writes the index whole; an added or
    changed file would keep the reader's folder as a segment)."""
    index = tmp_path / "index"
    (seeds_copy / "extra.md").write_text("# Extra\n\nThe bridge opened in Osaka.\n", encoding="utf-8")
    _open(seeds_copy, index, fake_embedder)
    reader = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder, update=False)
    first = reader.generation
    for n in range(2):
        (seeds_copy / "extra.md").write_text(f"# Extra {n}\n\nThe bridge {n} opened in Osaka.\n", encoding="utf-8")
        Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder, rebuild=True)
    assert not (index / first).exists()
    answer = reader.ask("Where did the bridge open?")  # the text of the reader's own generation
    assert answer.citations and answer.citations[0].text == "The bridge opened in Osaka."
    for c in answer.citations:
        assert reader.text(c.doc_id)[c.start : c.end] == c.text
    assert len(reader.documents()) == 3


def test_without_update_the_docs_folder_is_not_read(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    index = tmp_path / "index"
    _open(seeds_copy, index, fake_embedder)
    generation = store.current_generation(index)
    (seeds_copy / "extra.md").write_text("# Extra\n\nThe bridge opened in Osaka.\n", encoding="utf-8")
    reader = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder, update=False)
    assert reader.generation == generation and "extra.md" not in {d.doc_id for d in reader.documents()}
    with pytest.raises(IndexStateError, match="No index at .*Run 'assistant index' first"):
        Assistant.open(Config(docs_dir=seeds_copy, index_dir=tmp_path / "none"), embedder=fake_embedder, update=False)


def test_a_wide_source_scope_ranks_its_own_articles_alone(
    seeds_copy: Path, tmp_path: Path, fake_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond ``Candidates.scoped_exact_rows`` rows (thousands of articles in a time window), a scoped
    question compares the scope's rows among the nearest passages' and its BM25 matches,
    not every row of the scope; on a small index that is the same ranking."""
    from dataclasses import replace

    from assistant.language.question import analyze
    from assistant.search import retrieve

    index = tmp_path / "index"
    _open(seeds_copy, index, fake_embedder)
    searcher = retrieve.Searcher(store.load(index, mapped=True), fake_embedder)
    question = replace(analyze("What did Lee say about the summit?"), sources=("003_64419fa70da9995d.txt",))
    exact = searcher.rank(question)
    searcher.candidates = replace(searcher.candidates, scoped_exact_rows=0)
    wide = searcher.rank(question)
    assert exact and wide and {s.sentence.doc_id for s in exact + wide} == {"003_64419fa70da9995d.txt"}
    assert wide[0].sentence.id == exact[0].sentence.id


def test_a_large_index_searched_exactly_is_told_of_the_embedded_store(
    seeds_copy: Path, tmp_path: Path, fake_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant import core

    monkeypatch.setattr(core, "EXACT_PASSAGES", 5)
    told: list[str] = []
    Assistant.open(
        Config(docs_dir=seeds_copy, index_dir=tmp_path / "index"), embedder=fake_embedder, notify=told.append
    )
    assert any("--rebuild --store embedded" in m for m in told), told
    told.clear()
    config = Config(docs_dir=seeds_copy, index_dir=tmp_path / "stored", store="embedded")
    Assistant.open(config, embedder=fake_embedder, notify=told.append)
    assert not any("--store embedded" in m for m in told), told


def test_a_generation_missing_a_table_is_unreadable_not_a_crash(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    import sqlite3

    index = tmp_path / "index"
    _open(seeds_copy, index, fake_embedder)
    path = index / store.current_generation(index) / store.TABLES
    db = sqlite3.connect(path)
    db.execute("DROP TABLE doc_terms")
    db.commit()
    db.close()
    with pytest.raises(IndexStateError, match="lacks the tables doc_terms.*--rebuild"):
        store.load(index, mapped=True)


def _age(path: Path, seconds: float) -> None:
    """Set the file's modification time ``seconds`` into the past."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_an_unchanged_file_is_not_hashed_again_and_a_changed_one_is(
    seeds_copy: Path, tmp_path: Path, fake_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(p for p in seeds_copy.iterdir() if p.suffix == ".txt")
    for path in files:
        _age(path, 3600)  # written an hour ago
    index = tmp_path / "index"
    _open(seeds_copy, index, fake_embedder)
    hashed: list[str] = []
    real = indexer.sha256_file

    def counting(path: Path) -> str:
        hashed.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(indexer, "sha256_file", counting)
    config = Config(docs_dir=seeds_copy, index_dir=index)
    pending, gone, _ = indexer.plan(store.load(index, mapped=True), config)
    assert (pending, gone, hashed) == ([], [], [])  # size and time as recorded: trusted
    # rewritten: a new time (and here a new size) makes it hashed and indexed again
    files[0].write_text(files[0].read_text(encoding="utf-8") + "\nA late line.\n", encoding="utf-8")
    pending, _, _ = indexer.plan(store.load(index, mapped=True), config)
    assert [p.doc_id for p in pending] == [files[0].name] and hashed == [files[0].name]


def test_a_file_changed_moments_before_it_was_seen_is_hashed_every_time(
    seeds_copy: Path, tmp_path: Path, fake_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in seeds_copy.iterdir():
        os.utime(path)  # written just now: a coarse clock could give the next change the same time
    index = tmp_path / "index"
    _open(seeds_copy, index, fake_embedder)
    hashed: list[str] = []
    real = indexer.sha256_file
    monkeypatch.setattr(indexer, "sha256_file", lambda path: hashed.append(Path(path).name) or real(path))
    indexer.plan(store.load(index, mapped=True), Config(docs_dir=seeds_copy, index_dir=index))
    assert sorted(hashed) == sorted(p.name for p in seeds_copy.iterdir() if p.suffix == ".txt")


def test_the_recorded_file_state_decides_alone_on_size_time_and_age() -> None:
    mtime = 1_700_000_000_000_000_000
    recorded = (100, mtime, mtime + 10 * indexer.RACY_NS)
    assert indexer.unchanged(recorded, (100, mtime, 0))
    assert not indexer.unchanged(recorded, (101, mtime, 0))  # another size
    assert not indexer.unchanged(recorded, (100, mtime + 1, 0))  # another time
    assert not indexer.unchanged((100, mtime, mtime + 1), (100, mtime, 0))  # seen as it was written
    assert not indexer.unchanged(None, (100, mtime, 0))  # an index from before: hashed
