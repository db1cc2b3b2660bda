"""The experiment runner: grid expansion, a tiny end-to-end grid, resumption, the generated summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hybridbatch.cli import main
from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment import ExperimentConfig, expand_grid, load_experiment
from tests.training_helpers import toy_items, write_config, write_jsonl

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_grid_expansion_dedups_alpha_ends_and_ignores_alpha_for_baselines():
    cfg = ExperimentConfig(name="g", train={"t": "t.yaml"}, grid=[
        {"strategy": ["x-x-mono", "x-y", "hybrid"], "alpha": [0.5], "seed": [1, 2]},
        {"strategy": ["hybrid"], "alpha": [0.0, 0.25, 1.0], "seed": [1]},
    ])
    ids = [r.run_id for r in expand_grid(cfg)]
    assert ids == ["t-x-x-mono-s1", "t-x-x-mono-s2", "t-x-y-s1", "t-x-y-s2", "t-hybrid-a0.5-s1",
                   "t-hybrid-a0.5-s2", "t-hybrid-a0.25-s1"]


@pytest.mark.parametrize("grid,message", [
    ([{"strategy": ["mixed"]}], "unknown strategy 'mixed'"),
    ([{"strategy": ["hybrid"], "alpha": [1.5]}], "alpha 1.5 outside"),
    ([{"lr": [1]}], "unknown grid key"),
    ([{"train": ["other"]}], "training set 'other'"),
])
def test_bad_grids(grid, message):
    with pytest.raises(HybridbatchError, match=message):
        expand_grid(ExperimentConfig(name="g", train={"t": "t.yaml"}, grid=grid))


def test_unknown_top_level_key_is_named(tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "train": {"t": "t.yaml"}, "grid": [], "steps": 3}))
    with pytest.raises(HybridbatchError, match="unknown key 'steps'"):
        load_experiment(path)


def test_shipped_experiment_configs_load():
    repo = Path(__file__).resolve().parents[1]
    for name in ("experiment-mlqa-to-xquad.yaml", "experiment-xquad-to-mlqa.yaml"):
        cfg = load_experiment(repo / "configs" / name)
        assert all(Path(p).is_file() for p in cfg.train.values())
        assert len(expand_grid(cfg)) >= 3


def test_tiny_grid_runs_resumes_and_summarises(tmp_path, tiny_model_dir, capsys):
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    write_config(tmp_path / "train.yaml", {
        "model": str(tiny_model_dir), "datasets": [{"jsonl": "items.jsonl", "name": "toy"}],
        "output_dir": str(tmp_path / "unused"), "seed": 1, "validation_fraction": 0.2,
        "training": {"batch_size": 8, "max_steps": 2, "eval_steps": 2, "logging_steps": 1, "loss": "mnrl",
                     "warmup_steps": 0, "max_seq_length": 32}})
    bench = f"lareqa:{FIXTURES / 'lareqa_tiny'}"
    exp = write_config(tmp_path / "exp.yaml", {
        "name": "tiny", "train": {"toy": "train.yaml"},
        "grid": [{"strategy": ["x-y", "hybrid"], "alpha": [0.5], "seed": [1, 2]}],
        "evaluate": {"benchmarks": [bench], "batch_size": 8},
        "base_model": str(tiny_model_dir), "seen_languages": ["en", "de", "es"]})
    out = tmp_path / "grid"
    # an interrupted grid: only one run finished
    assert main(["experiment", "--config", str(exp), "--out", str(out), "--only", "toy-x-y-s1"]) == 0
    first = out / "toy-x-y-s1" / f"eval-{bench}"
    assert (first / "results.json").is_file()
    stamp = (first / "results.json").stat().st_mtime_ns
    assert not (out / "toy-hybrid-a0.5-s2").exists()
    # continuing runs the rest and leaves the finished run alone
    assert main(["experiment", "--config", str(exp), "--out", str(out)]) == 0
    assert (first / "results.json").stat().st_mtime_ns == stamp
    for run_id in ("toy-x-y-s2", "toy-hybrid-a0.5-s1", "toy-hybrid-a0.5-s2"):
        assert (out / run_id / "train" / "model" / "modules.json").is_file()
        meta = json.loads((out / run_id / f"eval-{bench}" / "config.json").read_text())["config"]["extra"]
        assert meta["run_id"] == run_id
    summary = (out / "summary" / "summary.md").read_text()
    assert "| base (untrained) | 1 |" in summary
    assert "| hybrid α=0.5 | 2 |" in summary and "| x-y | 2 |" in summary
    data = json.loads((out / "summary" / "summary.json").read_text())
    assert {row["a"] for row in data["significance"]} >= {"base (untrained)"}
    assert all(0.0 < row["p"] <= 1.0 for row in data["significance"])
    timing = json.loads((out / "timing.json").read_text())
    assert "toy-hybrid-a0.5-s2/train" in timing
    # a run whose evaluations are all finished is not retrained, even without its model folder
    import shutil

    shutil.rmtree(out / "toy-x-y-s1" / "train" / "model")
    assert main(["experiment", "--config", str(exp), "--out", str(out)]) == 0
    assert not (out / "toy-x-y-s1" / "train" / "model").exists()
    assert (first / "results.json").stat().st_mtime_ns == stamp
    # the report command reproduces the comparison from the folders
    assert main(["report", str(out), "--out", str(tmp_path / "rep"), "--resamples", "200"]) == 0
    assert "| hybrid α=0.5 | 2 |" in (tmp_path / "rep" / "summary.md").read_text()


def test_a_run_folder_is_not_reused_with_other_settings(tmp_path):
    from hybridbatch.experiment import _check_same_settings
    from hybridbatch.outputs import write_json

    write_json(tmp_path / "run.json", {"train_config": "a: 1\n", "train_overrides": {"max_steps": 200}})
    _check_same_settings(tmp_path / "run.json", {"train_config": "a: 1\n", "train_overrides": {"max_steps": 200}})
    with pytest.raises(HybridbatchError, match="another train overrides"):
        _check_same_settings(tmp_path / "run.json", {"train_config": "a: 1\n", "train_overrides": {"max_steps": 80}})


def test_a_finished_evaluation_is_not_reused_with_another_precision(tmp_path):
    from hybridbatch.evaluation.runner import EvaluationConfig
    from hybridbatch.experiment import _check_same_evaluation
    from hybridbatch.outputs import write_json

    old = {"benchmark": "xquad-r", "languages": None, "candidate_text": "sentence", "max_seq_length": None}
    write_json(tmp_path / "config.json", {"config": old})  # written before precision existed: fp32
    _check_same_evaluation(tmp_path, EvaluationConfig(benchmark="xquad-r", model="m"))
    with pytest.raises(HybridbatchError, match="precision='fp32', the experiment asks for 'bf16'"):
        _check_same_evaluation(tmp_path, EvaluationConfig(benchmark="xquad-r", model="m", precision="bf16"))
    (tmp_path / "config.json").unlink()
    with pytest.raises(HybridbatchError, match="without a readable config.json"):
        _check_same_evaluation(tmp_path, EvaluationConfig(benchmark="xquad-r", model="m"))
