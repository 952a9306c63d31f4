"""Reading articles from files: text, Markdown, HTML and PDF into one ``LoadedText``.

Every failure is an ``UnsupportedFormat`` or ``UnreadableDocument`` whose reason is one
line a user understands; bad input never surfaces as a traceback. Heavy parsers
(trafilatura, pypdf, charset-normalizer) are imported where used so start-up stays fast.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from assistant.config import DEFAULT_MAX_FILE_BYTES
from assistant.errors import DocumentError, UnreadableDocument, UnsupportedFormat
from assistant.ingest.extract import load_html, load_pdf
from assistant.ingest.plaintext import decode_text, first_heading, front_matter, require_content
from assistant.types import DocumentMeta, Format, LoadedText

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")

_FORMATS: dict[str, Format] = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}

_MIB = 1024 * 1024
HIDDEN_REASON = "a hidden file (its name starts with a dot); rename it to add it"

log = logging.getLogger(__name__)


def read_text(path: Path) -> str:
    """The canonical decoding of a stored UTF-8 text file (no newline translation)."""
    return Path(path).read_bytes().decode("utf-8")


def needs_stored_text(loaded: LoadedText) -> bool:
    """True when offsets cannot point into the original file (html, pdf, text not in UTF-8)."""
    return loaded.format in ("html", "pdf") or loaded.encoding != "utf-8"


def load(path: Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> LoadedText:
    """Read one file into a ``LoadedText``.

    Args:
        path: a .txt, .md/.markdown, .html/.htm or .pdf file.
        max_bytes: larger files are refused without being read.

    Raises:
        UnsupportedFormat: the suffix is not one the assistant reads.
        UnreadableDocument: missing, a folder, unreadable, binary, empty, too large,
            undecodable, or with no extractable text.
    """
    path = Path(path)
    fmt = _format_of(path)
    data = _read_bytes(path, max_bytes)
    try:
        parsed = _parse(path, fmt, data)
    except DocumentError:
        raise
    except Exception as error:  # untrusted bytes: any parser failure is this file's problem alone
        log.warning("%s: the %s parser failed: %s: %s", path, fmt, type(error).__name__, error)
        raise UnreadableDocument(str(path), f"the {fmt.upper()} reader failed on it ({type(error).__name__})") from None
    return replace(parsed, sha256=hashlib.sha256(data).hexdigest())


def _parse(path: Path, fmt: Format, data: bytes) -> LoadedText:
    if fmt == "pdf":
        return load_pdf(path, data)
    if fmt == "html":
        return load_html(path, data)
    text, encoding = decode_text(path, data)
    require_content(path, text)
    meta = front_matter(text) if fmt == "md" else DocumentMeta()
    if meta.title is None:
        meta = replace(meta, title=first_heading(text) if fmt == "md" else None)
    return LoadedText(text=text, format=fmt, meta=meta, encoding=encoding)


def discover(
    paths: Iterable[Path], *, exclude: Iterable[Path] = (), refuse_hidden: bool = False
) -> tuple[list[Path], list[DocumentError]]:
    """Supported files under the given files and folders, and errors for bad explicit paths.

    Folders are walked recursively; hidden folders (``.git``) and anything under
    ``exclude`` are passed over, as are files of other formats found inside folders.
    A missing path or an explicitly named file of another format is returned as an
    error, not raised. Hidden files are never taken: the docs folder ignores them, so
    one copied there would never be indexed. With ``refuse_hidden`` each one of a
    supported format is returned as an error, so that the user hears why.
    """
    excluded = {_resolved(p) for p in exclude}
    found: set[Path] = set()
    errors: list[DocumentError] = []
    for given in map(Path, paths):
        if given.is_dir():
            for path in _walk(given, excluded):
                if not _is_hidden(path):
                    found.add(path)
                elif refuse_hidden:
                    errors.append(UnreadableDocument(str(path), HIDDEN_REASON))
        elif given.is_file():
            if _is_excluded(given, excluded):
                continue
            try:
                _format_of(given)
            except UnsupportedFormat as error:
                errors.append(error)
            else:
                if _is_hidden(given):
                    errors.append(UnreadableDocument(str(given), HIDDEN_REASON))
                else:
                    found.add(given)
        elif given.exists():
            errors.append(UnreadableDocument(str(given), "not a regular file"))
        else:
            errors.append(UnreadableDocument(str(given), "no such file or folder"))
    return sorted(found), errors


# --- reading and checks -------------------------------------------------------------


def _format_of(path: Path) -> Format:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        kind = f"'{path.suffix}' files" if path.suffix else "files without an extension"
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise UnsupportedFormat(str(path), f"{kind} are not supported (use {supported})")
    return fmt


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UnreadableDocument(str(path), "no such file") from None
    except OSError as error:
        raise UnreadableDocument(str(path), f"cannot be read ({_os_reason(error)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableDocument(str(path), "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableDocument(str(path), "not a regular file")
    if info.st_size > max_bytes:
        raise UnreadableDocument(str(path), _too_large(info.st_size, max_bytes))
    if not os.access(path, os.R_OK):
        raise UnreadableDocument(str(path), "no permission to read the file")
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since stat()
    except PermissionError:
        raise UnreadableDocument(str(path), "no permission to read the file") from None
    except OSError as error:
        raise UnreadableDocument(str(path), f"cannot be read ({_os_reason(error)})") from None
    if len(data) > max_bytes:
        raise UnreadableDocument(str(path), _too_large(len(data), max_bytes))
    if not data:
        raise UnreadableDocument(str(path), "the file is empty")
    return data


def _os_reason(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()


def _too_large(size: int, limit: int) -> str:
    return f"{_human(size)} is over the {_human(limit, exact=True)} limit; raise --max-file-mb"


def _human(n: int, *, exact: bool = False) -> str:
    if n >= _MIB:
        text = f"{n / _MIB:.1f}"
        if exact and text.endswith(".0"):
            text = text[:-2]
        return f"{text} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


# --- discovery ----------------------------------------------------------------------


def _resolved(path: Path) -> Path:
    try:
        return Path(path).resolve()
    except OSError:
        return Path(os.path.abspath(path))


def _is_excluded(path: Path, excluded: set[Path]) -> bool:
    if not excluded:
        return False
    resolved = _resolved(path)
    return any(resolved == e or resolved.is_relative_to(e) for e in excluded)


def _is_hidden(path: Path) -> bool:
    return path.name.startswith(".")


def _walk(root: Path, excluded: set[Path]) -> Iterable[Path]:
    """Files of a supported format under ``root``, hidden ones included; hidden folders are not entered."""
    if _is_excluded(root, excluded):
        return
    for folder, dirnames, filenames in os.walk(root):
        here = Path(folder)
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and not _is_excluded(here / d, excluded)]
        for name in filenames:
            if Path(name).suffix.lower() in _FORMATS:
                yield here / name
