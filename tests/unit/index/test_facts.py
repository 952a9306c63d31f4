"""Each row's terms and text features, saved with its segment: a reader reads what it
would have worked out from the text, through adds, deletions and merges (fake embedder,
real files)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from assistant.config import Config
from assistant.core import Assistant
from assistant.index import facts, store
from assistant.language.features import text_features
from assistant.language.question import analyze
from assistant.language.terms import row_terms
from assistant.search.retrieve import Searcher
from assistant.search.view import IndexView

ARTICLES = {
    "bridge.md": "# Osaka bridge opens\n\nThe new bridge in Osaka opened on Monday. “It cost 40 million dollars,” "
    "said the mayor, according to NHK.\n",
    "dam.txt": "Dam finished\n\nThe Ruvuma dam was completed in March because of rain. Lee visited it, he said.\n",
    "port.txt": "Port deal\n\nBeijing signed a deal to build two new berths in Accra. Officials say Lee praised it.\n",
}
QUESTIONS = ["How much did the bridge cost?", "What did the mayor say?", "When was the dam completed?", "Why?"]


def _reader(docs: Path, index: Path, embedder) -> Assistant:  # type: ignore[no-untyped-def]
    Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=embedder)
    return Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=embedder, update=False)


def _worked_out(view: IndexView, r: int) -> tuple[frozenset[str], dict[str, object]]:
    text = view.rows[r].text
    return frozenset(row_terms(text)), text_features(text)


def _add_one_by_one(docs: Path, index: Path, embedder) -> Assistant:  # type: ignore[no-untyped-def]
    Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=embedder)
    for name, text in ARTICLES.items():
        (docs / name).write_text(text, encoding="utf-8")
        Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=embedder)
    return Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=embedder, update=False)


def test_a_record_reads_back_as_the_text_shows() -> None:
    for text in [
        "“This station will power 40,000 homes,” said the minister on Friday.",
        "Beijing retaliated after Ms Takaichi’s remarks in November that Japan could intervene.",
        "",
        "Officials say the talks, held in Seoul, failed because of the dispute.",
    ]:
        found = row_terms(text)
        assert facts.decode(facts.record(text, found)) == (frozenset(found), text_features(text))
    # a text met again is worked out once, and reads the same
    twice = facts.records(["Lee said so.", "Lee said so."], [["lee", "say"], ["lee", "say"]])
    assert twice[0] is twice[1]


def test_every_row_of_a_segmented_index_reads_its_saved_facts(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    index = tmp_path / "index"
    reader = _add_one_by_one(seeds_copy, index, fake_embedder)
    (seeds_copy / "dam.txt").write_text("Dam finished\n\nThe Ruvuma dam opened in May, officials said.\n")
    reader = _reader(seeds_copy, index, fake_embedder)  # dam.txt deleted from its segment, and added anew
    assert store._read_json(index / reader.generation / "manifest.json")["deleted"]
    view = reader._state.searcher.view
    assert view._saved is not None and len(view.rows) > 20
    for r in range(len(view.rows)):
        assert view._saved.get(r) == _worked_out(view, r), view.rows[r].text
        assert view.row_terms[r] == frozenset(row_terms(view.rows[r].text))
        assert view.features[r] == text_features(view.rows[r].text)


def test_a_merge_keeps_the_facts_and_ranking_is_the_same_without_them(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    index = tmp_path / "index"
    _add_one_by_one(seeds_copy, index, fake_embedder)
    assert store.merge(index) is not None
    merged = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder, update=False)
    view = merged._state.searcher.view
    assert all(view._saved.get(r) == _worked_out(view, r) for r in range(len(view.rows)))  # type: ignore[union-attr]
    # the same index without its saved facts ranks the same, reading everything from the text
    bare = tmp_path / "bare"
    shutil.copytree(index, bare)
    for folder in bare.glob(f"gen-*/{facts.FOLDER}"):
        shutil.rmtree(folder)
    a = Searcher(store.load(index, mapped=True), fake_embedder)
    b = Searcher(store.load(bare, mapped=True), fake_embedder)
    assert a.view._saved is not None and b.view._saved is None
    for text in QUESTIONS:
        left, right = a.rank(analyze(text), limit=10), b.rank(analyze(text), limit=10)
        assert [(s.sentence.id, s.score) for s in left] == [(s.sentence.id, s.score) for s in right], text


def test_facts_of_another_language_version_or_damaged_are_not_read(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    index = tmp_path / "index"
    reader = _reader(seeds_copy, index, fake_embedder)
    folder = index / reader.generation / facts.FOLDER
    assert facts.RowFacts.open(folder) is not None
    told = json.loads((folder / "facts.json").read_text())
    (folder / "facts.json").write_text(json.dumps({**told, "fingerprint": "an older one"}))
    assert facts.RowFacts.open(folder) is None
    (folder / "facts.json").write_text(json.dumps(told))
    starts = np.load(folder / "starts.npy")
    (folder / "records.bin").write_bytes((folder / "records.bin").read_bytes()[: int(starts[-1]) - 1])
    assert facts.RowFacts.open(folder) is None
    # read as having none: the rows are worked out from their text, and answers stay whole
    again = Assistant.open(reader.config, embedder=fake_embedder, update=False)
    assert again._state.searcher.view._saved is None
    answer = again.ask("Where did the leaders meet?")
    assert all(again.text(c.doc_id)[c.start : c.end] == c.text for c in answer.citations)


def test_compacting_writes_the_facts_a_segment_lacks(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    index = tmp_path / "index"
    _add_one_by_one(seeds_copy, index, fake_embedder)
    live = store.live_segments(index)
    written = {p: p.stat().st_mtime_ns for seg in live for p in (index / seg).rglob("*") if p.is_file()}
    for seg in live[:2]:  # as segments written before facts were saved
        shutil.rmtree(index / seg / facts.FOLDER)
    (index / live[0] / ".tmp-facts-killed" / facts.FOLDER).mkdir(parents=True)  # a completion killed midway
    with store.WriterLock(index):  # taking it sweeps what killed writers left
        assert not list(index.glob("gen-*/.tmp-*"))
        assert store.complete_facts(index) == live[:2]
        assert store.complete_facts(index) == []
    # the segments' other files are as they were, and their facts as an add writes them
    assert all(p.stat().st_mtime_ns == t for p, t in written.items() if facts.FOLDER not in p.parts)
    view = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder, update=False)
    view = view._state.searcher.view
    assert all(view._saved.get(r) == _worked_out(view, r) for r in range(len(view.rows)))  # type: ignore[union-attr]
    assert not list(index.glob("gen-*/.tmp-facts-*"))
