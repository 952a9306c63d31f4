"""The facade with stand-ins passed through ``Assistant.open``: a fake embedder and a fake
reader, so that these tests run in milliseconds and test the core, not the models."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, Config
from assistant.errors import InvalidQuestion
from tests.conftest import FakeSession, assert_verifiable, fake_reader


@pytest.fixture
def opened(seeds_copy: Path, tmp_path: Path, fake_embedder) -> Assistant:  # type: ignore[no-untyped-def]
    config = Config(docs_dir=seeds_copy, index_dir=tmp_path / "index", library_dir=None)
    return Assistant.open(config, embedder=fake_embedder, reader=fake_reader())


def test_the_stand_ins_given_to_open_are_the_ones_used(opened: Assistant, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(opened.reader.session, FakeSession)
    before = fake_embedder.calls
    opened.ask("Where did Takaichi and Lee meet?")
    assert fake_embedder.calls == before + 1  # the question, embedded once by the fake


def test_an_answer_read_by_the_fake_reader_cites_verbatim(opened: Assistant) -> None:
    answer = opened.ask("What did Lee tell NHK?")
    assert answer.found
    assert_verifiable(answer)
    assert any("NHK" in c.text for c in answer.citations)


def test_a_question_the_articles_share_no_word_with_is_refused(opened: Assistant) -> None:
    answer = opened.ask("Which football club won the cup final on penalties?")
    assert not answer.found
    assert_verifiable(answer)


def test_bad_input_is_refused_before_anything_is_read(opened: Assistant) -> None:
    with pytest.raises(InvalidQuestion):
        opened.ask("   ")
