"""Copying articles into the docs folder without overwriting anything there."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from assistant.files import sha256_file


def place(path: Path, docs_dir: Path, digest: str) -> str:
    """Copy ``path`` into the docs folder (unless it is already there); returns its doc id."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    resolved = path.resolve()
    try:
        return resolved.relative_to(docs_dir.resolve()).as_posix()
    except ValueError:
        pass
    # Copy under a hidden temporary name (never listed as an article), then claim the
    # article's name with a hard link, which fails rather than overwrite a concurrent add's file.
    tmp = _hidden_copy(path, docs_dir)
    try:
        n = 1
        while True:
            target = docs_dir / (path.name if n == 1 else f"{path.stem}-{n}{path.suffix}")
            if target.exists() and sha256_file(target) == digest:
                return target.name
            try:
                os.link(tmp, target)
                return target.name
            except FileExistsError:
                n += 1
    finally:
        tmp.unlink(missing_ok=True)


def _hidden_copy(path: Path, docs_dir: Path) -> Path:
    """A copy of ``path`` in ``docs_dir`` under a hidden, unique name.

    Created with mode 0666 less the umask, like any new file: mkstemp's 0600 (or an
    upload's private temporary) would make the article unreadable to everyone else.
    """
    while True:
        tmp = docs_dir / f".add-{secrets.token_hex(8)}.part"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "wb") as out, path.open("rb") as source:
                shutil.copyfileobj(source, out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp
