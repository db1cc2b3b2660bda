"""``experiment --executor ray`` on a local Ray cluster (2 CPUs, shared by the tests of this module): the same
records as the local executor, a worker killed mid-run and a rerun that finishes with nothing half-written,
a failing run reported while the others finish, bad Ray settings refused before any run starts."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from hybridbatch.cli import main
from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import load_experiment
from hybridbatch.experiment.plan import run_states
from hybridbatch.experiment.ray_executor import RayExecutor
from hybridbatch.experiment.runner import run_experiment
from tests.experiment.tiny_grid import BENCH, half_written, numbers, results, write_tiny_grid

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'hybridbatch[ray]'")


@pytest.fixture(scope="module")
def cluster():
    """One local cluster for the module (starting Ray takes seconds on 2 cores)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def ray_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ray_cache")


@pytest.fixture(autouse=True)
def _isolated_cache(ray_cache, monkeypatch):
    """One cache folder for this module's Ray runs (tasks get this process's HYBRIDBATCH_* variables, so one
    value lets Ray reuse its worker processes from test to test)."""
    monkeypatch.setenv("HYBRIDBATCH_CACHE", str(ray_cache))


@pytest.fixture(scope="module")
def local_grid(tmp_path_factory, tiny_model_dir) -> tuple[Path, Path]:
    """(exp.yaml, its output folder) of the tiny grid run by the local executor, with its own cache."""
    folder = tmp_path_factory.mktemp("local")
    exp = write_tiny_grid(folder, tiny_model_dir)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HYBRIDBATCH_CACHE", str(folder / "cache"))
        out = run_experiment(load_experiment(exp), folder / "grid")
    return exp, out


TIMING = "/timing/"
"""results.json's timing block: how long each stage took, how many vectors came from the cache, and the hash of
the weights (a training in another process can end one float rounding away, measured 2e-9, changing the hash)."""


def _same_records(mine: dict[str, dict], theirs: dict[str, dict]) -> None:
    """Equal results.json records: the same keys and values (floats to 1e-6), timing aside."""
    assert mine.keys() == theirs.keys()
    for folder in mine:
        a, b = numbers(mine[folder]), numbers(theirs[folder])
        assert a.keys() == b.keys(), folder
        for key, value in a.items():
            if key.startswith(TIMING):
                continue
            if isinstance(value, float):
                assert value == pytest.approx(b[key], rel=1e-6, abs=1e-6), (folder, key)
            else:
                assert value == b[key], (folder, key)


@pytest.mark.slow
def test_a_ray_grid_makes_the_same_records_as_the_local_executor(cluster, local_grid, tmp_path):
    exp, local_out = local_grid
    out = tmp_path / "grid"
    lines: list[str] = []
    run_experiment(load_experiment(exp), out, executor=RayExecutor(cpus=1), progress=lines.append)
    assert len(lines) == 11  # base + 4 × (train, eval) + 2 soups, one line each as it ends
    assert all(re.fullmatch(rf"\[{i}/11\] \S+  \d+\.\d s", line) for i, line in enumerate(lines, 1)), lines
    _same_records(results(out), results(local_out))
    summary = (out / "summary" / "summary.md").read_text()
    assert summary.replace(str(out), "OUT") == (local_out / "summary" / "summary.md").read_text().replace(
        str(local_out), "OUT")
    assert "| soup(x-x-mono+x-y) | 2 |" in summary
    assert {state for _, state in run_states(load_experiment(exp), out)} == {"done"}
    assert half_written(out) == [] and not (out / "experiment.lock").exists()
    again: list[str] = []
    run_experiment(load_experiment(exp), out, executor=RayExecutor(cpus=1), progress=again.append)
    assert again == []  # nothing left to do


@pytest.mark.slow
def test_a_worker_killed_mid_run_leaves_nothing_half_written_and_a_rerun_finishes(
        cluster, local_grid, tmp_path, monkeypatch):
    exp, local_out = local_grid
    cfg, out, run = load_experiment(exp), tmp_path / "grid", "toy-x-y-s1"
    # the training worker SIGKILLs itself with checkpoint-2 half written (tasks get HYBRIDBATCH_* variables)
    monkeypatch.setenv("HYBRIDBATCH_TEST_KILL_AT", "checkpoint-2")
    with pytest.raises(HybridbatchError, match=rf"1 of 3 steps failed and 1 waiting .*\n{run}/train: its Ray "
                                               r"worker died \(WorkerCrashedError\)$"):
        run_experiment(cfg, out, only=[run], executor=RayExecutor())
    assert half_written(out) == [f"{run}/train/checkpoints/.tmp-checkpoint-2"]  # killed while writing it
    assert not (out / run / f"eval-{BENCH}").exists()
    assert dict(run_states(load_experiment(exp), out))[run] == "to do"  # a half-written checkpoint is no checkpoint
    monkeypatch.delenv("HYBRIDBATCH_TEST_KILL_AT")
    lines: list[str] = []
    run_experiment(load_experiment(exp), out, only=[run], executor=RayExecutor(), progress=lines.append)
    assert [line.split()[1] for line in lines] == [f"{run}/train", f"{run}/eval-{BENCH}"]
    assert half_written(out) == []
    mine = results(out)
    _same_records(mine, {k: v for k, v in results(local_out).items() if k in mine})


def test_a_failing_run_is_reported_with_its_id_and_the_others_finish(cluster, tmp_path, tiny_model_dir, capsys):
    exp = write_tiny_grid(tmp_path, tiny_model_dir, grid=[{"strategy": ["x-y"], "overrides": {"batch_size": [8, 50]}}],
                          soups=[], include_base=False)
    out = tmp_path / "grid"
    assert main(["experiment", "--config", str(exp), "--out", str(out), "--executor", "ray", "--ray-cpus", "1"]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("hybridbatch: error: 1 of 4 steps failed and 1 waiting for them were skipped")
    assert "toy-x-y-batch_size50-s1: training failed: " in error and "too few for one batch of 50" in error
    assert (out / "toy-x-y-batch_size8-s1" / f"eval-{BENCH}" / "results.json").is_file()
    assert (out / "summary" / "summary.md").is_file()


def test_bad_ray_settings_are_refused_before_any_run_starts(cluster, tmp_path, tiny_model_dir):
    cfg = load_experiment(write_tiny_grid(tmp_path, tiny_model_dir))
    out = tmp_path / "grid"
    with pytest.raises(HybridbatchError, match=r"no node of the Ray cluster has what one run asks for "
                                               r"\(1 CPU, 1 GPU\); nodes: 2 CPU, 0 GPU"):
        run_experiment(cfg, out, executor=RayExecutor(gpus=1))
    with pytest.raises(HybridbatchError, match=r"^--ray-address 127.0.0.1:1: cannot reach it \(Connection refused\)$"):
        run_experiment(cfg, out, executor=RayExecutor(address="127.0.0.1:1"))
    assert not out.exists()
    assert ray.is_initialized()  # a session this process opened is left to it
