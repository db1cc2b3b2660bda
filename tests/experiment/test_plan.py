"""One model of the grid's work: each run's state from its folders, the same steps for --list and the run,
and --list without reading any dataset."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hybridbatch.cli import build_parser, main
from hybridbatch.experiment.config import expand_grid, load_experiment
from hybridbatch.experiment.jobs import grid_jobs
from hybridbatch.experiment.layout import EvalFolder, ExperimentFolder, RunFolder
from hybridbatch.experiment.plan import GridPlan, run_states
from hybridbatch.outputs import write_json
from tests.experiment.test_reuse import fake_trained_run
from tests.training.helpers import toy_items, write_config, write_jsonl

BENCH = "lareqa:/nowhere/lareqa_tiny"  # never read by --list
LOADERS = ("load_datasets", "prepare_data", "read_pairs_jsonl", "read_pairs_file", "open_items", "load_benchmark", "read_lareqa",
           "validation_data", "pairs_from_benchmark")


def _experiment(tmp_path: Path, name: str, **fields) -> Path:
    write_jsonl(tmp_path / "items.jsonl", toy_items(20, ["en", "de", "es"]))
    write_config(tmp_path / "train.yaml", {"model": "default", "datasets": [{"jsonl": "items.jsonl", "name": "toy"}],
                                           "output_dir": str(tmp_path / "unused")})
    data = {"name": name, "train": {"toy": "train.yaml"}, "evaluate": {"benchmarks": [BENCH]}, **fields}
    return write_config(tmp_path / f"{name}.yaml", data)


def _finish(folder: EvalFolder) -> None:
    folder.path.mkdir(parents=True)
    write_json(folder.results, {})
    write_json(folder.config, {"config": {}})


def _model(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "modules.json").write_text("[]")


def test_list_reads_no_dataset(tmp_path, monkeypatch, capsys):
    first = load_experiment(_experiment(tmp_path, "first", grid=[{"strategy": ["x-y"]}]))
    trained = fake_trained_run(first, expand_grid(first)[0], ExperimentFolder(tmp_path / "a"))
    exp = _experiment(tmp_path, "counts", models_from=str(tmp_path / "a"), soups=[["x-x-mono", "x-y"]],
                      evaluate_wise=0.5, wise_lambdas=[0.5],
                      grid=[{"strategy": ["x-x-mono", "x-y"], "train_languages": {
                          "sizes": [2, 3], "languages": ["de", "en", "es"], "include": ["en"], "seed": 1}}])
    out = tmp_path / "out"
    cfg = load_experiment(exp)
    k2 = next(s for s in expand_grid(cfg) if s.strategy == "x-y" and len(s.languages) == 2)
    (ExperimentFolder(out).run(k2.run_id).train.path / "checkpoints" / "checkpoint-7").mkdir(parents=True)

    def refuse(*args, **kwargs):
        raise AssertionError("--list read a dataset")

    build_parser()  # every command module imported before the patch, so that none binds the refusing loader
    for module in [m for name, m in sys.modules.items() if name.startswith("hybridbatch")]:
        for loader in LOADERS:
            if hasattr(module, loader):
                monkeypatch.setattr(module, loader, refuse)
    (tmp_path / "items.jsonl").unlink()  # and the data is gone
    capsys.readouterr()
    assert main(["experiment", "--config", str(exp), "--out", str(out), "--list"]) == 0
    states = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    k3 = [r for r in states if "-k3-" in r]
    assert states[k2.run_id] == "training (checkpoint-7)"
    assert states[next(r for r in k3 if "x-y" in r)] == f"reuses {trained}"
    assert states[next(r for r in k3 if "x-x-mono" in r)] == "to do"
    assert states["soup-x-x-mono+x-y-s1"] == "to do"
    assert sorted(p.name for p in out.iterdir()) == [k2.run_id]  # --list wrote nothing


def test_states_from_the_folders(tmp_path):
    cfg = load_experiment(_experiment(tmp_path, "states", soups=[["x-x-mono", "x-y"], ["hybrid", "x-y"]],
                                      grid=[{"strategy": ["x-x-mono", "x-y"], "seed": [1, 2, 3, 4]},
                                            {"strategy": ["hybrid"], "seed": [1]}]))
    out = ExperimentFolder(tmp_path / "out")
    _finish(out.run("toy-x-x-mono-s1").evaluation(BENCH))               # done, model gone
    _model(out.run("toy-x-y-s1").train.model)                             # trained, evaluation to do
    (out.run("toy-x-x-mono-s2").train.path / "checkpoints" / "checkpoint-3").mkdir(parents=True)
    _finish(out.soup("soup-x-x-mono+x-y-s1").evaluation(BENCH))
    plan = GridPlan(cfg, out.path)
    assert plan.states() == [
        ("toy-x-x-mono-s1", "done"), ("toy-x-x-mono-s2", "training (checkpoint-3)"),
        ("toy-x-x-mono-s3", "to do"), ("toy-x-x-mono-s4", "to do"),
        ("toy-x-y-s1", "trained, evaluations to do"), ("toy-x-y-s2", "to do"), ("toy-x-y-s3", "to do"),
        ("toy-x-y-s4", "to do"), ("toy-hybrid-a0.5-s1", "to do"),
        ("soup-x-x-mono+x-y-s1", "done"), ("soup-x-x-mono+x-y-s2", "to do"), ("soup-x-x-mono+x-y-s3", "to do"),
        ("soup-x-x-mono+x-y-s4", "to do"), ("soup-hybrid+x-y-s1", "to do"),
        ("soup-hybrid+x-y-s2", "not made: no hybrid run with seed 2 on toy"),
        ("soup-hybrid+x-y-s3", "not made: no hybrid run with seed 3 on toy"),
        ("soup-hybrid+x-y-s4", "not made: no hybrid run with seed 4 on toy")]
    # the run asks the same objects: what --list calls done is not trained, what it calls to do is
    for run, (_, state) in zip(plan.runs, plan.states()):
        assert run.needs_training() == (state == "to do" or state.startswith("training")), run.spec.run_id


def _log_validation(run: RunFolder, select_metric: str = "loss") -> None:
    """What a training that scored validation retrieval leaves: its history and its record."""
    run.train.path.mkdir(parents=True, exist_ok=True)
    run.train.validation_history.write_text(json.dumps({"step": 5, "metrics": {"val_mo": 0.5}}) + "\n")
    write_json(run.train.record, {"config": {"training": {"select_metric": select_metric}}})


@pytest.mark.parametrize("wise_rows, logged, expected", [
    (None, False, "done"), ([], True, "trained, evaluations to do"), ([{"lambda": 0.5}], True, "done"),
    ([], False, "done")])  # no validation history to sit beside: the rows are not made
def test_a_validation_only_run_is_done_when_trained_and_its_wise_rows_exist(tmp_path, wise_rows, logged, expected):
    cfg = load_experiment(_experiment(tmp_path, "val", grid=[{"strategy": ["x-y"]}],
                                      **({"wise_lambdas": [0.5]} if wise_rows is not None else {})))
    cfg.evaluate.benchmarks = []
    out = ExperimentFolder(tmp_path / "out")
    assert run_states(cfg, out.path) == [("toy-x-y-s1", "to do")]
    run = out.run("toy-x-y-s1")
    _model(run.train.model)
    if logged:
        _log_validation(run)
    if wise_rows:
        write_json(run.wise_validation, wise_rows)
    assert run_states(cfg, out.path) == [("toy-x-y-s1", expected)]
    plan = GridPlan(cfg, out.path)
    assert not plan.runs[0].needs_training()
    owners = {j.owner for j in grid_jobs(plan)}
    assert ("toy-x-y-s1" in owners) == (expected != "done")  # the run does what --list says is left


def _state_cases():
    """Folder states of one run of a grid with benchmarks, WiSE-FT and its validation rows: (name, setup)."""
    def model(run):
        _model(run.train.model)

    def evaluated(run):
        _finish(run.evaluation(BENCH))
        _finish(run.wise_evaluation(0.5, BENCH))

    def rows(run):
        write_json(run.wise_validation, [{"lambda": 0.5}])

    return {
        "nothing": [],
        "checkpoint": [lambda run: (run.train.path / "checkpoints" / "checkpoint-3").mkdir(parents=True)],
        "model": [model],
        "model, validation logged by loss": [model, _log_validation],
        "model, validation logged by mo": [model, lambda run: _log_validation(run, "mo")],
        "model, evaluated": [model, evaluated],
        "model, evaluated, validation logged": [model, evaluated, _log_validation],
        "model, evaluated, validation logged, rows": [model, evaluated, _log_validation, rows],
        "evaluated, model gone": [evaluated],
        "evaluated, model gone, validation logged": [evaluated, _log_validation],
        "checkpoint, validation logged": [lambda run: (run.train.path / "checkpoints" / "checkpoint-3").mkdir(
            parents=True), _log_validation],
    }


@pytest.mark.parametrize("select_metric", ["loss", "mo"])
@pytest.mark.parametrize("case", list(_state_cases()))
def test_list_and_the_jobs_agree_on_what_is_done(tmp_path, case, select_metric):
    """One rule: a run --list calls done gets no job, any other run gets one (both executors run these)."""
    (tmp_path / "train").mkdir()
    base = _experiment(tmp_path / "train", "agree", grid=[{"strategy": ["x-y"]}], evaluate_wise=0.5,
                       wise_lambdas=[0.5])
    cfg = load_experiment(base)
    if select_metric != "loss":
        cfg.train["toy"] = str(write_config(tmp_path / "train" / "train-mo.yaml", {
            "model": "default", "datasets": [{"jsonl": "items.jsonl", "name": "toy"}],
            "output_dir": str(tmp_path / "unused"),
            "training": {"select_metric": select_metric}}))
    out = ExperimentFolder(tmp_path / "out")
    for setup in _state_cases()[case]:
        setup(out.run("toy-x-y-s1"))
    plan = GridPlan(cfg, out.path)
    (run,) = plan.runs
    owners = {j.owner for j in grid_jobs(plan)}
    assert (run.state() == "done") == run.done() == (run.spec.run_id not in owners), (case, run.state(), owners)


def test_a_wise_evaluation_left_keeps_a_run_unfinished(tmp_path):
    cfg = load_experiment(_experiment(tmp_path, "wise", grid=[{"strategy": ["x-y"]}], evaluate_wise=0.75))
    out = ExperimentFolder(tmp_path / "out")
    run = out.run("toy-x-y-s1")
    _finish(run.evaluation(BENCH))
    assert run_states(cfg, out.path) == [("toy-x-y-s1", "to do")]  # no model: the merge needs training again
    _model(run.train.model)
    assert run_states(cfg, out.path) == [("toy-x-y-s1", "trained, evaluations to do")]
    _finish(run.wise_evaluation(0.75, BENCH))
    assert run_states(cfg, out.path) == [("toy-x-y-s1", "done")]
