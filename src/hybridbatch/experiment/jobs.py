"""The work left in a grid as jobs — one per unfinished step of :mod:`.plan`, with the jobs it waits for —
and the loop that hands them to an executor (:class:`LocalExecutor` here, Ray in :mod:`.ray_executor`).

Jobs and what they wait for (keys are the timing keys, ``<folder>/<step>``):

* ``base/eval-<benchmark>``, ``base/validation-<train>``: nothing;
* ``<run>/train``: nothing (it trains or resumes the run);
* ``<run>/eval-<benchmark>``, ``<run>/wise``, ``<run>/validation-extras``: ``<run>/train`` when the run
  trains now;
* ``<soup>/soup``: the ``train`` jobs of its member runs.

A job writes only inside its own folder (its run's, its soup's, or base/), each output atomically, so a
job killed anywhere leaves its folder as a later run of the same command expects. What spans runs —
timing.json, the summary, the validation table — is written by the caller from the results, once.
A failed job is reported with its run and error; the jobs that wait for it are skipped, the others go on.
"""

from __future__ import annotations

import functools
import logging
import time
import traceback
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.layout import SOUP_STEP, VALIDATION_STEP
from hybridbatch.experiment.plan import GridPlan, RunPlan
from hybridbatch.experiment.steps import EvaluateStep, SoupStep
from hybridbatch.experiment.validation_table import BaseValidationStep, run_row

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One unit of work: ``action()`` runs a step; ``deps`` are the keys of the jobs it waits for."""

    key: str
    owner: str  # the run, soup or "base" it belongs to (named in errors)
    action: Callable[[], object]
    deps: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobResult:
    key: str
    ok: bool
    seconds: float = 0.0
    error: str = ""  # one line naming the run
    skipped: bool = False  # not run: a job it waits for failed
    detail: str = ""  # the traceback of a failure


def _message(job: Job, exc: BaseException) -> str:
    text = " | ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    if not isinstance(exc, HybridbatchError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if job.owner in text else f"{job.key}: {text}"


def execute(job: Job) -> JobResult:
    """Run one job and time it; an exception becomes a failed result (interrupts pass through)."""
    started = time.perf_counter()
    try:
        job.action()
    except Exception as exc:
        return JobResult(job.key, False, time.perf_counter() - started, _message(job, exc),
                         detail=traceback.format_exc())
    return JobResult(job.key, True, time.perf_counter() - started)


def failed(job: Job, error: str, seconds: float = 0.0) -> JobResult:
    """A failed result made outside the job (its worker died)."""
    return JobResult(job.key, False, seconds, error if job.owner in error else f"{job.key}: {error}")


# ---- the actions (module functions of picklable step objects, so that they travel to Ray workers) ----

def _model(run: RunPlan) -> Path:
    model = run.model()
    if model is None:
        raise HybridbatchError("no trained model to evaluate", record=run.spec.run_id)
    return model


def _train(run: RunPlan) -> None:
    run.train.run()


def _evaluate(step: EvaluateStep, run: RunPlan | None, base_model: str) -> None:
    step.run(str(_model(run)) if run is not None else base_model)


def _wise(run: RunPlan) -> None:
    assert run.wise is not None
    run.wise.run(_model(run))


def _wise_validation(run: RunPlan) -> None:
    assert run.wise_validation is not None
    if run_row(run.spec, run.folder) is not None:  # rows only beside a run's own validation retrieval
        run.wise_validation.run(_model(run))


def _base_validation(step: BaseValidationStep) -> None:
    step.run()


def _soup(step: SoupStep) -> None:
    step.run()


def grid_jobs(plan: GridPlan) -> list[Job]:
    """Every job of the steps of ``plan`` that are not done (the rule of :mod:`.plan`), in the order a single
    process runs them: the base model's evaluations and validation rows, then run by run (train,
    evaluations, WiSE-FT), then the soups."""
    cfg = plan.cfg
    jobs = [Job(s.timing_key, "base", functools.partial(_evaluate, s, None, cfg.base_model))
            for s in plan.base if not s.done()]
    jobs += [Job(plan.folder.base.timing_key(step.path.parent.name), "base",
                 functools.partial(_base_validation, step)) for step in plan.base_validations_to_do()]
    trained: dict[str, str] = {}  # run id -> its train job's key (runs that train now)
    for run in plan.runs:
        owner = run.spec.run_id
        after: tuple[str, ...] = ()
        if run.needs_training():
            jobs.append(Job(run.train.timing_key, owner, functools.partial(_train, run)))
            after = trained[owner] = (run.train.timing_key,)
        jobs += [Job(s.timing_key, owner, functools.partial(_evaluate, s, run, cfg.base_model), after)
                 for s in run.evaluations if not s.done()]
        if run.wise is not None and not run.wise.done():
            jobs.append(Job(run.wise.timing_key, owner, functools.partial(_wise, run), after))
        if run.wise_validation_to_do():
            jobs.append(Job(run.folder.timing_key(VALIDATION_STEP), owner,
                            functools.partial(_wise_validation, run), after))
    for soup in plan.soups:
        if soup.missing() or soup.done():
            continue
        deps = tuple(k for r in soup.runs if r is not None for k in trained.get(r.spec.run_id, ()))
        jobs.append(Job(f"{soup.name}/{SOUP_STEP}", soup.name, functools.partial(_soup, soup), deps))
    return jobs


class Executor(Protocol):
    """Runs jobs: ``slots`` jobs at a time at most (None: as many as are ready; the executor queues them)."""

    name: str
    slots: int | None

    def check(self) -> None: ...  # cheap checks of the settings, before anything is read or written
    def start(self) -> None: ...  # connect, check resources; before the first job
    def submit(self, job: Job) -> Hashable: ...
    def wait(self, handles: list[Hashable]) -> list[tuple[Hashable, JobResult]]: ...  # one or more ended
    def close(self) -> None: ...


class LocalExecutor:
    """Today's way: every job in this process, one after the other."""

    name = "local"
    slots = 1

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def check(self) -> None:
        pass

    def start(self) -> None:
        pass

    def submit(self, job: Job) -> str:
        self._jobs[job.key] = job
        return job.key

    def wait(self, handles: list[Hashable]) -> list[tuple[Hashable, JobResult]]:
        key = handles[0]
        return [(key, execute(self._jobs.pop(key)))]  # type: ignore[arg-type]

    def close(self) -> None:
        self._jobs.clear()


def run_jobs(jobs: list[Job], executor: Executor, on_result: Callable[[Job, JobResult], None]) -> dict[str, JobResult]:
    """Hand every job to ``executor`` once the jobs it waits for have succeeded (in list order among those
    ready), skip those waiting for a failed one, and call ``on_result`` as each ends. Returns key → result."""
    known = {j.key for j in jobs}
    waiting = [Job(j.key, j.owner, j.action, tuple(d for d in j.deps if d in known)) for j in jobs]
    results: dict[str, JobResult] = {}
    running: dict[Hashable, Job] = {}
    while waiting or running:
        moved = False
        for job in list(waiting):
            if executor.slots is not None and len(running) >= executor.slots:
                break
            bad = [d for d in job.deps if d in results and not results[d].ok]
            if bad:
                waiting.remove(job)
                results[job.key] = JobResult(job.key, False, error=f"{bad[0]} failed", skipped=True)
                on_result(job, results[job.key])
            elif all(d in results for d in job.deps):
                waiting.remove(job)
                running[executor.submit(job)] = job
            else:
                continue
            moved = True
        if not running:
            if not moved:
                raise RuntimeError(f"jobs wait for each other: {', '.join(j.key for j in waiting)}")
            continue
        for handle, result in executor.wait(list(running)):
            job = running.pop(handle)
            results[job.key] = result
            on_result(job, result)
    return results


def progress_line(result: JobResult, finished: int, total: int) -> str:
    """``[k/N] <key>  12.3 s`` (or ``FAILED after …: <error>``, ``skipped: <dep> failed``)."""
    head = f"[{finished}/{total}] {result.key}"
    if result.skipped:
        return f"{head}  skipped: {result.error}"
    if not result.ok:
        return f"{head}  FAILED after {result.seconds:.1f} s: {result.error}"
    return f"{head}  {result.seconds:.1f} s"
