"""What each searchable sentence's text shows, worked out once, when its segment is written:
its terms (``row_terms``: BM25's, and the places they stand for) and its text features
(``features.text_features``: dates, numbers, names, speech and its speakers, …).

A question over an archive first reaches about a hundred rows no question reached
before; working these out from their text costs about 100 µs a row, reading them here a
few. A segment keeps them in ``facts/``: every row's record (compact JSON) one after the
other in ``records.bin``, and where each starts in ``starts.npy``, both memory-mapped, so
a reader holds only the rows it reads. ``facts.json`` names the language code that made
them (a fingerprint of its source): a segment written by another version reads as having
none, its rows are worked out from their text as before, and a merge writes them anew.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import mmap
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.language import dates, features, speech, terms

FOLDER = "facts"
# a record: [terms, flags, names, speakers, role speakers]; flags: the true ones of _FLAGS as bits
_FLAGS = ("date", "number", "place", "quote", "speech", "pronoun_speaker", "reason")
_SETS = ("names", "speakers", "role_speakers")

Facts = tuple[frozenset[str], dict[str, Any]]  # a row's terms, and its text features


class FactSource(Protocol):
    """A generation's saved facts, by row number."""

    def get(self, row: int) -> Facts | None: ...


@cache
def fingerprint() -> str | None:
    """Which language code works out the facts: a digest of its modules' source (None
    without a source to read: no records are then read back, rows are worked out)."""
    digest = hashlib.sha256()
    for module in (terms, features, speech, dates):
        try:
            digest.update(Path(module.__file__ or "").read_bytes())
        except OSError:
            return None
    return digest.hexdigest()[:16]


def record(text: str, row_terms: Sequence[str]) -> bytes:
    """A row's record, from its text and its terms (as the indexer found them)."""
    found = features.text_features(text)
    if set(found) != {*_FLAGS, *_SETS}:
        raise ValueError(f"text features {sorted(found)} are not those a record holds")
    flags = sum(1 << i for i, name in enumerate(_FLAGS) if found[name])
    value = [list(row_terms), flags, *(sorted(found[name]) for name in _SETS)]
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def records(texts: Iterable[str], row_terms: Iterable[Sequence[str]]) -> list[bytes]:
    """The records of rows, in order. A text met again (a syndicated story, a repeated
    caption) is worked out once."""
    seen: dict[tuple[str, tuple[str, ...]], bytes] = {}
    out = []
    for text, found in zip(texts, row_terms, strict=True):
        key = (text, tuple(found))
        made = seen.get(key)
        if made is None:
            made = seen[key] = record(text, found)
        out.append(made)
    return out


def decode(raw: bytes) -> Facts:
    row_terms, flags, *sets = json.loads(raw)
    found: dict[str, Any] = {name: bool(flags >> i & 1) for i, name in enumerate(_FLAGS)}
    found["names"] = set(sets[0])  # as text_features gives them
    found["speakers"], found["role_speakers"] = frozenset(sets[1]), frozenset(sets[2])
    return frozenset(row_terms), found


def write(folder: Path, rows: Sequence[bytes]) -> None:
    """Write a segment's records (``folder`` is new, inside its unpublished generation)."""
    folder.mkdir()
    starts = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=starts[1:])
    np.save(folder / "starts.npy", starts, allow_pickle=False)
    (folder / "records.bin").write_bytes(b"".join(rows))
    (folder / "facts.json").write_text(json.dumps({"fingerprint": fingerprint(), "rows": len(rows)}))


class RowFacts:
    """One segment's records, memory-mapped; by the segment's row number."""

    def __init__(self, starts: np.ndarray, blob: mmap.mmap | bytes) -> None:
        self._starts = starts
        self._blob = blob

    @classmethod
    def open(cls, folder: Path) -> RowFacts | None:
        """The segment's records; None when it has none, or another version's."""
        try:
            told = json.loads((folder / "facts.json").read_text())
            if fingerprint() is None or told.get("fingerprint") != fingerprint():
                return None
            starts = np.asarray(np.load(folder / "starts.npy", mmap_mode="r", allow_pickle=False))
            with open(folder / "records.bin", "rb") as f:
                size = f.seek(0, 2)
                blob = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        except (OSError, ValueError):
            return None
        if len(starts) != int(told.get("rows", -1)) + 1 or int(starts[-1]) != size:
            return None
        return cls(starts, blob)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def rows(self, rows: np.ndarray) -> list[bytes]:
        """The raw records of these rows (the segment's numbers)."""
        return [self._raw(int(r)) for r in rows]

    def get(self, row: int) -> Facts | None:
        return decode(self._raw(row))

    def _raw(self, row: int) -> bytes:
        return self._blob[int(self._starts[row]) : int(self._starts[row + 1])]


class SegmentedFacts:
    """The records of several segments, by the combined row number (``segments.combine``):
    None for a row whose segment has none."""

    def __init__(
        self, parts: Sequence[FactSource | None], offsets: Sequence[int], kept: Sequence[np.ndarray | None]
    ) -> None:
        self._parts = list(parts)
        self._offsets = [int(o) for o in offsets]
        self._kept = list(kept)  # per segment: its rows still live, when some are deleted

    def get(self, row: int) -> Facts | None:
        n = bisect.bisect_right(self._offsets, row) - 1
        part = self._parts[n]
        if part is None:
            return None
        local = row - self._offsets[n]
        kept = self._kept[n]
        return part.get(local if kept is None else int(kept[local]))
