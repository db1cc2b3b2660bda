"""Merged variants of a grid's runs, evaluated like the runs themselves (the merged weights are built in
memory and never saved; their vectors go through the embedding cache under the merged weights' identity):

* ``evaluate_wise: λ`` — each run's WiSE-FT merge with the base model, (1 − λ)·θ_base + λ·θ_run, in
  ``<run>/wise<λ>/eval-<benchmark>``, labelled ``<run label> + WiSE λ``;
* ``soups: [[x-x-mono, x-y], ...]`` — per training set and seed, the uniform average of the runs of those
  strategies, in ``soup-<strategies>-s<seed>/eval-<benchmark>``, labelled ``soup(<strategies>)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybridbatch.experiment.config import ExperimentConfig, RunSpec


def _evaluate_model(model, name: str, cfg: ExperimentConfig, folders: dict[str, Path], extra: dict[str, Any]
                    ) -> None:
    from hybridbatch.encoding import SentenceTransformerEncoder
    from hybridbatch.evaluation.runner import run_evaluation
    from hybridbatch.experiment.runner import evaluation_config

    for bench, folder in folders.items():
        eval_cfg = evaluation_config(cfg, name, bench, extra)
        encoder = SentenceTransformerEncoder(model, query_prompt=eval_cfg.query_prefix,
                                             passage_prompt=eval_cfg.passage_prefix, batch_size=eval_cfg.batch_size,
                                             label=name, precision=eval_cfg.precision)
        run_evaluation(eval_cfg, folder, encoder=encoder)


def _pending(folders: dict[str, Path]) -> dict[str, Path]:
    return {b: f for b, f in folders.items() if not (f / "results.json").is_file()}


def wise_folders(cfg: ExperimentConfig, run_dir: Path) -> dict[str, Path]:
    if cfg.evaluate_wise is None:
        return {}
    return {b: run_dir / f"wise{cfg.evaluate_wise:g}" / f"eval-{b}" for b in cfg.evaluate.benchmarks}


def evaluate_wise(cfg: ExperimentConfig, spec: RunSpec, run_dir: Path, model_dir: Path | None) -> list[Path]:
    """Evaluate the run's WiSE-FT merge at ``cfg.evaluate_wise`` (unless done); returns its folders."""
    folders = wise_folders(cfg, run_dir)
    todo = _pending(folders)
    if todo and model_dir is not None:
        from hybridbatch.models.loading import load_model
        from hybridbatch.models.merge import merge_models, wise_weights

        tuned = load_model(str(model_dir))
        base = load_model(cfg.base_model, max_seq_length=tuned.max_seq_length)
        lam = cfg.evaluate_wise
        merged = merge_models([base, tuned], [cfg.base_model, str(model_dir)], wise_weights(lam))
        extra = {"label": f"{spec.label} + WiSE λ={lam:g}", "run_id": f"{spec.run_id}/wise{lam:g}",
                 "strategy": f"{spec.strategy}+wise", "seed": spec.seed, "train": spec.train, "wise_lambda": lam}
        _evaluate_model(merged, f"wise:{lam:g}:{cfg.base_model}+{model_dir}", cfg, todo, extra)
    return [f for f in folders.values() if (f / "results.json").is_file()]


def _soups(cfg: ExperimentConfig, runs: list[RunSpec], out: Path):
    """(name, members, member specs (None where the grid has no such run), eval folders, train, seed) of every
    configured soup, per (training set, seed) of ``runs``."""
    for members in cfg.soups:
        for train, seed in dict.fromkeys((r.train, r.seed) for r in runs):
            specs = [next((r for r in runs if r.train == train and r.seed == seed and r.strategy == s), None)
                     for s in members]
            name = f"soup-{'+'.join(members)}-s{seed}" + ("" if len(cfg.train) == 1 else f"-{train}")
            yield name, members, specs, {b: out / name / f"eval-{b}" for b in cfg.evaluate.benchmarks}, train, seed


def soup_states(cfg: ExperimentConfig, runs: list[RunSpec], out: Path) -> list[tuple[str, str]]:
    """(soup name, state) for ``experiment --list``: done | to do | not made (a member strategy has no run
    with that seed and training set)."""
    states = []
    for name, members, specs, folders, train, seed in _soups(cfg, runs, out):
        missing = [m for m, s in zip(members, specs) if s is None]
        if missing:
            state = f"not made: no {', '.join(missing)} run with seed {seed} on {train}"
        else:
            state = "to do" if _pending(folders) else "done"
        states.append((name, state))
    return states


def evaluate_soups(cfg: ExperimentConfig, runs: list[RunSpec], out: Path) -> list[Path]:
    """Evaluate every configured soup for each (training set, seed) whose member runs all have a model."""
    from hybridbatch.experiment.runner import model_of_run

    done: list[Path] = []
    for name, members, specs, folders, train, seed in _soups(cfg, runs, out):
        todo = _pending(folders)
        models = [model_of_run(out / s.run_id) if s else None for s in specs]
        if todo and all(m is not None for m in models):
            from hybridbatch.models.loading import load_model
            from hybridbatch.models.merge import merge_models

            loaded = [load_model(str(m)) for m in models]
            merged = merge_models(loaded, [str(m) for m in models], [1.0 / len(loaded)] * len(loaded))
            extra = {"label": f"soup({'+'.join(members)})", "run_id": name, "strategy": "soup", "seed": seed,
                     "train": train, "members": [s.run_id for s in specs]}
            _evaluate_model(merged, f"soup:{'+'.join(str(m) for m in models)}", cfg, todo, extra)
        done += [f for f in folders.values() if (f / "results.json").is_file()]
    return done
