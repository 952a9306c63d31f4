"""Scoring answers against question sets: pure functions over answers, no model inside.

Two question sets are understood:

- ``gold``: ``tests/data/gold_seeds.jsonl``, questions over the seeds whose evidence is
  whole sentences (``{"id", "question", "history", "answerable", "category", "evidence"}``);
  ``tests/data/gold_time.jsonl`` adds ``as_of`` (the day the question is asked) and
  ``docs`` (the folder its articles are in). Questions with time words ('this week',
  'When will …') are also scored on their own.
- ``squad``: ``squad2-dev/questions.jsonl``, whose answers are short spans
  (``{"id", "question", "doc", "answerable", "answers"}``).

Spans are half-open ``[start, end)`` character offsets, so adjacent spans do not overlap.
Shares are floats in 0..1, or None when their denominator is zero.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

from assistant.types import Answer

# ask(question, history) or, for a question with an as-of day, ask(question, history, as_of)
Ask = Callable[..., Answer]
Progress = Callable[[int, int], None]
AnswerLike = Answer | Mapping[str, Any]

FAILURE_TEXT_CHARS = 160


def load_questions(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSON Lines question file, skipping blank lines."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def detect_kind(questions: Sequence[Mapping[str, Any]]) -> Literal["gold", "squad"]:
    """Which question set this is, from the fields of its first question.

    Raises:
        ValueError: the questions are empty or of neither kind.
    """
    if not questions:
        raise ValueError("No questions to evaluate.")
    first = questions[0]
    if "evidence" in first:
        return "gold"
    if "answers" in first and "doc" in first:
        return "squad"
    raise ValueError("Unknown question format: expected 'evidence' (gold) or 'answers' and 'doc' (squad).")


def overlaps(start: int, end: int, other_start: int, other_end: int) -> bool:
    """True when ``[start, end)`` and ``[other_start, other_end)`` share a character."""
    return max(start, other_start) < min(end, other_end)


def _as_dict(answer: AnswerLike) -> Mapping[str, Any]:
    return answer.to_dict() if isinstance(answer, Answer) else answer


def _share(hits: float, total: int) -> float | None:
    return hits / total if total else None


class _Integrity:
    """Counts citations whose file slice equals their text; reads each file once."""

    def __init__(self) -> None:
        self._texts: dict[str, str | None] = {}
        self.checked = 0
        self.intact = 0

    def _text(self, file: str) -> str | None:
        if file not in self._texts:
            try:
                self._texts[file] = Path(file).read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                self._texts[file] = None
        return self._texts[file]

    def check(self, citations: Iterable[Mapping[str, Any]]) -> None:
        for c in citations:
            text = self._text(c["file"])
            self.checked += 1
            self.intact += text is not None and text[c["start"] : c["end"]] == c["text"]

    def share(self) -> float | None:
        return _share(self.intact, self.checked)


def _ask_all(
    questions: Sequence[Mapping[str, Any]], ask: Ask, progress: Progress | None, use_as_of: bool = True
) -> list[Mapping[str, Any]]:
    answers = []
    for n, q in enumerate(questions, 1):
        history = list(q.get("history") or [])
        if use_as_of and q.get("as_of"):
            answers.append(_as_dict(ask(q["question"], history, q["as_of"])))
        else:
            answers.append(_as_dict(ask(q["question"], history)))
        if progress:
            progress(n, len(questions))
    return answers


def evidence_rank(citations: Sequence[Mapping[str, Any]], evidence: Sequence[Mapping[str, Any]]) -> int | None:
    """1-based rank of the first citation overlapping a gold evidence span, or None."""
    for rank, c in enumerate(citations, 1):
        for ev in evidence:
            if c["doc_id"] == ev["doc_id"] and overlaps(c["start"], c["end"], ev["start"], ev["end"]):
                return rank
    return None


class _GoldRow(NamedTuple):
    category: str
    answerable: bool
    refused: bool
    rank: int | None  # of the first citation overlapping evidence
    passage_rank: int | None  # of the first listed passage overlapping evidence
    time_worded: bool = False  # the question has time words ('this week', 'When will …')
    unsure: bool = False  # answered, flagged unsure


def _top_text(answer: Mapping[str, Any]) -> str:
    citations = answer["citations"]
    return citations[0]["text"][:FAILURE_TEXT_CHARS] if citations else ""


def _gold_failure(q: Mapping[str, Any], answer: Mapping[str, Any], rank: int | None) -> dict | None:
    refused = not answer["found"]
    if not q["answerable"]:
        reasons = [] if refused else ["answered an unanswerable question"]
    else:
        reasons = [] if rank == 1 else [f"top citation not evidence (rank {rank})"]
        reasons += ["refused an answerable question"] if refused else []
    if not reasons:
        return None
    return {
        "id": q["id"],
        "question": q["question"],
        "reason": "; ".join(reasons),
        "top_citation": _top_text(answer),
    }


def for_docs(questions: Sequence[Mapping[str, Any]], docs: Path) -> list[Mapping[str, Any]]:
    """The questions over the articles of ``docs``: those without a ``docs`` field, and
    those whose ``docs`` folder is that one (relative paths from the current folder)."""
    here = Path(docs).resolve()
    return [q for q in questions if not q.get("docs") or Path(q["docs"]).resolve() == here]


def evaluate_gold(
    questions: Sequence[Mapping[str, Any]], ask: Ask, *, progress: Progress | None = None, use_as_of: bool = True
) -> dict:
    """Ask every gold question (with its history) and score the citations.

    Evidence@k and MRR are over answerable questions and look at citations whether or
    not the answer was found; refusals are reported separately. ``passage_evidence@3``
    looks at the passages listed beside the answer, so retrieval is measured even when
    the answer was refused.

    Returns:
        A dict of metrics, ``by_category`` and ``failures`` (id, question, reason, top citation).
    """
    from assistant.search.timeframe import as_of_day, has_time_words

    answers = _ask_all(questions, ask, progress, use_as_of)
    integrity = _Integrity()
    rows: list[_GoldRow] = []
    failures = []
    for q, answer in zip(questions, answers, strict=True):
        integrity.check(answer["citations"])
        rank = passage_rank = None
        if q["answerable"]:
            rank = evidence_rank(answer["citations"], q["evidence"])
            passage_rank = evidence_rank(answer.get("passages") or [], q["evidence"])
        asked_on = as_of_day(q.get("as_of") if use_as_of else None)
        worded = has_time_words(q["question"], asked_on)
        unsure = bool(answer["found"] and answer.get("unsure"))
        rows.append(
            _GoldRow(q.get("category", "-"), q["answerable"], not answer["found"], rank, passage_rank, worded, unsure)
        )
        failure = _gold_failure(q, answer, rank)
        if failure:
            failures.append(failure)
    return {
        "kind": "gold",
        "questions": len(questions),
        **_gold_metrics(rows),
        "citations_checked": integrity.checked,
        "citation_integrity": integrity.share(),
        "by_category": {
            name: _gold_category([r for r in rows if r.category == name]) for name in sorted({r.category for r in rows})
        },
        "time_worded": _gold_category([r for r in rows if r.time_worded]),
        "without_time_words": _gold_category([r for r in rows if not r.time_worded]),
        "failures": failures,
    }


def _gold_metrics(rows: Sequence[_GoldRow]) -> dict[str, Any]:
    ranks = [r.rank for r in rows if r.answerable]
    n_answerable, n_unanswerable = len(ranks), len(rows) - len(ranks)
    n_refused = sum(r.refused for r in rows)
    refused_unanswerable = sum(r.refused and not r.answerable for r in rows)
    refused_answerable = n_refused - refused_unanswerable
    return {
        "answerable": n_answerable,
        "unanswerable": n_unanswerable,
        "evidence@1": _share(sum(r == 1 for r in ranks), n_answerable),
        "evidence@3": _share(sum(r is not None and r <= 3 for r in ranks), n_answerable),
        "mrr": _share(sum(1 / r for r in ranks if r), n_answerable),
        "passage_evidence@3": _share(
            sum(r.passage_rank is not None and r.passage_rank <= 3 for r in rows if r.answerable),
            n_answerable,
        ),
        "answerable_refused": refused_answerable,
        "answerable_refused_share": _share(refused_answerable, n_answerable),
        "refused": n_refused,
        "refusal_precision": _share(refused_unanswerable, n_refused),
        "refusal_recall": _share(refused_unanswerable, n_unanswerable),
        "answerable_unsure": sum(r.unsure and r.answerable for r in rows),
        "unanswerable_unsure": sum(r.unsure and not r.answerable for r in rows),
        "unanswerable_refused_or_unsure": _share(
            sum((r.refused or r.unsure) and not r.answerable for r in rows), n_unanswerable
        ),
    }


def _gold_category(rows: Sequence[_GoldRow]) -> dict[str, Any]:
    ranks = [r.rank for r in rows if r.answerable]
    return {
        "questions": len(rows),
        "evidence@1": _share(sum(r == 1 for r in ranks), len(ranks)),
        "refused_share": _share(sum(r.refused for r in rows), len(rows)),
    }


def contains_answer(citation: Mapping[str, Any], doc: str, answers: Sequence[Mapping[str, Any]]) -> bool:
    """True when the citation is in ``doc`` and its span holds some gold answer span."""
    return citation["doc_id"] == doc and any(
        citation["start"] <= a["start"] and a["end"] <= citation["end"] for a in answers
    )


def _normal_words(text: str) -> list[str]:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles."""
    text = "".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace())
    return [w for w in text.split() if w not in ("a", "an", "the")]


def words_f1(given: str, gold: str) -> float:
    """SQuAD's token F1 of the given answer words against one gold answer."""
    a, b = _normal_words(given), _normal_words(gold)
    if not a or not b:
        return float(a == b)
    common = sum(min(a.count(w), b.count(w)) for w in set(a))
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def evaluate_squad(questions: Sequence[Mapping[str, Any]], ask: Ask, *, progress: Progress | None = None) -> dict:
    """Ask squad2-dev questions and score whether the top citation holds a gold answer.

    Returns:
        A dict of metrics; ``answer@1`` is over all answerable questions,
        ``answer@1_when_found`` over the answerable ones the assistant answered.
    """
    answers = _ask_all(questions, ask, progress)
    integrity = _Integrity()
    n_answerable = top1 = top3 = found = top1_found = refused_answerable = 0
    n_unanswerable = refused_unanswerable = unsure_unanswerable = unsure_answerable = unsure_right = 0
    top_lengths: list[int] = []
    span_given = span_exact = 0
    span_f1: list[float] = []
    for q, answer in zip(questions, answers, strict=True):
        citations = answer["citations"]
        integrity.check(citations)
        span = answer.get("answer_span")
        holder = next((c for c in citations if span and c["id"] == span["citation"]), None)
        if span and holder:  # the answer words are offsets into the file of the citation holding them
            integrity.check([{**span, "file": holder["file"]}])
        if not q["answerable"]:
            n_unanswerable += 1
            refused_unanswerable += not answer["found"]
            unsure_unanswerable += bool(answer["found"] and answer.get("unsure"))
            continue
        n_answerable += 1
        hit1 = bool(citations) and contains_answer(citations[0], q["doc"], q["answers"])
        top1 += hit1
        top3 += any(contains_answer(c, q["doc"], q["answers"]) for c in citations[:3])
        if citations:
            top_lengths.append(citations[0]["end"] - citations[0]["start"])
        if answer["found"]:
            found += 1
            top1_found += hit1
            if answer.get("unsure"):
                unsure_answerable += 1
                unsure_right += hit1
            if hit1 and span and span["citation"] == citations[0]["id"]:
                span_given += 1
                span_f1.append(max(words_f1(span["text"], a["text"]) for a in q["answers"]))
                span_exact += any(_normal_words(span["text"]) == _normal_words(a["text"]) for a in q["answers"])
        else:
            refused_answerable += 1
    return {
        "kind": "squad",
        "questions": len(questions),
        "answerable": n_answerable,
        "unanswerable": n_unanswerable,
        "answer@1": _share(top1, n_answerable),
        "answer@3": _share(top3, n_answerable),
        "answer@1_when_found": _share(top1_found, found),
        "mean_top_citation_chars": sum(top_lengths) / len(top_lengths) if top_lengths else None,
        "answerable_refused_share": _share(refused_answerable, n_answerable),
        "answer_words_given": _share(span_given, top1_found),
        "answer_words_exact": _share(span_exact, span_given),
        "answer_words_f1": sum(span_f1) / len(span_f1) if span_f1 else None,
        "unanswerable_refused_share": _share(refused_unanswerable, n_unanswerable),
        "answerable_unsure_share": _share(unsure_answerable, found),
        "answer@1_when_unsure": _share(unsure_right, unsure_answerable),
        "answer@1_when_sure": _share(top1_found - unsure_right, found - unsure_answerable),
        "unanswerable_unsure_share": _share(unsure_unanswerable, n_unanswerable),
        "unanswerable_refused_or_unsure_share": _share(refused_unanswerable + unsure_unanswerable, n_unanswerable),
        "citations_checked": integrity.checked,
        "citation_integrity": integrity.share(),
    }


_LABELS = {
    "evidence@1": "top citation overlaps a gold evidence sentence (answerable)",
    "evidence@3": "one of the first three citations overlaps gold evidence (answerable)",
    "mrr": "mean reciprocal rank of the first overlapping citation (answerable)",
    "passage_evidence@3": "one of the first three listed passages overlaps gold evidence",
    "answerable_refused": "answerable questions refused (found=false)",
    "answerable_refused_share": "share of answerable questions refused",
    "refused": "questions refused (found=false)",
    "refusal_precision": "refusals that were on unanswerable questions",
    "refusal_recall": "unanswerable questions refused",
    "answer@1": "top citation contains a gold answer span (answerable)",
    "answer@3": "one of the first three citations contains a gold answer span",
    "answer@1_when_found": "answer@1 among answerable questions answered (found=true)",
    "mean_top_citation_chars": "mean length of the top citation, characters",
    "answer_words_given": "answer words marked, when the top citation holds a gold answer",
    "answer_words_exact": "answer words equal to a gold answer (SQuAD normalisation), when marked",
    "answer_words_f1": "SQuAD token F1 of the answer words against the best gold answer, when marked",
    "unanswerable_refused_share": "unanswerable questions refused (found=false)",
    "answerable_unsure": "answerable questions answered with the unsure flag",
    "unanswerable_unsure": "unanswerable questions answered with the unsure flag",
    "unanswerable_refused_or_unsure": "unanswerable questions refused or flagged unsure",
    "answerable_unsure_share": "answerable questions answered with the unsure flag, of those answered",
    "answer@1_when_unsure": "answer@1 among answerable questions answered unsure",
    "answer@1_when_sure": "answer@1 among answerable questions answered without the flag",
    "unanswerable_unsure_share": "unanswerable questions answered with the unsure flag",
    "unanswerable_refused_or_unsure_share": "unanswerable questions refused or flagged unsure",
    "citation_integrity": "citations whose file[start:end] equals their text",
    "citations_checked": "citations checked for integrity",
}


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def format_report(result: Mapping[str, Any], *, max_failures: int = 30) -> str:
    """A markdown report of ``evaluate_gold`` or ``evaluate_squad`` output."""
    name = "Gold questions" if result["kind"] == "gold" else "squad2-dev"
    lines = [
        f"## {name}: {result['questions']} questions"
        + f" ({result['answerable']} answerable, {result['unanswerable']} unanswerable)",
        "",
    ]
    rows: list[tuple[Any, ...]] = [(key, value, _LABELS[key]) for key, value in result.items() if key in _LABELS]
    lines += _table(("metric", "value", "meaning"), rows)
    if result.get("by_category"):
        lines += ["", "### By category", ""]
        rows = [(c, v["questions"], v["evidence@1"], v["refused_share"]) for c, v in result["by_category"].items()]
        lines += _table(("category", "questions", "evidence@1", "refused"), rows)
    if result.get("time_worded"):
        lines += ["", "### Questions with time words and without", ""]
        rows = [
            (name, v["questions"], v["evidence@1"], v["refused_share"])
            for name, v in (("time words", result["time_worded"]), ("none", result["without_time_words"]))
        ]
        lines += _table(("questions", "n", "evidence@1", "refused"), rows)
    failures = result.get("failures") or []
    if failures:
        lines += ["", f"### Failures ({len(failures)})", ""]
        rows = [(f["id"], f["question"], f["reason"], f["top_citation"]) for f in failures[:max_failures]]
        lines += _table(("id", "question", "reason", "top citation"), rows)
        if len(failures) > max_failures:
            lines += ["", f"... and {len(failures) - max_failures} more."]
    return "\n".join(lines) + "\n"
