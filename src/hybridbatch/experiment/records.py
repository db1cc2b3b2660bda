"""What a run's run.json records, and the rule that a run folder is only continued by the same run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import ExperimentConfig, RunSpec
from hybridbatch.experiment.layout import RunFolder

SAME_RUN_KEYS = ("train_config", "train_overrides")
"""run.json keys that must match for a run folder to be continued."""
SAME_MODEL_KEYS = ("train_config", "train_overrides", "run_overrides")
"""run.json keys that must match for another grid's trained model to be reused."""


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


def same_setting(key: str, before: Any, now: Any) -> bool:
    """Whether a recorded setting equals the current one; the training config is compared as parsed YAML, so a
    comment edited in the file does not make its runs another run's."""
    if key == "train_config" and isinstance(before, str) and isinstance(now, str):
        try:
            return yaml.safe_load(before) == yaml.safe_load(now)
        except yaml.YAMLError:
            return before == now
    return before == now


def check_same_settings(run: RunFolder, settings: dict[str, Any]) -> None:
    """A run folder is reused only by the same run: same training config text and overrides (a folder
    without run.json is new). Raises :class:`HybridbatchError` naming the folder otherwise."""
    before = run.read_record()
    if before is None:
        return
    for key in SAME_RUN_KEYS:
        if key in before and not same_setting(key, before[key], settings[key]):
            raise HybridbatchError(f"this run was made with another {key.replace('_', ' ')}; use a new --out "
                                   "or remove the run folder", path=run.path)
