"""``models_from``: evaluate a model another grid already trained instead of training it again.

Decided from the other grid's folders and the training config files alone — no dataset is read — so
``experiment --list`` and the run itself reach the same answer:

* the run with the same id in ``models_from`` whose run.json records the same training config text,
  experiment overrides and run overrides, when its model folder is complete; else
* for a training-language subset, the unrestricted run of that strategy and seed (same settings), when the
  languages its model card lists for the restricted dataset are exactly the subset — restricting a dataset
  to the languages it was trained on keeps every item, so the training is the same. (The card lists the
  languages of the training split: a language whose every group was held out for validation is not seen.)

A run in ``models_from`` that itself reused a model (its run.json names it as ``model_from``) stands for that
model, so a grid can take its models from another grid that took them from a third.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path
from typing import Any

from hybridbatch.experiment.config import ExperimentConfig, RunSpec, language_dataset_index, training_config
from hybridbatch.experiment.layout import ExperimentFolder, RunFolder, TrainFolder
from hybridbatch.experiment.records import run_settings, same_model_settings

log = logging.getLogger(__name__)
# a model card's training-data line (hybridbatch.training.model_card.model_card_section)
_CARD_DATA = re.compile(r"^\| training data \| (?P<name>.+?) \(.*\): \d+ items, \d+ groups, "
                        r"languages (?P<langs>[^;|]*); passage: ")


def warn_missing_models_from(cfg: ExperimentConfig) -> None:
    """Warn when ``models_from`` names no folder (a typo would silently mean hours of retraining)."""
    if cfg.models_from and not Path(cfg.models_from).is_dir():
        log.warning("models_from %s is not a folder (relative paths start at %s): every run is trained here",
                    cfg.models_from, Path.cwd())


def reused_model(cfg: ExperimentConfig, spec: RunSpec, settings: dict[str, Any]) -> Path | None:
    """The (resolved) model folder in ``cfg.models_from`` that run ``spec`` (with run.json ``settings``)
    reuses, by the rules of the module docstring; None: train here. Reads folders and config files only."""
    if not cfg.models_from:
        return None
    source = ExperimentFolder(Path(cfg.models_from))
    found = _matching_model(source.run(spec.run_id), settings)
    if found is None and spec.languages is not None:
        plain = dataclasses.replace(spec, languages=None, language_dataset=None)
        other = source.run(plain.run_id)
        model = _ready_model(other)
        if model is not None and _trained_on_exactly(cfg, spec, TrainFolder(model.parent)):
            found = _matching_model(other, run_settings(cfg, plain)[1])
    return found


def trained_languages(card: Path) -> list[tuple[str, list[str]]] | None:
    """(dataset name, languages) of each training dataset, in config order, as a model card states them;
    None when the card is missing or states none."""
    if not card.is_file():
        return None
    found = [m for m in map(_CARD_DATA.match, card.read_text(encoding="utf-8").splitlines()) if m]
    return [(m["name"], m["langs"].split()) for m in found] or None


def _ready_model(run: RunFolder) -> Path | None:
    """``run``'s complete model: its own, or the one its run.json reused; None when neither is complete."""
    return run.train.ready_model() or run.recorded_model()


def _matching_model(other: RunFolder, settings: dict[str, Any]) -> Path | None:
    model = _ready_model(other)
    before = other.read_record() if model is not None else None
    if model is None or before is None:
        return None
    same = same_model_settings(before, settings)
    if not same:
        log.info("not reusing %s (trained with other settings)", model)
    return model.resolve() if same else None


def _trained_on_exactly(cfg: ExperimentConfig, spec: RunSpec, plain: TrainFolder) -> bool:
    """Whether the unrestricted run trained in ``plain`` was trained on exactly ``spec``'s languages of the
    dataset the subset restricts (so that restricting it to them leaves every item)."""
    datasets = training_config(cfg, spec, Path("unused")).datasets
    index = language_dataset_index(spec, [d.label for d in datasets])
    trained = trained_languages(plain.model_card) or []
    if index >= len(trained) or trained[index][0] != datasets[index].label:
        log.info("not reusing %s (its model card does not state its training languages)", plain.model)
        return False
    return set(trained[index][1]) == set(spec.languages or ())
