"""The Ray Data embedding job (assistant/index/ray_job.py) on a local Ray cluster.

Ray (the ``cluster`` extra, over 400 MB installed) is in the ``test`` extra too; installed
without it (``pip install -e .``), the job's tests skip.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.index.passages import EmbeddedStore
from assistant.index.ray_job import passage_id
from assistant.ingest import loaders
from assistant.ingest.segment import segment
from assistant.types import SEARCHABLE_KINDS

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
DIM = 384


class HashEmbedder:
    """Deterministic unit vectors from each text's hash: the job's arithmetic, not a model."""

    name = "hash"
    dim = DIM

    def encode(self, texts, *, batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for n, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
            v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
            out[n] = v / np.linalg.norm(v)
        return out


def make_hash_embedder() -> HashEmbedder:
    return HashEmbedder()


def expected_passages(folder: Path) -> dict[int, tuple[str, str, int, int, np.ndarray]]:
    """id -> (doc, text, start, end, vector), computed here from the segmenter alone."""
    fake = HashEmbedder()
    out = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix == ".txt"):
        loaded = loaders.load(path)
        text = loaded.text
        groups: dict[int, list] = {}
        for span in segment(text, loaded.format):
            if span.kind in SEARCHABLE_KINDS:
                groups.setdefault(span.passage, []).append(span)
        for ordinal, spans in enumerate(groups.values()):
            v = fake.encode([text[s.start : s.end] for s in spans]).sum(axis=0)
            start, end = spans[0].start, spans[-1].end
            out[passage_id(path.name, ordinal)] = (path.name, text[start:end], start, end, v / np.linalg.norm(v))
    return out


def test_passage_ids_are_stable_63_bit_and_distinct():
    assert passage_id("000_c282072937a0cf8e.txt", 0) == passage_id("000_c282072937a0cf8e.txt", 0)
    ids = {passage_id(f"doc{d}.txt", n) for d in range(200) for n in range(50)}
    assert len(ids) == 200 * 50
    assert all(0 <= i < 2**63 for i in ids)
    # the documented recipe: BLAKE2b-64 of doc_id, NUL, ordinal; top bit cleared
    digest = hashlib.blake2b(b"a/b.txt\x003", digest_size=8).digest()
    assert passage_id("a/b.txt", 3) == int.from_bytes(digest, "big") & (2**63 - 1)


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="ray[data] is not installed (pip install -e '.[cluster]')")
    pytest.importorskip("ray.data", reason="ray[data] is not installed (pip install -e '.[cluster]')")
    # the fake embedder travels to the actors by value: workers cannot import this test module
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    from assistant.index.ray_job import LOCAL_RAY  # loopback only, no usage statistics sent

    ray.init(num_cpus=2, **LOCAL_RAY, log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield ray
    ray.shutdown()


@pytest.mark.slow  # ~14 s, Ray's start included
def test_job_fills_the_store_once_and_resumes(ray_cluster, tmp_path):
    from assistant.index.ray_job import embed_to_store

    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    store_dir = tmp_path / "store"
    spec = f"embedded:{store_dir}"
    want = expected_passages(docs)
    assert len(want) > 10

    report = embed_to_store(docs, spec, num_cpus=0.5, actors=(1, 2), embedder=make_hash_embedder)
    assert (report.articles, report.skipped, report.embedded, report.refused) == (2, 0, 2, [])
    assert report.passages == len(want)

    def check() -> None:
        with EmbeddedStore.open(store_dir, DIM, read_only=True) as store:
            assert store.count() == len(want)
            ids = sorted(want)
            got = store.passages(ids)
            vectors = store.vectors(ids)
            for pid, passage, vector in zip(ids, got, vectors, strict=True):
                doc, text, start, end, mean = want[pid]
                assert (passage.doc_id, passage.start, passage.end) == (doc, start, end)
                assert passage.text == text == loaders.load(docs / doc).text[start:end]
                assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
                np.testing.assert_allclose(vector, mean, atol=1e-5)

    check()

    # a re-run over the unchanged folder schedules nothing and writes nothing
    again = embed_to_store(docs, spec, embedder=make_hash_embedder)
    assert (again.skipped, again.embedded, again.passages) == (2, 0, 0)
    check()

    # a run killed after writing one article resumes with the other one only
    first = sorted({doc for doc, *_ in want.values()})[0]
    with EmbeddedStore.open(store_dir, DIM) as store:
        assert store.remove_documents([first]) > 0
    resumed = embed_to_store(docs, spec, embedder=make_hash_embedder)
    assert (resumed.skipped, resumed.embedded) == (1, 1)
    assert resumed.passages == sum(1 for doc, *_ in want.values() if doc == first)
    check()

    # redo: an article named again is replaced, not duplicated
    redone = embed_to_store(docs, spec, embedder=make_hash_embedder, redo=[first])
    assert (redone.skipped, redone.embedded) == (1, 1)
    check()
