"""The passage store contract, run against every backend (``pytest -m contract``).

The embedded store (SQLite + FAISS segments) is tested across processes: a writer killed
with SIGKILL, readers in other processes. qdrant-client's local mode holds its collection
in one process and locks its folder, so its concurrent readers are threads of one process
(a Qdrant server serves many processes; that is the engine's part, not tested here).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.index import passages as ps
from assistant.index.passages import EmbeddedStore, PassageRecord, QdrantStore, embedded, open_store
from assistant.language.terms import terms

ROOT = Path(__file__).resolve().parents[3]
DIM = 32
BACKENDS = ["embedded", "qdrant-local"]

pytestmark = pytest.mark.contract


def embed(text: str) -> np.ndarray:
    """A deterministic fake embedding: the normalised sum of one random vector per term."""
    vector = np.zeros(DIM, dtype=np.float32)
    for term in terms(text) or ["<empty>"]:
        seed = int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little")
        vector += np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def record(
    pid: int, doc: str, text: str, published: str | None = None, vector: np.ndarray | None = None
) -> PassageRecord:
    return PassageRecord(
        pid, doc, text, pid * 100, pid * 100 + len(text), published, embed(text) if vector is None else vector
    )


WORDS = (
    "harbour river mountain senate budget vaccine drought election tariff missile court "
    "festival bridge railway factory strike typhoon glacier museum satellite"
).split()


def corpus(n: int, doc_size: int = 10, start: int = 0) -> list[PassageRecord]:
    """n passages of n // doc_size documents, dated one day apart per document."""
    out = []
    for i in range(start, start + n):
        d = i // doc_size
        words = " ".join(WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(6))
        text = f"Passage {i} of document {d} mentions {words} and token{i}x."
        published = None if d % 5 == 4 else f"2025-{1 + d % 12:02d}-{1 + d % 28:02d}"
        out.append(record(i, f"doc-{d}", text, published))
    return out


def spec(backend: str, path: Path) -> str:
    return f"embedded:{path}" if backend == "embedded" else f"qdrant+local:{path}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store(backend: str, store_path: Path):  # type: ignore[no-untyped-def]
    opened = open_store(spec(backend, store_path), DIM)
    yield opened
    opened.close()


def test_open_store_specs(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "plain"), DIM) as a:
        assert isinstance(a, EmbeddedStore)
    with open_store(f"embedded:{tmp_path / 'e'}", DIM) as b:
        assert isinstance(b, EmbeddedStore)
    with open_store(f"qdrant+local:{tmp_path / 'q'}", DIM) as c:
        assert isinstance(c, QdrantStore) and c.collection == "passages"
    with pytest.raises(ValueError):
        open_store("milvus://host:19530", DIM)
    assert isinstance(a, ps.PassageStore) and isinstance(c, ps.PassageStore)


def test_add_then_search_finds_the_exact_passage(store) -> None:  # type: ignore[no-untyped-def]
    records = corpus(60)
    store.add(records)
    assert store.count() == 60
    target = records[17]
    dense = store.dense_search(target.vector, 5)
    assert dense[0].id == 17 and dense[0].doc_id == target.doc_id
    assert dense[0].dense == pytest.approx(1.0, abs=1e-4)
    lexical = store.lexical_search(terms("token17x"), 5)
    assert [h.id for h in lexical] == [17] and lexical[0].lexical > 0
    hybrid = store.search(target.vector, terms("token17x"), 5)
    assert hybrid[0].id == 17 and hybrid[0].dense == pytest.approx(1.0, abs=1e-4) and hybrid[0].lexical > 0
    (got,) = store.passages([17])
    assert (got.doc_id, got.text, got.start, got.end, got.published) == (
        target.doc_id,
        target.text,
        target.start,
        target.end,
        target.published,
    )


def test_update_replaces(store) -> None:  # type: ignore[no-untyped-def]
    store.add(corpus(30))
    new = record(5, "doc-new", "A brand new zeppelin report.", "2024-02-29")
    store.add([new])
    assert store.count() == 30
    assert store.lexical_search(terms("token5x"), 5) == []
    assert [h.id for h in store.lexical_search(terms("zeppelin"), 5)] == [5]
    hit = store.dense_search(new.vector, 1)[0]
    assert (hit.id, hit.doc_id) == (5, "doc-new") and hit.dense == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(store.vectors([5])[0], new.vector, atol=1e-6)
    assert store.passages([5])[0].text == new.text
    assert [h.id for h in store.search(None, terms("zeppelin"), 3, docs={"doc-0"})] == []


def test_remove_documents_removes_from_dense_and_lexical(store) -> None:  # type: ignore[no-untyped-def]
    records = corpus(40)
    store.add(records)
    assert store.remove_documents(["doc-1", "doc-unknown"]) == 10
    assert store.count() == 30
    for r in records[10:20]:
        assert r.id not in {h.id for h in store.dense_search(r.vector, 10)}
        assert store.lexical_search(terms(f"token{r.id}x"), 10) == []
        assert all(h.doc_id != "doc-1" for h in store.search(r.vector, terms(r.text), 40))
    with pytest.raises(KeyError):
        store.vectors([12])
    assert store.lexical_search(terms("token25x"), 5)[0].id == 25


def test_clear_removes_everything_and_the_store_takes_new_passages(store) -> None:  # type: ignore[no-untyped-def]
    records = corpus(30)
    store.add(records)
    store.clear()
    assert store.count() == 0
    assert store.dense_search(records[3].vector, 5) == []
    assert store.lexical_search(terms("token3x"), 5) == []
    store.add(records[:5])  # the same ids again, after a rebuild from nothing
    assert store.count() == 5
    assert store.dense_search(records[3].vector, 1)[0].id == 3


def test_hybrid_ranks_a_passage_matching_both_above_those_matching_one(store) -> None:  # type: ignore[no-untyped-def]
    query = embed("quarterly budget senate vote")
    rng = np.random.default_rng(3)
    far = rng.standard_normal(DIM).astype(np.float32)
    far -= far @ query * query  # orthogonal to the query
    far /= np.linalg.norm(far)

    def toward(weight: float) -> np.ndarray:
        v = weight * query + (1 - weight) * far
        return v / np.linalg.norm(v)

    store.add(
        [
            record(1, "a", "Only close in meaning, no shared word.", vector=toward(0.95)),
            record(2, "b", "The walrus walrus walrus sanctuary.", vector=toward(0.0)),
            record(3, "c", "The walrus sanctuary report.", vector=toward(0.9)),
            *corpus(30, start=10),
        ]
    )
    hits = store.search(query, terms("walrus"), 3)
    assert hits[0].id == 3
    assert {h.id for h in hits[1:]} == {1, 2}
    assert hits[0].fused > hits[1].fused and hits[0].dense > 0.5 and hits[0].lexical > 0
    assert store.dense_search(query, 1)[0].id == 1
    assert store.lexical_search(terms("walrus"), 1)[0].id == 2


def test_filter_by_document(store) -> None:  # type: ignore[no-untyped-def]
    records = corpus(200)
    store.add(records)
    wanted = {"doc-3", "doc-17"}
    query = records[0].vector
    for hits in (
        store.dense_search(query, 10, docs=wanted),
        store.search(query, terms("harbour river"), 10, docs=wanted),
    ):
        assert len(hits) == 10 and {h.doc_id for h in hits} <= wanted
    lexical = store.lexical_search(terms("token35x token0x"), 10, docs=wanted)
    assert [h.id for h in lexical] == [35]
    assert store.dense_search(query, 10, docs=[]) == []


def test_filter_by_date_range_excludes_undated(store) -> None:  # type: ignore[no-untyped-def]
    records = corpus(200)
    store.add(records)
    published = {r.id: r.published for r in records}
    query = embed("harbour budget election")
    checks = [
        store.dense_search(query, 15, since="2025-03-01", until="2025-05-31"),
        store.lexical_search(terms("harbour budget election"), 15, since="2025-03-01", until="2025-05-31"),
        store.search(query, terms("harbour budget election"), 15, since="2025-03-01", until="2025-05-31"),
    ]
    for hits in checks:
        assert len(hits) == 15
        assert all(published[h.id] is not None and "2025-03-01" <= published[h.id] <= "2025-05-31" for h in hits)
    since_only = store.dense_search(query, 200, since="2025-01-01")
    assert since_only and all(published[h.id] is not None for h in since_only)
    assert len(since_only) == sum(p is not None for p in published.values())
    assert len(store.dense_search(query, 200)) == 200  # unfiltered: the undated too
    assert store.dense_search(query, 5, since="2030-01-01") == []


def test_a_filter_selecting_one_percent_still_returns_k(backend: str, store_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # small thresholds so the embedded store filters HNSW candidates instead of scanning exactly
    monkeypatch.setattr(embedded, "FLAT_MAX", 500)
    monkeypatch.setattr(embedded, "EXACT_MAX", 0)
    records = corpus(1500, doc_size=15)  # doc-42 holds 1% of the passages
    with open_store(spec(backend, store_path), DIM) as store:
        store.add(records)
        hits = store.dense_search(embed("railway strike"), 10, docs={"doc-42"})
        assert len(hits) == 10 and {h.doc_id for h in hits} == {"doc-42"}
        exact = sorted(
            (r for r in records if r.doc_id == "doc-42"), key=lambda r: -float(r.vector @ embed("railway strike"))
        )
        assert [h.id for h in hits] == [r.id for r in exact[:10]]


def test_vectors_round_trip(store) -> None:  # type: ignore[no-untyped-def]
    records = corpus(50)
    store.add(records)
    ids = [49, 3, 17, 3]
    got = store.vectors(ids)
    assert got.dtype == np.float32 and got.shape == (4, DIM)
    np.testing.assert_allclose(got, np.stack([records[i].vector for i in ids]), atol=1e-6)
    assert store.vectors([]).shape == (0, DIM)
    with pytest.raises(KeyError):
        store.vectors([1, 10_000])


def test_reopen_after_close_keeps_everything(backend: str, store_path: Path) -> None:
    records = corpus(120)
    with open_store(spec(backend, store_path), DIM) as store:
        store.add(records[:80])
        store.add(records[80:])
        store.remove_documents(["doc-2"])
        store.add([record(7, "doc-0", "Rewritten passage about a lighthouse.", "2025-01-01")])
        before = store.search(records[50].vector, terms("harbour token50x"), 10)
        dense_before = [h.id for h in store.dense_search(records[50].vector, 10)]
        store.flush()
    with open_store(spec(backend, store_path), DIM) as store:
        assert store.count() == 110
        after = store.search(records[50].vector, terms("harbour token50x"), 10)
        # equal fused scores may come in another order (Qdrant breaks ties by its own storage order)
        assert after[0].id == before[0].id == 50
        assert [round(h.fused, 9) for h in after] == [round(h.fused, 9) for h in before]
        assert [h.id for h in store.dense_search(records[50].vector, 10)] == dense_before
        assert store.lexical_search(terms("lighthouse"), 3)[0].id == 7
        assert store.lexical_search(terms("token25x"), 3) == []
        np.testing.assert_allclose(store.vectors([100])[0], records[100].vector, atol=1e-6)
    with pytest.raises(Exception, match="dimension|-dimensional"):
        open_store(spec(backend, store_path), DIM * 2)


# -- a writer killed in the middle of a large add ------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {tests!r})
    from tests.unit.index.test_passages import corpus, spec, DIM
    from assistant.index.passages import open_store
    store = open_store(spec({backend!r}, __import__("pathlib").Path({path!r})), DIM)
    records = corpus({n}, start={start})
    # slow the write down so that the kill lands inside it
    if {backend!r} == "embedded":
        store._db().set_progress_handler(lambda: time.sleep(0.001) or 0, 200)
    else:
        upsert = store.client.upsert
        def slow(*a, **k):
            out = upsert(*a, **k)
            time.sleep(0.02)
            return out
        store.client.upsert = slow
    print("adding", flush=True)
    store.add(records)
    print("added", flush=True)
    store.close()
    """
)


def _run_writer(backend: str, path: Path, n: int, start: int, kill_after: float | None) -> str:
    script = _WRITER.format(
        root=str(ROOT), tests=str(ROOT / "tests"), backend=backend, path=str(path), n=n, start=start
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "adding"
    if kill_after is None:
        out = child.stdout.read()
        assert child.wait(timeout=300) == 0
        return out.strip()
    time.sleep(kill_after)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    return "killed" if child.returncode == -signal.SIGKILL else (child.stdout.read() or "").strip()


def test_a_writer_killed_mid_add_leaves_none_or_all(backend: str, store_path: Path) -> None:
    base = corpus(100)
    with open_store(spec(backend, store_path), DIM) as store:
        store.add(base)
    batch = 2000
    outcomes = []
    for attempt, delay in enumerate((0.3, 0.8, 1.5)):
        start = 1000 + attempt * batch
        outcome = _run_writer(backend, store_path, batch, start, kill_after=delay)
        with open_store(spec(backend, store_path), DIM) as store:
            n = store.count()
            assert n in (100, 100 + batch), n
            ids = [h.id for h in store.lexical_search(terms(f"token{start}x token{start + batch - 1}x"), 10)]
            assert len(ids) == len(set(ids))
            assert sorted(ids) == ([] if n == 100 else [start, start + batch - 1])
            if n > 100:
                store.remove_documents([r.doc_id for r in corpus(batch, start=start)])  # back to the base
            assert store.count() == 100
            assert store.dense_search(base[3].vector, 1)[0].id == 3
        outcomes.append((outcome, n))
    assert any(n == 100 and outcome == "killed" for outcome, n in outcomes), outcomes  # one kill landed mid-write
    assert _run_writer(backend, store_path, 50, 9000, kill_after=None) == "added"
    with open_store(spec(backend, store_path), DIM) as store:
        assert store.count() == 150
        np.testing.assert_allclose(store.vectors([9049])[0], corpus(1, start=9049)[0].vector, atol=1e-6)


# -- concurrent readers while one writer adds -----------------------------------------------

BATCH = 10
BATCHES = 15


def _batch(b: int) -> list[PassageRecord]:
    """One writer batch: BATCH passages of one document sharing the term 'batch{b}word'."""
    return [
        record(10_000 + b * BATCH + j, f"w-{b}", f"Writer batch{b}word passage {j} about tariffs.", "2025-06-01")
        for j in range(BATCH)
    ]


def _read_until(store, stop, deadline: float, errors: list[str], seen: list[int]) -> None:  # type: ignore[no-untyped-def]
    query = embed("tariffs")
    while time.monotonic() < deadline and not stop.is_set():
        try:
            n = store.count()
            if (n - 100) % BATCH:
                errors.append(f"count {n}")
            for b in range(BATCHES):
                ids = [h.id for h in store.lexical_search(terms(f"batch{b}word"), 50)]
                if len(ids) not in (0, BATCH) or len(set(ids)) != len(ids):
                    errors.append(f"batch {b}: {len(ids)} passages")
            hits = store.search(query, terms("tariffs"), 20)
            if len({h.id for h in hits}) != len(hits):
                errors.append("duplicate hits")
            seen.append(n)
        except Exception as error:  # noqa: BLE001  (any error is a failure, reported below)
            errors.append(repr(error))


def _reader_process(path: str, stop, deadline: float, queue) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    seen: list[int] = []
    store = EmbeddedStore.open(path, DIM, read_only=True)
    _read_until(store, stop, deadline, errors, seen)
    store.close()
    queue.put(json.dumps({"errors": errors[:5], "seen": sorted(set(seen))}))


def test_concurrent_readers_during_a_write(backend: str, store_path: Path) -> None:
    store = open_store(spec(backend, store_path), DIM)
    store.add(corpus(100))
    if backend == "embedded":
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        stop = context.Event()
        deadline = time.monotonic() + 60
        readers = [
            context.Process(target=_reader_process, args=(str(store_path), stop, deadline, queue)) for _ in range(2)
        ]
        for reader in readers:
            reader.start()
        time.sleep(1.0)  # the readers have started reading
        for b in range(BATCHES):
            store.add(_batch(b))
            time.sleep(0.05)
        time.sleep(0.3)
        stop.set()
        results = [json.loads(queue.get(timeout=120)) for _ in readers]
        for reader in readers:
            reader.join(timeout=60)
        for result in results:
            assert result["errors"] == []
            assert len(result["seen"]) >= 2  # saw the store change while reading
    else:
        stop = threading.Event()
        errors: list[str] = []
        seen: list[int] = []
        threads = [
            threading.Thread(target=_read_until, args=(store, stop, time.monotonic() + 60, errors, seen))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for b in range(BATCHES):
            store.add(_batch(b))
        stop.set()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(set(seen)) >= 2
    assert store.count() == 100 + BATCHES * BATCH
    store.close()


# -- embedded store only ---------------------------------------------------------------------


def test_embedded_segments_merge_and_compact(store_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(embedded, "MAX_SEGMENTS", 4)
    with EmbeddedStore.open(store_path, DIM) as store:
        for b in range(6):
            store.add(corpus(20, start=b * 20))
        files = sorted(os.listdir(store_path / "segments"))
        assert len(files) <= 4
        store.add([record(5, "doc-0", "Replaced text on a lighthouse.")])
        store.remove_documents(["doc-3"])
        store.compact()
        assert os.listdir(store_path / "segments") == [
            f for f in os.listdir(store_path / "segments") if f.startswith("seg-")
        ]
        assert len(os.listdir(store_path / "segments")) == 1
        assert store.count() == 110
        assert store.dense_search(corpus(1, start=77)[0].vector, 1)[0].id == 77
        assert store.lexical_search(terms("lighthouse"), 1)[0].id == 5
    with EmbeddedStore.open(store_path, DIM, read_only=True) as store:
        assert store.count() == 110
        with pytest.raises(Exception, match="read-only"):
            store.add(corpus(1))


def test_embedded_merges_leave_the_large_segment_alone(store_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Size-tiered: an archive's large segment is never rebuilt by the merges of small adds."""
    monkeypatch.setattr(embedded, "MAX_SEGMENTS", 4)
    monkeypatch.setattr(embedded, "MERGE_FACTOR", 2)
    with EmbeddedStore.open(store_path, DIM) as store:
        store.add(corpus(200))
        (large,) = os.listdir(store_path / "segments")
        for b in range(12):
            store.add(corpus(5, start=200 + b * 5))
            files = os.listdir(store_path / "segments")
            assert large in files and len(files) <= 4
        assert store.count() == 260
        for n in (3, 201, 259):
            assert store.dense_search(corpus(1, start=n)[0].vector, 1)[0].id == n


def test_embedded_dense_search_skips_stale_rows_at_the_top_of_every_segment(store_path: Path) -> None:
    """The best rows of all segments are read first; when replaced passages' old rows fill
    them, the search reads further and still returns exactly the best live passages."""
    query = corpus(1, start=500)[0].vector
    with EmbeddedStore.open(store_path, DIM) as store:
        passages = corpus(120)
        for b in range(4):
            store.add(passages[b * 30 : (b + 1) * 30])
        nearest = sorted(passages, key=lambda p: -float(p.vector @ query))[:40]
        store.add([record(p.id, p.doc_id, p.text, p.published, -p.vector) for p in nearest])
        live = {p.id: p.vector for p in passages} | {p.id: -p.vector for p in nearest}
        expected = sorted(live, key=lambda i: (-float(live[i] @ query), i))[:10]
        got = store.dense_search(query, 10)
        assert [h.id for h in got] == expected
        assert [h.dense for h in got] == pytest.approx([float(live[i] @ query) for i in expected], abs=1e-5)


def test_embedded_flat_segments_past_one_flat_scan_are_merged_into_hnsw(store_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A search scans every flat segment whole: small adds do not pile up flat rows."""
    monkeypatch.setattr(embedded, "FLAT_MAX", 50)
    records = corpus(115)
    with EmbeddedStore.open(store_path, DIM) as store:
        for start in (0, 20, 40):  # 60 flat rows in three segments: past one flat scan's worth
            store.add(records[start : start + 20])
        with store._reading() as db:
            table = store._segment_table(db)
        assert [rows for _, _, rows in table] == [60]
        assert store._segment(table[0][0], table[0][1]).hnsw
        for start in (60, 70, 80):  # the HNSW segment stays; the new flat ones merge again past 50
            store.add(records[start : start + 10])
        with store._reading() as db:
            assert sorted(rows for _, _, rows in store._segment_table(db)) == [10, 10, 10, 60]
        store.add(records[90:115])
        with store._reading() as db:
            assert sorted(rows for _, _, rows in store._segment_table(db)) == [55, 60]
        assert store.count() == 115
        for r in records[::13]:
            assert store.dense_search(r.vector, 1)[0].id == r.id
