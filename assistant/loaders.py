"""Reading articles from files: text, Markdown, HTML and PDF into one ``LoadedText``.

Every failure is an ``UnsupportedFormat`` or ``UnreadableDocument`` whose reason is one
line a user understands; bad input never surfaces as a traceback. Heavy parsers
(trafilatura, pypdf, charset-normalizer) are imported where used so start-up stays fast.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from assistant.config import DEFAULT_MAX_FILE_BYTES
from assistant.errors import DocumentError, UnreadableDocument, UnsupportedFormat
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

# Control bytes that never occur in text; tab, newlines, form feed and ESC are allowed.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0b\x0c\x1b") + b"\x7f"
_MAX_CONTROL_SHARE = 0.01
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"%PDF-", "a PDF"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program"),
)
_MAX_CHAOS = 0.1  # charset-normalizer's mess ratio above which a decoding is rejected
_PREFERRED_ENCODINGS = ("cp1252", "latin_1", "iso8859_15", "cp1251", "shift_jis", "gb18030")
# LoadedText.encoding of UTF-8 text whose few invalid bytes were replaced by U+FFFD.
_UTF8_REPLACED = "utf-8-replaced"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_MIB = 1024 * 1024


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
    if fmt == "pdf":
        return _load_pdf(path, data)
    if fmt == "html":
        return _load_html(path, data)
    text, encoding = _decode_text(path, data)
    _require_content(path, text)
    meta = _front_matter(text) if fmt == "md" else DocumentMeta()
    if meta.title is None:
        meta = replace(meta, title=_first_heading(text) if fmt == "md" else None)
    return LoadedText(text=text, format=fmt, meta=meta, encoding=encoding)


def discover(
    paths: Iterable[Path], *, exclude: Iterable[Path] = ()
) -> tuple[list[Path], list[DocumentError]]:
    """Supported files under the given files and folders, and errors for bad explicit paths.

    Folders are walked recursively; hidden files and folders and anything under
    ``exclude`` are skipped, as are files of other formats found inside folders.
    A missing path or an explicitly named file of another format is returned as an
    error, not raised.
    """
    excluded = {_resolved(p) for p in exclude}
    found: set[Path] = set()
    errors: list[DocumentError] = []
    for given in map(Path, paths):
        if given.is_dir():
            found.update(_walk(given, excluded))
        elif given.is_file():
            if _is_excluded(given, excluded):
                continue
            try:
                _format_of(given)
            except UnsupportedFormat as error:
                errors.append(error)
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


def _require_content(path: Path, text: str) -> None:
    if not text.strip().strip("\ufeff").strip():
        raise UnreadableDocument(str(path), "the file holds only whitespace")


def _binary_reason(data: bytes) -> str | None:
    """Why ``data`` is not text, or None when it may be."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return f"looks like a binary file ({kind}), not text"
    if b"\x00" in data:
        return "looks like a binary file, not text"
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_SHARE * len(data):
        return "looks like a binary file, not text"
    return None


# --- plain text and Markdown --------------------------------------------------------


def _decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Decode text bytes: strict UTF-8, else UTF-16 with a BOM, else a detected encoding."""
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        else:
            if not text.strip() or _looks_like_text(text):  # blank is refused by the caller
                return text, "utf-16"
    reason = _binary_reason(data)
    if reason:
        raise UnreadableDocument(str(path), reason)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    damaged = _damaged_utf8(data)
    if damaged is not None:
        return damaged, _UTF8_REPLACED
    detected = _detect(data)
    if detected is None:
        raise UnreadableDocument(str(path), "not UTF-8 text and its encoding could not be detected")
    return detected


def _damaged_utf8(data: bytes) -> str | None:
    """UTF-8 with a few bad bytes (a cut-off last character, one stray cp1252 quote).

    Read as a legacy code page such a file turns every curly quote into mojibake, so
    when well-formed multi-byte sequences outnumber bad bytes it is UTF-8, with the bad
    bytes replaced by U+FFFD.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    good = sum(1 for ch in text if ord(ch) > 127) - text.count("\ufffd")
    return text if good > bad else None


def _detect(data: bytes) -> tuple[str, str] | None:
    """The text and encoding charset-normalizer is confident of, or None."""
    from charset_normalizer import from_bytes

    candidates = [m for m in from_bytes(data) if m.chaos <= _MAX_CHAOS]
    if not candidates:
        return None
    best = min(candidates, key=lambda m: (m.chaos, -m.coherence))
    # Short Western text decodes equally cleanly in several code pages (cp1250, cp1257,
    # ...); among such ties prefer the ones news text is most often in.
    tied = {
        m.encoding: m
        for m in candidates
        if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.05
    }
    choice = next((tied[e] for e in _PREFERRED_ENCODINGS if e in tied), best)
    try:
        text = data.decode(choice.encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    if not _looks_like_text(text):
        return None
    return text, choice.encoding


def _looks_like_text(text: str) -> bool:
    """No stray control, private-use or unassigned characters."""
    if not text:
        return False
    odd = sum(
        1
        for ch in text
        if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") and ch not in "\t\n\r\x0b\x0c\x1b"
    )
    return odd <= _MAX_CONTROL_SHARE * len(text)


_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_META_KEYS = {
    "title": "title",
    "author": "author",
    "authors": "author",
    "by": "author",
    "date": "published",
    "published": "published",
    "published_at": "published",
    "publisher": "publisher",
    "source": "publisher",
    "site": "publisher",
    "section": "section",
    "category": "section",
    "credit": "credit",
    "url": "url",
    "link": "url",
}


def _front_matter(text: str) -> DocumentMeta:
    """Title, author, date and the like from a ``---`` block of ``key: value`` lines."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return DocumentMeta()
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        name = _META_KEYS.get(key.strip().lower())
        value = value.strip().strip("\"'").strip()
        if sep and name and value and name not in fields:
            fields[name] = value
    return DocumentMeta(**fields)


_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.M)
_SETEXT = re.compile(r"^(?! {0,3}[-=#>*])(\S.*?)[ \t]*\n {0,3}(?:=+|-+)[ \t]*$", re.M)
_MAX_TITLE = 200


def _first_heading(text: str) -> str | None:
    """A Markdown article's title: its first heading (``# …`` or underlined), outside front matter."""
    match = _FRONT_MATTER.match(text)
    body = text[match.end() :] if match else text
    found = [m for m in (_HEADING.search(body), _SETEXT.search(body)) if m]
    if not found:
        return None
    title = min(found, key=lambda m: m.start()).group(1).strip()
    return title if 0 < len(title) <= _MAX_TITLE else None


# --- HTML and PDF -------------------------------------------------------------------


def _load_html(path: Path, data: bytes) -> LoadedText:
    """The main text of a saved web page, one paragraph per block, and its metadata."""
    import trafilatura

    html, encoding = _decode_html(path, data)
    with _quiet("trafilatura", "htmldate", "courlan"):
        try:
            doc = trafilatura.bare_extraction(
                html,
                with_metadata=True,
                include_comments=False,
                include_tables=True,
                include_images=False,
                favor_recall=True,
            )
        except Exception:  # a parser failure on hostile markup is still bad input
            doc = None
    body = getattr(doc, "body", None)
    blocks = _blocks(body) if body is not None else []
    text = _clean("\n\n".join(blocks))
    if not text.strip():
        raise UnreadableDocument(str(path), "no article text found in the HTML")
    meta = DocumentMeta(
        title=_field(doc, "title"),
        author=_field(doc, "author"),
        published=_field(doc, "date"),
        publisher=_field(doc, "sitename"),
        url=_field(doc, "url"),
    )
    return LoadedText(text=text, format="html", meta=meta, encoding=encoding)


_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
# Per the HTML standard, pages labelled Latin-1 or ASCII are decoded as windows-1252.
_HTML_ALIASES = {"latin_1": "cp1252", "ascii": "cp1252", "iso8859_1": "cp1252"}


def _decode_html(path: Path, data: bytes) -> tuple[str, str]:
    """Decode page bytes by BOM, declared charset, UTF-8 or detection, in that order."""
    if data.startswith(_UTF16_BOMS) or data.startswith(b"\xef\xbb\xbf"):
        return _decode_text(path, data)
    reason = _binary_reason(data)
    if reason:
        raise UnreadableDocument(str(path), reason)
    declared = _DECLARED_CHARSET.search(data[:4096])
    if declared:
        try:
            name = codecs.lookup(declared.group(1).decode("ascii")).name.replace("-", "_")
            name = _HTML_ALIASES.get(name, name)
            return data.decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong label is common; fall back to what the bytes say
    return _decode_text(path, data)


_NESTED_BLOCKS = {"p", "item", "list", "row", "head", "quote", "table", "code"}
_BLOCK_CONTAINERS = {"body", "div", "list", "table", "quote", "main", "doc"}


def _blocks(element) -> list[str]:
    """Paragraph texts of trafilatura's XML tree: lists by item, tables by row."""
    blocks: list[str] = []
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "row":
            cells = [_inline(cell) for cell in child]
            line = " | ".join(c for c in cells if c)
            if line:
                blocks.append(line)
        elif tag in _BLOCK_CONTAINERS and any(
            isinstance(c.tag, str) and c.tag not in ("lb", "hi", "ref") for c in child
        ):
            blocks.extend(_blocks(child))
        elif tag:
            text = _inline(child)
            if text:
                blocks.append(text)
    return blocks


def _inline(element) -> str:
    """The text of one block; a line break (<br>) stays a single newline."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag in _NESTED_BLOCKS:  # a list inside a list item, say
            parts.append(f"\n{_inline(child)}\n")
        else:
            parts.append(_inline(child))
        parts.append(child.tail or "")
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _field(doc, name: str) -> str | None:
    value = getattr(doc, name, None)
    return value.strip() or None if isinstance(value, str) else None


def _load_pdf(path: Path, data: bytes) -> LoadedText:
    """Text of every page, joined by blank lines; ``pages`` maps each page to its range."""
    from pypdf import PdfReader

    with _quiet("pypdf"):
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise UnreadableDocument(str(path), "the PDF is encrypted and needs a password")
            texts = [_clean(page.extract_text() or "").strip() for page in reader.pages]
        except UnreadableDocument:
            raise
        except Exception as error:  # pypdf raises many types on malformed files
            raise UnreadableDocument(str(path), _pdf_reason(error)) from None
    if not any(t.strip() for t in texts):
        raise UnreadableDocument(
            str(path), "the PDF has no text layer (scanned?); it needs OCR first"
        )
    pages: list[tuple[int, int]] = []
    offset = 0
    for text in texts:
        pages.append((offset, offset + len(text)))
        offset += len(text) + len(_PAGE_BREAK)
    meta = _pdf_meta(reader)
    return LoadedText(text=_PAGE_BREAK.join(texts), format="pdf", meta=meta, pages=tuple(pages))


_PAGE_BREAK = "\n\n"


def _pdf_reason(error: Exception) -> str:
    name = type(error).__name__
    if name == "DependencyError":  # AES needs the optional 'cryptography' package
        return "the PDF is encrypted in a way that cannot be opened here"
    if name == "FileNotDecryptedError":
        return "the PDF is encrypted and needs a password"
    return "not a readable PDF (the file is damaged or not really a PDF)"


def _pdf_meta(reader) -> DocumentMeta:
    try:
        info = reader.metadata or {}
        title, author = info.get("/Title"), info.get("/Author")
    except Exception:  # metadata is a nicety; a broken info dict must not cost the text
        return DocumentMeta()
    return DocumentMeta(
        title=str(title).strip() or None if title else None,
        author=str(author).strip() or None if author else None,
    )


def _clean(text: str) -> str:
    """Drop NULs and lone surrogates so the text can be stored as UTF-8."""
    text = text.replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


@contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """Silence parsers' warnings about bad input: the refusal reason says it once."""
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


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


def _walk(root: Path, excluded: set[Path]) -> Iterable[Path]:
    if _is_excluded(root, excluded):
        return
    for folder, dirnames, filenames in os.walk(root):
        here = Path(folder)
        dirnames[:] = [
            d for d in dirnames if not d.startswith(".") and not _is_excluded(here / d, excluded)
        ]
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in _FORMATS:
                yield here / name
