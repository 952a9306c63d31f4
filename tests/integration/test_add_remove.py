"""Bringing your own articles: add and remove are incremental, through the CLI and the Python API.

CLI tests drive ``assistant`` with click's CliRunner in-process; where the model does not
matter it is the fake embedder (counting what it encodes), and the end-to-end tests
(HTML and PDF answers with checkable citations) use the real model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from assistant import core
from assistant.cli import cli
from assistant.config import Config
from assistant.core import Assistant
from assistant.errors import UnknownDocument
from assistant.index import model, store
from assistant.ingest.loaders import read_text
from tests.conftest import FakeEmbedder, assert_verifiable

SEED_A = "000_c282072937a0cf8e.txt"
SEED_B = "003_64419fa70da9995d.txt"
BRIDGE = (
    "Tartu opens a new bridge\n\n"
    "The city of Tartu opened a new pedestrian bridge over the Emajogi river on Friday. "
    "Mayor Urmas Klaas said the bridge cost 12 million euros.\n\n"
    "The bridge replaces a wooden crossing that was closed in 2019. "
    "Engineers from Riga designed its steel arch.\n"
)


def vectors_by_id(index: Path) -> dict[int, np.ndarray]:
    ids, vectors = model.vectors_of(store.load(index).sentence_vectors)
    return {int(i): v for i, v in zip(ids, vectors, strict=True)}


def searchable(a: Assistant, doc_id: str) -> int:
    return sum(s.searchable for s in a.sentences(doc_id))


def assert_passage_vectors_are_sentence_means(index: Path, doc_id: str) -> None:
    data = store.load(index)
    sentence_vectors = dict(zip(*model.vectors_of(data.sentence_vectors), strict=True))
    passage_vectors = dict(zip(*model.vectors_of(data.passage_vectors), strict=True))
    for p in data.passages[doc_id]:
        members = [s for s in data.sentences[doc_id] if p.first <= s.position <= p.last and s.searchable]
        mean = np.sum([sentence_vectors[s.id] for s in members], axis=0)
        # sentence vectors are stored at half precision (a relative error of about 5e-4)
        np.testing.assert_allclose(passage_vectors[p.id], mean / np.linalg.norm(mean), atol=2e-3)


# --- Python API (fake embedder) -------------------------------------------------------------


@pytest.fixture
def opened(seeds_copy: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> Assistant:
    return Assistant.open(Config(docs_dir=seeds_copy, index_dir=tmp_path / "index"), embedder=fake_embedder)


def test_adding_a_file_embeds_only_its_sentences_and_keeps_other_ids(
    opened: Assistant, tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    index = opened.config.index_dir
    before = vectors_by_id(index)
    seed_ids = {d: [s.id for s in opened.sentences(d)] for d in (SEED_A, SEED_B)}
    new = tmp_path / "bridge.txt"
    new.write_text(BRIDGE, encoding="utf-8")
    encoded = fake_embedder.texts_encoded

    report = opened.add([new])

    assert report.added == ["bridge.txt"] and not report.updated and not report.errors
    n = searchable(opened, "bridge.txt")
    assert report.sentences_embedded == n > 0
    # each of its sentences once; passage vectors are means of sentence vectors, not encoded
    assert fake_embedder.texts_encoded - encoded == n
    assert_passage_vectors_are_sentence_means(index, "bridge.txt")
    after = vectors_by_id(index)
    assert {d: [s.id for s in opened.sentences(d)] for d in (SEED_A, SEED_B)} == seed_ids
    for sid, vector in before.items():
        assert np.array_equal(after[sid], vector)  # same id, same vector
    assert len(after) == len(before) + n
    assert (opened.config.docs_dir / "bridge.txt").read_text(encoding="utf-8") == BRIDGE


def test_an_add_looks_only_at_the_files_it_adds(opened: Assistant, tmp_path: Path) -> None:
    """An add costs what its articles cost: the rest of the folder is not scanned; a file
    dropped in or deleted by hand is taken up by the next update, as before."""
    docs = opened.config.docs_dir
    (docs / "by-hand.txt").write_text(BRIDGE.replace("Tartu", "Narva"), encoding="utf-8")
    (docs / SEED_B).unlink()
    new = tmp_path / "bridge.txt"
    new.write_text(BRIDGE, encoding="utf-8")
    report = opened.add([new])
    assert report.added == ["bridge.txt"] and not report.removed
    assert {d.doc_id for d in opened.documents()} == {SEED_A, SEED_B, "bridge.txt"}
    update = opened.update()
    assert update.added == ["by-hand.txt"] and update.removed == [SEED_B]
    assert {d.doc_id for d in opened.documents()} == {SEED_A, "bridge.txt", "by-hand.txt"}
    assert_verifiable(opened.ask("Who designed the bridge's steel arch?"))


def test_every_stored_vector_is_the_encoding_of_its_own_text(opened: Assistant, tmp_path: Path) -> None:
    """Texts are encoded sorted by length; each passage holds the mean of its sentences' vectors."""
    new = tmp_path / "bridge.txt"
    new.write_text(BRIDGE, encoding="utf-8")
    opened.add([new])
    data = store.load(opened.config.index_dir)
    fresh = FakeEmbedder()
    sentences = {s.id: s.text for doc in data.sentences.values() for s in doc if s.searchable}
    ids, vectors = model.vectors_of(data.sentence_vectors)
    expected = fresh.encode([sentences[int(i)] for i in ids])
    assert np.allclose(vectors, expected, atol=2e-3)  # stored at half precision
    pids, _ = model.vectors_of(data.passage_vectors)
    assert sorted(pids.tolist()) == sorted(p.id for doc in data.passages.values() for p in doc)
    for doc_id in data.passages:
        assert_passage_vectors_are_sentence_means(opened.config.index_dir, doc_id)


def test_the_same_content_again_is_skipped_under_any_name(opened: Assistant, tmp_path: Path, fake_embedder) -> None:
    copy = tmp_path / "renamed-copy.txt"
    copy.write_bytes((opened.config.docs_dir / SEED_A).read_bytes())
    generation, encoded = opened.generation, fake_embedder.texts_encoded
    report = opened.add([copy])
    assert not report.added and report.skipped == [f"{copy} (already indexed as {SEED_A})"]
    assert opened.generation == generation and fake_embedder.texts_encoded == encoded
    assert not (opened.config.docs_dir / "renamed-copy.txt").exists()


def test_a_different_file_with_a_taken_name_gets_a_new_name(opened: Assistant, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / SEED_A
    other.parent.mkdir()
    other.write_text(BRIDGE, encoding="utf-8")
    report = opened.add([other])
    renamed = SEED_A.replace(".txt", "-2.txt")
    assert report.added == [renamed]
    assert opened.text(SEED_A) != BRIDGE and opened.text(renamed) == BRIDGE


def test_a_changed_file_is_re_embedded_alone_under_the_same_id(opened: Assistant, fake_embedder) -> None:
    docs = opened.config.docs_dir
    kept = [s.id for s in opened.sentences(SEED_B)]
    (docs / SEED_A).write_text(read_text(docs / SEED_A) + "\nA late paragraph about the Nara dinner menu.\n", "utf-8")
    encoded = fake_embedder.texts_encoded
    report = opened.update()
    assert report.updated == [SEED_A] and not report.added
    assert report.sentences_embedded == searchable(opened, SEED_A)
    assert fake_embedder.texts_encoded - encoded == report.sentences_embedded
    assert [s.id for s in opened.sentences(SEED_B)] == kept
    assert "dinner menu" in opened.text(SEED_A)


def test_removed_documents_leave_answers_and_stay_out_until_added_again(opened: Assistant, fake_embedder) -> None:
    question = "Who is Benoit Hardy-Chartrand?"
    assert {c.doc_id for c in opened.ask(question).passages} == {SEED_A, SEED_B}
    doc = opened.remove(SEED_B)
    assert doc.doc_id == SEED_B and (opened.config.docs_dir / SEED_B).exists()  # the file is left alone
    answer = opened.ask(question)
    assert {p.doc_id for p in answer.passages} == {SEED_A}
    assert all(c.doc_id == SEED_A for c in answer.citations)
    data = store.load(opened.config.index_dir)
    assert SEED_B not in data.documents and data.sentence_vectors.ntotal == searchable(opened, SEED_A)
    # A later sync does not bring it back; adding it again does.
    reopened = Assistant.open(opened.config, embedder=fake_embedder)
    assert [d.doc_id for d in reopened.documents()] == [SEED_A]
    report = reopened.add([opened.config.docs_dir / SEED_B])
    assert report.added == [SEED_B]
    assert [d.doc_id for d in reopened.documents()] == [SEED_A, SEED_B]


def test_removing_an_unknown_id_raises_and_changes_nothing(opened: Assistant) -> None:
    generation = opened.generation
    with pytest.raises(UnknownDocument, match="No document 'nope.txt'"):
        opened.remove("nope.txt")
    assert store.current_generation(opened.config.index_dir) == generation


def test_adding_a_folder_takes_supported_files_recursively(opened: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    (folder / "deep" / "deeper").mkdir(parents=True)
    (folder / "one.txt").write_text(BRIDGE, encoding="utf-8")
    (folder / "deep" / "two.md").write_text("# Port deal\n\nThe port of Accra signed a deal on Tuesday.\n", "utf-8")
    (folder / "deep" / "deeper" / "three.html").write_text(
        _html("Quito buses", ["Quito bought 40 electric buses."]), "utf-8"
    )
    (folder / "deep" / "notes.csv").write_text(
        "a,b\n1,2\n", encoding="utf-8"
    )  # other formats inside folders are ignored
    hidden = folder / ".hidden.txt"
    hidden.write_text("A hidden draft that must not be indexed.\n", encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "notes.txt").write_text("A tool's folder, passed over.\n", encoding="utf-8")
    report = opened.add([folder])
    assert sorted(report.added) == ["one.txt", "three.html", "two.md"]
    assert [str(e) for e in report.errors] == [
        f"{hidden}: a hidden file (its name starts with a dot); rename it to add it"
    ]
    assert [d.doc_id for d in opened.documents()] == [SEED_A, SEED_B, "one.txt", "three.html", "two.md"]
    assert not (opened.config.docs_dir / ".hidden.txt").exists()


def test_a_changed_file_that_became_unreadable_leaves_the_index(opened: Assistant) -> None:
    # Its old offsets would slice the new bytes: it must not stay citable.
    (opened.config.docs_dir / SEED_A).write_bytes(b"\x00\x01binary now" * 50)
    report = opened.update()
    assert report.removed == [SEED_A] and "binary" in str(report.errors[0])
    assert [d.doc_id for d in opened.documents()] == [SEED_B]


# --- CLI (fake embedder) ----------------------------------------------------------------


@pytest.fixture
def fake_cli(monkeypatch: pytest.MonkeyPatch, seeds_copy: Path, tmp_path: Path, fake_embedder: FakeEmbedder):  # type: ignore[no-untyped-def]
    """Run ``assistant ARGS --docs <seeds copy> --index <tmp>`` in-process with the fake embedder."""
    monkeypatch.setattr(core, "load_embedder", lambda model=None, **_: fake_embedder)
    where = ["--docs", str(seeds_copy), "--index", str(tmp_path / "index")]

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, *where])

    assert run("index").exit_code == 0
    return run


def test_cli_add_reports_what_it_embedded(fake_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    new = tmp_path / "bridge.txt"
    new.write_text(BRIDGE, encoding="utf-8")
    result = fake_cli("add", str(new))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Added 1, updated 0, skipped 0, refused 0; 3 documents in the index."
    again = fake_cli("add", str(new))
    assert again.exit_code == 0
    assert f"skipped {new} (already indexed as bridge.txt)" in again.stderr
    assert again.stdout.strip() == "Added 0, updated 0, skipped 1, refused 0; 3 documents in the index."


def test_cli_index_after_an_edit_embeds_that_file_alone(fake_cli, seeds_copy: Path) -> None:  # type: ignore[no-untyped-def]
    (seeds_copy / SEED_B).write_text(read_text(seeds_copy / SEED_B) + "\nOne more sentence about Nara.\n", "utf-8")
    result = fake_cli("index")
    assert result.exit_code == 0, result.output
    n = sum(1 for row in json.loads(fake_cli("docs", "--json").stdout) if row["id"] == SEED_B)
    assert n == 1
    data = store.load(seeds_copy.parent / "index")
    embedded = sum(s.searchable for s in data.sentences[SEED_B])
    assert f"(0 added, 1 updated, 0 removed, {embedded} sentences embedded)" in result.stdout


def test_cli_docs_json_lists_id_title_format_sentences_and_date(fake_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "quito.html"
    page.write_text(_html("Quito buys electric buses", ["Quito bought 40 electric buses on Monday."]), "utf-8")
    assert fake_cli("add", str(page)).exit_code == 0
    result = fake_cli("docs", "--json")
    assert result.exit_code == 0 and not result.stderr
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert list(rows) == [SEED_A, SEED_B, "quito.html"]
    for row in rows.values():
        assert {"id", "title", "format", "sentences", "added_at"} <= set(row)
        assert isinstance(row["sentences"], int) and row["sentences"] > 0
        assert row["added_at"].endswith("+00:00")
    assert rows["quito.html"]["format"] == "html" and rows["quito.html"]["title"] == "Quito buys electric buses"
    assert rows[SEED_B]["title"].startswith("Japan and South Korea Hold Summit")


def test_cli_remove_takes_it_out_of_docs_and_answers(fake_cli) -> None:  # type: ignore[no-untyped-def]
    result = fake_cli("remove", SEED_B)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Removed {SEED_B} (Japan and South Korea Hold Summit")
    assert [r["id"] for r in json.loads(fake_cli("docs", "--json").stdout)] == [SEED_A]
    answer = json.loads(fake_cli("ask", "--json", "What is shuttle diplomacy?").stdout)
    assert {p["doc_id"] for p in answer["passages"]} | {c["doc_id"] for c in answer["citations"]} == {SEED_A}


def test_cli_remove_of_an_unknown_id_is_one_clear_line(fake_cli) -> None:  # type: ignore[no-untyped-def]
    result = fake_cli("remove", "no-such-article.txt")
    assert result.exit_code == 1
    assert result.stderr == "Error: No document 'no-such-article.txt' in the index. 'assistant docs' lists them.\n"
    assert "Traceback" not in result.output


# --- end to end with the real model: HTML and PDF citations -------------------------------


def _html(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<style>p { color: red }</style><script>var tracker = 1;</script></head><body>"
        f"<nav><a href='/'>Home</a> | <a href='/news'>News</a></nav><article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright 2026 Example News</footer></body></html>"
    )


def _pdf(path: Path, title: str, pages: list[list[str]]) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle(title)
    for lines in pages:
        y = 800
        for line in lines:
            c.drawString(50, y, line)
            y -= 16
        c.showPage()
    c.save()


@pytest.fixture
def real_cli(seeds_copy: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """``assistant`` in-process with the real model (loaded once per session by load_embedder)."""
    where = ["--docs", str(seeds_copy), "--index", str(tmp_path / "index")]

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, *where])

    return run


@pytest.mark.slow
def test_html_and_pdf_answers_cite_the_stored_text_with_pages(real_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "harbour.html"
    page.write_text(
        _html(
            "Bergen harbour gets a ferry terminal",
            [
                "The city of Bergen opened a new ferry terminal on Thursday, officials said.",
                "The terminal cost 85 million kroner and can handle 12 ferries a day.",
                "Harbour master Ingrid Solberg said the terminal would cut waiting times by half.",
            ],
        ),
        encoding="utf-8",
    )
    pdf = tmp_path / "dam.pdf"
    _pdf(
        pdf,
        "Report on the Ruvuma dam",
        [
            ["Report on the Ruvuma dam", "", "The Ruvuma dam was completed in March after six years of work."],
            ["Funding", "", "The dam was financed by a loan of 300 million dollars from a regional bank."],
        ],
    )
    result = real_cli("add", str(page), str(pdf))
    assert result.exit_code == 0, result.output
    assert "Added 2," in result.stdout
    index = (tmp_path / "index").resolve()

    html_answer = json.loads(real_cli("ask", "--json", "What did the Bergen ferry terminal cost?").stdout)
    assert html_answer["found"], html_answer["answer"]
    cost = [c for c in html_answer["citations"] if "85 million kroner" in c["text"]]
    assert cost and cost[0]["doc_id"] == "harbour.html" and cost[0]["page"] is None
    assert Path(cost[0]["file"]).parent == index / "texts"  # the extracted text, stored once
    assert_verifiable(html_answer)  # read(file)[start:end] == text for every citation and passage

    pdf_answer = json.loads(real_cli("ask", "--json", "How was the Ruvuma dam financed?").stdout)
    assert pdf_answer["found"], pdf_answer["answer"]
    loan = [c for c in pdf_answer["citations"] if "300 million dollars" in c["text"]]
    assert loan and loan[0]["doc_id"] == "dam.pdf" and loan[0]["page"] == 2
    assert Path(loan[0]["file"]).parent == index / "texts"
    assert all(c["page"] in (1, 2) for c in pdf_answer["citations"] if c["doc_id"] == "dam.pdf")
    assert_verifiable(pdf_answer)
    rows = {r["id"]: r for r in json.loads(real_cli("docs", "--json").stdout)}
    assert rows["harbour.html"]["format"] == "html" and rows["dam.pdf"]["format"] == "pdf"
    assert rows["dam.pdf"]["file"] == loan[0]["file"] and rows["dam.pdf"]["source"].endswith("docs/dam.pdf")


def test_add_parses_each_file_once(opened: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.ingest import loaders

    calls: list[str] = []
    real_load = loaders.load

    def counting_load(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(Path(path).name)
        return real_load(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loaders, "load", counting_load)
    page = tmp_path / "in" / "page.html"
    page.parent.mkdir()
    page.write_text(
        "<html><head><title>Bridge talks</title></head><body><article><h1>Bridge talks</h1>"
        "<p>The two leaders agreed to build a bridge across the strait by 2030.</p>"
        "<p>Engineers said the work would take five years.</p></article></body></html>",
        encoding="utf-8",
    )
    report = opened.add([page.parent])
    assert report.added == ["page.html"] and not report.errors
    assert calls == ["page.html"]
    answer = opened.ask("When will the bridge be built?")
    assert answer.found and "2030" in answer.citations[0].text
    assert_verifiable(answer)


def test_cli_add_yields_the_cpu_to_questions(fake_cli, yielded: list[int], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    new = tmp_path / "bridge.txt"
    new.write_text(BRIDGE, encoding="utf-8")
    assert fake_cli("add", str(new)).exit_code == 0
    assert yielded == [1]
    assert fake_cli("docs").exit_code == 0 and yielded == [1]  # a reader keeps its priority


def test_yielding_lowers_the_process_priority_by_ten() -> None:
    import subprocess
    import sys

    code = "import os; from assistant.cli import yield_to_questions; b = os.nice(0); yield_to_questions(); print(b, os.nice(0))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = map(int, done.stdout.split())
    assert after == min(before + 10, 19)
