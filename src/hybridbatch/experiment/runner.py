"""Run a grid (see :mod:`.config`): for each run leakage check → train → evaluate (cached) → record, then
one generated summary for the grid.

Every run has its own folder with its resolved configuration; a finished step is never redone, so an
interrupted grid continues where it stopped when the same command is run again. What is left is decided
by the step objects of :mod:`.plan` — the same ones ``experiment --list`` asks. Training and evaluation
are library calls; their errors arrive as exceptions naming the run.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.config import to_dict
from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import ExperimentConfig, RunSpec, expand_grid
from hybridbatch.experiment.layout import (
    VALIDATION_STEP,
    VALIDATION_TABLE,
    EvalFolder,
    ExperimentFolder,
    experiment_path,
)
from hybridbatch.experiment.plan import GridPlan, RunPlan
from hybridbatch.experiment.records import check_same_settings
from hybridbatch.experiment.reuse import warn_missing_models_from
from hybridbatch.experiment.validation_table import BaseValidationStep, run_row, write_validation_table
from hybridbatch.outputs import check_output_dir, provenance, write_json
from hybridbatch.reporting.compare import load_record, write_comparison
from hybridbatch.reporting.studies import write_studies

log = logging.getLogger(__name__)


def check_before_work(cfg: ExperimentConfig, out: Path, only: list[str] | None) -> list[RunSpec]:
    """The runs to do; raises before anything is written when the experiment folder cannot be written,
    ``only`` names an unknown run or an evaluation benchmark cannot be read."""
    check_output_dir(out, "--out")
    runs = expand_grid(cfg)
    if only:
        unknown = sorted(set(only) - {r.run_id for r in runs})
        if unknown:
            raise HybridbatchError(f"--only names unknown run(s) {', '.join(unknown)}; the grid has "
                                   f"{', '.join(r.run_id for r in runs)}")
        runs = [r for r in runs if r.run_id in only]
    warn_missing_models_from(cfg)
    unknown = sorted(set(cfg.evaluate.benchmark_languages) - set(cfg.evaluate.benchmarks))
    if unknown:
        raise HybridbatchError(f"evaluate.benchmark_languages names {', '.join(unknown)}, not in evaluate.benchmarks",
                               path=cfg.source or None)
    for bench in cfg.evaluate.benchmarks:
        try:
            load_benchmark(bench, languages=cfg.evaluate.benchmark_languages.get(bench, cfg.evaluate.languages))
        except HybridbatchError as exc:
            raise HybridbatchError(f"evaluate.benchmarks: {exc}", path=cfg.source or None) from None
    return runs


class _Timing:
    """timing.json: seconds per step, recorded the first time a step does work (never overwritten)."""

    def __init__(self, folder: ExperimentFolder):
        self.path = folder.timing
        self.values: dict[str, float] = folder.read_timing()

    def record(self, key: str, started: float) -> None:
        self.values.setdefault(key, round(time.perf_counter() - started, 1))

    def save(self) -> None:
        write_json(self.path, self.values)


def run_experiment(cfg: ExperimentConfig, out: Path | None = None, *, only: list[str] | None = None) -> Path:
    """Run every unfinished step of the grid (``only``: of those runs), then write ``<out>/summary`` (and
    ``<out>/summary-validation`` when runs logged validation retrieval); returns ``out``."""
    out = experiment_path(out, cfg.out, cfg.name)
    plan = GridPlan(cfg, out, check_before_work(cfg, out, only))
    out.mkdir(parents=True, exist_ok=True)
    write_json(plan.folder.record, provenance(to_dict(cfg)))
    timing = _Timing(plan.folder)
    eval_dirs: list[EvalFolder] = []
    validation_rows: list[dict[str, Any]] = []
    base_rows: dict[str, dict[str, Any] | None] = {}
    for step in plan.base:
        started, pending = time.perf_counter(), not step.done()
        step.run(cfg.base_model)  # a finished evaluation is checked against the settings, not redone
        if pending:  # a finished evaluation found again is not timed
            timing.record(step.timing_key, started)
        eval_dirs.append(step.folder)
    for run in plan.runs:
        eval_dirs += _run_one(run, plan, timing, validation_rows, base_rows)
        timing.save()
    for soup in plan.soups:
        soup.run()
        eval_dirs += soup.finished()
    timing.save()
    if validation_rows:
        write_validation_table(validation_rows, plan.folder.validation_summary, cfg.select_metric)
        log.info("validation table: %s", plan.folder.validation_summary / VALIDATION_TABLE)
    if eval_dirs:
        records = [load_record(d.path) for d in eval_dirs]
        seen = set(cfg.seen_languages) if cfg.seen_languages else None
        write_comparison(records, plan.folder.summary, seen_languages=seen, title=f"Experiment {cfg.name}")
        write_studies(records, plan.folder.summary)
        log.info("summary: %s", plan.folder.summary_file)
    return out


def _run_one(run: RunPlan, plan: GridPlan, timing: _Timing, validation_rows: list[dict[str, Any]],
             base_rows: dict[str, dict[str, Any] | None]) -> list[EvalFolder]:
    """Record the run's settings, train it when needed, add its validation rows, evaluate what is left;
    returns its finished evaluation folders."""
    run.folder.path.mkdir(exist_ok=True)
    check_same_settings(run.folder, run.settings)
    reused = run.train.reused()
    write_json(run.folder.record, run.settings | ({"model_from": str(reused)} if reused is not None else {}))
    started = time.perf_counter()
    pending = [step for step in run.evaluations if not step.done()]
    wise_pending = run.wise is not None and not run.wise.done()
    if run.needs_training():
        run.train.run()
        timing.record(run.train.timing_key, started)
    model = run.model()
    validation_rows += _validation_rows(run, plan, model, timing, base_rows)
    finished: list[EvalFolder] = []
    for step in run.evaluations:
        started = time.perf_counter()
        if step in pending:
            step.run(str(model))
            timing.record(step.timing_key, started)
        finished.append(step.folder)
    if run.wise is not None:
        started = time.perf_counter()
        run.wise.run(model)
        finished += run.wise.finished()
        if wise_pending:
            timing.record(run.wise.timing_key, started)
    return finished


def _validation_rows(run: RunPlan, plan: GridPlan, model: Path | None, timing: _Timing,
                     base_rows: dict[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The run's validation row, its WiSE-FT rows and (once per training set) the base model's row; none
    when the run logged no validation retrieval."""
    row = run_row(run.spec, run.folder)
    if row is None:
        return []
    rows: list[dict[str, Any] | None] = [row]
    started = time.perf_counter()
    if plan.cfg.include_base and run.spec.train not in base_rows:
        base_rows[run.spec.train] = BaseValidationStep(plan.cfg, run.spec, plan.folder).run()
        rows.append(base_rows[run.spec.train])
    if run.wise_validation is not None and model is not None:
        rows += run.wise_validation.run(model)
    timing.record(run.folder.timing_key(VALIDATION_STEP), started)
    return [r for r in rows if r is not None and "run" in r]
