"""Generation folders on disk: the CURRENT pointer, the writer lock, atomic writes, and
collecting what superseded or killed writers left behind.

Names beginning ``.tmp-`` are a writer's work in progress; ``gen-NNNNNN`` folders
numbered above CURRENT's were renamed into place by a writer killed before it switched
CURRENT, so no reader ever saw them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from assistant.errors import IndexLocked

GEN_PREFIX = "gen-"
LOCK_TIMEOUT_S = 120.0


def current_generation(index_dir: Path) -> str | None:
    """The live generation's name, or None when no index was ever committed."""
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


class WriterLock:
    """An exclusive lock for writers; a second writer waits, then gives up clearly."""

    def __init__(self, index_dir: Path, timeout: float = LOCK_TIMEOUT_S) -> None:
        from filelock import FileLock

        index_dir.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(index_dir / ".lock"))
        self._timeout = timeout
        self._index_dir = index_dir

    def __enter__(self) -> WriterLock:
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=self._timeout)
        except Timeout as error:
            raise IndexLocked(
                f"Another process is writing the index at {self._index_dir}; "
                f"waited {self._timeout:.0f} s. Try again when it has finished."
            ) from error
        try:
            _sweep_dead_writers(self._index_dir)
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def _generation_number(name: str) -> int:
    return int(name[len(GEN_PREFIX) :])


def next_generation_name(index_dir: Path) -> str:
    numbers = [_generation_number(p.name) for p in _generations(index_dir)]
    return f"{GEN_PREFIX}{max(numbers, default=0) + 1:06d}"


def _generations(index_dir: Path) -> list[Path]:
    return sorted(
        p for p in index_dir.iterdir() if p.is_dir() and p.name.startswith(GEN_PREFIX) and p.name[4:].isdigit()
    )


def collect_leftovers(index_dir: Path) -> None:
    """Sweep what killed writers left, when there is any and no writer is at work.

    Called when an index is opened with nothing to update, so no save would sweep it.
    """
    if not _has_leftovers(index_dir):
        return
    try:
        with WriterLock(index_dir, timeout=0):  # taking the lock sweeps
            pass
    except IndexLocked:
        return  # a live writer owns its temporaries and sweeps when it takes over


def _has_leftovers(index_dir: Path) -> bool:
    if any((index_dir / "texts").glob(".tmp-*")) or any(index_dir.glob(".tmp-*")):
        return True
    if any(index_dir.glob("gen-*/.tmp-*")):  # saved facts being completed (store.complete_facts)
        return True
    live = current_generation(index_dir)
    return live is not None and any(
        _generation_number(g.name) > _generation_number(live) for g in _generations(index_dir)
    )


def _sweep_dead_writers(index_dir: Path) -> None:
    """Remove what a killed writer left: temporary files and generations never made live.

    Runs with the writer lock held, so no live writer owns any of it; a writer killed
    after its last change needs no later save for the leftovers to go.
    """
    _remove_temporaries(index_dir)
    live = current_generation(index_dir)
    if live is None:
        return
    live_number = _generation_number(live)
    for gen in _generations(index_dir):
        if _generation_number(gen.name) > live_number:  # renamed into place, CURRENT never switched
            shutil.rmtree(gen, ignore_errors=True)


def _remove_temporaries(index_dir: Path) -> None:
    for folder in (index_dir, index_dir / "texts", *index_dir.glob("gen-*")):
        for tmp in folder.glob(".tmp-*") if folder.is_dir() else ():
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)


def collect_garbage(index_dir: Path, kept: Iterable[str], kept_files: Iterable[str]) -> None:
    """Drop the generations not in ``kept`` (the caller's: the live generation and its
    segments, and those of the generation live before it, for readers still loading it),
    interrupted temporary files, and the stored texts not in ``kept_files``.

    A generation renamed into place by a writer killed before switching CURRENT was never
    live, so it goes (keeping "the newest old one" would keep it instead of the predecessor).
    """
    keep = set(kept)
    for gen in _generations(index_dir):
        if gen.name not in keep:
            shutil.rmtree(gen, ignore_errors=True)
    _remove_temporaries(index_dir)
    texts = index_dir / "texts"
    if texts.is_dir():
        referenced = set(kept_files)
        for path in texts.glob("*.txt"):
            if str(path) not in referenced and str(path.resolve()) not in referenced:
                path.unlink(missing_ok=True)
