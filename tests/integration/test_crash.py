"""Crash safety: a writer killed with SIGKILL at any moment leaves the old index or the new one.

Real ``assistant add|remove|index`` processes are killed at random moments (the seed is
printed; set CRASH_SEED to replay a run). After every kill the live generation must load,
hold together (offsets slice the cited files, FAISS holds exactly the searchable
sentences) and equal the state before the command or the state it was making; then a
plain ``assistant index`` must complete and leave no temporary folder behind.

Most kills run the real CLI with the fake embedder swapped in (the model's load would
otherwise take most of each run), so that they land in reading, embedding and writing;
a few run the CLI exactly as a user does, model included, spread over load and write.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import core
from assistant.cli import cli
from assistant.config import Config
from assistant.core import Assistant
from assistant.files import sha256_file
from assistant.index import model, store
from assistant.ingest.loaders import read_text
from tests.conftest import ROOT, SEEDS, FakeEmbedder

State = dict[str, str]  # doc id -> sha256

FAKE_CLI = (
    f"import sys; sys.path.insert(0, {str(ROOT)!r}); from tests.conftest import FakeEmbedder; "
    "import assistant.core as core; core.load_embedder = lambda model=None, **_: FakeEmbedder(); "
    "from assistant.cli import cli; cli(sys.argv[1:], prog_name='assistant')"
)
_MARKERS = (b"Updating the index", b"Building the index")


# --- articles -----------------------------------------------------------------------------

_PLACES = ["Nara", "Osaka", "Lyon", "Quito", "Accra", "Perth", "Bergen", "Tartu", "Cusco", "Hanoi"]
_BODIES = ["city council", "port authority", "school board", "health ministry", "rail operator"]
_ACTS = ["approved a new budget", "delayed a vote", "opened an inquiry", "signed a contract"]


def write_articles(folder: Path, n: int, tag: str, rng: random.Random, html: int = 1) -> list[Path]:
    """``n`` distinct short news articles (the last ``html`` of them as saved web pages)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        place, body, act = rng.choice(_PLACES), rng.choice(_BODIES), rng.choice(_ACTS)
        title = f"Report {tag}-{i}: the {body} of {place} {act}"
        paras = [
            f"The {body} of {place} {act} on Monday, officials said. The decision followed weeks of "
            f"debate over item {tag}-{i}. Spokeswoman Ana Varga told reporters it would cost {rng.randint(2, 900)} million.",
            f'Critics said the move was rushed. "We were not consulted," said resident Tom Ek. '
            f"A final decision is expected by {rng.choice(['March', 'June', 'October'])}.",
        ]
        if i >= n - html:
            body_html = "".join(f"<p>{p}</p>" for p in paras)
            path = folder / f"a_{tag}_{i:04d}.html"
            path.write_text(
                f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
                f"<nav>Home | News</nav><article><h1>{title}</h1>{body_html}</article></body></html>",
                encoding="utf-8",
            )
        else:
            path = folder / f"a_{tag}_{i:04d}.txt"
            path.write_text("\n\n".join([title, *paras]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


# --- the index's invariants ---------------------------------------------------------------


def consistent_state(index: Path, deleted: set[str] = frozenset()) -> State:  # type: ignore[assignment]
    """The live generation as doc id -> sha256, after checking that it holds together.

    ``deleted`` names documents whose file the test deleted by hand: an index from before
    the deletion still lists them, and their text can only be checked against itself.
    """
    data = store.load(index)
    sentence_ids: set[int] = set()
    passage_ids: set[int] = set()
    for doc_id, doc in data.documents.items():
        text = data.texts[doc_id]
        if doc_id not in deleted or Path(doc.file).is_relative_to(index.resolve()):
            assert read_text(Path(doc.file)) == text, f"{doc_id}: the cited file changed under the index"
        sentences = data.sentences[doc_id]
        assert len(sentences) == doc.n_sentences > 0
        for s in sentences:
            assert text[s.start : s.end] == s.text and s.text.strip()
        sentence_ids |= {s.id for s in sentences if s.searchable}
        passage_ids |= {p.id for p in data.passages.get(doc_id, [])}
    ids, _ = model.vectors_of(data.sentence_vectors)
    assert data.sentence_vectors.ntotal == len(sentence_ids) == len(ids)
    assert set(ids.tolist()) == sentence_ids
    pids, _ = model.vectors_of(data.passage_vectors)
    assert set(pids.tolist()) == passage_ids
    assert max(sentence_ids, default=-1) < data.next_sentence_id
    # a reader sees the same, over however many segments
    reader = store.load(index, mapped=True)
    assert set(reader.documents) == set(data.documents)
    assert sorted(reader.columns.row_id.tolist()) == sorted(sentence_ids)
    return {d: doc.sha256 for d, doc in data.documents.items()}


def folder_state(docs: Path, removed: set[str] = frozenset()) -> State:  # type: ignore[assignment]
    """What a complete index of ``docs`` holds: every article but those removed by hand."""
    return {
        p.relative_to(docs).as_posix(): sha256_file(p)
        for p in docs.rglob("*")
        if p.is_file()
        and p.suffix in (".txt", ".html")
        and not p.name.startswith(".")
        and p.relative_to(docs).as_posix() not in removed
    }


def leftovers(index: Path) -> list[Path]:
    return list(index.rglob(".tmp-*"))


# --- killing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """When a whole, unkilled run reached each phase (seconds from its start)."""

    total: float
    updating: float  # announced "Updating the index" (after loading the model and index)
    saving: float  # a temporary generation folder appeared


class Watched:
    """A CLI subprocess watched in the background: its output, and temporary folders in its index."""

    def __init__(self, argv: list[str], cwd: Path, index: Path) -> None:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        self.index = index
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.phases = {"updating": threading.Event(), "saving": threading.Event()}
        self.reached: dict[str, float] = {}
        self.stderr = b""
        self.stdout = b""
        self._threads = [threading.Thread(target=f, daemon=True) for f in (self._drain, self._poll, self._out)]
        for t in self._threads:
            t.start()

    def _reach(self, phase: str) -> None:
        if phase not in self.reached:
            self.reached[phase] = time.monotonic() - self.started
            self.phases[phase].set()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        while chunk := os.read(self.proc.stderr.fileno(), 65536):
            self.stderr += chunk
            if any(m in self.stderr for m in _MARKERS):
                self._reach("updating")

    def _out(self) -> None:
        assert self.proc.stdout is not None
        while chunk := os.read(self.proc.stdout.fileno(), 65536):
            self.stdout += chunk

    def _poll(self) -> None:
        while self.proc.poll() is None and "saving" not in self.reached:
            try:
                if any(e.name.startswith(".tmp-") for e in os.scandir(self.index)):
                    self._reach("saving")
            except FileNotFoundError:
                pass
            time.sleep(0.001)

    def wait_for(self, phase: str, timeout: float) -> bool:
        """True once the run reached ``phase``; False when it ended or timed out first."""
        deadline = time.monotonic() + timeout
        while not self.phases[phase].wait(0.002):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return self.phases[phase].is_set()
        return True

    def kill_after(self, delay: float) -> bool:
        """SIGKILL after ``delay`` seconds unless it ended; True when it was killed."""
        try:
            self.proc.wait(timeout=max(delay, 0.0))
            return False
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            return True

    def finish(self, timeout: float = 300) -> Timing:
        code = self.proc.wait(timeout=timeout)
        total = time.monotonic() - self.started
        for t in self._threads:
            t.join(5)
        assert code == 0, self.stderr.decode(errors="replace")[-2000:]
        saving = self.reached.get("saving", total)
        return Timing(total, self.reached.get("updating", saving), saving)


def kill_at_random(w: Watched, timing: Timing, mode: str, rng: random.Random) -> tuple[bool, float]:
    """SIGKILL ``w`` at a random moment of a phase; returns (killed, seconds from its start).

    anytime: over the whole run (model load included); updating: between the announcement
    and the save (reading, segmenting, embedding); saving: from the first temporary folder
    to the natural end (writing, fsync, the CURRENT switch, garbage collection).
    """
    if mode == "anytime":
        delay = rng.uniform(0.0, 0.9 * timing.total)  # runs vary: stay inside a typical run
        return w.kill_after(delay), delay
    start, end = (timing.updating, timing.saving) if mode == "updating" else (timing.saving, timing.total)
    w.wait_for(mode, timeout=4 * timing.total + 5)
    delay = rng.uniform(0.0, max(0.02, end - start))
    at = time.monotonic() - w.started + delay
    return w.kill_after(delay), at


# --- the scenario -------------------------------------------------------------------------


@dataclass
class Bench:
    """A docs folder and its index, driven by CLI subprocesses; recovery runs in-process."""

    tmp: Path
    argv0: list[str]
    rng: random.Random
    per_add: int
    recover: Callable[[list[str]], None]

    def __post_init__(self) -> None:
        self.docs = self.tmp / "docs"
        self.index = self.tmp / "index"
        self.removed: set[str] = set()
        self.n = 0

    def argv(self, *args: str) -> list[str]:
        return [*self.argv0, *args, "--docs", str(self.docs), "--index", str(self.index)]

    def prepare(self, op: str) -> tuple[list[str], State, set[str]]:
        """The command for ``op`` and the state it should leave; also files deleted by hand."""
        self.n += 1
        before = consistent_state(self.index)
        if op == "add":
            new = write_articles(self.tmp / f"incoming{self.n}", self.per_add, str(self.n), self.rng)
            after = before | {p.name: sha256_file(p) for p in new}
            return self.argv("add", str(new[0].parent)), after, set()
        if op == "remove":
            victim = self.rng.choice(sorted(before))
            self.removed.add(victim)
            return self.argv("remove", victim), {k: v for k, v in before.items() if k != victim}, set()
        deleted = set(self.rng.sample(sorted(before), min(2, len(before))))
        for doc_id in deleted:
            (self.docs / doc_id).unlink()
        write_articles(self.docs, max(3, self.per_add // 10), f"{self.n}", self.rng)
        return self.argv("index"), folder_state(self.docs, self.removed), deleted

    def recover_and_check(self) -> None:
        self.recover(["index", "--docs", str(self.docs), "--index", str(self.index)])
        assert not leftovers(self.index)
        self.removed &= set(store.load(self.index).removed)  # a remove killed early never happened
        assert consistent_state(self.index) == folder_state(self.docs, self.removed)


def run_kills(bench: Bench, kills: int, modes: list[str], seed: int, timed: tuple[str, ...]) -> list[str]:
    """Time one full run of each ``timed`` command, then kill ``kills`` runs; returns one line per kill."""
    timings: dict[str, Timing] = {}
    for op in timed:
        argv, after, _ = bench.prepare(op)
        timings[op] = Watched(argv, bench.tmp, bench.index).finish()
        assert consistent_state(bench.index) == after
    for op in ("add", "remove", "index"):
        timings.setdefault(op, timings["add"])
    log = [f"seed {seed}; whole runs (updating from, saving from, total):"]
    log += [f"  {k:6} {t.updating:5.2f} {t.saving:5.2f} {t.total:5.2f} s" for k, t in timings.items()]
    outcomes = {"before": 0, "after": 0, "completed": 0}
    for i in range(kills):
        op = ("add", "remove", "add", "index")[i % 4]
        mode = modes[i % len(modes)]
        if op == "remove" and mode == "updating":  # remove announces nothing before it writes
            mode = "anytime"
        before = consistent_state(bench.index)
        argv, after, deleted = bench.prepare(op)
        w = Watched(argv, bench.tmp, bench.index)
        killed, at = kill_at_random(w, timings[op], mode, bench.rng)
        state = consistent_state(bench.index, deleted)
        outcome = "before" if state == before else "after" if state == after else None
        assert outcome, f"kill {i} ({op}, {mode}, {at:.2f} s): the index is neither the old nor the new state"
        outcomes[outcome if killed else "completed"] += 1
        parts = len(list(bench.docs.glob(".*.part")))  # half-copied by 'add' (hidden, ignored)
        log.append(
            f"kill {i}: {op:6} {mode:8} at {at:5.2f} s -> {outcome if killed else 'completed first'}"
            + (f" ({parts} .part file left in docs)" if parts else "")
        )
        bench.recover_and_check()
    log.append(f"outcomes: {outcomes}")
    # Runs of a warm CLI take about a second and vary with load, so some finish before their
    # kill lands; at least half must really be killed for the test to prove anything.
    assert outcomes["before"] + outcomes["after"] >= kills // 2, "at least half the runs must really be killed"
    return log


def _seed() -> int:
    return int(os.environ.get("CRASH_SEED") or time.time_ns() % 1_000_000)


def _invoke(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_writers_killed_while_reading_embedding_and_saving_leave_old_or_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "load_embedder", lambda model=None, **_: FakeEmbedder())
    seed = _seed()
    bench = Bench(tmp_path, [sys.executable, "-c", FAKE_CLI], random.Random(seed), per_add=200, recover=_invoke)
    shutil.copytree(SEEDS, bench.docs)
    _invoke(["index", "--docs", str(bench.docs), "--index", str(bench.index)])
    log = run_kills(
        bench,
        kills=16,
        modes=["anytime", "updating", "saving"],
        seed=seed,
        timed=("add", "remove", "index"),
    )
    print("\n".join(log))


@pytest.mark.slow
def test_the_real_cli_killed_during_model_load_or_write_leaves_old_or_new(tmp_path: Path) -> None:
    seed = _seed()
    bench = Bench(tmp_path, [sys.executable, "-m", "assistant"], random.Random(seed), per_add=5, recover=_invoke)
    shutil.copytree(SEEDS, bench.docs)
    _invoke(["index", "--docs", str(bench.docs), "--index", str(bench.index)])  # loads the model here once
    log = run_kills(
        bench, kills=8, modes=["anytime", "updating", "saving"], seed=seed, timed=("add", "remove", "index")
    )
    print("\n".join(log))


@pytest.mark.slow
def test_a_rebuild_killed_midway_leaves_the_old_index(tmp_path: Path) -> None:
    docs, index = tmp_path / "docs", tmp_path / "index"
    write_articles(docs, 200, "r", random.Random(1))
    Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=FakeEmbedder())
    before = consistent_state(index)
    argv = [sys.executable, "-c", FAKE_CLI, "index", "--rebuild", "--docs", str(docs), "--index", str(index)]
    w = Watched(argv, tmp_path, index)
    assert w.wait_for("updating", 60), w.stderr
    w.kill_after(0)
    assert consistent_state(index) == before


@pytest.mark.slow
def test_a_merge_killed_at_any_moment_leaves_the_segments_or_the_merged_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "load_embedder", lambda model=None, **_: FakeEmbedder())
    seed = _seed()
    rng = random.Random(seed)
    docs, index = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(SEEDS, docs)
    where = ["--docs", str(docs), "--index", str(index)]
    _invoke(["index", *where])
    for n in range(6):  # each update only adds: a segment of its own
        write_articles(docs, 30, f"s{n}", rng)
        _invoke(["index", *where])
    segmented = store.live_segments(index)
    assert len(segmented) == 7
    before = consistent_state(index)
    pristine = tmp_path / "pristine"
    shutil.copytree(index, pristine)
    argv = [sys.executable, "-c", FAKE_CLI, "index", "--compact", *where]
    timing = Watched(argv, tmp_path, index).finish()
    assert len(store.live_segments(index)) == 1 and consistent_state(index) == before
    log, outcomes = [f"seed {seed}; a whole compaction: {timing.total:.2f} s"], {"segments": 0, "merged": 0}
    for i in range(8):
        shutil.rmtree(index)
        shutil.copytree(pristine, index)
        w = Watched(argv, tmp_path, index)
        mode = ("anytime", "saving")[i % 2]
        killed, at = kill_at_random(w, timing, mode, rng)
        assert consistent_state(index) == before, f"kill {i} ({mode}, {at:.2f} s): documents lost or changed"
        live = store.live_segments(index)
        assert live in (segmented, live[-1:]), f"kill {i}: neither the segments nor the merged one: {live}"
        outcomes["segments" if len(live) > 1 else "merged"] += killed
        log.append(f"kill {i}: {mode:8} at {at:5.2f} s -> {len(live)} segments" + ("" if killed else " (completed)"))
        _invoke(["index", *where])  # the next writer sweeps what the killed one left
        assert not leftovers(index) and consistent_state(index) == before
    print("\n".join(log))
    assert outcomes["segments"] + outcomes["merged"] >= 4, "at least half the runs must really be killed"


# --- garbage collection after crashes (fast) ------------------------------------------------


def _open(docs: Path, index: Path) -> Assistant:
    return Assistant.open(Config(docs_dir=docs, index_dir=index), embedder=FakeEmbedder())


def test_a_generation_never_made_live_is_collected_and_the_predecessor_kept(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = _open(seeds_copy, index).generation
    # A writer killed between renaming its folder into place and switching CURRENT.
    shutil.copytree(index / first, index / "gen-000002")
    (seeds_copy / "extra.md").write_text("# Extra\n\nThe summit dinner was held in Nara.\n", encoding="utf-8")
    live = _open(seeds_copy, index).generation
    assert sorted(p.name for p in index.glob("gen-*")) == [first, live]
    assert "extra.md" in store.load(index).documents


def test_leftovers_of_a_writer_killed_after_its_switch_go_when_nothing_needs_saving(
    seeds_copy: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    first = _open(seeds_copy, index).generation
    (index / ".tmp-half-a-generation").mkdir()
    (index / "texts").mkdir(exist_ok=True)
    (index / "texts" / ".tmp-half-a-text").write_text("half", encoding="utf-8")
    shutil.copytree(index / first, index / "gen-000009")  # renamed into place, never made live
    assert _open(seeds_copy, index).generation == first  # up to date: no save happens
    assert not list(index.rglob(".tmp-*"))
    assert [p.name for p in index.glob("gen-*")] == [first]


def test_leftovers_are_left_to_a_writer_that_holds_the_lock(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    _open(seeds_copy, index)
    (index / ".tmp-in-progress").mkdir()
    with store.WriterLock(index, timeout=1):
        (index / ".tmp-being-written").mkdir()  # this writer's own temporary
        _open(seeds_copy, index)
        assert (index / ".tmp-being-written").is_dir()


def test_temporary_leftovers_of_killed_writers_are_collected(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    _open(seeds_copy, index)
    (index / ".tmp-half-a-generation").mkdir()
    (index / ".tmp-current").write_text("gen-0000", encoding="utf-8")
    (index / "texts").mkdir(exist_ok=True)
    (index / "texts" / ".tmp-half-a-text").write_text("half", encoding="utf-8")
    (seeds_copy / "extra.md").write_text("# Extra\n\nThe summit dinner was held in Nara.\n", encoding="utf-8")
    _open(seeds_copy, index)
    assert not list(index.rglob(".tmp-*"))


def test_a_reader_whose_generation_was_collected_meanwhile_reads_the_live_one(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    (seeds_copy / "extra.md").write_text("# Extra\n\nThe summit lunch was held in Nara.\n", encoding="utf-8")
    old = _open(seeds_copy, index).generation
    # a rebuild: the index is written whole, and the old generation is no segment of the new
    (seeds_copy / "extra.md").write_text("# Extra\n\nThe summit dinner was held in Nara.\n", encoding="utf-8")
    new = Assistant.open(Config(docs_dir=seeds_copy, index_dir=index), embedder=FakeEmbedder(), rebuild=True).generation
    real = store._load_generation
    calls: list[str] = []

    def slow_reader(
        index_dir: Path, name: str, mapped: bool = False, previous: model.IndexData | None = None
    ) -> model.IndexData:
        calls.append(name)
        if len(calls) == 1:  # writers move on and collect the generation this reader just chose
            (index_dir / "CURRENT").write_text(new + "\n", encoding="utf-8")
            shutil.rmtree(index_dir / name)
        return real(index_dir, name, mapped, previous)

    (index / "CURRENT").write_text(old + "\n", encoding="utf-8")
    monkeypatch.setattr(store, "_load_generation", slow_reader)
    data = store.load(index)
    assert calls == [old, new] and data.generation == new
    assert "extra.md" in data.documents
