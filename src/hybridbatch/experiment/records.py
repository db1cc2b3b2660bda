"""What a run's run.json records, and the rule that a run folder is only continued by the same run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from hybridbatch.config import from_dict, to_dict
from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import ExperimentConfig, RunSpec
from hybridbatch.experiment.layout import RunFolder
from hybridbatch.training.config import TrainConfig, apply_overrides

SAME_RUN_KEYS = ("train_config", "train_overrides")
"""run.json keys that must match for a run folder to be continued (the first two as one resolved config)."""


def run_settings(cfg: ExperimentConfig, spec: RunSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what each evaluation of the run records as ``extra``, what run.json records: ``extra`` plus the
    training config's text, the experiment's and the run's overrides). Reads the training config file."""
    extra = {"label": spec.label, "run_id": spec.run_id, "strategy": spec.strategy, "alpha": spec.alpha,
             "seed": spec.seed, "train": spec.train}
    run_overrides = dict(spec.settings)
    if spec.languages is not None:  # the train_languages axis: recorded with the run and its evaluations
        extra["train_languages"] = run_overrides["train_languages"] = list(spec.languages)
    settings = {**extra, "train_config": Path(cfg.train[spec.train]).read_text(encoding="utf-8"),
                "train_overrides": cfg.train_overrides, "run_overrides": run_overrides}
    return extra, settings


def resolved_training(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The training config a record's ``train_config`` text and ``train_overrides`` resolve to, as plain data
    with every default filled in; None when the text no longer reads as a training config."""
    try:
        raw = yaml.safe_load(record["train_config"])
        config = apply_overrides(from_dict(TrainConfig, raw), record.get("train_overrides") or {})
    except (HybridbatchError, yaml.YAMLError, KeyError, TypeError):
        return None
    return to_dict(config)


def same_training(before: Mapping[str, Any], now: Mapping[str, Any]) -> bool:
    """Whether two records describe the same training config: equal once file and overrides are resolved, so
    a comment edited in the file, or a value moved between the file and the experiment's overrides, makes no
    other run (a shipped config that gains a setting stays the same run for an experiment that overrides it back
    to what the run used). Records whose text no longer resolves compare as text and overrides."""
    resolved = resolved_training(before), resolved_training(now)
    if None not in resolved:
        return resolved[0] == resolved[1]
    return all(before.get(key) == now.get(key) for key in SAME_RUN_KEYS)


def same_model_settings(before: Mapping[str, Any], now: Mapping[str, Any]) -> bool:
    """Whether a trained model recorded with ``before`` is the model ``now`` asks for (same training config,
    same run overrides)."""
    return same_training(before, now) and before.get("run_overrides") == now.get("run_overrides")


def check_same_settings(run: RunFolder, settings: dict[str, Any]) -> None:
    """A run folder is reused only by the same run: the same resolved training config (:func:`same_training`;
    a folder without run.json is new). Raises :class:`HybridbatchError` naming the folder otherwise."""
    before = run.read_record()
    if before is None or not any(key in before for key in SAME_RUN_KEYS):
        return
    if not same_training(before, settings):
        raise HybridbatchError("this run was made with another training config; use a new --out or remove the "
                               "run folder", path=run.path)
