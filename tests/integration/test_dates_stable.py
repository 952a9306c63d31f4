"""An article's date does not depend on which unrelated articles sit beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
UNRELATED = Path(__file__).resolve().parents[1] / "data" / "articles" / "accra_solar.html"


def _dates(docs: Path, index: Path) -> dict[str, tuple[str | None, bool]]:
    from assistant import Assistant, Config
    from tests.web_fixtures import embedder

    assistant = Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=embedder())
    return {d.doc_id: (d.dating.published, d.dating.inferred) for d in assistant.documents()}


def test_an_unrelated_dated_article_does_not_move_the_seeds_dates(tmp_path: Path) -> None:
    alone, beside = tmp_path / "alone", tmp_path / "beside"
    for folder in (alone, beside):
        folder.mkdir()
        for path in SEEDS.iterdir():
            if path.is_file():
                shutil.copyfile(path, folder / path.name)
    shutil.copyfile(UNRELATED, beside / UNRELATED.name)
    seeds_alone = _dates(alone, tmp_path / "index-alone")
    with_other = _dates(beside, tmp_path / "index-beside")
    assert with_other[UNRELATED.name] == ("2026-02-03", False)
    assert all(published for published, _ in seeds_alone.values())
    assert {d: with_other[d] for d in seeds_alone} == seeds_alone


def test_an_added_copy_of_a_story_takes_its_date_from_the_indexed_one(tmp_path: Path) -> None:
    """The add's path: the second seed, undated, added beside a generation of two segments
    (an unrelated article's, then the first seed's) finds its twin in the second segment (by
    words, then vectors) and borrows its date, as a build in one go does."""
    from assistant import Assistant, Config
    from assistant.index import store
    from tests.web_fixtures import embedder

    docs = tmp_path / "docs"
    docs.mkdir()
    first, second = sorted(p for p in SEEDS.iterdir() if p.suffix == ".txt")
    shutil.copyfile(UNRELATED, docs / UNRELATED.name)
    shutil.copyfile(SEEDS / "metadata.json", docs / "metadata.json")
    config = Config(docs_dir=docs, index_dir=tmp_path / "index")
    assistant = Assistant.open(config, embedder=embedder())
    assistant.add([first])
    assert len(store.live_segments(config.index_dir)) == 2
    report = assistant.add([second])
    assert [Path(p).name for p in report.added] == [second.name]
    dated = {d.doc_id: d.dating for d in assistant.documents()}
    assert dated[first.name].published == "2026-01-13"
    assert (dated[second.name].published, dated[second.name].inferred) == ("2026-01-13", True)
    assert dated[UNRELATED.name].published == "2026-02-03"
    evidence = dated[second.name].evidence
    assert evidence is not None and assistant.text(second.name)[evidence[0] : evidence[1]].strip()
