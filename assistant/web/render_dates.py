"""HTML for dates: an article's date with where it came from, the dates a cited sentence
tells ('Tuesday = Tue 13 Jan 2026'), and the note of an answer from another time.

Every piece of text goes through ``esc``; nothing here calls the assistant.
"""

from __future__ import annotations

import html
from datetime import date

from assistant.language.dates import day_label
from assistant.types import Answer, Citation, Dating

_FROM = {"metadata": "metadata", "html": "page metadata", "pdf": "PDF metadata", "text": "dateline"}


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def published_text(dating: Dating) -> str | None:
    """'13 Jan 2026 (inferred from the text)', '12 Jan 2026 (dateline)'; None when unknown."""
    if not dating.published:
        return None
    how = "inferred from the text" if dating.inferred else _FROM.get(dating.source or "", dating.source or "")
    return f"{day_label(date.fromisoformat(dating.published))} ({how})"


def citation_dates(citation: Citation) -> str:
    """The article's date beside a citation, and a label per date its text tells."""
    parts = []
    if citation.published:
        inferred = " (inferred)" if citation.published_inferred else ""
        parts.append(
            f'<span class="cite-date" data-cite-date="{citation.id}">[{citation.id}] '
            f"{esc(day_label(date.fromisoformat(citation.published)))}{inferred}</span>"
        )
    # a label that only repeats the words ("2025 = 2025") tells nothing
    parts += [
        f'<span class="date-label">{esc(d.text)} = {esc(d.label)}</span>'
        for d in citation.dates
        if d.label and d.label.strip() != d.text.strip()
    ]
    return f'<span class="cite-dates">{" ".join(parts)}</span>' if parts else ""


def time_note(answer: Answer) -> str:
    """The answer's note about time, apart from the quoted statements."""
    notes = [n for n in (answer.as_of_note, answer.time_note) if n]
    return "".join(f'<p class="time-note" role="note">{esc(n)}</p>' for n in notes)
