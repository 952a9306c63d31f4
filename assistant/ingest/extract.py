"""The main text of saved web pages (trafilatura) and PDFs (pypdf), with their metadata.

Parsers are imported where used so start-up stays fast.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from assistant.errors import UnreadableDocument
from assistant.ingest.plaintext import UTF16_BOMS, binary_reason, decode_text
from assistant.types import DocumentMeta, LoadedText


def load_html(path: Path, data: bytes) -> LoadedText:
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
                # Only dates the page states (meta tags, structured data, its URL): htmldate's
                # extensive search takes 'Copyright 2026' in a footer for 1 Jan 2026.
                date_extraction_params={
                    "original_date": True,
                    "extensive_search": False,
                    "max_date": date.today().isoformat(),
                },
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
    if data.startswith(UTF16_BOMS) or data.startswith(b"\xef\xbb\xbf"):
        return decode_text(path, data)
    reason = binary_reason(data)
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
    return decode_text(path, data)


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


def load_pdf(path: Path, data: bytes) -> LoadedText:
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
        raise UnreadableDocument(str(path), "the PDF has no text layer (scanned?); it needs OCR first")
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
        created = info.get("/CreationDate")
    except Exception:  # metadata is a nicety; a broken info dict must not cost the text
        return DocumentMeta()
    return DocumentMeta(
        title=str(title).strip() or None if title else None,
        author=str(author).strip() or None if author else None,
        published=_pdf_date(created),
    )


def _pdf_date(value: object) -> str | None:
    """The day of a PDF date string ('D:20260113083000+00'00''), as ISO 8601."""
    match = re.match(r"(?:D:)?((?:19|20)\d\d)([01]\d)([0-3]\d)", str(value or ""))
    return "-".join(match.groups()) if match else None


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
