"""training/evaluate_stage.py: each step logged, run once, and run again only when it did not finish."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training"))

from evaluate_stage import DONE, step  # noqa: E402


def test_a_finished_step_is_not_run_again(tmp_path: Path) -> None:
    first = step("hello", [sys.executable, "-c", "print('read 8 candidates')"], tmp_path, tmp_path)
    assert "read 8 candidates" in first and first.rstrip().endswith(DONE)
    # a resumed evaluation skips it: a command that would fail is never run
    again = step("hello", [sys.executable, "-c", "raise SystemExit(3)"], tmp_path, tmp_path)
    assert again == first


def test_a_failed_step_names_its_log_and_runs_again_next_time(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"fit failed \(exit 3\): see .*fit\.log"):
        step("fit", [sys.executable, "-c", "print('half way'); raise SystemExit(3)"], tmp_path, tmp_path)
    log = (tmp_path / "fit.log").read_text(encoding="utf-8")
    assert "half way" in log and DONE not in log
    done = step("fit", [sys.executable, "-c", "print('chosen: threshold=-3.0')"], tmp_path, tmp_path)
    assert "chosen: threshold=-3.0" in done and "half way" not in done


def test_a_step_imports_the_copy_of_the_package_first(tmp_path: Path) -> None:
    """The scratch copy's package, not the installed one, is what a step measures."""
    (tmp_path / "assistant").mkdir()
    (tmp_path / "assistant" / "__init__.py").write_text("WHERE = 'the copy'\n", encoding="utf-8")
    out = step("which", [sys.executable, "-c", "import assistant; print(assistant.WHERE)"], tmp_path, tmp_path)
    assert "the copy" in out
