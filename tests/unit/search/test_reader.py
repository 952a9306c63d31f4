"""The shipped reader: loads offline from the package, is the recorded file, reads deterministically."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ReaderError
from assistant.files import sha256_file
from assistant.search.reader import MANIFEST, Reader, ReaderSpec, default_reader

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "reader_fixture.json"


def test_the_shipped_weights_are_the_recorded_file() -> None:
    spec = ReaderSpec.load()
    assert spec.file.parent == MANIFEST.parent
    assert sha256_file(spec.file) == spec.sha256
    assert spec.file.stat().st_size <= 30 * 1024 * 1024


def test_the_unsure_level_lies_between_refusal_and_a_sure_answer_or_there_is_none() -> None:
    """fit_reader keeps an unsure band only where its answers are right half the time on
    validation; the shipped manifest records either such a level or none (null)."""
    spec = ReaderSpec.load()
    assert spec.unsure is None or spec.threshold < spec.unsure < 6.0
    assert -10.0 < spec.threshold < 2.0


def _copy(tmp_path: Path) -> Path:
    manifest = tmp_path / "reader.json"
    shutil.copy(MANIFEST, manifest)
    shutil.copy(ReaderSpec.load().file, tmp_path / ReaderSpec.load().file.name)
    return manifest


def test_a_changed_weights_file_is_refused(tmp_path: Path) -> None:
    manifest = _copy(tmp_path)
    weights = tmp_path / ReaderSpec.load().file.name
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ReaderError, match="not the recorded one"):
        Reader.load(manifest)


def test_a_missing_weights_file_is_a_clear_error(tmp_path: Path) -> None:
    manifest = _copy(tmp_path)
    (tmp_path / ReaderSpec.load().file.name).unlink()
    with pytest.raises(ReaderError, match="missing"):
        Reader.load(manifest)
    (tmp_path / "reader.json").write_text("{", encoding="utf-8")
    with pytest.raises(ReaderError, match="cannot be read"):
        Reader.load(manifest)


def test_the_reader_output_on_the_fixture_is_the_recorded_one() -> None:
    """Same input, same logits, on every run and machine of this build (int8 ONNX, CPU)."""
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    reader = default_reader()
    assert fixture["model_sha256"] == reader.spec.sha256, "re-record with training/reader_fixture.py"
    for case in fixture["cases"]:
        candidates = [tuple(c) for c in case["candidates"]]
        first, margins, _ = reader.scores(case["question"], candidates)
        again, margins_again, _ = reader.scores(case["question"], candidates)
        assert np.array_equal(first, again) and np.array_equal(margins, margins_again)
        np.testing.assert_allclose(first, case["logits"], atol=1e-3)
        np.testing.assert_allclose(margins, case["margins"], atol=1e-3)
        # the answering sentence is read as the answer
        assert int(np.argmax(first)) == case["answer"]


def test_the_reader_finds_answer_words_inside_the_sentence() -> None:
    reader = default_reader()
    sentence = "The terminal cost 85 million kroner and can handle 12 ferries a day."
    logits, words = reader.read("How much did the terminal cost?", [(sentence, "", "Bergen harbour")])
    assert logits.shape == (1,)
    assert words[0] is not None
    start, end = words[0]
    assert "85 million" in sentence[start:end] and len(sentence[start:end]) < len(sentence) / 2


def test_a_pair_given_many_times_is_read_once_with_the_outputs_of_reading_every_copy() -> None:
    """A syndicated story's copies bring the same (sentence, previous sentence, title) to the
    reader: the model reads each distinct pair once, and every copy gets what reading all of
    them in one batch gives, to the bit (logits, span margins, answer words)."""
    from assistant.search.reader import _span
    from assistant.search.reader_input import encode_pairs, pair_text

    reader = default_reader()
    question = "How much did the terminal cost?"
    before = (
        "It opened in May, after years of delay and a long dispute between the city, the port and "
        "the ferry companies over fees and land."
    )
    assert len(before) > 120
    cost = ("The terminal cost 85 million kroner and can handle 12 ferries a day.", before, "Bergen")
    ferries = ("Twelve ferries call at the terminal every day.", "", "Bergen harbour")
    # the same sentence after a previous sentence that differs only before its last 120
    # characters, all a pair keeps of it: the same pair as ``cost``
    cost_again = (cost[0], "Much earlier text. " + before, cost[2])
    assert cost_again != cost and pair_text(*cost_again) == pair_text(*cost)
    candidates = [cost, ferries, cost, cost, ferries, cost_again, cost, ferries]

    batches: list[int] = []
    run = reader.session.run

    def counted(names: object, feed: dict[str, np.ndarray]) -> object:
        batches.append(len(feed["input_ids"]))
        return run(names, feed)

    reader.session.run = counted  # type: ignore[method-assign]
    try:
        logits, margins, words = reader.scores(question, candidates)
    finally:
        del reader.session.run
    assert batches == [2]  # two distinct pairs

    # every copy read, as the model would read them all in one batch
    texts = [pair_text(*c) for c in candidates]
    ids, mask, types, encodings = encode_pairs(reader.tokenizer, [question] * len(texts), texts)
    all_logits, starts, ends = reader.session.run(
        None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    )
    spans = [_span(e, len(c[0]), s, t) for e, c, s, t in zip(encodings, candidates, starts, ends, strict=True)]
    assert np.array_equal(logits, all_logits.astype(np.float32).reshape(-1))
    assert np.array_equal(margins, np.array([m for _, m in spans], dtype=np.float32))
    assert words == [w for w, _ in spans]
    assert logits[0] == logits[2] == logits[5] == logits[6] and logits[1] == logits[4] == logits[7]
    assert logits[0] > logits[1]  # the cost is in the first sentence


def test_an_empty_candidate_list_reads_nothing() -> None:
    logits, words = default_reader().read("Who?", [])
    assert logits.shape == (0,) and words == []


def test_the_span_margin_weighs_in_the_score_as_the_manifest_says() -> None:
    """``combine`` adds ``span`` times the span head's margin to the logit; ``prob`` stays the
    sentence head's own."""
    from assistant.search.reader import combine
    from assistant.search.retrieve import Scored
    from assistant.types import PassageRow, Sentence

    ranked = [
        Scored(
            Sentence(i, "d.txt", i * 20, i * 20 + 10, f"sentence {i}", i, 0),
            1.0 - i,
            0.5,
            0.5,
            1.0,
            0.0,
            0.0,
            PassageRow(0, "d.txt", 0, 40, 0, 1),
        )
        for i in range(2)
    ]
    logits, margins = np.array([1.0, 0.5], dtype=np.float32), np.array([-4.0, 2.0], dtype=np.float32)
    plain = combine(ranked, logits, [None, None], ReaderSpec(Path(), "", 0.0, 0.0, 3.0, 2))
    spanned = combine(ranked, logits, [None, None], ReaderSpec(Path(), "", 0.0, 0.0, 3.0, 2, span=0.5), margins)
    assert [s.sentence.id for s in plain] == [0, 1]
    assert [s.sentence.id for s in spanned] == [1, 0]
    assert spanned[0].score == pytest.approx(0.5 + 0.5 * 2.0)
    assert spanned[0].prob == pytest.approx(1 / (1 + np.exp(-0.5)))
