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
