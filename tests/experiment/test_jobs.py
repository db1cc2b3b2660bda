"""The jobs of a grid and the local executor: what waits for what, one progress line per job, a failing run
reported while the others finish, and the executor flags' one-line errors."""

from __future__ import annotations

import json
import sys

import pytest

from hybridbatch.cli import main
from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import load_experiment
from hybridbatch.experiment.jobs import Job, JobResult, LocalExecutor, execute, grid_jobs, run_jobs
from hybridbatch.experiment.plan import GridPlan
from hybridbatch.experiment.ray_executor import RayExecutor, parse_memory
from tests.experiment.tiny_grid import BENCH, write_tiny_grid


def _fail() -> None:
    raise HybridbatchError("boom", record="r1")


def test_jobs_wait_for_what_they_need_and_a_failure_skips_only_its_dependents():
    ran: list[str] = []
    jobs = [Job("base/eval-x", "base", lambda: ran.append("base")),
            Job("r1/train", "r1", _fail), Job("r1/eval-x", "r1", lambda: ran.append("r1 eval"), ("r1/train",)),
            Job("r2/train", "r2", lambda: ran.append("r2 train")),
            Job("r2/eval-x", "r2", lambda: ran.append("r2 eval"), ("r2/train",)),
            Job("soup/soup", "soup", lambda: ran.append("soup"), ("r1/train", "r2/train"))]
    lines: list[tuple[str, JobResult]] = []
    results = run_jobs(jobs, LocalExecutor(), lambda job, result: lines.append((job.key, result)))
    assert ran == ["base", "r2 train", "r2 eval"]  # in list order, one at a time
    assert [k for k, _ in lines] == ["base/eval-x", "r1/train", "r1/eval-x", "r2/train", "r2/eval-x", "soup/soup"]
    assert results["r1/train"].error == "r1: boom" and not results["r1/train"].skipped
    assert results["r1/eval-x"].skipped and results["soup/soup"].skipped
    assert results["soup/soup"].error == "r1/train failed"
    # an unexpected exception is a failure too, named by its job, with its traceback kept
    result = execute(Job("r3/eval-x", "r3", lambda: 1 / 0))
    assert not result.ok and result.error == "r3/eval-x: ZeroDivisionError: division by zero"
    assert "ZeroDivisionError" in result.detail


def test_grid_jobs_are_the_steps_left_with_their_dependencies(tmp_path, tiny_model_dir):
    cfg = load_experiment(write_tiny_grid(tmp_path, tiny_model_dir))
    jobs = {j.key: j.deps for j in grid_jobs(GridPlan(cfg, tmp_path / "grid"))}
    assert jobs[f"base/eval-{BENCH}"] == ()
    assert jobs["toy-x-y-s1/train"] == ()
    assert jobs[f"toy-x-y-s1/eval-{BENCH}"] == ("toy-x-y-s1/train",)
    assert jobs["soup-x-x-mono+x-y-s2/soup"] == ("toy-x-x-mono-s2/train", "toy-x-y-s2/train")
    assert len(jobs) == 1 + 4 * 2 + 2


def test_a_failing_run_is_reported_and_the_others_finish(tmp_path, tiny_model_dir, capsys):
    exp = write_tiny_grid(tmp_path, tiny_model_dir, grid=[{"strategy": ["x-y"], "overrides": {"batch_size": [8, 50]}}],
                          soups=[])
    out = tmp_path / "grid"
    assert main(["experiment", "--config", str(exp), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if line.startswith("[")]  # the trainer prints its logs too
    assert len(lines) == 5 and all(line.startswith(f"[{i}/5] ") for i, line in enumerate(lines, 1))
    assert any("toy-x-y-batch_size50-s1/train  FAILED after" in line for line in lines)
    assert any(f"toy-x-y-batch_size50-s1/eval-{BENCH}  skipped: toy-x-y-batch_size50-s1/train failed" in line
               for line in lines)
    error = captured.err.strip().splitlines()[-1]  # after the libraries' progress bars: one line
    assert error.startswith("hybridbatch: error: 1 of 5 steps failed and 1 waiting")
    assert "toy-x-y-batch_size50-s1: training failed: " in error and "too few for one batch of 50" in error
    assert (out / "toy-x-y-batch_size8-s1" / f"eval-{BENCH}" / "results.json").is_file()
    assert "| x-y (batch_size=8) | 1 |" in (out / "summary" / "summary.md").read_text()  # written for what finished
    assert not (out / "experiment.lock").exists()
    assert set(json.loads((out / "timing.json").read_text())) == {
        f"base/eval-{BENCH}", "toy-x-y-batch_size8-s1/train", f"toy-x-y-batch_size8-s1/eval-{BENCH}"}


def test_executor_flags_fail_in_one_line(tmp_path, tiny_model_dir, capsys, monkeypatch):
    exp = str(write_tiny_grid(tmp_path, tiny_model_dir))
    with pytest.raises(SystemExit) as exit_info:
        main(["experiment", "--config", exp, "--executor", "dask"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'dask'" in capsys.readouterr().err
    assert main(["experiment", "--config", exp, "--ray-cpus", "2"]) == 2
    assert capsys.readouterr().err.strip() == "hybridbatch: error: --ray-cpus needs --executor ray"
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    assert main(["experiment", "--config", exp, "--executor", "ray", "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == ("hybridbatch: error: --executor ray needs Ray, which is not "
                                               "installed: pip install 'hybridbatch[ray]'")
    assert not (tmp_path / "o").exists()
    assert parse_memory("8G") == 8 * 1024 ** 3 and parse_memory("500MiB") == 500 * 1024 ** 2
    with pytest.raises(HybridbatchError, match="--ray-memory 'lots'"):
        parse_memory("lots")
    with pytest.raises(HybridbatchError, match="must be >= 0"):
        RayExecutor(cpus=-1).check()
