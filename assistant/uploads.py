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
from collections.abc import Iterable
from pathlib import Path

from assistant.errors import DocumentError

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
            log.warning("refused an upload outside the upload folder: %s", path)
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


def _is_upload(path: Path, root: Path) -> bool:
    """A regular file, itself no link, whose real path lies inside ``root``."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        return False
    real = _resolved(path)
    return real is not None and real != root and real.is_relative_to(root)


def _resolved(path: Path) -> Path | None:
    try:
        return Path(path).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a loop of links
        return None
