"""The experiment folder's layout: names, and what the folders say is finished."""

from __future__ import annotations

import json
from pathlib import Path

from hybridbatch.experiment.layout import (
    EvalFolder,
    ExperimentFolder,
    RunFolder,
    eval_name,
    experiment_path,
    soup_name,
    wise_name,
)


def test_names_of_the_folders():
    assert eval_name("xquad-r") == "eval-xquad-r"
    assert wise_name(0.75) == "wise0.75" and wise_name(1.0) == "wise1"
    assert soup_name(["x-x-mono", "x-y"], 2, "mlqa-r", name_train=False) == "soup-x-x-mono+x-y-s2"
    assert soup_name(["x-x-mono", "x-y"], 2, "mlqa-r", name_train=True) == "soup-x-x-mono+x-y-s2-mlqa-r"
    assert experiment_path(None, None, "grid") == Path("runs/grid")
    assert experiment_path(None, "elsewhere", "grid") == Path("elsewhere")
    assert experiment_path("cli", "elsewhere", "grid") == Path("cli")


def test_paths_of_a_run(tmp_path):
    exp = ExperimentFolder(tmp_path)
    run = exp.run("r-s1")
    assert run.evaluation("xquad-r").results == tmp_path / "r-s1" / "eval-xquad-r" / "results.json"
    assert run.wise_evaluation(0.5, "b").path == tmp_path / "r-s1" / "wise0.5" / "eval-b"
    assert run.train.model == tmp_path / "r-s1" / "train" / "model"
    assert exp.base.evaluation("b").path == tmp_path / "base" / "eval-b"
    assert exp.base.base_validation("mlqa-r") == tmp_path / "base" / "validation-mlqa-r" / "metrics.json"
    assert run.timing_key("train") == "r-s1/train" and exp.base.timing_key("eval-b") == "base/eval-b"
    assert exp.summary_file == tmp_path / "summary" / "summary.md"


def test_finished_means_the_marker_file_exists(tmp_path):
    folder = EvalFolder(tmp_path / "eval-b")
    folder.path.mkdir()
    (folder.path / "config.json").write_text("{}")
    assert not folder.finished()  # a folder alone is not a finished evaluation
    folder.results.write_text("{}")
    assert folder.finished()
    train = RunFolder(tmp_path / "r").train
    train.model.mkdir(parents=True)
    assert train.ready_model() is None
    (train.model / "modules.json").write_text("[]")
    assert train.ready_model() == train.model


def test_checkpoints_and_recorded_reuse(tmp_path):
    run = RunFolder(tmp_path / "r")
    for name in ("checkpoint-10", "checkpoint-30", ".tmp-checkpoint-40", "checkpoint-x"):
        (run.train.path / "checkpoints" / name).mkdir(parents=True)
    assert sorted(run.train.checkpoint_steps()) == [10, 30]
    assert run.read_record() is None and run.recorded_model() is None
    other = RunFolder(tmp_path / "other").train
    run.record.write_text(json.dumps({"model_from": str(other.model)}))
    assert run.recorded_model() is None  # the reused model is gone
    other.model.mkdir(parents=True)
    (other.model / "modules.json").write_text("[]")
    assert run.recorded_model() == other.model
