"""Decoding text files: binary detection, encodings, Markdown front matter and titles.

Every refusal is an ``UnreadableDocument`` with a one-line reason.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from assistant.errors import UnreadableDocument
from assistant.types import DocumentMeta

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
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def require_content(path: Path, text: str) -> None:
    if not text.strip().strip("\ufeff").strip():
        raise UnreadableDocument(str(path), "the file holds only whitespace")


def binary_reason(data: bytes) -> str | None:
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


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Decode text bytes: strict UTF-8, else UTF-16 with a BOM, else a detected encoding."""
    if data.startswith(UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        else:
            if not text.strip() or _looks_like_text(text):  # blank is refused by the caller
                return text, "utf-16"
    reason = binary_reason(data)
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
    tied = {m.encoding: m for m in candidates if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.05}
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
        1 for ch in text if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") and ch not in "\t\n\r\x0b\x0c\x1b"
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


def front_matter_end(text: str) -> int:
    """Where a Markdown article's ``---`` front matter block ends (0 without one)."""
    m = _FRONT_MATTER.match(text)
    return m.end() if m else 0


def front_matter(text: str) -> DocumentMeta:
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


def first_heading(text: str) -> str | None:
    """A Markdown article's title: its first heading (``# …`` or underlined), outside front matter."""
    match = _FRONT_MATTER.match(text)
    body = text[match.end() :] if match else text
    found = [m for m in (_HEADING.search(body), _SETEXT.search(body)) if m]
    if not found:
        return None
    title = min(found, key=lambda m: m.start()).group(1).strip()
    return title if 0 < len(title) <= _MAX_TITLE else None
