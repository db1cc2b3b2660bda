"""The steps of a grid: train a run, evaluate a model on a benchmark, evaluate a run's WiSE-FT merge,
evaluate a soup. Each step knows whether it is done — from the experiment folder alone
(:mod:`.layout`), never from data — and how to run. ``experiment --list`` and the run ask the same step
objects (:mod:`.plan`), so they cannot disagree about what is left.

Merged models (WiSE-FT, soups) are built in memory and never saved; their vectors go through the
embedding cache under the merged weights' identity.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.config import ExperimentConfig, RunSpec, training_config
from hybridbatch.experiment.evaluations import evaluate_in_memory, evaluate_into
from hybridbatch.experiment.layout import TRAIN_STEP, WISE_STEP, EvalFolder, RunFolder, eval_name, wise_name
from hybridbatch.experiment.reuse import reused_model
from hybridbatch.merging.soup import load_soup
from hybridbatch.merging.wise import load_wise_pair, wise_merge
from hybridbatch.mining.command import ensure_negatives


class MemberRun(Protocol):
    """What a soup needs of a member run (:class:`~.plan.RunPlan`)."""

    spec: RunSpec

    def model(self) -> Path | None: ...


def _pending(folders: dict[str, EvalFolder]) -> dict[str, EvalFolder]:
    return {b: f for b, f in folders.items() if not f.finished()}


class EvaluateStep:
    """Evaluate a model folder on one benchmark into one evaluation folder. Done: the folder is finished."""

    def __init__(self, cfg: ExperimentConfig, owner: RunFolder, benchmark: str, extra: dict[str, Any]):
        self.cfg, self.benchmark, self.extra = cfg, benchmark, extra
        self.folder = owner.evaluation(benchmark)
        self.timing_key = owner.timing_key(eval_name(benchmark))

    def done(self) -> bool:
        return self.folder.finished()

    def run(self, model: str) -> None:
        """Evaluate ``model`` ("default" or a folder); a finished folder is only checked against the
        experiment's evaluation settings (:func:`~.evaluations.check_same_evaluation`)."""
        evaluate_into(self.folder, self.cfg, model, self.benchmark, self.extra)


class TrainStep:
    """Train (or resume) one run into ``<run>/train`` — unless another grid's model is reused
    (:mod:`.reuse`). Done: the run's own model folder is complete."""

    def __init__(self, cfg: ExperimentConfig, spec: RunSpec, run: RunFolder, settings: dict[str, Any]):
        self.cfg, self.spec, self.folder, self.settings = cfg, spec, run, settings
        self.timing_key = run.timing_key(TRAIN_STEP)
        self._reused: tuple[Path | None] | None = None

    def done(self) -> bool:
        return self.own_model() is not None

    def own_model(self) -> Path | None:
        """The run's own complete model folder, or None."""
        return self.folder.train.ready_model()

    def reused(self) -> Path | None:
        """The model reused from ``models_from`` when the run has no model of its own (decided once)."""
        if self.own_model() is not None:
            return None
        if self._reused is None:
            self._reused = (reused_model(self.cfg, self.spec, self.settings),)
        return self._reused[0]

    def model(self) -> Path | None:
        """The model the run's evaluations use: its own, else the reused one, else None."""
        return self.own_model() or self.reused()

    def progress(self) -> int | None:
        """The step of the newest complete checkpoint of an unfinished training, or None."""
        steps = self.folder.train.checkpoint_steps()
        return max(steps) if steps else None

    def run(self) -> Path:
        """Train (continuing from the newest checkpoint when there is one); returns the model folder.
        Errors name the run."""
        from hybridbatch.training.trainer import train  # deferred: torch

        done = self.own_model()
        if done is not None:
            return done
        train_dir = self.folder.train.path
        try:
            config = training_config(self.cfg, self.spec, train_dir)
            resume = "latest" if train_dir.exists() else None
            config, _ = ensure_negatives(config)
            train(config, resume=resume)
        except HybridbatchError as exc:
            raise HybridbatchError(f"training failed: {exc}", record=self.spec.run_id) from exc
        model = self.own_model()
        if model is None:
            raise HybridbatchError(f"training ended without a saved model; see {train_dir}", record=self.spec.run_id)
        return model


class WiseEvaluateStep:
    """Evaluate the run's WiSE-FT merge with the base model at ``evaluate_wise`` λ on every benchmark, in
    ``<run>/wise<λ>/eval-<benchmark>``, labelled ``<run label> + WiSE λ``. Done: every folder finished."""

    def __init__(self, cfg: ExperimentConfig, spec: RunSpec, run: RunFolder, lam: float):
        self.cfg, self.spec, self.lam = cfg, spec, lam
        self.folders = {b: run.wise_evaluation(lam, b) for b in cfg.evaluate.benchmarks}
        self.timing_key = run.timing_key(WISE_STEP)

    def done(self) -> bool:
        return not _pending(self.folders)

    def finished(self) -> list[EvalFolder]:
        return [f for f in self.folders.values() if f.finished()]

    def run(self, model_dir: Path | None) -> None:
        """Evaluate the unfinished folders (nothing without a model)."""
        todo = _pending(self.folders)
        if not todo or model_dir is None:
            return
        spec, lam, base_name = self.spec, self.lam, self.cfg.base_model
        base, tuned = load_wise_pair(base_name, str(model_dir))
        merged = wise_merge(base, tuned, [base_name, str(model_dir)], lam)
        extra = {"label": f"{spec.label} + WiSE λ={lam:g}", "run_id": f"{spec.run_id}/{wise_name(lam)}",
                 "strategy": f"{spec.strategy}+wise", "seed": spec.seed, "train": spec.train, "wise_lambda": lam}
        evaluate_in_memory(merged, f"wise:{lam:g}:{base_name}+{model_dir}", self.cfg, todo, extra)


class SoupStep:
    """Evaluate the uniform average of one training set's and seed's runs of the ``members`` strategies in
    ``soup-<members>-s<seed>[-<train>]/eval-<benchmark>``, labelled ``soup(<members>)``. Done: every folder
    finished; not made: a member strategy has no run with that seed and training set."""

    def __init__(self, cfg: ExperimentConfig, folder: RunFolder, members: list[str],
                 runs: list[MemberRun | None], train: str, seed: int):
        self.cfg, self.name, self.members, self.runs = cfg, folder.name, members, runs
        self.train, self.seed = train, seed
        self.folders = {b: folder.evaluation(b) for b in cfg.evaluate.benchmarks}

    def missing(self) -> list[str]:
        """The member strategies without a run (the soup is not made)."""
        return [m for m, r in zip(self.members, self.runs) if r is None]

    def done(self) -> bool:
        return not _pending(self.folders)

    def state(self) -> str:
        """done | to do | not made: no <strategy> run with seed <seed> on <train>."""
        missing = self.missing()
        if missing:
            return f"not made: no {', '.join(missing)} run with seed {self.seed} on {self.train}"
        return "done" if self.done() else "to do"

    def finished(self) -> list[EvalFolder]:
        return [f for f in self.folders.values() if f.finished()]

    def run(self) -> None:
        """Evaluate the unfinished folders when every member run has a model (else nothing)."""
        todo = _pending(self.folders)
        runs = [r for r in self.runs if r is not None]
        models = [r.model() for r in runs]
        if not todo or len(runs) < len(self.runs) or any(m is None for m in models):
            return
        merged, _ = load_soup([str(m) for m in models])
        extra = {"label": f"soup({'+'.join(self.members)})", "run_id": self.name, "strategy": "soup",
                 "seed": self.seed, "train": self.train, "members": [r.spec.run_id for r in runs]}
        evaluate_in_memory(merged, f"soup:{'+'.join(str(m) for m in models)}", self.cfg, todo, extra)
