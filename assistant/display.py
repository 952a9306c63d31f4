"""File names as people should see them: invisible characters shown, look-alikes flagged.

A name can pass for another article's: a right-to-left override turns
``report‮txt.exe`` around on screen, a zero-width space or a Cyrillic ``а`` hides in
``bаnk.txt``, a fullwidth ``ｂａｎｋ`` reads as ``bank``. Such names are shown with the
invisible characters written out as ``\\u202e`` and, when letters could be taken for
others, with a warning. The name itself is never changed: it is what the file is called.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Categories that draw nothing or move other text: controls, format characters (bidi
# overrides and isolates, zero-width joiners), separators other than the space, and unassigned.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SPACES = frozenset({"Zs"})
# Embeddings, overrides and isolates: they reorder the text around them on screen.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Scripts whose letters copy Latin ones; mixing them in one name is how look-alikes are made.
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"})


@dataclass(frozen=True)
class ShownName:
    text: str  # the name with invisible characters written as \uXXXX
    warning: str | None  # why the name may not be what it looks like


def show(name: str) -> ShownName:
    """How to show ``name``: never with an invisible character, and flagged when it may deceive."""
    text = "".join(_visible(ch) for ch in name)
    return ShownName(text, _warning(name, escaped=text != name))


def plain(name: str) -> str:
    """``name`` as one line of text: escaped, with its warning in brackets."""
    shown = show(name)
    return shown.text + (f" [{shown.warning}]" if shown.warning else "")


def title(text: str) -> str:
    """A title with controls and bidi overrides written out; other format characters (the
    zero-width joiners Persian or Hindi spell with) are left alone in prose."""
    return "".join(
        f"\\u{ord(ch):04x}" if ch in _BIDI_CONTROLS or unicodedata.category(ch) == "Cc" else ch for ch in text
    )


def _visible(ch: str) -> str:
    category = unicodedata.category(ch)
    if category in _INVISIBLE or (category in _SPACES and ch != " "):
        return f"\\u{ord(ch):04x}"
    return ch


def _warning(name: str, *, escaped: bool) -> str | None:
    if escaped:
        return "holds invisible or control characters"
    scripts = {_script(ch) for ch in name if ch.isalpha()} & _CONFUSABLE_SCRIPTS
    if len(scripts) > 1:
        return "mixes " + " and ".join(s.title() for s in sorted(scripts)) + " letters"
    if unicodedata.normalize("NFKC", name) != unicodedata.normalize("NFC", name):  # NFD accents are fine
        return "holds look-alike characters (such as fullwidth letters)"
    return None


def _script(ch: str) -> str:
    return unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
