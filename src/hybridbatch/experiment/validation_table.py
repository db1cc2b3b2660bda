"""The validation side of a grid: retrieval on the held-out split of the training data for the base model,
every trained run (its best evaluation, read from ``train/validation.jsonl``) and, when asked, WiSE-FT
merges of each run with the base at several λ — one table, ranked by the experiment's ``select_metric``.
Hyper-parameters are chosen from this table, never from the evaluation benchmarks.

The base model's row and the WiSE-FT rows are steps (done: their cache file holds them); the evaluator is
:func:`hybridbatch.merging.validation.evaluator_for`, the trainer's own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hybridbatch.experiment.config import ExperimentConfig, RunSpec, training_config
from hybridbatch.experiment.layout import (
    VALIDATION_STEP,
    VALIDATION_TABLE,
    VALIDATION_TABLE_JSON,
    ExperimentFolder,
    RunFolder,
    read_json,
)
from hybridbatch.merging.sweep import lambda_sweep
from hybridbatch.merging.validation import MEASURES, evaluator_for, measures, validation_data
from hybridbatch.merging.wise import load_wise_pair
from hybridbatch.models.loading import load_model
from hybridbatch.outputs import atomic_dir, write_json, write_text
from hybridbatch.render.tables import MISSING, markdown_table

VALIDATION_PREFIX = "val_"
"""The prefix of the validation evaluator's metric names (``EVALUATOR_NAME`` of
:mod:`hybridbatch.training.validation` + ``_``)."""


def run_row(spec: RunSpec, run: RunFolder) -> dict[str, Any] | None:
    """The best evaluation of a trained run by its own ``select_metric`` (or the last one when it selects
    on loss), from ``train/validation.jsonl``; None when the run logged no retrieval validation."""
    path = run.train.validation_history
    if not path.is_file():
        return None
    history = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    select = read_json(run.train.record)["config"]["training"].get("select_metric", "loss")
    key = f"{VALIDATION_PREFIX}{select}"
    entry = history[-1] if select == "loss" else max(history, key=lambda h: h["metrics"][key])
    return {"run": spec.run_id, "train": spec.train, "kind": "trained", "step": entry["step"],
            "selected_by": select, **measures(entry["metrics"], VALIDATION_PREFIX)}


class BaseValidationStep:
    """Validation retrieval of the untrained base model on one training set's validation split, cached in
    ``base/validation-<train>/metrics.json``. Done: that file exists."""

    def __init__(self, cfg: ExperimentConfig, spec: RunSpec, experiment: ExperimentFolder):
        self.cfg, self.spec = cfg, spec
        self.path = experiment.base.base_validation(spec.train)

    def done(self) -> bool:
        return self.path.is_file()

    def run(self) -> dict[str, Any]:
        """The base model's row (computed and cached unless done)."""
        if self.done():
            return read_json(self.path)
        cfg, spec = self.cfg, self.spec
        config = training_config(cfg, spec, Path("unused"))
        model = load_model(cfg.base_model, max_seq_length=config.training.max_seq_length)
        evaluator = evaluator_for(config, validation_data(config), model, select_metric=cfg.select_metric)
        row = {"run": f"base ({spec.train})", "train": spec.train, "kind": "base",
               **measures(evaluator(model), VALIDATION_PREFIX)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json(self.path, row)
        return row


class WiseValidationStep:
    """Validation retrieval of the run's WiSE-FT merges with the base at each of ``wise_lambdas``, cached
    row by row in ``<run>/wise-validation.json``. Done: every λ has its row."""

    def __init__(self, cfg: ExperimentConfig, spec: RunSpec, run: RunFolder):
        self.cfg, self.spec = cfg, spec
        self.path = run.wise_validation
        self.timing_key = run.timing_key(VALIDATION_STEP)

    def _stored(self) -> list[dict[str, Any]]:
        return read_json(self.path) if self.path.is_file() else []

    def done(self) -> bool:
        have = {r["lambda"] for r in self._stored()}
        return all(lam in have for lam in self.cfg.wise_lambdas)

    def run(self, model_dir: Path) -> list[dict[str, Any]]:
        """The rows of ``wise_lambdas`` (the missing ones computed with ``model_dir`` and cached)."""
        cfg, spec = self.cfg, self.spec
        done = self._stored()
        have = {r["lambda"] for r in done}
        todo = [lam for lam in cfg.wise_lambdas if lam not in have]
        if todo:
            names = [cfg.base_model, str(model_dir)]
            base, tuned = load_wise_pair(*names)
            config = training_config(cfg, spec, Path("unused"))
            evaluator = evaluator_for(config, validation_data(config), tuned, select_metric=cfg.select_metric)
            for lam in todo:
                (row,) = lambda_sweep(base, tuned, names, [lam], evaluator)
                done.append({"run": f"{spec.run_id} WiSE λ={lam:g}", "train": spec.train, "kind": "wise",
                             "lambda": lam, **{m: row[m] for m in MEASURES if m in row}})
                write_json(self.path, done)
        return [r for r in done if r["lambda"] in cfg.wise_lambdas]


def write_validation_table(rows: list[dict[str, Any]], folder: Path, select_metric: str) -> None:
    """``validation.md`` / ``validation.json`` in ``folder`` (written whole): every row, best first by
    ``select_metric``."""
    ranked = sorted(rows, key=lambda r: -r.get(select_metric, float("-inf")))
    table = markdown_table(
        ["run", "kind", "step", "Mo.", "Cr.", "Mul.", "(Mo.+Mul.)/2", "rank distance"],
        [[r["run"], r["kind"], r.get("step", MISSING),
          *(f"{r[m]:.4f}" if m in r else MISSING for m in ("mo", "cr", "mul", "mo+mul")),
          f"{r['rank_distance']:.1f}" if "rank_distance" in r else MISSING] for r in ranked])
    lines = [f"# Validation split: retrieval mAP (ranked by {select_metric})", "", *table]
    with atomic_dir(folder) as tmp:
        write_text(tmp / VALIDATION_TABLE, "\n".join(lines) + "\n")
        write_json(tmp / VALIDATION_TABLE_JSON, {"select_metric": select_metric, "rows": ranked})
