"""The ONNX Runtime embedder gives sentence-transformers' vectors, caches its export, and never crashes a load."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.index import embed
from assistant.index.embed import MIN_COSINE_INT8, OnnxEmbedder, SentenceTransformerEmbedder, embed_query, load_embedder

QUESTIONS = [
    "What did Lee tell NHK?",
    "Who won the election in 2024?",
    "  where is the   capital of Japan  ",
    "How many people were evacuated after the earthquake, according to the ministry?",
    "Café naïve résumé — “quotes” 日本語 😀",
    "?",
]
SENTENCES = QUESTIONS + [
    "",
    "The steam engine contributed much to the development of thermodynamic theory.",
    "Short.",
    "word " * 400,  # longer than the model's 256 tokens: both truncate the same way
    "In 1973, the oil embargo sent prices up fourfold; rationing followed in several countries.",
]


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Exported once, in a child process that is offline with an empty Hugging Face cache."""
    root = tmp_path_factory.mktemp("embed")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HOME=str(root / "hf-home"))
    script = (
        "import sys; from assistant.index.embed import OnnxEmbedder; "
        "e = OnnxEmbedder.load(None, sys.argv[1]); assert e.exported, 'expected a fresh export'"
    )
    done = subprocess.run([sys.executable, "-c", script, str(root / "cache")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return root / "cache"


@pytest.fixture(scope="module")
def fast(cache_dir: Path) -> OnnxEmbedder:
    return OnnxEmbedder.load(None, cache_dir)


def _onnx_file(cache_dir: Path) -> Path:
    (found,) = cache_dir.glob("embedder-*.onnx")
    return found


@pytest.mark.slow
def test_query_vector_is_sentence_transformers_within_int8_error(
    fast: OnnxEmbedder, reference: SentenceTransformerEmbedder
) -> None:
    for question in QUESTIONS:
        got = fast.encode_query(question)
        want = reference.encode([question])[0]
        assert got.shape == (384,) and got.dtype == np.float32
        assert np.linalg.norm(got) == pytest.approx(1.0, abs=1e-5)
        assert float(got @ want) >= MIN_COSINE_INT8, question


@pytest.mark.slow
def test_bulk_vectors_are_sentence_transformers_within_int8_error(
    fast: OnnxEmbedder, reference: SentenceTransformerEmbedder
) -> None:
    got = fast.encode(SENTENCES, batch_size=4)  # several padded batches, run concurrently
    want = reference.encode(SENTENCES)
    assert got.shape == want.shape == (len(SENTENCES), 384)
    cosines = np.sum(got * want, axis=1)
    assert np.min(cosines) >= MIN_COSINE_INT8 and np.mean(cosines) >= 0.98
    assert fast.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_same_name_and_dim_as_reference(fast: OnnxEmbedder, reference: SentenceTransformerEmbedder) -> None:
    # An index built by either embedder passes the other's compatibility check.
    assert (fast.name, fast.dim) == (reference.name, reference.dim)


@pytest.mark.slow
def test_second_load_reuses_the_cache(cache_dir: Path) -> None:
    onnx_file = _onnx_file(cache_dir)
    before = onnx_file.stat().st_mtime_ns
    again = OnnxEmbedder.load(None, cache_dir)
    assert not again.exported
    assert onnx_file.stat().st_mtime_ns == before
    assert sorted(p.name for p in cache_dir.iterdir() if p.name.startswith(".")) == []


@pytest.mark.slow
def test_corrupt_cache_is_replaced(cache_dir: Path, tmp_path: Path, reference: SentenceTransformerEmbedder) -> None:
    broken = tmp_path / "cache"
    shutil.copytree(cache_dir, broken)
    onnx_file = _onnx_file(broken)
    onnx_file.write_bytes(onnx_file.read_bytes()[:100_000])
    killed = broken / ".export-killed.onnx"  # left by an export killed a day ago
    killed.write_bytes(b"partial")
    os.utime(killed, (0, 0))
    idle = [broken / "embedder-0000idle-f1.onnx", broken / "embedder-0000idle-f1.json"]  # unused for months
    recent = [broken / "embedder-1111used-f1.onnx", broken / "embedder-1111used-f1.json"]  # another model in use
    for path in idle + recent:
        path.write_bytes(b"{}")
    for path in idle:
        os.utime(path, (0, 0))

    healed = OnnxEmbedder.load(None, broken)

    assert healed.exported
    assert not killed.exists()
    assert not any(p.exists() for p in idle) and all(p.exists() for p in recent)
    assert onnx_file.stat().st_size > 20_000_000  # the whole int8 model again (23 MB)
    question = "What did Lee tell NHK?"
    assert float(healed.encode_query(question) @ reference.encode([question])[0]) >= MIN_COSINE_INT8


@pytest.mark.slow
def test_sidecar_with_other_vectors_forces_a_new_export(cache_dir: Path, tmp_path: Path) -> None:
    stale = tmp_path / "cache"
    shutil.copytree(cache_dir, stale)
    (sidecar,) = stale.glob("embedder-*.json")
    meta = json.loads(sidecar.read_text())
    meta["vectors"] = (-np.asarray(meta["vectors"])).tolist()
    sidecar.write_text(json.dumps(meta))

    assert OnnxEmbedder.load(None, stale).exported


@pytest.mark.slow
def test_load_embedder_falls_back_when_onnxruntime_is_missing(monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    embedder = load_embedder.__wrapped__(None, cache_dir=cache_dir)  # not the process-wide cache
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embed_query(embedder, "What did Lee tell NHK?").shape == (384,)


def test_embed_query_uses_encode_for_embedders_without_a_fast_path(fake_embedder) -> None:
    vector = embed_query(fake_embedder, "What did Lee tell NHK?")
    assert vector.shape == (fake_embedder.dim,)
    assert fake_embedder.calls == 1


def test_models_without_mean_pooling_take_the_plain_path(tmp_path: Path) -> None:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    with pytest.raises(ValueError, match="pooling"):
        embed._fast_path_spec(str(tmp_path))
