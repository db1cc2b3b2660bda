"""Run a grid (see :mod:`.config`): for each run leakage check → train → evaluate (cached) → record, then
one generated summary for the grid.

Every run has its own folder with its resolved configuration; a finished step is never redone, so an
interrupted grid continues where it stopped when the same command is run again. Training and evaluation
are library calls; their errors arrive as exceptions naming the run.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any

from hybridbatch.config import to_dict
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.runner import EvaluationConfig, run_evaluation
from hybridbatch.experiment.config import ExperimentConfig, RunSpec, expand_grid, training_config
from hybridbatch.experiment.merges import evaluate_soups, evaluate_wise, wise_folders
from hybridbatch.outputs import provenance, write_json

log = logging.getLogger(__name__)
# evaluation settings that must match for a finished evaluation to be reused
SAME_EVALUATION_KEYS = ("benchmark", "languages", "candidate_text", "max_seq_length", "precision", "perturb",
                        "perturb_seed")
# what a config.json written before a key existed means by its absence
STORED_DEFAULTS: dict[str, Any] = {"precision": "fp32", "perturb": [], "perturb_seed": 0}


def _model_ready(train_dir: Path) -> Path | None:
    model = train_dir / "model"
    return model if (model / "modules.json").is_file() else None


def model_of_run(run_dir: Path) -> Path | None:
    """The run's trained model: its own, or the one it reuses (``model_from`` in run.json)."""
    own = _model_ready(run_dir / "train")
    if own is not None or not (run_dir / "run.json").is_file():
        return own
    reused = json.loads((run_dir / "run.json").read_text(encoding="utf-8")).get("model_from")
    return _model_ready(Path(reused).parent) if reused else None


def train_run(spec: RunSpec, cfg: ExperimentConfig, run_dir: Path) -> Path:
    """Train (or resume) one run; returns the saved model folder."""
    from hybridbatch.training.trainer import train

    train_dir = run_dir / "train"
    done = _model_ready(train_dir)
    if done:
        return done
    try:
        config = training_config(cfg, spec, train_dir)
        train(config, resume="latest" if train_dir.exists() else None)
    except HybridbatchError as exc:
        raise HybridbatchError(f"training failed: {exc}", record=spec.run_id) from exc
    model = _model_ready(train_dir)
    if model is None:
        raise HybridbatchError(f"training ended without a saved model; see {train_dir}", record=spec.run_id)
    return model


def evaluation_config(cfg: ExperimentConfig, model: str, benchmark: str, extra: dict[str, Any]) -> EvaluationConfig:
    """The evaluation of ``model`` on ``benchmark`` with the experiment's evaluation settings."""
    device = cfg.device if cfg.evaluate.device == "auto" else cfg.evaluate.device
    fields: dict[str, Any] = {"benchmark": benchmark, "model": model, "extra": extra, "device": device}
    if benchmark in cfg.evaluate.benchmark_languages:
        fields["languages"] = list(cfg.evaluate.benchmark_languages[benchmark])
    return EvaluationConfig.from_settings(cfg.evaluate, **fields)


def evaluate_run(model: str, benchmark: str, cfg: ExperimentConfig, out: Path, extra: dict[str, Any]) -> None:
    """Evaluate one model on one benchmark unless that evaluation is already finished."""
    eval_cfg = evaluation_config(cfg, model, benchmark, extra)
    if (out / "results.json").is_file():
        check_same_evaluation(out, eval_cfg)
        return
    run_evaluation(eval_cfg, out)


def check_same_evaluation(out: Path, eval_cfg: EvaluationConfig) -> None:
    """A finished evaluation is reused only if it was made with the same evaluation settings (precision as
    resolved on this machine: ``auto`` that means fp32 here does not reuse a bf16 evaluation)."""
    from hybridbatch.evaluation.runner import resolve_hardware

    eval_cfg = resolve_hardware(eval_cfg)
    try:
        stored = json.loads((out / "config.json").read_text(encoding="utf-8"))["config"]
    except (OSError, ValueError, KeyError) as exc:
        raise HybridbatchError(f"finished evaluation without a readable config.json ({exc})", path=out) from exc
    for key in SAME_EVALUATION_KEYS:
        want, have = getattr(eval_cfg, key), stored.get(key, STORED_DEFAULTS.get(key))
        if want != have:
            raise HybridbatchError(f"finished evaluation was made with {key}={have!r}, the experiment asks for "
                                   f"{want!r}; use another --out or delete the folder", path=out)


def warn_missing_models_from(cfg: ExperimentConfig) -> None:
    if cfg.models_from and not Path(cfg.models_from).is_dir():
        log.warning("models_from %s is not a folder (relative paths start at %s): every run is trained here",
                    cfg.models_from, Path.cwd())


def reused_model(cfg: ExperimentConfig, spec: RunSpec, settings: dict[str, Any]) -> Path | None:
    """The trained model of the same run in ``cfg.models_from``: one made with the same training config
    text, experiment overrides and run overrides — or, for a training-language subset that keeps every item
    of the dataset (k = all its languages), the unrestricted run of that strategy and seed. None: train here."""
    if not cfg.models_from:
        return None
    found = _matching_model(Path(cfg.models_from) / spec.run_id, settings)
    if found is None and spec.languages is not None:
        plain = dataclasses.replace(spec, languages=None, language_dataset=None)
        other = Path(cfg.models_from) / plain.run_id
        if _model_ready(other / "train") is not None and _same_training_items(cfg, spec, plain):
            found = _matching_model(other, run_settings(cfg, plain)[1])
    return found


def _matching_model(other: Path, settings: dict[str, Any]) -> Path | None:
    model = _model_ready(other / "train")
    if model is None or not (other / "run.json").is_file():
        return None
    before = json.loads((other / "run.json").read_text(encoding="utf-8"))
    same = all(before.get(key) == settings[key] for key in ("train_config", "train_overrides", "run_overrides"))
    if not same:
        log.info("not reusing %s (trained with other settings)", model)
    return model.resolve() if same else None


def _same_training_items(cfg: ExperimentConfig, spec: RunSpec, plain: RunSpec) -> bool:
    """Whether the run's language subset leaves its training data exactly as the unrestricted run's."""
    from hybridbatch.training.data import load_datasets

    a = load_datasets(training_config(cfg, spec, Path("unused")))
    b = load_datasets(training_config(cfg, plain, Path("unused")))
    return [ps.items for ps in a] == [ps.items for ps in b]


def check_same_settings(path: Path, settings: dict[str, Any]) -> None:
    """A run folder is reused only by the same run: same training config text and overrides."""
    if not path.is_file():
        return
    before = json.loads(path.read_text(encoding="utf-8"))
    for key in ("train_config", "train_overrides"):
        if key in before and before[key] != settings[key]:
            raise HybridbatchError(f"this run was made with another {key.replace('_', ' ')}; use a new --out "
                                   "or remove the run folder", path=path.parent)


def check_before_work(cfg: ExperimentConfig, out: Path, only: list[str] | None) -> list[RunSpec]:
    """The runs to do; raises before anything is written when the experiment folder cannot be written,
    ``only`` names an unknown run or an evaluation benchmark cannot be read."""
    from hybridbatch.data.registry import load_benchmark
    from hybridbatch.outputs import check_output_dir

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


def run_settings(cfg: ExperimentConfig, spec: RunSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what each evaluation of the run records as ``extra``, what run.json records)."""
    extra = {"label": spec.label, "run_id": spec.run_id, "strategy": spec.strategy, "alpha": spec.alpha,
             "seed": spec.seed, "train": spec.train}
    run_overrides = dict(spec.settings)
    if spec.languages is not None:  # the train_languages axis: recorded with the run and its evaluations
        extra["train_languages"] = run_overrides["train_languages"] = list(spec.languages)
    settings = {**extra, "train_config": Path(cfg.train[spec.train]).read_text(encoding="utf-8"),
                "train_overrides": cfg.train_overrides, "run_overrides": run_overrides}
    return extra, settings


def run_states(cfg: ExperimentConfig, out: Path) -> list[tuple[str, str]]:
    """(run id, state) for every run of the grid in ``out``: done | trained, evaluations to do | training
    (checkpoint-N) | reuses PATH | to do; then every soup's (name, state) (:func:`~hybridbatch.experiment.merges.soup_states`).
    Reads the folders only; writes nothing."""
    warn_missing_models_from(cfg)
    states = []
    for spec in expand_grid(cfg):
        run_dir = out / spec.run_id
        evals = [run_dir / f"eval-{b}" / "results.json" for b in cfg.evaluate.benchmarks]
        evals += [f / "results.json" for f in wise_folders(cfg, run_dir).values()]
        model = model_of_run(run_dir)
        reused = None if model else reused_model(cfg, spec, run_settings(cfg, spec)[1])
        steps = [int(c.name[11:]) for c in (run_dir / "train" / "checkpoints").glob("checkpoint-*")
                 if c.name[11:].isdigit()]
        if evals and all(f.is_file() for f in evals):
            state = "done"
        elif model is not None:
            state = "trained, evaluations to do"
        elif reused is not None:
            state = f"reuses {reused}"
        elif steps:
            state = f"training (checkpoint-{max(steps)})"
        else:
            state = "to do"
        states.append((spec.run_id, state))
    from hybridbatch.experiment.merges import soup_states

    return states + soup_states(cfg, expand_grid(cfg), out)


def run_experiment(cfg: ExperimentConfig, out: Path | None = None, *, only: list[str] | None = None) -> Path:
    """Run every unfinished step of the grid, then write ``<out>/summary``; returns ``out``."""
    from hybridbatch.reporting.compare import load_record, write_comparison

    out = Path(out or cfg.out or f"runs/{cfg.name}")
    runs = check_before_work(cfg, out, only)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "experiment.json", provenance(to_dict(cfg)))
    timing_path = out / "timing.json"
    timing: dict[str, float] = json.loads(timing_path.read_text()) if timing_path.is_file() else {}
    eval_dirs: list[Path] = []
    validation_rows: list[dict[str, Any]] = []
    base_rows: list[dict[str, Any]] = []
    if cfg.include_base:
        for bench in cfg.evaluate.benchmarks:
            target = out / "base" / f"eval-{bench}"
            started, pending = time.perf_counter(), not (target / "results.json").is_file()
            evaluate_run(cfg.base_model, bench, cfg, target, {"label": "base (untrained)", "run_id": "base"})
            if pending:  # a finished evaluation found again is not timed
                timing.setdefault(f"base/eval-{bench}", round(time.perf_counter() - started, 1))
            eval_dirs.append(target)
    for spec in runs:
        run_dir = out / spec.run_id
        run_dir.mkdir(exist_ok=True)
        extra, settings = run_settings(cfg, spec)
        check_same_settings(run_dir / "run.json", settings)
        reused = None if _model_ready(run_dir / "train") else reused_model(cfg, spec, settings)
        if reused is not None:
            settings["model_from"] = str(reused)
        write_json(run_dir / "run.json", settings)
        started = time.perf_counter()
        pending = [b for b in cfg.evaluate.benchmarks if not (run_dir / f"eval-{b}" / "results.json").is_file()]
        wise_pending = any(not (f / "results.json").is_file() for f in wise_folders(cfg, run_dir).values())
        # every evaluation done: nothing to train (a validation-only grid trains each run once)
        needed = reused is None and (bool(pending) or ((wise_pending or not cfg.evaluate.benchmarks)
                                                         and _model_ready(run_dir / "train") is None))
        model = train_run(spec, cfg, run_dir) if needed else (reused or _model_ready(run_dir / "train"))
        if needed:
            timing.setdefault(f"{spec.run_id}/train", round(time.perf_counter() - started, 1))
        validation_rows += _validation_rows(cfg, spec, run_dir, model, out, timing, base_rows)
        for bench in cfg.evaluate.benchmarks:
            started = time.perf_counter()
            if bench in pending:
                evaluate_run(str(model), bench, cfg, run_dir / f"eval-{bench}", extra)
                timing.setdefault(f"{spec.run_id}/eval-{bench}", round(time.perf_counter() - started, 1))
            eval_dirs.append(run_dir / f"eval-{bench}")
        started = time.perf_counter()
        eval_dirs += evaluate_wise(cfg, spec, run_dir, model)
        if wise_pending:
            timing.setdefault(f"{spec.run_id}/wise", round(time.perf_counter() - started, 1))
        write_json(timing_path, timing)
    eval_dirs += evaluate_soups(cfg, runs, out)
    write_json(timing_path, timing)
    if validation_rows:
        from hybridbatch.experiment.validation_table import write_validation_table

        write_validation_table(validation_rows, out / "summary-validation", cfg.select_metric)
        log.info("validation table: %s", out / "summary-validation" / "validation.md")
    if eval_dirs:
        records = [load_record(d) for d in eval_dirs]
        seen = set(cfg.seen_languages) if cfg.seen_languages else None
        write_comparison(records, out / "summary", seen_languages=seen, title=f"Experiment {cfg.name}")
        from hybridbatch.reporting.studies import write_studies

        write_studies(records, out / "summary")
        log.info("summary: %s", out / "summary" / "summary.md")
    return out


def _validation_rows(cfg: ExperimentConfig, spec: RunSpec, run_dir: Path, model: Path | None, out: Path,
                     timing: dict[str, float], seen_base: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run's validation row, its WiSE-FT rows and (once per training set) the base model's row."""
    from hybridbatch.experiment.validation_table import base_row, run_row, wise_rows


    row = run_row(spec, run_dir)
    if row is None:
        return []
    rows = [row]
    started = time.perf_counter()
    if cfg.include_base and not any(r.get("kind") == "base" and r["train"] == spec.train for r in seen_base):
        seen_base.append(base_row(cfg, spec, out) or {"kind": "base", "train": spec.train})
        rows.append(seen_base[-1])
    if cfg.wise_lambdas and model is not None:
        rows += wise_rows(cfg, spec, run_dir, model)
    timing.setdefault(f"{spec.run_id}/validation-extras", round(time.perf_counter() - started, 1))
    return [r for r in rows if r is not None and "run" in r]
