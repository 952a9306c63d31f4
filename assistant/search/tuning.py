"""The hand-set numbers that decide which evidence a question or a claim reaches, and how
the asked time moves it: one typed place for them. The learned ones live in the model
manifests (``ranker.json``, ``reader.json``, ``verifier.json``), read by the code that uses
them. A change to any of these changes answers: measure it (EVALUATION.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidates:
    """How many candidates each list of the hybrid search brings (``search/retrieve.py``),
    and how far composition and the claim check look."""

    lexical_rows: int = 40  # rows per BM25 list, and per similarity list inside named sources
    lexical_passages: int = 8  # passages by BM25: all their rows are candidates
    dense_passages: int = 16  # passages by similarity: all their rows are candidates
    scoped_exact_rows: int = 10_000  # rows of the articles a question names, up to which all are compared
    scoped_passages: int = 256  # passages by similarity whose rows are compared in a wider scope
    claim_passages: int = 200  # passages whose sentences a claim is compared with (``core.closest``)
    twins: int = 8  # the candidates most similar to a cited sentence that may be its twins (``answer/compose``)


@dataclass(frozen=True)
class Time:
    """How an asked time ('this week', 'When will …') moves the ranking (``search/timeframe.py``).
    The bonuses are in the ranker's score units (an answer's further statements must be
    within 2.0 of the best), where they bring the asked time's sentences to the reader; after
    the reader, whose logits spread as each trained model's do, the time orders only what the
    reader reads as answering (``answers``), with the newest bonus as the tie-break."""

    # enough to lead a sentence of another time that matches the question a little better,
    # not one about something else
    inside_bonus: float = 3.0
    newest_bonus: float = 0.5  # inside the window, the newest article's sentences a little more
    closest_bonus: float = 1.0  # nothing inside: the articles dated nearest the window
    # after the reader: its probability that a sentence answers, from which the asked time
    # decides which answer leads (the reader's own line between answering and not)
    answers: float = 0.5
    recent_days: int = 30  # 'recently', 'latest', 'so far'
    future_days: int = 730  # 'When will …': from the as-of day on


CANDIDATES = Candidates()
TIME = Time()
