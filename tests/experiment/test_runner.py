"""The experiment runner: a tiny end-to-end grid, resumption, reuse checks, the generated summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hybridbatch.cli import main
from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.evaluations import check_same_evaluation
from hybridbatch.experiment.layout import EvalFolder, RunFolder
from hybridbatch.experiment.records import check_same_settings
from tests.training.helpers import toy_items, write_config, write_jsonl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def write_toy_training(tmp_path: Path, model_dir: Path) -> None:
    """items.jsonl (40 groups in en/de/es) and train.yaml: 2 steps of batch 8 on the tiny model."""
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    write_config(tmp_path / "train.yaml", {
        "model": str(model_dir), "datasets": [{"jsonl": "items.jsonl", "name": "toy"}],
        "output_dir": str(tmp_path / "unused"), "seed": 1, "validation_fraction": 0.2,
        "training": {"batch_size": 8, "max_steps": 2, "eval_steps": 2, "logging_steps": 1, "loss": "mnrl",
                     "warmup_steps": 0, "max_seq_length": 32}})


def test_tiny_grid_runs_resumes_and_summarises(tmp_path, tiny_model_dir, capsys):
    write_toy_training(tmp_path, tiny_model_dir)
    bench = f"lareqa:{FIXTURES / 'lareqa_tiny'}"
    exp = write_config(tmp_path / "exp.yaml", {
        "name": "tiny", "train": {"toy": "train.yaml"},
        "grid": [{"strategy": ["x-y", "hybrid"], "alpha": [0.5], "seed": [1, 2]}],
        "evaluate": {"benchmarks": [bench], "batch_size": 8},
        "base_model": str(tiny_model_dir), "seen_languages": ["en", "de", "es"]})
    out = tmp_path / "grid"
    # an interrupted grid: only one run finished
    assert main(["experiment", "--config", str(exp), "--out", str(out), "--only", "toy-x-y-s1", "--no-summary"]) == 0
    first = out / "toy-x-y-s1" / f"eval-{bench}"
    assert (first / "results.json").is_file()
    assert not (out / "summary").exists() and "summary:" not in capsys.readouterr().out  # --no-summary
    stamp = (first / "results.json").stat().st_mtime_ns
    assert not (out / "toy-hybrid-a0.5-s2").exists()
    assert f"base/eval-{bench}" in json.loads((out / "timing.json").read_text())
    (out / "timing.json").unlink()  # as if killed before the timings were written
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
    assert f"base/eval-{bench}" not in timing  # found finished, not timed again
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
    from hybridbatch.outputs import write_json

    write_json(tmp_path / "run.json", {"train_config": "a: 1\n", "train_overrides": {"max_steps": 200}})
    check_same_settings(RunFolder(tmp_path), {"train_config": "a: 1\n", "train_overrides": {"max_steps": 200}})
    with pytest.raises(HybridbatchError, match="another training config"):
        check_same_settings(RunFolder(tmp_path), {"train_config": "a: 1\n", "train_overrides": {"max_steps": 80}})


def test_a_finished_evaluation_is_not_reused_with_another_precision(tmp_path):
    from hybridbatch.evaluation.config import EvaluationConfig
    from hybridbatch.outputs import write_json

    old = {"benchmark": "xquad-r", "languages": None, "candidate_text": "sentence", "max_seq_length": None}
    write_json(tmp_path / "config.json", {"config": old})  # written before precision existed: fp32
    check_same_evaluation(EvalFolder(tmp_path), EvaluationConfig(benchmark="xquad-r", model="m"))
    with pytest.raises(HybridbatchError, match="precision='fp32', the experiment asks for 'bf16'"):
        check_same_evaluation(EvalFolder(tmp_path), EvaluationConfig(benchmark="xquad-r", model="m", precision="bf16"))
    (tmp_path / "config.json").unlink()
    with pytest.raises(HybridbatchError, match="without a readable config.json"):
        check_same_evaluation(EvalFolder(tmp_path), EvaluationConfig(benchmark="xquad-r", model="m"))


def test_a_failing_run_raises_an_error_naming_the_run(tmp_path, tiny_model_dir):
    from hybridbatch.experiment.config import load_experiment
    from hybridbatch.experiment.runner import run_experiment

    write_jsonl(tmp_path / "items.jsonl", toy_items(12, ["en", "de"]))
    write_config(tmp_path / "train.yaml", {"model": str(tiny_model_dir), "datasets": [{"jsonl": "items.jsonl"}],
                                           "validation_fraction": 0.0})
    exp = write_config(tmp_path / "exp.yaml", {
        "name": "bad", "train": {"toy": "train.yaml"}, "grid": [{"strategy": ["x-y"]}],
        "train_overrides": {"batch_size": 50}, "include_base": False,
        "evaluate": {"benchmarks": [f"lareqa:{FIXTURES / 'lareqa_tiny'}"]}})
    with pytest.raises(HybridbatchError, match=r"toy-x-y-s1: training failed: .*too few for one batch of 50"):
        run_experiment(load_experiment(exp), tmp_path / "out")


def test_validation_only_grid_with_override_axes_and_wise_rows(tmp_path, tiny_model_dir):
    from hybridbatch.experiment.config import expand_grid, load_experiment
    from hybridbatch.experiment.runner import run_experiment

    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    write_config(tmp_path / "train.yaml", {
        "model": str(tiny_model_dir), "datasets": [{"jsonl": "items.jsonl", "name": "toy"}], "seed": 1,
        "validation_fraction": 0.2,
        "training": {"batch_size": 8, "max_steps": 2, "eval_steps": 1, "logging_steps": 1, "loss": "mnrl",
                     "warmup_steps": 0, "max_seq_length": 32, "select_metric": "mo+mul"}})
    exp = write_config(tmp_path / "exp.yaml", {
        "name": "tune", "train": {"toy": "train.yaml"}, "base_model": str(tiny_model_dir),
        "grid": [{"strategy": ["hybrid"], "overrides": {"scale": [20.0, 100.0], "learning_rate": [1e-4]}}],
        "evaluate": {"benchmarks": []}, "wise_lambdas": [0.5], "select_metric": "mo+mul"})
    cfg = load_experiment(exp)
    assert [r.run_id for r in expand_grid(cfg)] == ["toy-hybrid-a0.5-scale20-learning_rate0.0001-s1",
                                                    "toy-hybrid-a0.5-scale100-learning_rate0.0001-s1"]
    out = run_experiment(cfg, tmp_path / "grid")
    table = json.loads((out / "summary-validation" / "validation.json").read_text())
    kinds = sorted(r["kind"] for r in table["rows"])
    assert kinds == ["base", "trained", "trained", "wise", "wise"]
    scores = [r["mo+mul"] for r in table["rows"]]
    assert scores == sorted(scores, reverse=True)
    trained = yaml.safe_load((out / "toy-hybrid-a0.5-scale100-learning_rate0.0001-s1" / "train" / "config.yaml")
                             .read_text())
    assert trained["training"]["scale"] == 100.0 and trained["training"]["learning_rate"] == 1e-4
    assert not (out / "summary").exists()  # no evaluation benchmark: no benchmark summary
    stamp = (out / "summary-validation" / "validation.json").stat().st_mtime_ns
    run_experiment(load_experiment(exp), tmp_path / "grid")  # continuing: nothing retrained, same table
    again = json.loads((out / "summary-validation" / "validation.json").read_text())
    assert again["rows"] == table["rows"] and stamp > 0


def test_models_from_reuses_matching_runs_and_trains_the_others(tmp_path, tiny_model_dir, capsys):
    write_toy_training(tmp_path, tiny_model_dir)
    bench = f"lareqa:{FIXTURES / 'lareqa_tiny'}"
    common = {"train": {"toy": "train.yaml"}, "evaluate": {"benchmarks": [bench], "batch_size": 8},
              "base_model": str(tiny_model_dir), "include_base": False}
    first = write_config(tmp_path / "first.yaml", {
        "name": "first", "grid": [{"strategy": ["x-x-mono", "x-y"], "seed": [1]}], **common})
    assert main(["experiment", "--config", str(first), "--out", str(tmp_path / "a")]) == 0
    trained = (tmp_path / "a" / "toy-x-y-s1" / "train" / "model").resolve()
    # a second study: another evaluation (perturbed queries) of the same run, plus a run not trained before
    second = write_config(tmp_path / "second.yaml", {
        "name": "second", "grid": [{"strategy": ["x-x-mono", "x-y"], "seed": [1]}, {"strategy": ["x-y"], "seed": [2]}],
        **common, "evaluate": {"benchmarks": [bench], "batch_size": 8, "perturb": ["lowercase"]},
        "models_from": str(tmp_path / "a"), "soups": [["x-x-mono", "x-y"]]})
    capsys.readouterr()
    assert main(["experiment", "--config", str(second), "--out", str(tmp_path / "b"), "--list"]) == 0
    states = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert states == {"toy-x-x-mono-s1": f"reuses {trained.parent.parent.parent / 'toy-x-x-mono-s1/train/model'}",
                      "toy-x-y-s1": f"reuses {trained}", "toy-x-y-s2": "to do", "soup-x-x-mono+x-y-s1": "to do",
                      "soup-x-x-mono+x-y-s2": "not made: no x-x-mono run with seed 2 on toy"}
    assert not (tmp_path / "b").exists()  # --list writes nothing
    assert main(["experiment", "--config", str(second), "--out", str(tmp_path / "b")]) == 0
    assert main(["experiment", "--config", str(second), "--out", str(tmp_path / "b"), "--list"]) == 0
    after = dict(line.split("\t") for line in capsys.readouterr().out.splitlines() if "\t" in line)
    assert {after[k] for k in ("toy-x-x-mono-s1", "toy-x-y-s1", "toy-x-y-s2", "soup-x-x-mono+x-y-s1")} == {"done"}
    reused = tmp_path / "b" / "toy-x-y-s1"
    assert not (reused / "train").exists()
    assert json.loads((reused / "run.json").read_text())["model_from"] == str(trained)
    evaluated = json.loads((reused / f"eval-{bench}" / "config.json").read_text())["config"]
    assert evaluated["model"] == str(trained) and evaluated["perturb"] == ["lowercase"]
    assert not (tmp_path / "b" / "toy-x-x-mono-s1" / "train").exists()
    assert (tmp_path / "b" / "soup-x-x-mono+x-y-s1" / f"eval-{bench}" / "results.json").is_file()
    assert (tmp_path / "b" / "toy-x-y-s2" / "train" / "model" / "modules.json").is_file()  # not in a: trained
    assert "model_from" not in json.loads((tmp_path / "b" / "toy-x-y-s2" / "run.json").read_text())
    # a run trained with other overrides is not reused
    third = write_config(tmp_path / "third.yaml", {
        "name": "third", "grid": [{"strategy": ["x-y"], "seed": [1], "overrides": {"training.max_steps": [1]}}],
        **common, "models_from": str(tmp_path / "a")})
    assert main(["experiment", "--config", str(third), "--out", str(tmp_path / "c")]) == 0
    (run,) = [p for p in (tmp_path / "c").iterdir() if p.name.startswith("toy-x-y")]
    assert (run / "train" / "model" / "modules.json").is_file()


def test_list_states_read_the_experiment_folder(tmp_path, tiny_model_dir, caplog):
    from hybridbatch.experiment.config import load_experiment
    from hybridbatch.experiment.plan import run_states

    write_jsonl(tmp_path / "items.jsonl", toy_items(20, ["en", "de"]))
    write_config(tmp_path / "train.yaml", {"model": str(tiny_model_dir), "output_dir": str(tmp_path / "unused"),
                                           "datasets": [{"jsonl": "items.jsonl", "name": "toy"}]})
    exp = write_config(tmp_path / "exp.yaml", {
        "name": "states", "train": {"toy": "train.yaml"}, "grid": [{"strategy": ["x-y"], "seed": [1, 2, 3]}],
        "evaluate": {"benchmarks": [f"lareqa:{FIXTURES / 'lareqa_tiny'}"]}})
    cfg, out = load_experiment(exp), tmp_path / "grid"
    for step in (10, 30, 5):
        (out / "toy-x-y-s1" / "train" / "checkpoints" / f"checkpoint-{step}").mkdir(parents=True)
    (out / "toy-x-y-s2" / "train" / "model").mkdir(parents=True)
    (out / "toy-x-y-s2" / "train" / "model" / "modules.json").write_text("[]")
    assert run_states(cfg, out) == [("toy-x-y-s1", "training (checkpoint-30)"),
                                    ("toy-x-y-s2", "trained, evaluations to do"), ("toy-x-y-s3", "to do")]
    cfg.models_from = str(tmp_path / "nowhere")  # a typo must not pass silently: hours of retraining
    with caplog.at_level("WARNING"):
        assert run_states(cfg, out)[2] == ("toy-x-y-s3", "to do")
    assert "nowhere is not a folder" in caplog.text


def test_a_subset_with_every_language_reuses_the_unrestricted_run(tmp_path, tiny_model_dir, capsys):
    write_toy_training(tmp_path, tiny_model_dir)
    common = {"train": {"toy": "train.yaml"}, "base_model": str(tiny_model_dir), "include_base": False,
              "evaluate": {"benchmarks": [f"lareqa:{FIXTURES / 'lareqa_tiny'}"], "batch_size": 8}}
    first = write_config(tmp_path / "first.yaml", {"name": "first", "grid": [{"strategy": ["x-y"]}], **common})
    assert main(["experiment", "--config", str(first), "--out", str(tmp_path / "a")]) == 0
    trained = (tmp_path / "a" / "toy-x-y-s1" / "train" / "model").resolve()
    counts = write_config(tmp_path / "counts.yaml", {
        "name": "counts", "models_from": str(tmp_path / "a"), **common,
        "grid": [{"strategy": ["x-y"], "train_languages": {"sizes": [2, 3], "languages": ["de", "en", "es"],
                                                            "include": ["en"]}}]})
    capsys.readouterr()
    assert main(["experiment", "--config", str(counts), "--out", str(tmp_path / "b"), "--list"]) == 0
    states = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert states[next(r for r in states if "-k3-" in r)] == f"reuses {trained}"
    assert states[next(r for r in states if "-k2-" in r)] == "to do"
