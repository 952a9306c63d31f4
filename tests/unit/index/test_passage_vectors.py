"""The assistant with its passage vectors in a passage store (``--store``): the same answers,
the same index life (add, change, remove, rebuild), on every backend."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Config
from assistant.core import Assistant
from assistant.errors import IndexMismatch
from assistant.index import model, store
from assistant.index.passage_vectors import close_stores
from tests.conftest import SEEDS, assert_verifiable, run_cli

BACKENDS = ("embedded", "qdrant+local")
QUESTIONS = (
    "Where did the leaders meet?",
    "What did Lee tell NHK?",
    "How did Beijing retaliate against Tokyo?",
    "Who is Benoit Hardy-Chartrand?",
)


def spec(backend: str, tmp_path: Path) -> str:
    return "embedded" if backend == "embedded" else f"qdrant+local:{tmp_path / 'qdrant'}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(autouse=True)
def _closed_stores():  # type: ignore[no-untyped-def]
    yield
    close_stores()  # each test opens its stores afresh, as a new process would


def stored_ids(data: model.IndexData) -> set[int]:
    hits = data.passage_vectors.store.dense_search(data.passage_vectors.reconstruct_batch([_any_id(data)])[0], 10_000)
    return {h.id for h in hits}


def _any_id(data: model.IndexData) -> int:
    return next(p.id for doc in data.passages.values() for p in doc)


def listed_ids(data: model.IndexData) -> set[int]:
    return {p.id for doc in data.passages.values() for p in doc}


@pytest.mark.contract
def test_the_store_holds_exactly_the_passages_the_index_lists_through_add_change_remove(
    backend: str, seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    config = Config(docs_dir=seeds_copy, index_dir=tmp_path / "index", store=spec(backend, tmp_path))
    a = Assistant.open(config, embedder=fake_embedder)
    data = store.load(config.index_dir)
    assert (
        data.passage_store == config.store_spec and not (config.index_dir / data.generation / "passages.faiss").exists()
    )
    assert stored_ids(data) == listed_ids(data) and len(listed_ids(data)) > 5

    (seeds_copy / "harbour.md").write_text("# Harbour\n\nThe harbour in Kessel reopened on Monday.\n", encoding="utf-8")
    a.update()
    assert "harbour.md" in a._state.data.documents
    assert stored_ids(store.load(config.index_dir)) == listed_ids(store.load(config.index_dir))
    answer = a.ask("When did the harbour in Kessel reopen?")
    assert answer.citations and answer.citations[0].doc_id == "harbour.md"
    assert_verifiable(answer)

    (seeds_copy / "harbour.md").write_text(
        "# Harbour\n\nThe harbour in Kessel stays shut until May.\n", encoding="utf-8"
    )
    a.update()
    data = store.load(config.index_dir)
    assert stored_ids(data) == listed_ids(data)
    assert "shut until May" in a.ask("Is the harbour in Kessel open?").citations[0].text

    a.remove("harbour.md")
    data = store.load(config.index_dir)
    assert "harbour.md" not in data.documents and stored_ids(data) == listed_ids(data)


@pytest.mark.contract
def test_a_rebuild_starts_its_store_empty(backend: str, seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    config = Config(docs_dir=seeds_copy, index_dir=tmp_path / "index", store=spec(backend, tmp_path))
    Assistant.open(config, embedder=fake_embedder)
    (seeds_copy / "000_c282072937a0cf8e.txt").unlink()
    close_stores()
    Assistant.open(config, embedder=fake_embedder, rebuild=True)
    data = store.load(config.index_dir)
    assert set(data.documents) == {"003_64419fa70da9995d.txt"}
    assert stored_ids(data) == listed_ids(data)  # nothing left of the first build


@pytest.mark.contract
def test_passages_a_killed_writer_left_in_the_store_are_never_cited(
    backend: str, seeds_copy: Path, tmp_path: Path, fake_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config(docs_dir=seeds_copy, index_dir=tmp_path / "index", store=spec(backend, tmp_path))
    Assistant.open(config, embedder=fake_embedder)
    live = store.current_generation(config.index_dir)
    (seeds_copy / "harbour.md").write_text("# Harbour\n\nThe harbour in Kessel reopened on Monday.\n", encoding="utf-8")

    def killed(*_args: object) -> None:  # the writer dies after the store, before the generation
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "atomic_write_text", killed)
    with pytest.raises(KeyboardInterrupt):
        Assistant.open(config, embedder=fake_embedder)
    monkeypatch.undo()
    assert store.current_generation(config.index_dir) == live
    close_stores()
    reader = Assistant.open(config, embedder=fake_embedder, update=False)
    data = reader._state.data
    assert stored_ids(data) > listed_ids(data)  # the store ran ahead of the live generation
    answer = reader.ask("When did the harbour in Kessel reopen?")
    assert all(c.doc_id != "harbour.md" for c in answer.citations + answer.passages)
    reader.update()  # the next writer indexes the file again: store and index agree
    data = store.load(config.index_dir)
    assert "harbour.md" in data.documents and stored_ids(data) == listed_ids(data)


def test_without_store_an_index_goes_on_with_its_own_and_another_is_refused(
    seeds_copy: Path, tmp_path: Path, fake_embedder
) -> None:
    index = tmp_path / "index"
    Assistant.open(Config(docs_dir=seeds_copy, index_dir=index, store="embedded"), embedder=fake_embedder)
    again = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=fake_embedder)
    assert again._state.data.passage_store == f"embedded:{(index / 'passages').resolve()}"
    other = Config(docs_dir=seeds_copy, index_dir=index, store=f"qdrant+local:{tmp_path / 'q'}")
    with pytest.raises(IndexMismatch, match="Leave out --store"):
        Assistant.open(other, embedder=fake_embedder)


@pytest.mark.slow
def test_every_backend_gives_the_answers_of_the_default_index(tmp_path: Path) -> None:
    """The real model: passages found exactly on every backend at this size, so the same answers."""
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    answers = {}
    for name, store_spec in (("default", None), *((b, spec(b, tmp_path)) for b in BACKENDS)):
        a = Assistant.open(Config(docs_dir=docs, index_dir=tmp_path / f"index-{name}", store=store_spec))
        answers[name] = [[(c.doc_id, c.start, c.end) for c in a.ask(q).citations] for q in QUESTIONS]
        for q in QUESTIONS:
            assert_verifiable(a.ask(q))
    assert answers["embedded"] == answers["default"]
    assert answers["qdrant+local"] == answers["default"]


@pytest.mark.slow
def test_the_cli_indexes_and_answers_with_an_embedded_store(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    built = run_cli("index", "--docs", "seeds", "--index", "idx", "--store", "embedded", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "idx" / "passages" / "passages.sqlite").is_file()
    asked = run_cli("ask", "--docs", "seeds", "--index", "idx", "Where did the leaders meet?", cwd=tmp_path)
    assert asked.returncode == 0 and "Nara" in asked.stdout, asked.stderr
    refused = run_cli("ask", "--docs", "seeds", "--index", "idx", "--store", "qdrant+local:q", "Where?", cwd=tmp_path)
    assert refused.returncode != 0 and "Leave out --store" in refused.stderr and "Traceback" not in refused.stderr
