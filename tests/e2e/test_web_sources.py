"""The Sources tab's upload and remove call the same core code as `assistant add` / `remove`."""

from __future__ import annotations

from pathlib import Path

from assistant import Assistant, Config
from assistant.web.app import EXAMPLES, Service, build_blocks


def _service(seeds_copy: Path, tmp_path: Path, fake_embedder) -> Service:  # type: ignore[no-untyped-def]
    return Service(Assistant.open(Config(docs_dir=seeds_copy, index_dir=tmp_path / "index"), embedder=fake_embedder))


def test_upload_indexes_good_files_and_lists_bad_ones_escaped(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    service = _service(seeds_copy, tmp_path, fake_embedder)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "ferry.md").write_text("# Ferry\n\nBergen opened a ferry terminal on Thursday.\n", encoding="utf-8")
    (uploads / "<img src=x onerror=alert(1)>.txt").write_bytes(b"")
    seen: list[tuple[str, int, int]] = []
    html = service.add(
        [uploads / "ferry.md", uploads / "<img src=x onerror=alert(1)>.txt"], progress=lambda *a: seen.append(a)
    )
    assert "Added 1" in html and "refused 1" in html
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in html and "<img" not in html
    assert "ferry.md" in [d.doc_id for d in service.documents()]
    assert (seeds_copy / "ferry.md").is_file()  # copied into the docs folder, like `assistant add`
    assert any(stage == "sentences" for stage, _, _ in seen)
    again = service.add([uploads / "ferry.md"])
    assert "skipped 1" in again and "already indexed" in again


def test_remove_takes_the_article_out_and_keeps_its_file(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    service = _service(seeds_copy, tmp_path, fake_embedder)
    html = service.remove("003_64419fa70da9995d.txt")
    assert "Removed" in html and "003_64419fa70da9995d.txt" in html
    assert [d.doc_id for d in service.documents()] == ["000_c282072937a0cf8e.txt"]
    assert (seeds_copy / "003_64419fa70da9995d.txt").is_file()


def test_the_page_has_the_upload_and_remove_controls(seeds_copy: Path, tmp_path: Path, fake_embedder) -> None:
    blocks = build_blocks(_service(seeds_copy, tmp_path, fake_embedder))
    ids = {getattr(b, "elem_id", None) for b in blocks.blocks.values()}
    assert {"add-articles", "remove-article", "sources-status"} <= ids


def _example_buttons(blocks) -> list[str]:  # type: ignore[no-untyped-def]
    import gradio as gr

    return [b.value for b in blocks.blocks.values() if isinstance(b, gr.Button) and b.value in EXAMPLES]


def test_the_seed_examples_show_over_the_seeds(real_assistant) -> None:  # type: ignore[no-untyped-def]
    assert _example_buttons(build_blocks(Service(real_assistant))) == list(EXAMPLES)


def test_the_seed_examples_are_hidden_over_other_articles(tmp_path: Path, fake_embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ferry.md").write_text("# Ferry\n\nBergen opened a ferry terminal on Thursday.\n", encoding="utf-8")
    service = Service(Assistant.open(Config(docs_dir=docs, index_dir=tmp_path / "index"), embedder=fake_embedder))
    assert _example_buttons(build_blocks(service)) == []


def test_a_claim_check_lists_every_document_of_a_small_index_and_the_close_ones_of_an_archive(
    seeds_copy: Path, tmp_path: Path, fake_embedder, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from assistant.web import service as service_module

    (seeds_copy / "ferry.md").write_text("# Ferry\n\nBergen opened a ferry terminal on Thursday.\n", encoding="utf-8")
    service = _service(seeds_copy, tmp_path, fake_embedder)
    claim = "Takaichi and Lee met in Nara."
    listed = {s.doc_id for s in service.check(claim).sources}
    assert listed == {d.doc_id for d in service.documents()} and len(listed) == 3
    scored = [s for s in service.assistant.closest(claim) if s.sentence.doc_id != "ferry.md"]
    monkeypatch.setattr(service.assistant, "closest", lambda text: scored)  # nothing close in ferry.md
    monkeypatch.setattr(service_module, "LISTED_DOCUMENTS", 2)  # as if it were an archive
    check = service.check(claim)
    assert {s.doc_id for s in check.sources} == {s.sentence.doc_id for s in scored} == listed - {"ferry.md"}
    assert all(s.passages for s in check.sources)
    assert check.verdict == service.assistant.check(claim, []).verdict
