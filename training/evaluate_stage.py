"""Measure a reader stage's checkpoint as the shipped reader is measured, leaving the shipped files alone.

A stage read for the learning curve (or a candidate for shipping) is exported, fitted and
measured in a scratch copy of the tree, so that ``assistant/data/reader.onnx`` and
``reader.json`` stay the shipped ones:

1. ``train_reader.py --out STAGE --export`` writes the int8 ONNX file into the copy;
2. ``fit_reader.py --candidates 8 --keep-mix --write`` fits its decision on validation
   (answer@1 and the refusal rate of every kind of question, written to the copy's
   ``reader.json``);
3. held out, with that decision: ``bench.py --quality --runs 1`` (squad2-dev and the seeds'
   gold questions) and ``silent.py --collection shifts`` (squad2-dev questions over
   collections of SQuADShifts articles no stage read).

Each step's output goes to a log in ``--work``; a step whose log ends well is not run again
(an interrupted evaluation resumes). At the end the figures for the learning curve are
printed.

    .venv/bin/python training/evaluate_stage.py --stage ~/.cache/news-assistant/training/stage7
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DONE = "[evaluate_stage: done]"


def scratch_copy(work: Path) -> Path:
    """The tree's tracked files, copied into ``work/tree`` (once), with the data beside it
    as it is beside the tree (``work/shared``: the scripts read ``../shared/data``)."""
    tree = work / "tree"
    shared = work / "shared"
    if not shared.exists() and (ROOT.parent / "shared").exists():
        shared.symlink_to(ROOT.parent / "shared")
    if not tree.exists():
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        for name in filter(None, listed.decode().split("\0")):
            source = ROOT / name
            if source.is_file():
                (tree / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, tree / name)
    return tree


def step(name: str, command: list[str], tree: Path, work: Path) -> str:
    """Run ``command`` in the copy (its package first on the path), its output in
    ``work/NAME.log``; skipped when that log records a finished run."""
    log = work / f"{name}.log"
    before = log.read_text(encoding="utf-8") if log.exists() else ""
    if before.rstrip().endswith(DONE):
        print(f"{name}: done before ({log})")
        return before
    print(f"{name}: {' '.join(command)}", flush=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(command, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed (exit {done.returncode}): see {log}")
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n{DONE}\n")
    return log.read_text(encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", type=Path, required=True, help="the stage's folder, holding checkpoint.pt")
    parser.add_argument("--work", type=Path, help="where the copy and the logs go (default: STAGE/evaluation)")
    args = parser.parse_args()
    if not (args.stage / "checkpoint.pt").is_file():
        raise SystemExit(f"no checkpoint.pt in {args.stage}")
    work = (args.work or args.stage / "evaluation").resolve()
    work.mkdir(parents=True, exist_ok=True)
    tree = scratch_copy(work)
    python = sys.executable
    model = tree / "assistant" / "data" / "reader.onnx"
    step(
        "export",
        [python, "training/train_reader.py", "--out", str(args.stage.resolve()), "--export", str(model)],
        tree,
        work,
    )
    fit = step(
        "fit",
        [python, "training/fit_reader.py", "--model", str(model), "--candidates", "8", "--keep-mix", "--write"],
        tree,
        work,
    )
    bench = step("bench", [python, "benchmarks/bench.py", "--quality", "--runs", "1"], tree, work)
    silent = step("silent", [python, "benchmarks/silent.py", "--collection", "shifts"], tree, work)
    manifest = json.loads((tree / "assistant" / "data" / "reader.json").read_text(encoding="utf-8"))
    print(f"\nweights: {model.stat().st_size / 1e6:.1f} MB")
    print("validation:", json.dumps(manifest["validation"]), json.dumps(manifest.get("validation_refused", {})))
    print(next((line for line in fit.splitlines() if line.startswith("chosen:")), "fit: no 'chosen' line"))
    print(
        "\n".join(
            line for line in bench.splitlines() if line.startswith("|") and ("squad2-dev" in line or "gold" in line)
        )
    )
    print("\n".join(line for line in silent.splitlines() if line.startswith("| t")))


if __name__ == "__main__":
    main()
