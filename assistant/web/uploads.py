"""Files that reach the page's upload handler: only Gradio's own uploads are taken.

A client of Gradio's queue can name any path as an uploaded file. Gradio checks that
an upload lies in its upload folder only once ``launch()`` has run, which a mounted app
never does, so this module checks again where the paths are used: a path is taken only
when it is a regular file, not a link, and resolves inside the upload folder. Taken
files are deleted once added or refused; nothing outside the folder is ever touched.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path

from assistant.errors import DocumentError
from assistant.web.same_origin import printable

NOT_AN_UPLOAD = "not a file uploaded to this page"

log = logging.getLogger(__name__)


def screen(values: Iterable[object], upload_dir: Path) -> tuple[list[Path], list[DocumentError]]:
    """The uploads that may be read, and a refusal for every other path.

    Args:
        values: what the upload event passed: paths, or strings whose ``name`` is a path.
        upload_dir: Gradio's upload folder (``gradio.utils.get_upload_folder()``).
    """
    root = _resolved(upload_dir)
    taken: list[Path] = []
    refused: list[DocumentError] = []
    for value in values:
        path = Path(os.path.abspath(str(getattr(value, "name", value))))
        if root is not None and _is_upload(path, root):
            taken.append(path)
        else:
            log.warning("refused an upload outside the upload folder: %s", printable(str(path)))
            refused.append(DocumentError(path.name, NOT_AN_UPLOAD))
    return taken, refused


def discard(paths: Iterable[Path], upload_dir: Path) -> None:
    """Delete uploaded files (checked by ``screen``) and the per-upload folders they leave empty."""
    root = _resolved(upload_dir)
    for path in paths:
        if root is None or not _is_upload(path, root):
            continue  # never delete anything but an upload
        try:
            path.unlink()
        except OSError as error:
            log.warning("could not delete the upload %s: %s", path, error.strerror or error)
            continue
        folder = path.parent
        if folder != root:
            try:
                folder.rmdir()  # Gradio's folder per uploaded content; fails while it holds other files
            except OSError:
                pass


# An upload not added within this time is deleted (a batch Gradio refused, a page closed
# before "Add", a crash); and the folder never holds more than this much.
UPLOAD_TTL_S = 15 * 60
MAX_UPLOAD_FOLDER_BYTES = 512 * 1024 * 1024


def sweep(upload_dir: Path, max_age_s: float = UPLOAD_TTL_S, max_bytes: int = MAX_UPLOAD_FOLDER_BYTES) -> int:
    """Delete uploads older than ``max_age_s``, then the oldest ones while the folder holds
    more than ``max_bytes``; returns how many were deleted. Only regular files inside the
    folder are touched (a link is deleted as a link, never followed)."""
    root = _resolved(upload_dir)
    if root is None:
        return 0
    now = time.time()
    files: list[tuple[float, int, Path]] = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            try:
                info = os.lstat(path)
            except OSError:
                continue
            files.append((info.st_mtime, info.st_size, path))
    files.sort()
    total = sum(size for _, size, _ in files)
    stale = []
    for mtime, size, path in files:
        if now - mtime > max_age_s or total > max_bytes:
            stale.append(path)
            total -= size
    for path in stale:
        try:
            path.unlink()
        except OSError:
            continue
        if path.parent != root:
            try:
                path.parent.rmdir()
            except OSError:
                pass
    if stale:
        log.info("deleted %d upload(s) never added", len(stale))
    return len(stale)


def _is_upload(path: Path, root: Path) -> bool:
    """A regular file, itself no link and sharing its inode with no other name (a hard
    link could stand for a file outside the folder), whose real path lies inside ``root``."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        return False
    real = _resolved(path)
    return real is not None and real != root and real.is_relative_to(root)


def _resolved(path: Path) -> Path | None:
    try:
        return Path(path).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a loop of links
        return None
