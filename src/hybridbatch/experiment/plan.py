"""One model of a grid's work, shared by ``experiment --list`` and the run: the steps of every run, the
base model's evaluations and the soups (:mod:`.steps`), and what each run's state is.

A run's outputs are its benchmark evaluations and its WiSE-FT evaluations (``evaluate_wise``); a grid
without evaluation benchmarks (validation only) has the trained model itself as its output. Then:

* the run is **trained** iff it has no model (its own or a reused one) and some output is not done — a run
  whose evaluations are all finished is not trained again, even without its model folder;
* its WiSE-FT validation rows (``wise_lambdas``) are **to do** iff some are missing, the run has a model
  or trains now, and it logs validation retrieval (``train/validation.jsonl`` exists, or it trains now with
  a config that writes it) — the rows sit beside that history and are not made without it;
* the run is **done** iff it needs no training, every output is done and no WiSE-FT validation row is to do.

This is the one rule: ``experiment --list`` prints it and :func:`hybridbatch.experiment.jobs.grid_jobs`
makes jobs of what it leaves, for either executor.

Everything here reads the experiment folder (and the training config files) only, never a dataset.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hybridbatch.experiment.config import ExperimentConfig, RunSpec, expand_grid, training_config
from hybridbatch.experiment.layout import ExperimentFolder, soup_name
from hybridbatch.experiment.records import run_settings
from hybridbatch.experiment.reuse import warn_missing_models_from
from hybridbatch.experiment.steps import EvaluateStep, SoupStep, TrainStep, WiseEvaluateStep
from hybridbatch.experiment.validation_table import BaseValidationStep, WiseValidationStep, run_row

BASE_EXTRA = {"label": "base (untrained)", "run_id": "base"}
"""What the base model's evaluations record as ``extra``."""


class RunPlan:
    """Every step of one run: train, one evaluation per benchmark, the WiSE-FT evaluation and the WiSE-FT
    validation rows (when configured)."""

    def __init__(self, cfg: ExperimentConfig, spec: RunSpec, experiment: ExperimentFolder):
        self.cfg, self.spec = cfg, spec
        self.folder = experiment.run(spec.run_id)
        self.extra, self.settings = run_settings(cfg, spec)
        self.train = TrainStep(cfg, spec, self.folder, self.settings)
        self.evaluations = [EvaluateStep(cfg, self.folder, b, self.extra) for b in cfg.evaluate.benchmarks]
        self.wise = (WiseEvaluateStep(cfg, spec, self.folder, cfg.evaluate_wise)
                     if cfg.evaluate_wise is not None else None)
        self.wise_validation = WiseValidationStep(cfg, spec, self.folder) if cfg.wise_lambdas else None

    def model(self) -> Path | None:
        """The model the run's evaluations use (its own or a reused one), or None."""
        return self.train.model()

    def outputs_done(self) -> bool:
        """Whether every benchmark and WiSE-FT evaluation is finished (with no benchmark: the model exists)."""
        if not self.cfg.evaluate.benchmarks:
            return self.model() is not None
        return all(s.done() for s in self.evaluations) and (self.wise is None or self.wise.done())

    def needs_training(self) -> bool:
        """Whether running the grid now would train this run."""
        return self.model() is None and not self.outputs_done()

    def logs_validation(self) -> bool:
        """Whether the run has validation retrieval rows (``train/validation.jsonl``) or will have them
        once it trains now (its training selects on a retrieval measure or asks for
        ``retrieval_validation``)."""
        if run_row(self.spec, self.folder) is not None:
            return True
        if not self.needs_training():
            return False
        t = training_config(self.cfg, self.spec, Path("unused")).training
        return t.select_metric != "loss" or t.retrieval_validation

    def wise_validation_to_do(self) -> bool:
        """Whether the run's WiSE-FT validation rows are to do (see the module doc)."""
        if self.wise_validation is None or self.wise_validation.done():
            return False
        if self.model() is None and not self.needs_training():
            return False
        return self.logs_validation()

    def done(self) -> bool:
        """Whether running the grid now would do nothing for this run."""
        return self.outputs_done() and not self.wise_validation_to_do()

    def state(self) -> str:
        """done | trained, evaluations to do | reuses PATH | training (checkpoint-N) | to do."""
        if self.done():
            return "done"
        reused = self.train.reused()
        if self.train.own_model() is not None or (reused is not None and reused == self.folder.recorded_model()):
            return "trained, evaluations to do"
        if reused is not None:
            return f"reuses {reused}"
        step = self.train.progress()
        return f"training (checkpoint-{step})" if step is not None else "to do"


class GridPlan:
    """The steps of a grid in ``out``: the base model's evaluations, every run of ``runs`` (default: the
    whole grid) and the soups of those runs."""

    def __init__(self, cfg: ExperimentConfig, out: Path, runs: list[RunSpec] | None = None):
        self.cfg = cfg
        self.folder = ExperimentFolder(Path(out))
        self.base = ([EvaluateStep(cfg, self.folder.base, b, dict(BASE_EXTRA)) for b in cfg.evaluate.benchmarks]
                     if cfg.include_base else [])
        self.runs = [RunPlan(cfg, spec, self.folder) for spec in (expand_grid(cfg) if runs is None else runs)]
        self.soups = list(self._soups())

    def _soups(self) -> Iterator[SoupStep]:
        """Per configured soup and per (training set, seed) of the runs: its step."""
        for members in self.cfg.soups:
            for train, seed in dict.fromkeys((r.spec.train, r.spec.seed) for r in self.runs):
                runs = [next((r for r in self.runs if (r.spec.train, r.spec.seed, r.spec.strategy) == (train, seed, s)),
                             None) for s in members]
                name = soup_name(members, seed, train, name_train=len(self.cfg.train) != 1)
                yield SoupStep(self.cfg, self.folder.soup(name), members, runs, train, seed)

    def base_validations_to_do(self) -> list[BaseValidationStep]:
        """The base model's validation rows to do: one per training set (with ``include_base``) whose row is
        not cached and whose runs include one that logs validation retrieval."""
        if not self.cfg.include_base:
            return []
        steps = []
        for train in dict.fromkeys(r.spec.train for r in self.runs):
            runs = [r for r in self.runs if r.spec.train == train]
            step = BaseValidationStep(self.cfg, runs[0].spec, self.folder)
            if not step.done() and any(r.logs_validation() for r in runs):
                steps.append(step)
        return steps

    def states(self) -> list[tuple[str, str]]:
        """(run id, :meth:`RunPlan.state`) of every run, then (soup name, :meth:`SoupStep.state`)."""
        return [(r.spec.run_id, r.state()) for r in self.runs] + [(s.name, s.state()) for s in self.soups]


def run_states(cfg: ExperimentConfig, out: Path) -> list[tuple[str, str]]:
    """``experiment --list``: (name, state) of every run of the grid in ``out``, then of every soup. Reads
    the experiment folder and the training config files only; writes nothing."""
    warn_missing_models_from(cfg)
    return GridPlan(cfg, out).states()
