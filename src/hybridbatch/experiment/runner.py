"""Run a grid (see :mod:`.config`): for each run leakage check → train → evaluate (cached) → record, then
one generated summary for the grid.

Every run has its own folder with its resolved configuration; a finished step is never redone, so an
interrupted grid continues where it stopped when the same command is run again, under either executor.
What is left is decided by the step objects of :mod:`.plan` — the same ones ``experiment --list`` asks —
and becomes jobs (:mod:`.jobs`) that an executor runs: in this process one after the other
(:class:`~.jobs.LocalExecutor`) or as Ray tasks (:mod:`.ray_executor`). This process holds the folder's
lock (:mod:`.lock`), writes experiment.json, the runs' run.json and timing.json, prints one line per
finished job, and writes the summary once, at the end. A failed job is reported with its run; the others
go on, and the command then fails naming every failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.config import to_dict
from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import ExperimentConfig, RunSpec, expand_grid, training_config
from hybridbatch.experiment.jobs import (
    Executor,
    Job,
    JobResult,
    LocalExecutor,
    grid_jobs,
    progress_line,
    run_jobs,
)
from hybridbatch.experiment.layout import VALIDATION_TABLE, EvalFolder, ExperimentFolder, experiment_path
from hybridbatch.experiment.lock import ExperimentLock, describe
from hybridbatch.experiment.plan import GridPlan, RunPlan
from hybridbatch.experiment.records import check_same_settings
from hybridbatch.experiment.reuse import warn_missing_models_from
from hybridbatch.experiment.validation_table import BaseValidationStep, run_row, write_validation_table
from hybridbatch.models.loading import default_model_path
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


def _check_finished(plan: GridPlan) -> None:
    """Before any job: every run folder belongs to its run, and every finished base evaluation was made
    with the experiment's evaluation settings (raises naming the folder)."""
    for run in plan.runs:
        check_same_settings(run.folder, run.settings)
    for step in plan.base:
        if step.done():
            step.run(plan.cfg.base_model)  # a finished evaluation is only checked, never redone


def _record_run(run: RunPlan) -> None:
    """The run's run.json: its settings and, when it evaluates another grid's model, which one."""
    run.folder.path.mkdir(exist_ok=True)
    reused = run.train.reused()
    write_json(run.folder.record, run.settings | ({"model_from": str(reused)} if reused is not None else {}))


def _prepare_default_model(plan: GridPlan) -> None:
    """Convert the embedded default model once, here, before parallel jobs would each start converting it."""
    if plan.cfg.base_model == "default" or any(
            training_config(plan.cfg, r.spec, Path("unused")).model == "default" for r in plan.runs if r.needs_training()):
        default_model_path()


def run_experiment(cfg: ExperimentConfig, out: Path | None = None, *, only: list[str] | None = None,
                   executor: Executor | None = None, progress: Callable[[str], None] | None = None,
                   summarise: bool = True) -> Path:
    """Run every unfinished step of the grid (``only``: of those runs) with ``executor`` (default: this
    process), then, with ``summarise``, write ``<out>/summary`` (and ``<out>/summary-validation`` when runs
    logged validation retrieval); returns ``out``. ``progress`` gets one line per finished job (default: the log). Raises
    :class:`HybridbatchError` before anything is written on bad input, when another process holds the
    folder, or when the executor cannot start; and after the summary when a job failed."""
    executor = executor or LocalExecutor()
    say = progress or (lambda line: log.info("%s", line))
    out = experiment_path(out, cfg.out, cfg.name)
    executor.check()
    runs = check_before_work(cfg, out, only)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    folder = ExperimentFolder(out)
    lock = ExperimentLock(folder.lock)
    try:
        lock.acquire()
        if lock.taken_over:
            log.warning("took over the lock of %s (no longer running)", describe(lock.taken_over))
        plan = GridPlan(cfg, out, runs)
        _check_finished(plan)
        executor.start()
    except BaseException:
        executor.close()
        lock.release()
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    try:
        write_json(folder.record, provenance(to_dict(cfg)))
        if executor.slots != 1:
            _prepare_default_model(plan)
        for run in plan.runs:
            _record_run(run)
        results = _run(plan, executor, say)
        executor.close()
        if summarise:
            _summarise(plan)  # still under the lock: the summary is the grid's, written once
    finally:
        executor.close()
        lock.release()
    failures = [r.error for r in results.values() if not r.ok and not r.skipped]
    if failures:
        skipped = sum(r.skipped for r in results.values())
        raise HybridbatchError(f"{len(failures)} of {len(results)} steps failed" +
                               (f" and {skipped} waiting for them were skipped" if skipped else "") +
                               "; the others are finished, rerun the same command to continue:\n" + "\n".join(failures))
    return out


def _run(plan: GridPlan, executor: Executor, say: Callable[[str], None]) -> dict[str, JobResult]:
    """Run the plan's jobs; one progress line per ended job; timing.json after each successful one."""
    jobs = grid_jobs(plan)
    timing = plan.folder.read_timing()
    ended = 0

    def on_result(job: Job, result: JobResult) -> None:
        nonlocal ended
        ended += 1
        say(progress_line(result, ended, len(jobs)))
        if result.detail:
            log.info("%s failed:\n%s", job.key, result.detail)
        if result.ok:
            timing.setdefault(job.key, round(result.seconds, 1))  # the first time a step did work, kept
            write_json(plan.folder.timing, timing)

    return run_jobs(jobs, executor, on_result)


def _summarise(plan: GridPlan) -> None:
    """The validation table and the summary of every finished evaluation of the plan (written once)."""
    cfg = plan.cfg
    eval_dirs: list[EvalFolder] = [s.folder for s in plan.base if s.done()]
    for run in plan.runs:
        eval_dirs += [s.folder for s in run.evaluations if s.done()]
        if run.wise is not None:
            eval_dirs += run.wise.finished()
    for soup in plan.soups:
        eval_dirs += soup.finished()
    validation_rows = _validation_rows(plan)
    if validation_rows:
        write_validation_table(validation_rows, plan.folder.validation_summary, cfg.select_metric)
        log.info("validation table: %s", plan.folder.validation_summary / VALIDATION_TABLE)
    if eval_dirs:
        records = [load_record(d.path) for d in eval_dirs]
        seen = set(cfg.seen_languages) if cfg.seen_languages else None
        write_comparison(records, plan.folder.summary, seen_languages=seen, title=f"Experiment {cfg.name}")
        write_studies(records, plan.folder.summary)
        log.info("summary: %s", plan.folder.summary_file)


def _validation_rows(plan: GridPlan) -> list[dict[str, Any]]:
    """Each run's validation row, its WiSE-FT rows and (once per training set) the base model's row, as
    the jobs left them; none for a run that logged no validation retrieval. Reads only."""
    rows: list[dict[str, Any]] = []
    base_done: set[str] = set()
    for run in plan.runs:
        row = run_row(run.spec, run.folder)
        if row is None:
            continue
        rows.append(row)
        base = BaseValidationStep(plan.cfg, run.spec, plan.folder)
        if plan.cfg.include_base and run.spec.train not in base_done and base.done():
            base_done.add(run.spec.train)
            rows.append(base.run())  # done: read from its file
        model = run.model()
        if run.wise_validation is not None and model is not None and run.wise_validation.done():
            rows += run.wise_validation.run(model)  # done: read from its file
    return [r for r in rows if "run" in r]
