"""The experiment folder: where each output of a grid lives, from the names of :mod:`hybridbatch.run_files`.

Other modules ask the classes here for paths (and decide "done" from what these report about the folders,
never from data)::

    <out>/
      experiment.json                  the resolved experiment config with provenance
      timing.json                      seconds per step, keyed "<folder>/<step>" (see :meth:`RunFolder.timing_key`)
      experiment.lock                  the running process (pid, host, start), while a grid runs (:mod:`.lock`)
      base/eval-<benchmark>/           the untrained base model's evaluations
      base/validation-<train>/metrics.json   its retrieval on a training set's validation split
      <run id>/
        run.json                       the run's settings (training config text, overrides, model_from)
        train/                         the trainer's output_dir (hybridbatch.training.trainer):
          model/                         the final model; finished when it holds modules.json
          model/README.md                its card (training data: items, groups, languages)
          checkpoints/checkpoint-N/      resumable checkpoints
          run.json                       the resolved training config
          validation.jsonl               retrieval on the validation split at each evaluation
        eval-<benchmark>/              an evaluation folder (below)
        wise<λ>/eval-<benchmark>/      the evaluation of the run's WiSE-FT merge with the base at λ
        wise-validation.json           validation retrieval of WiSE-FT merges, one row per λ
      soup-<s1+s2>-s<seed>[-<train>]/eval-<benchmark>/   a soup's evaluations
      summary/                         the generated comparison (summary.md, ...)
      summary-validation/              validation.md / validation.json: every run ranked on validation

An evaluation folder (written whole or not at all by :func:`hybridbatch.evaluation.runner.run_evaluation`)
holds results.json, per_query.npz and config.json; it is finished exactly when results.json is a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybridbatch.run_files import (
    BASE,
    BASE_VALIDATION,
    CHECKPOINTS,
    EVAL_CONFIG,
    EXPERIMENT_RECORD,
    LOCK,
    MODEL,
    MODEL_CARD,
    MODEL_MARKER,
    PER_QUERY,
    RESULTS,
    RUN_RECORD,
    SUMMARY,
    SUMMARY_FILE,
    TIMING,
    TRAIN,
    VALIDATION_HISTORY,
    VALIDATION_SUMMARY,
    WISE_VALIDATION,
    base_validation_name,
    checkpoint_step,
    eval_name,
    wise_name,
)
from hybridbatch.run_files import VALIDATION_TABLE as VALIDATION_TABLE
from hybridbatch.run_files import VALIDATION_TABLE_JSON as VALIDATION_TABLE_JSON
from hybridbatch.run_files import soup_name as soup_name

TRAIN_STEP = "train"
WISE_STEP = "wise"
VALIDATION_STEP = "validation-extras"
SOUP_STEP = "soup"


def experiment_path(out: str | Path | None, configured: str | None, name: str) -> Path:
    """The experiment folder: ``out`` (the command line), else ``configured`` (the config's ``out``), else
    ``runs/<name>``."""
    return Path(out or configured or f"runs/{name}")


def read_json(path: Path) -> Any:
    """The JSON value in ``path`` (UTF-8)."""
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class EvalFolder:
    """One evaluation folder: results.json, per_query.npz, config.json."""

    path: Path

    @property
    def results(self) -> Path:
        return self.path / RESULTS

    @property
    def config(self) -> Path:
        return self.path / EVAL_CONFIG

    @property
    def per_query(self) -> Path:
        return self.path / PER_QUERY

    def finished(self) -> bool:
        """Whether the evaluation is complete (its folder appears whole, so results.json decides)."""
        return self.results.is_file()


@dataclass(frozen=True)
class TrainFolder:
    """A run's training output folder (the trainer's ``output_dir``)."""

    path: Path

    @property
    def model(self) -> Path:
        return self.path / MODEL

    @property
    def model_card(self) -> Path:
        return self.model / MODEL_CARD

    @property
    def record(self) -> Path:
        """The trainer's run.json: ``{"config": resolved training config, ...}``."""
        return self.path / RUN_RECORD

    @property
    def validation_history(self) -> Path:
        return self.path / VALIDATION_HISTORY

    def ready_model(self) -> Path | None:
        """The final model folder when it is complete, else None."""
        return self.model if (self.model / MODEL_MARKER).is_file() else None

    def checkpoint_steps(self) -> list[int]:
        """Steps of the complete checkpoints (``checkpoint-N``), unsorted; empty when there are none."""
        steps = (checkpoint_step(c.name) for c in (self.path / CHECKPOINTS).glob("*"))
        return [step for step in steps if step is not None]


@dataclass(frozen=True)
class RunFolder:
    """The folder of one run, of a soup or of the base model: evaluations plus, for a run, its training."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def record(self) -> Path:
        """The experiment's run.json for this run (settings, ``model_from``)."""
        return self.path / RUN_RECORD

    @property
    def train(self) -> TrainFolder:
        return TrainFolder(self.path / TRAIN)

    @property
    def wise_validation(self) -> Path:
        return self.path / WISE_VALIDATION

    def evaluation(self, benchmark: str) -> EvalFolder:
        return EvalFolder(self.path / eval_name(benchmark))

    def wise_evaluation(self, lam: float, benchmark: str) -> EvalFolder:
        return EvalFolder(self.path / wise_name(lam) / eval_name(benchmark))

    def base_validation(self, train: str) -> Path:
        """(On the base folder) the base model's validation metrics on training set ``train``."""
        return self.path / base_validation_name(train) / BASE_VALIDATION

    def read_record(self) -> dict[str, Any] | None:
        """run.json's content, or None when there is none."""
        return read_json(self.record) if self.record.is_file() else None

    def recorded_model(self) -> Path | None:
        """The model run.json says this run reuses (``model_from``), when that model is complete."""
        record = self.read_record() or {}
        reused = record.get("model_from")
        return TrainFolder(Path(reused).parent).ready_model() if reused else None

    def timing_key(self, step: str) -> str:
        """The timing.json key of one of this folder's steps: ``<folder>/<step>``."""
        return f"{self.name}/{step}"


@dataclass(frozen=True)
class ExperimentFolder:
    """The output folder of a grid."""

    path: Path

    @property
    def record(self) -> Path:
        return self.path / EXPERIMENT_RECORD

    @property
    def timing(self) -> Path:
        return self.path / TIMING

    @property
    def lock(self) -> Path:
        return self.path / LOCK

    @property
    def summary(self) -> Path:
        return self.path / SUMMARY

    @property
    def summary_file(self) -> Path:
        return self.summary / SUMMARY_FILE

    @property
    def validation_summary(self) -> Path:
        return self.path / VALIDATION_SUMMARY

    @property
    def base(self) -> RunFolder:
        return RunFolder(self.path / BASE)

    def run(self, run_id: str) -> RunFolder:
        return RunFolder(self.path / run_id)

    def soup(self, name: str) -> RunFolder:
        return RunFolder(self.path / name)

    def read_timing(self) -> dict[str, float]:
        """timing.json's content, or an empty dict when there is none."""
        return read_json(self.timing) if self.timing.is_file() else {}
