"""The experiment configuration: a grid of runs (strategy × α × seed × training set), each trained with a
training config plus overrides and evaluated on a list of benchmarks.

Layout::

    name: mlqa-to-xquad
    train: {mlqa-r: mlqa-to-xquad.yaml}        # short name → training config (relative to this file)
    train_overrides: {max_steps: 40, ...}      # any training-config field, by name or dotted path
    grid:                                      # each block: the cartesian product of its lists
      - {strategy: [hybrid, x-x-mono, x-y], alpha: [0.5], seed: [1, 2], train: [mlqa-r]}
    evaluate: {benchmarks: [xquad-r], ...}     # evaluation settings (hybridbatch.evaluation.runner)
    include_base: true
    base_model: default
    seen_languages: [ar, de, en, es, hi, vi, zh]

Everything is checked when the file is read — keys, types, ranges, and every override against every
training config it applies to — so a bad grid fails before its first run.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hybridbatch import config as strict
from hybridbatch.config import Device, setting
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.config import EvaluationSettings
from hybridbatch.training.config import SelectMetric, Strategy, TrainConfig, apply_overrides, load_config


@dataclass
class ExperimentEvaluation(EvaluationSettings):
    """How every model of the grid is evaluated: the benchmarks, then the evaluation settings."""

    benchmarks: list[str] = setting(default_factory=lambda: ["xquad-r"])
    benchmark_languages: dict[str, list[str]] = setting(default_factory=dict, help="languages per benchmark "
                                                        "(spec → list), in place of 'languages' for that one")


@dataclass
class LanguageCounts:
    """The training-language axis: nested subsets of one training dataset's languages (rule: :func:`draw_subsets`)."""

    sizes: list[int]
    languages: list[str] = setting(help="the dataset's languages to draw from")
    draws: int = setting(1, ge=1, help="independent nested sequences (subsets per size)")
    seed: int = setting(0, help="seed of the draws")
    include: list[str] = setting(default_factory=list, help="languages in every subset (e.g. a pivot)")
    dataset: str | None = setting(None, help="training dataset (by name) to restrict; default: the first")


@dataclass
class GridBlock:
    """One block of the grid; runs = strategy × alpha × seed × train (all training sets by default) ×
    every combination of ``overrides`` (training-config field → values, e.g. ``{scale: [20, 100]}``) ×
    every subset of ``train_languages``."""

    strategy: list[Strategy] = setting(default_factory=lambda: ["hybrid"])
    alpha: list[float] = setting(default_factory=lambda: [0.5])
    seed: list[int] = setting(default_factory=lambda: [1])
    train: list[str] | None = None
    overrides: dict[str, list[Any]] = setting(default_factory=dict)
    train_languages: LanguageCounts | None = None


@dataclass
class ExperimentConfig:
    """A grid: each block of ``grid`` is a cartesian product of its lists (strategy, alpha, seed, train)."""

    name: str
    train: dict[str, str]
    grid: list[GridBlock]
    evaluate: ExperimentEvaluation = setting(default_factory=ExperimentEvaluation)
    base_model: str = "default"
    include_base: bool = True
    train_overrides: dict[str, Any] = setting(default_factory=dict)
    seen_languages: list[str] | None = None
    out: str | None = None
    device: Device = setting("auto", help="where every run trains and evaluates: auto (CUDA when present) | cpu | cuda")
    wise_lambdas: list[float] = setting(default_factory=list, help="score WiSE-FT merges of every run with the "
                                        "base model at these lambdas on the validation split")
    select_metric: SelectMetric = setting("mo+mul", help="validation measure that ranks the validation table")
    evaluate_wise: float | None = setting(None, ge=0.0, le=1.0, help="also evaluate each run's WiSE-FT merge "
                                          "with the base model at this lambda")
    soups: list[list[Strategy]] = setting(default_factory=list, help="per seed, evaluate the uniform average of "
                                          "the runs of these strategies, e.g. [[x-x-mono, x-y]]")
    models_from: str | None = setting(None, help="another experiment's output folder: a run trained there with "
                                      "the same training config, overrides and seed is evaluated, not retrained")
    source: str = setting("", internal=True)  # the YAML file this was read from


@dataclass
class ExecutorSettings:
    """What runs the steps of a grid (``hybridbatch experiment`` flags; not part of the experiment file)."""

    executor: Literal["local", "ray"] = setting("local", help="local: every step in this process, one after the "
                                                "other; ray: every step a Ray task, runs side by side (pip install "
                                                "'hybridbatch[ray]')")
    ray_address: str | None = setting(None, help="--executor ray: join this running Ray cluster (also 'auto', "
                                      "'ray://HOST:PORT'); default: $RAY_ADDRESS, else a new local cluster on this "
                                      "machine")
    ray_cpus: float = setting(1.0, gt=0.0, help="--executor ray: CPUs per step of a run")
    ray_gpus: float = setting(0.0, ge=0.0, help="--executor ray: GPUs per step of a run (fractions allowed)")
    ray_memory: str | None = setting(None, help="--executor ray: memory reserved per step of a run, e.g. 8G "
                                     "(default: none)")
    ray_retries: int = setting(0, ge=0, help="--executor ray: times a step whose worker died is retried before it "
                               "counts as failed")


@dataclass(frozen=True)
class RunSpec:
    """One run of the grid: what it trains (strategy, α, seed, training set, overrides, languages). Its
    ``run_id`` names its folder; equal specs are one run."""

    strategy: str
    alpha: float | None
    seed: int
    train: str
    settings: tuple[tuple[str, Any], ...] = ()  # the block's training-field overrides, in block order
    languages: tuple[str, ...] | None = None  # training-language subset (train_languages axis), sorted
    language_dataset: str | None = None  # the dataset it restricts (None: the first)
    # the experiment has several training sets: the label names this run's, so that runs of one strategy on
    # different training sets are not read as seeds of one system (not part of the run's identity)
    train_in_label: bool = dataclasses.field(default=False, compare=False)

    @property
    def run_id(self) -> str:
        alpha = f"-a{self.alpha:g}" if self.strategy == "hybrid" else ""
        extra = "".join(f"-{key.rsplit('.', 1)[-1]}{_short(value)}" for key, value in self.settings)
        langs = f"-k{len(self.languages)}-{'+'.join(self.languages)}" if self.languages else ""
        return f"{self.train}-{self.strategy}{alpha}{extra}{langs}-s{self.seed}"

    @property
    def label(self) -> str:
        base = f"{self.strategy} α={self.alpha:g}" if self.strategy == "hybrid" else self.strategy
        parts = [f"train={self.train}"] if self.train_in_label else []
        parts += [f"{key.rsplit('.', 1)[-1]}={_short(value)}" for key, value in self.settings]
        if self.languages:
            parts.append(f"k={len(self.languages)}: {' '.join(self.languages)}")
        return f"{base} ({', '.join(parts)})" if parts else base

    def overrides(self) -> dict[str, Any]:
        """The training-config fields this run sets."""
        out: dict[str, Any] = dict(self.settings) | {"sampling.strategy": self.strategy, "seed": self.seed}
        if self.alpha is not None:
            out["sampling.alpha"] = self.alpha
        return out


def _short(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def load_experiment(path: str | Path) -> ExperimentConfig:
    """Read and check an experiment YAML (keys, types, ranges, grid, overrides); errors name the file."""
    path = Path(path)
    cfg = strict.load_yaml(path, ExperimentConfig)
    cfg.source = str(path)
    try:
        if not cfg.train:
            raise HybridbatchError("'train' must map a short name to a training config file")
        if not cfg.grid:
            raise HybridbatchError("'grid' is empty")
        cfg.train = {name: str(p if Path(p).is_absolute() else (path.parent / p).resolve())
                     for name, p in cfg.train.items()}
        runs = expand_grid(cfg)
    except HybridbatchError as exc:
        raise HybridbatchError(str(exc), path=path) from None
    for spec in runs:  # every override against the training config it meets
        training_config(cfg, spec, Path("unused"))
    return cfg


def training_config(cfg: ExperimentConfig, spec: RunSpec, train_dir: Path) -> TrainConfig:
    """The resolved training config of one run: its file, the experiment's overrides, the run's settings
    (and its training-language subset on the dataset it names)."""
    base = load_config(cfg.train[spec.train])
    base = apply_overrides(base, cfg.train_overrides, source=cfg.source or None)
    out = apply_overrides(base, spec.overrides() | {"output_dir": str(train_dir), "training.device": cfg.device,
                                                    "eval_benchmarks": list(cfg.evaluate.benchmarks)})
    if spec.languages is not None:
        names = [d.label for d in out.datasets]
        index = language_dataset_index(spec, names)
        if spec.language_dataset is not None and spec.language_dataset not in names:
            raise HybridbatchError(f"train_languages.dataset {spec.language_dataset!r} is not a dataset of "
                                   f"{cfg.train[spec.train]} ({', '.join(names)})", path=cfg.source or None)
        out.datasets = [dataclasses.replace(d, languages=list(spec.languages)) if i == index else d
                        for i, d in enumerate(out.datasets)]
    return out


def language_dataset_index(spec: RunSpec, names: list[str]) -> int:
    """Position (among the training config's dataset labels ``names``) of the dataset a training-language
    subset restricts: the one ``spec.language_dataset`` names, else the first."""
    return names.index(spec.language_dataset) if spec.language_dataset in names else 0


def draw_subsets(axis: LanguageCounts) -> list[tuple[str, ...]]:
    """The training-language subsets of the axis, each sorted, in (draw, size) order, repeats removed.

    Rule: for draw d = 1..``draws``, shuffle the languages not in ``include`` (sorted first) with
    ``numpy.random.default_rng([seed, d]).permutation``; the subset of size k is ``include`` plus the first
    k − |include| of that order. So the subsets of one draw are nested (k=1 ⊂ k=2 ⊂ …) and the largest size
    equal to the number of languages is the whole set in every draw (run once).
    """
    langs = list(dict.fromkeys(axis.languages))
    if len(langs) != len(axis.languages):
        raise HybridbatchError("train_languages.languages repeats a language")
    missing = [x for x in axis.include if x not in langs]
    if missing:
        raise HybridbatchError(f"train_languages.include names {', '.join(missing)}, not in its languages")
    for k in axis.sizes:
        if not len(axis.include) <= k <= len(langs) or k < 1:
            raise HybridbatchError(f"train_languages: size {k} outside [{max(1, len(axis.include))}, {len(langs)}]")
    rest = sorted(x for x in langs if x not in axis.include)
    out: list[tuple[str, ...]] = []
    for d in range(1, axis.draws + 1):
        order = [rest[i] for i in np.random.default_rng([axis.seed, d]).permutation(len(rest))]
        for k in axis.sizes:
            subset = tuple(sorted(list(axis.include) + order[: k - len(axis.include)]))
            if subset not in out:
                out.append(subset)
    return out


def expand_grid(cfg: ExperimentConfig) -> list[RunSpec]:
    """All distinct runs of the grid, in order. α is ignored for non-hybrid strategies; hybrid α=0 is
    X-Y and α=1 is X-X-mono (the same batch distribution), so those are run once under that name; with a
    single training language every strategy is X-X-mono (there is no X-Y row), also run once."""
    runs: list[RunSpec] = []
    for i, block in enumerate(cfg.grid):
        trains = block.train if block.train is not None else list(cfg.train)
        for name in trains:
            if name not in cfg.train:
                raise HybridbatchError(f"grid[{i}] names training set {name!r}, not in 'train' ({list(cfg.train)})")
        keys = list(block.overrides)
        for key in keys:
            if not block.overrides[key]:
                raise HybridbatchError(f"grid[{i}].overrides.{key} is an empty list")
        combos = [tuple(zip(keys, values)) for values in itertools.product(*(block.overrides[k] for k in keys))]
        axis = block.train_languages
        try:
            subsets: list[tuple[str, ...] | None] = draw_subsets(axis) if axis else [None]
        except HybridbatchError as exc:
            raise HybridbatchError(f"grid[{i}].{exc}") from None
        for strategy, alpha, seed, train, settings, langs in itertools.product(
                block.strategy, block.alpha, block.seed, trains, combos, subsets):
            if not 0.0 <= alpha <= 1.0:
                raise HybridbatchError(f"grid[{i}]: alpha {alpha} outside [0, 1]")
            if strategy == "hybrid" and alpha in (0.0, 1.0):
                strategy = "x-y" if alpha == 0.0 else "x-x-mono"
            if langs is not None and len(langs) == 1:  # one language: no X-Y row exists
                strategy = "x-x-mono"
            spec = RunSpec(strategy, alpha if strategy == "hybrid" else None, int(seed), train, settings, langs,
                           axis.dataset if axis else None, train_in_label=len(cfg.train) > 1)
            if spec not in runs:
                runs.append(spec)
    return runs
