"""The training configuration: shipped configs, strict loading, overrides of every field."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from hybridbatch.config import override_fields
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import TrainConfig, apply_overrides, load_config
from tests.training.helpers import toy_items, write_config, write_jsonl

REPO = Path(__file__).resolve().parents[2]


def _config_dict(tmp_path: Path) -> dict:
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    return {"datasets": [{"jsonl": "items.jsonl", "name": "toy"}], "output_dir": str(tmp_path / "run"), "seed": 1,
            "training": {"loss": "mnrl"}}


def test_shipped_configs_hold_the_paper_settings_and_the_recipe():
    paper = load_config(REPO / "configs" / "mlqa-to-xquad-paper.yaml")
    t = paper.training
    assert (t.batch_size, t.learning_rate, t.weight_decay, t.scale) == (100, 3e-5, 0.01, 20.0)
    for name, train_on, evaluate_on in (("mlqa-to-xquad", "mlqa-r", "xquad-r"), ("xquad-to-mlqa", "xquad-r", "mlqa-r")):
        cfg = load_config(REPO / "configs" / f"{name}.yaml")
        assert cfg.datasets[0].benchmark == train_on
        assert cfg.eval_benchmarks == [evaluate_on, "tatoeba", "tico19", "afriqa"]  # every benchmark checked for leakage
        assert (cfg.sampling.strategy, cfg.sampling.alpha) == ("hybrid", 0.5)
        t = cfg.training
        assert (t.batch_size, t.learning_rate, t.weight_decay) == (100, 3e-5, 0.01)
        assert (t.scale, t.distill_weight, t.select_metric, t.loss, t.precision) == (100.0, 10.0, "mo+mul", "mnrl",
                                                                                     "auto")
        assert t.max_seq_length == 128 and cfg.validation_fraction > 0
        assert (t.max_steps, t.length_sorted) == (120, True)
        n = cfg.negatives
        assert (n.file, n.policy, n.per_query, n.range_min, n.range_max, n.margin) == (
            None, "same-language", 4, 0, 200, 0.0)  # mined with the base model into the run folder


@pytest.mark.parametrize("patch, message", [
    ({"learning_rat": 1}, "unknown config key 'learning_rat'"),
    ({"sampling": {"alpah": 0.5}}, "unknown config key 'sampling.alpah'"),
    ({"training": {"batch_size": "big"}}, "'training.batch_size' should be int"),
    ({"datasets": [{"jsonl": "a.jsonl", "benchmark": "mlqa-r"}]}, "exactly one of"),
    ({"training": {"precision": "fp16"}}, "'training.precision' is 'fp16'; expected one of auto, fp32, bf16"),
    ({"training": {"max_steps": 0}}, "'training.max_steps' is 0; must be >= 1"),
    ({"validation_fraction": 1.0}, "'validation_fraction' is 1.0; must be < 1.0"),
    ({"training": {"learning_rate": float("nan")}}, "'training.learning_rate' should be a finite number"),
])
def test_config_errors_name_the_key(tmp_path, patch, message):
    data = _config_dict(tmp_path) | patch
    with pytest.raises(HybridbatchError, match=message) as err:
        load_config(write_config(tmp_path / "bad.yaml", data))
    assert "bad.yaml" in str(err.value)


def _another_value(leaf, current):
    """A valid value of the leaf's type that differs from ``current``."""
    hint = leaf.hint
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is typing.Union or type(hint).__name__ == "UnionType":
        hint = args[0]
    if typing.get_origin(hint) is typing.Literal:
        return next(v for v in typing.get_args(hint) if v != current)
    if typing.get_origin(hint) is list:
        return ["xquad-r", "mlqa-r"]
    if hint is bool:
        return not current
    if hint is int:
        return (current or 1) + 1
    if hint is float:
        upper = leaf.field.metadata.get("le", leaf.field.metadata.get("lt"))
        return (current or 0.0) / 2 if upper is not None else (current or 1.0) * 2 + 1
    return f"{current}-changed"


def test_every_training_field_can_be_overridden_by_name_and_by_path(tmp_path):
    config = load_config(write_config(tmp_path / "train.yaml", _config_dict(tmp_path)))
    leaves = override_fields(TrainConfig)
    assert {"training.learning_rate", "training.scale", "training.weight_decay", "training.prompts",
            "training.early_stopping_patience", "sampling.smoothing_exponent", "seed"} <= set(leaves)
    for path, leaf in leaves.items():
        current = config
        for part in path.split("."):
            current = getattr(current, part)
        # a dataset name is the one value a cross-field check accepts for validation_dataset
        value = config.datasets[0].label if path == "validation_dataset" else _another_value(leaf, current)
        for key in (path, leaf.name):
            changed = apply_overrides(config, {key: value})
            got = changed
            for part in path.split("."):
                got = getattr(got, part)
            assert got == value and got != current, path
    untouched = apply_overrides(config, {"learning_rate": 1e-4})
    assert config.training.learning_rate == 3e-5 and untouched.training.learning_rate == 1e-4  # a copy


@pytest.mark.parametrize("overrides, message", [
    ({"lr": 1e-4}, "unknown override key 'lr'"),
    ({"learning_rat": 1e-4}, "unknown override key 'learning_rat'"),
    ({"max_steps": "many"}, "'training.max_steps' should be int"),
    ({"scale": -1.0}, "'training.scale' is -1.0; must be > 0.0"),
    ({"strategy": "h"}, "'sampling.strategy' is 'h'; expected one of"),
])
def test_bad_overrides_name_the_key_and_the_source(tmp_path, overrides, message):
    config = load_config(write_config(tmp_path / "train.yaml", _config_dict(tmp_path)))
    with pytest.raises(HybridbatchError, match=message) as err:
        apply_overrides(config, overrides, source="exp.yaml")
    assert str(err.value).startswith("exp.yaml: ")
