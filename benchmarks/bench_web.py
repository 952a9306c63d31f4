"""Speed of the web app under load; prints a markdown table.

Run from anywhere: ``.venv/bin/python benchmarks/bench_web.py [--clients 8] [--questions 50]``.
Starts ``assistant serve`` in a subprocess over a temporary copy of the seeds (fresh
temporary index, never ``index/``), or measures a running server given with ``--url``.

Rows: warm latency of ``POST /api/ask`` from one client; the same route under N
concurrent clients (threads, one httpx client each) asking M questions each, with the
error count; and ``gradio_client`` calls of ``/ask`` beside the no-op ``/noop`` endpoint
in the same run, so that the cost of Gradio's queue is visible apart from the answer's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = ROOT / "tests" / "data" / "gold_seeds.jsonl"


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between the closest ranks."""
    s = sorted(values)
    x = (len(s) - 1) * p
    lo = int(x)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (x - lo)


def questions(n: int) -> list[str]:
    gold = [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [gold[i % len(gold)] for i in range(n)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server() -> Iterator[str]:
    """``assistant serve`` on a free port over a temporary copy of the seeds."""
    with tempfile.TemporaryDirectory(prefix="bench_web_") as tmp:
        docs = Path(tmp) / "docs"
        shutil.copytree(SEEDS, docs)
        port = _free_port()
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
        cmd = [sys.executable, "-m", "assistant", "serve", "--docs", str(docs), "--index", str(Path(tmp) / "index")]
        proc = subprocess.Popen(
            [*cmd, "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            _wait(url, proc)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _wait(url: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(url + "api/docs", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"the server did not answer at {url} within {timeout:.0f} s")


def timed(call: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return out


def warm_http(url: str, qs: list[str]) -> list[float]:
    with httpx.Client(base_url=url, timeout=60) as http:
        for q in qs[:3]:
            http.post("api/ask", json={"question": q}).raise_for_status()
        times = []
        for q in qs:
            t = time.perf_counter()
            http.post("api/ask", json={"question": q}).raise_for_status()
            times.append(time.perf_counter() - t)
    return times


def concurrent_http(url: str, qs: list[str], clients: int) -> tuple[list[float], int, float]:
    """Latencies, error count and wall time of ``clients`` threads asking ``qs`` each."""
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(offset: int) -> None:
        mine, bad = [], []
        with httpx.Client(base_url=url, timeout=120) as http:
            start.wait()
            for i in range(len(qs)):
                q = qs[(i + offset) % len(qs)]
                t = time.perf_counter()
                try:
                    r = http.post("api/ask", json={"question": q})
                    if r.status_code != 200 or "found" not in r.json():
                        bad.append(f"{r.status_code}: {r.text[:200]}")
                except httpx.HTTPError as exc:
                    bad.append(repr(exc))
                mine.append(time.perf_counter() - t)
        with lock:
            times.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(i * 7,)) for i in range(clients)]
    for th in threads:
        th.start()
    start.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    for e in errors[:5]:
        print("error:", e, file=sys.stderr)
    return times, len(errors), wall


def gradio_calls(url: str, qs: list[str]) -> tuple[list[float], list[float]]:
    """``/ask`` and ``/noop`` through gradio_client, interleaved so both see the same load."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    for q in qs[:3]:
        client.predict(q, api_name="/ask")
        client.predict(q, api_name="/noop")
    ask, noop = [], []
    for q in qs:
        ask += timed(lambda q=q: client.predict(q, api_name="/ask"), 1)
        noop += timed(lambda q=q: client.predict(q, api_name="/noop"), 1)
    return ask, noop


def row(name: str, times: Sequence[float], note: str = "") -> str:
    ms = [t * 1000 for t in times]
    return f"| {name} | {len(ms)} | {percentile(ms, 0.5):.1f} | {percentile(ms, 0.95):.1f} | {note} |"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--questions", type=int, default=50, help="questions per client")
    parser.add_argument("--gradio", type=int, default=30, help="gradio_client calls of each endpoint")
    args = parser.parse_args(argv)
    qs = questions(args.questions)
    with server() if args.url is None else _given(args.url) as url:
        warm = warm_http(url, qs)
        loaded, errors, wall = concurrent_http(url, qs, args.clients)
        ask, noop = gradio_calls(url, qs[: args.gradio])
    total = args.clients * args.questions
    print("| measurement | requests | p50 ms | p95 ms | notes |")
    print("| --- | ---: | ---: | ---: | --- |")
    print(row("POST /api/ask, one client, warm", warm, "target p50 <= 25 ms"))
    note = f"{args.clients} clients x {args.questions} questions, {errors} errors, {total / wall:.0f} req/s"
    print(row("POST /api/ask, concurrent", loaded, note))
    print(row("gradio_client /ask", ask))
    print(row("gradio_client /noop (same run)", noop, "Gradio's own round trip"))
    gap = percentile(ask, 0.5) - percentile(noop, 0.5)
    print(f"\n/ask minus /noop at p50: {gap * 1000:.1f} ms (the answer's share of a gradio_client call).")
    if errors:
        raise SystemExit(f"{errors} of {total} concurrent requests failed")


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url.rstrip("/") + "/"


if __name__ == "__main__":
    main()
