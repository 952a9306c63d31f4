"""Speed (and, with --quality, answer quality) of the assistant; prints a markdown table.

Run from anywhere: ``.venv/bin/python benchmarks/bench.py [--runs N] [--skip-squad] [--quality]``.
Only the public facade (``Assistant.open(Config(...))``, ``.ask()``) and the ``assistant``
CLI are used; every index is built into a fresh temporary folder, never ``index/``.
See benchmarks/README.md for what each row means and the targets.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script without installing the package
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the script is an edge: nothing downloads
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from timing import percentile, timed  # noqa: E402  (benchmarks/ is the script folder)

from assistant.answer.evaluate import (  # noqa: E402
    evaluate_gold,
    evaluate_squad,
    format_report,
    load_questions,
)
from assistant.config import Config  # noqa: E402
from assistant.core import Assistant  # noqa: E402

SEEDS = ROOT / "seeds"
GOLD = ROOT / "tests" / "data" / "gold_seeds.jsonl"
SQUAD = ROOT.parent / "shared" / "data" / "squad2-dev"  # ../shared beside the project
CLI_QUESTION = "What did Lee tell NHK?"
CLI_RUNS = 3
WARMUP_QUERIES = 3


@dataclass(frozen=True)
class Row:
    measure: str
    value: str
    runs: str
    target: str = ""


def fresh_dir(parent: Path, name: str) -> Path:
    path = parent / name
    shutil.rmtree(path, ignore_errors=True)
    return path


def sentence_count(assistant: Assistant) -> int:
    return sum(doc.n_sentences for doc in assistant.documents())


def bench_cold_open(docs: Path, work: Path) -> Row:
    """The first ``Assistant.open`` of the process: model load and index build."""
    config = Config(docs_dir=docs, index_dir=fresh_dir(work, "cold"))
    seconds, _ = timed(lambda: Assistant.open(config))
    return Row("first open in the process (model load + seeds build)", f"{seconds:.2f} s", "1")


def bench_build(docs: Path, work: Path, runs: int, label: str, target: str = "") -> tuple[Assistant, list[Row]]:
    """``runs`` builds into fresh folders, the model already loaded in the process."""
    times = []
    for n in range(runs):
        config = Config(docs_dir=docs, index_dir=fresh_dir(work, f"build{n}"))
        seconds, assistant = timed(lambda config=config: Assistant.open(config))
        times.append(seconds)
    build = statistics.median(times)
    sentences = sentence_count(assistant)
    runs_label = f"median of {runs}"
    rows = [
        Row(
            f"{label}: index build, model loaded ({sentences} sentences)",
            f"{build:.2f} s",
            runs_label,
            target,
        ),
        Row(f"{label}: sentences indexed per second", f"{sentences / build:.0f}", runs_label),
    ]
    return assistant, rows


def query_latencies(assistant: Assistant, questions: Sequence[dict], repeats: int) -> tuple[list[float], list[float]]:
    """Seconds per ``ask``, after a few untimed warm-up questions, and of those the seconds
    the reader took (its share of a warm question)."""
    for q in questions[:WARMUP_QUERIES]:
        assistant.ask(q["question"], q.get("history") or [])
    reader = assistant.reader
    read_times: list[float] = []
    rerank = reader.rerank

    def timed_rerank(*args, **kwargs):  # type: ignore[no-untyped-def]
        seconds, result = timed(lambda: rerank(*args, **kwargs))
        read_times.append(seconds)
        return result

    reader.rerank = timed_rerank  # type: ignore[method-assign]
    times = []
    try:
        for _ in range(repeats):
            for q in questions:
                seconds, _ = timed(lambda q=q: assistant.ask(q["question"], q.get("history") or []))
                times.append(seconds)
    finally:
        del reader.rerank
    return times, read_times


def latency_rows(
    label: str, measured: tuple[Sequence[float], Sequence[float]], runs: str, targets: tuple[str, str]
) -> list[Row]:
    times, read_times = measured
    return [
        Row(
            f"{label}: warm query latency p50",
            f"{percentile(times, 50) * 1000:.1f} ms",
            runs,
            targets[0],
        ),
        Row(
            f"{label}: warm query latency p95",
            f"{percentile(times, 95) * 1000:.1f} ms",
            runs,
            targets[1],
        ),
        Row(f"{label}: of which the reader, p50", f"{percentile(read_times, 50) * 1000:.1f} ms", runs),
    ]


CLAIMS = (
    "Takaichi and Lee met in Nara",
    "The summit took place in Tokyo",
    "Lee said Japan should intervene over Taiwan",
    "Lee was born in 1955",
    "Lee told NHK that confrontation between China and Japan is undesirable",
)


def bench_check(assistant: Assistant, repeats: int) -> list[Row]:
    """Warm latency of a claim check over the seeds (closest sentences, then the verifier)."""
    assistant.check(CLAIMS[0])  # the verifier opened
    times = [timed(lambda c=c: assistant.check(c))[0] for _ in range(repeats) for c in CLAIMS]
    return [
        Row(
            "seeds: warm claim check p50",
            f"{percentile(times, 50) * 1000:.1f} ms",
            f"{len(CLAIMS)} claims x {repeats}",
            "<= 150 ms",
        )
    ]


def cli_command() -> tuple[list[str], str]:
    """The installed ``assistant`` script, else ``python -m assistant``; and how to show it."""
    exe = Path(sys.executable).with_name("assistant")
    if exe.exists():
        return [str(exe)], "assistant"
    return [sys.executable, "-m", "assistant"], "python -m assistant"


def bench_cli(docs: Path, index: Path) -> list[Row]:
    """Wall time of one ``assistant ask`` process against an index that is already built."""
    base, shown = cli_command()
    label = f'seeds: one-shot `{shown} ask "{CLI_QUESTION}"` wall time'
    command = base + ["ask", "--docs", str(docs), "--index", str(index), CLI_QUESTION]
    times = []
    for _ in range(CLI_RUNS):
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
        if done.returncode != 0 or not done.stdout.strip():
            message = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return [Row(label, f"failed: {message[0]}", "-")]
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return [
        Row(label, f"{statistics.median(times):.2f} s", f"median of {CLI_RUNS}"),
        Row("peak memory of the CLI process (ru_maxrss)", f"{child_mb:.0f} MB", f"max of {CLI_RUNS}"),
    ]


def squad_questions(sample: int) -> list[dict]:
    questions = load_questions(SQUAD / "questions.jsonl")
    return random.Random(0).sample(questions, min(sample, len(questions)))


def progress(label: str) -> Callable[[int, int], None]:
    """Reports progress of a long quality run on stderr, every 250 questions."""

    def report(done: int, total: int) -> None:
        if done % 250 == 0 or done == total:
            print(f"{label}: {done}/{total} questions", file=sys.stderr, flush=True)

    return report


def ask_fn(assistant: Assistant) -> Callable[[str, list[str]], object]:
    return lambda question, history: assistant.ask(question, history)


def run(args: argparse.Namespace) -> str:
    rows: list[Row] = []
    reports: list[str] = []
    gold = load_questions(GOLD)
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as tmp:
        work = Path(tmp)
        rows.append(bench_cold_open(SEEDS, work))
        seeds, build_rows = bench_build(SEEDS, work / "seeds", args.runs, "seeds", "<= 2 s")
        rows += build_rows
        times = query_latencies(seeds, gold, args.runs)
        rows += latency_rows("seeds", times, f"{len(gold)} questions x {args.runs}", ("<= 40 ms", ""))
        rows += bench_check(seeds, args.runs)
        rows += bench_cli(SEEDS, work / "seeds" / f"build{args.runs - 1}")
        if args.quality:
            reports.append(format_report(evaluate_gold(gold, ask_fn(seeds))))
        squad_note = squad_skip_reason(args)
        if squad_note is None:
            squad, squad_build = bench_build(SQUAD / "docs", work / "squad", args.squad_builds, "squad2-dev")
            rows += squad_build
            sample = squad_questions(args.squad_sample)
            rows += latency_rows(
                "squad2-dev",
                query_latencies(squad, sample, 1),
                f"{len(sample)} sampled questions x 1",
                ("<= 80 ms", ""),
            )
            if args.quality:
                all_squad = load_questions(SQUAD / "questions.jsonl")
                reports.append(format_report(evaluate_squad(all_squad, ask_fn(squad), progress=progress("squad2-dev"))))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(Row("peak memory of this process (ru_maxrss)", f"{peak:.0f} MB", "-"))
    return render(rows, squad_note, reports)


def squad_skip_reason(args: argparse.Namespace) -> str | None:
    if args.skip_squad:
        return "squad2-dev rows skipped: --skip-squad was given."
    if not (SQUAD / "questions.jsonl").is_file():
        return f"squad2-dev rows skipped: {SQUAD} is absent on this machine."
    return None


def render(rows: Sequence[Row], note: str | None, reports: Sequence[str]) -> str:
    lines = [
        f"# Assistant benchmark ({platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs)",
        "",
        "Load average at the end (1, 5, 15 min): "
        + ", ".join(f"{v:.1f}" for v in os.getloadavg())
        + ". Timings from a loaded machine are not comparable with a quiet one.",
        "",
        "| measure | value | runs | target |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {r.measure} | {r.value} | {r.runs} | {r.target} |" for r in rows]
    if note:
        lines += ["", note]
    for report in reports:
        lines += ["", report]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="builds and query repeats (default 5)")
    parser.add_argument("--skip-squad", action="store_true", help="leave out squad2-dev rows")
    parser.add_argument("--quality", action="store_true", help="also score the gold questions and all of squad2-dev")
    parser.add_argument("--squad-sample", type=int, default=300, help="squad2-dev questions timed (default 300)")
    parser.add_argument(
        "--squad-builds",
        type=int,
        default=1,
        help="squad2-dev index builds timed (default 1: one build is long)",
    )
    args = parser.parse_args(argv)
    if min(args.runs, args.squad_builds, args.squad_sample) < 1:
        parser.error("--runs, --squad-builds and --squad-sample must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    print(run(parse_args(argv)))


if __name__ == "__main__":
    main()
