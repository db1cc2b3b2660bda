"""Experiment configs: strict loading, grid expansion, overrides checked before the first run."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridbatch.cli import main
from hybridbatch.config import override_fields
from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import expand_grid, load_experiment, training_config
from hybridbatch.training.config import TrainConfig
from tests.training.helpers import toy_items, write_config, write_jsonl

REPO = Path(__file__).resolve().parents[2]


def _experiment(tmp_path: Path, **patch) -> Path:
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    write_config(tmp_path / "train.yaml", {"datasets": [{"jsonl": "items.jsonl", "name": "toy"}],
                                           "training": {"batch_size": 8}})
    data = {"name": "g", "train": {"t": "train.yaml"}, "grid": [{"strategy": ["hybrid"]}],
            "evaluate": {"benchmarks": ["xquad-r"]}} | patch
    return write_config(tmp_path / "exp.yaml", data)


def test_grid_expansion_dedups_alpha_ends_and_ignores_alpha_for_baselines(tmp_path):
    cfg = load_experiment(_experiment(tmp_path, grid=[
        {"strategy": ["x-x-mono", "x-y", "hybrid"], "alpha": [0.5], "seed": [1, 2]},
        {"strategy": ["hybrid"], "alpha": [0.0, 0.25, 1.0], "seed": [1]},
    ]))
    ids = [r.run_id for r in expand_grid(cfg)]
    assert ids == ["t-x-x-mono-s1", "t-x-x-mono-s2", "t-x-y-s1", "t-x-y-s2", "t-hybrid-a0.5-s1",
                   "t-hybrid-a0.5-s2", "t-hybrid-a0.25-s1"]


def test_labels_name_the_training_set_only_when_the_experiment_has_several(tmp_path):
    one = expand_grid(load_experiment(_experiment(tmp_path)))
    assert [r.label for r in one] == ["hybrid α=0.5"]
    two = load_experiment(_experiment(tmp_path, train={"t": "train.yaml", "u": "train.yaml"},
                                      grid=[{"strategy": ["hybrid", "x-y"], "seed": [1, 2]}]))
    runs = expand_grid(two)
    labels = {r.run_id: r.label for r in runs}
    assert labels["t-hybrid-a0.5-s1"] == labels["t-hybrid-a0.5-s2"] == "hybrid α=0.5 (train=t)"
    assert labels["u-hybrid-a0.5-s1"] == "hybrid α=0.5 (train=u)"
    assert labels["u-x-y-s2"] == "x-y (train=u)"
    assert len({r.label for r in runs}) == 4  # two strategies × two training sets; seeds share a label


@pytest.mark.parametrize("patch, message", [
    ({"grid": [{"strategy": ["mixed"]}]}, r"'grid\[0\].strategy\[0\]' is 'mixed'; expected one of"),
    ({"grid": [{"strategy": "hybrid"}]}, r"'grid\[0\].strategy' should be a list, got str 'hybrid'"),
    ({"grid": [{"strategy": ["hybrid"], "alpha": [1.5]}]}, "alpha 1.5 outside"),
    ({"grid": [{"alpha": ["half"]}]}, r"'grid\[0\].alpha\[0\]' should be float"),
    ({"grid": [{"lr": [1]}]}, r"unknown config key 'grid\[0\].lr'|unknown config key 'grid.lr'"),
    ({"grid": [{"train": ["other"]}]}, "training set 'other'"),
    ({"grid": None}, "'grid' should be a list"),
    ({"grid": []}, "'grid' is empty"),
    ({"steps": 3}, "unknown config key 'steps'"),
    ({"evaluate": {"benchmarks": ["xquad-r"], "precision": "fp16"}}, "'evaluate.precision' is 'fp16'"),
    ({"train_overrides": {"lr": 1e-4}}, "unknown override key 'lr'"),
    ({"train_overrides": {"max_step": 10}}, "unknown override key 'max_step'"),
    ({"train_overrides": {"max_steps": 0}}, "'training.max_steps' is 0; must be >= 1"),
    ({"train": {"t": "missing.yaml"}}, "missing.yaml: config file not found"),
])
def test_bad_experiments_fail_on_load_with_one_line_naming_file_and_key(tmp_path, patch, message):
    with pytest.raises(HybridbatchError, match=message) as err:
        load_experiment(_experiment(tmp_path, **patch))
    assert "exp.yaml" in str(err.value) or "missing.yaml" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_bad_override_stops_the_command_before_anything_is_written(tmp_path, capsys):
    exp = _experiment(tmp_path, train_overrides={"learning_rat": 1e-4})
    assert main(["experiment", "--config", str(exp), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hybridbatch: error:") and "'learning_rat'" in err and "exp.yaml" in err
    assert not (tmp_path / "out").exists()


def test_every_training_field_can_be_overridden_from_an_experiment(tmp_path):
    values = {"learning_rate": 1e-4, "scale": 50.0, "weight_decay": 0.0, "prompts": "paper",
              "early_stopping_patience": None, "smoothing_exponent": 0.3, "validation_fraction": 0.2,
              "training.warmup_steps": 5, "language_weighting": "size", "gather_across_devices": True}
    cfg = load_experiment(_experiment(tmp_path, train_overrides=values))
    config = training_config(cfg, expand_grid(cfg)[0], tmp_path / "run")
    t, s = config.training, config.sampling
    assert (t.learning_rate, t.scale, t.weight_decay, t.prompts, t.early_stopping_patience) == (
        1e-4, 50.0, 0.0, "paper", None)
    assert (s.smoothing_exponent, config.validation_fraction, t.warmup_steps, s.language_weighting) == (
        0.3, 0.2, 5.0, "size")
    assert t.gather_across_devices is True
    # the run's own settings win: strategy, alpha, seed, run folder, leakage benchmarks
    assert (s.strategy, s.alpha, config.seed) == ("hybrid", 0.5, 1)
    assert config.output_dir == str(tmp_path / "run") and config.eval_benchmarks == ["xquad-r"]
    # the same mechanism reaches every leaf of the training config
    names = {leaf.name for leaf in override_fields(TrainConfig).values()}
    assert names >= set(k.split(".")[-1] for k in values)


def test_shipped_experiment_configs_load():
    shipped = sorted((REPO / "configs").glob("experiment-*.yaml"))
    assert len(shipped) >= 6
    for path in shipped:
        cfg = load_experiment(path)
        assert all(Path(p).is_file() for p in cfg.train.values())
        assert len(expand_grid(cfg)) >= 3
