"""One model of the grid's work: each run's state from its folders, the same steps for --list and the run,
and --list without reading any dataset."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hybridbatch.cli import build_parser, main
from hybridbatch.experiment.config import expand_grid, load_experiment
from hybridbatch.experiment.layout import EvalFolder, ExperimentFolder
from hybridbatch.experiment.plan import GridPlan, run_states
from hybridbatch.outputs import write_json
from tests.experiment.test_reuse import fake_trained_run
from tests.training.helpers import toy_items, write_config, write_jsonl

BENCH = "lareqa:/nowhere/lareqa_tiny"  # never read by --list
LOADERS = ("load_datasets", "prepare_data", "read_pairs_jsonl", "load_benchmark", "read_lareqa",
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


@pytest.mark.parametrize("wise_rows, expected", [(None, "done"), ([], "trained, evaluations to do"),
                                                 ([{"lambda": 0.5}], "done")])
def test_a_validation_only_run_is_done_when_trained_and_its_wise_rows_exist(tmp_path, wise_rows, expected):
    cfg = load_experiment(_experiment(tmp_path, "val", grid=[{"strategy": ["x-y"]}],
                                      **({"wise_lambdas": [0.5]} if wise_rows is not None else {})))
    cfg.evaluate.benchmarks = []
    out = ExperimentFolder(tmp_path / "out")
    assert run_states(cfg, out.path) == [("toy-x-y-s1", "to do")]
    _model(out.run("toy-x-y-s1").train.model)
    if wise_rows:
        write_json(out.run("toy-x-y-s1").wise_validation, wise_rows)
    assert run_states(cfg, out.path) == [("toy-x-y-s1", expected)]
    assert not GridPlan(cfg, out.path).runs[0].needs_training()


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
