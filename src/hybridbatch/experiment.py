"""A resumable grid of runs (strategy × α × seed × training set × benchmark): leakage check → train →
evaluate (cached) → record, then one generated summary for the grid.

Every run has its own folder with its resolved configuration; a finished step is never redone, so an
interrupted grid continues where it stopped when the same command is run again.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from hybridbatch.errors import HybridbatchError
from hybridbatch.outputs import provenance, write_json

log = logging.getLogger(__name__)
STRATEGIES = ("x-x-mono", "x-y", "hybrid")


@dataclass
class EvaluateSpec:
    benchmarks: list[str] = field(default_factory=lambda: ["xquad-r"])
    languages: list[str] | None = None
    candidate_text: str = "sentence"
    batch_size: int = 64
    max_seq_length: int | None = None
    precision: str = "fp32"           # fp32 | bf16 (autocast); part of the embedding-cache identity


@dataclass
class ExperimentConfig:
    """A grid: each block of ``grid`` is a cartesian product of its lists (strategy, alpha, seed, train)."""

    name: str
    train: dict[str, str]
    grid: list[dict[str, list[Any]]]
    evaluate: EvaluateSpec = field(default_factory=EvaluateSpec)
    base_model: str = "default"
    include_base: bool = True
    train_overrides: dict[str, Any] = field(default_factory=dict)
    seen_languages: list[str] | None = None
    out: str | None = None


@dataclass(frozen=True)
class RunSpec:
    strategy: str
    alpha: float | None
    seed: int
    train: str

    @property
    def run_id(self) -> str:
        alpha = f"-a{self.alpha:g}" if self.strategy == "hybrid" else ""
        return f"{self.train}-{self.strategy}{alpha}-s{self.seed}"

    @property
    def label(self) -> str:
        return f"{self.strategy} α={self.alpha:g}" if self.strategy == "hybrid" else self.strategy


def load_experiment(path: Path) -> ExperimentConfig:
    """Read and check an experiment YAML; unknown keys are errors naming the key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HybridbatchError("experiment config not found", path=path) from None
    except yaml.YAMLError as exc:
        raise HybridbatchError(f"malformed YAML ({exc})".replace("\n", " "), path=path) from None
    if not isinstance(raw, dict):
        raise HybridbatchError("expected a mapping at the top level", path=path)
    known = {f.name for f in fields(ExperimentConfig)}
    for key in raw:
        if key not in known:
            raise HybridbatchError(f"unknown key {key!r} (known: {', '.join(sorted(known))})", path=path)
    eval_raw = raw.pop("evaluate", {}) or {}
    eval_known = {f.name for f in fields(EvaluateSpec)}
    for key in eval_raw:
        if key not in eval_known:
            raise HybridbatchError(f"unknown key 'evaluate.{key}'", path=path)
    for key in ("name", "train", "grid"):
        if key not in raw:
            raise HybridbatchError(f"missing key {key!r}", path=path)
    cfg = ExperimentConfig(evaluate=EvaluateSpec(**eval_raw), **raw)
    if not isinstance(cfg.train, dict) or not cfg.train:
        raise HybridbatchError("'train' must map a short name to a training config file", path=path)
    cfg.train = {name: str((path.parent / p).resolve()) if not Path(p).is_absolute() else p
                 for name, p in cfg.train.items()}
    expand_grid(cfg)  # validate now, before anything runs
    return cfg


def expand_grid(cfg: ExperimentConfig) -> list[RunSpec]:
    """All distinct runs of the grid, in order. α is ignored for non-hybrid strategies; hybrid α=0 is
    X-Y and α=1 is X-X-mono (the same batch distribution), so those are run once under that name."""
    runs: list[RunSpec] = []
    for block in cfg.grid:
        unknown = set(block) - {"strategy", "alpha", "seed", "train"}
        if unknown:
            raise HybridbatchError(f"unknown grid key(s) {sorted(unknown)}")
        trains = block.get("train", list(cfg.train))
        for name in trains:
            if name not in cfg.train:
                raise HybridbatchError(f"grid names training set {name!r}, not in 'train' ({list(cfg.train)})")
        for strategy, alpha, seed, train in itertools.product(
                block.get("strategy", ["hybrid"]), block.get("alpha", [0.5]), block.get("seed", [1]), trains):
            if strategy not in STRATEGIES:
                raise HybridbatchError(f"unknown strategy {strategy!r} (expected one of {', '.join(STRATEGIES)})")
            alpha = float(alpha)
            if not 0.0 <= alpha <= 1.0:
                raise HybridbatchError(f"alpha {alpha} outside [0, 1]")
            if strategy == "hybrid" and alpha in (0.0, 1.0):
                strategy = "x-y" if alpha == 0.0 else "x-x-mono"
            spec = RunSpec(strategy, alpha if strategy == "hybrid" else None, int(seed), train)
            if spec not in runs:
                runs.append(spec)
    return runs


def _model_ready(train_dir: Path) -> Path | None:
    model = train_dir / "model"
    return model if (model / "modules.json").is_file() else None


def train_run(spec: RunSpec, cfg: ExperimentConfig, run_dir: Path) -> Path:
    """Train (or resume) one run through the ``train`` command; returns the saved model folder."""
    from hybridbatch.cli import main as cli_main

    train_dir = run_dir / "train"
    done = _model_ready(train_dir)
    if done:
        return done
    argv = ["train", "--config", cfg.train[spec.train], "--strategy", spec.strategy, "--seed", str(spec.seed),
            "--out", str(train_dir), "--eval-benchmark", ",".join(cfg.evaluate.benchmarks)]
    if spec.alpha is not None:
        argv += ["--alpha", str(spec.alpha)]
    for key, value in cfg.train_overrides.items():
        flag = f"--{key.replace('_', '-')}"
        if isinstance(value, bool):  # switches: present when true
            argv += [flag] if value else []
        else:
            argv += [flag, str(value)]
    if train_dir.exists():
        argv.append("--resume")
    code = cli_main(argv)
    model = _model_ready(train_dir)
    if code != 0 or model is None:
        raise HybridbatchError(f"training failed (exit {code}); see {train_dir}", record=spec.run_id)
    return model


def evaluate_run(model: str, benchmark: str, cfg: ExperimentConfig, out: Path, extra: dict[str, Any]) -> None:
    """Evaluate one model on one benchmark unless that evaluation is already finished."""
    from hybridbatch.evaluation.runner import EvaluationConfig, run_evaluation

    e = cfg.evaluate
    eval_cfg = EvaluationConfig(benchmark=benchmark, model=model, languages=e.languages,
                                candidate_text=e.candidate_text, batch_size=e.batch_size,
                                max_seq_length=e.max_seq_length, precision=e.precision, extra=extra)
    if (out / "results.json").is_file():
        _check_same_evaluation(out, eval_cfg)
        return
    run_evaluation(eval_cfg, out)


def _check_same_evaluation(out: Path, eval_cfg) -> None:
    """A finished evaluation is reused only if it was made with the same evaluation settings."""
    import json

    try:
        stored = json.loads((out / "config.json").read_text(encoding="utf-8"))["config"]
    except (OSError, ValueError, KeyError) as exc:
        raise HybridbatchError(f"finished evaluation without a readable config.json ({exc})", path=out) from exc
    for key in ("benchmark", "languages", "candidate_text", "max_seq_length", "precision"):
        want, have = getattr(eval_cfg, key), stored.get(key, "fp32" if key == "precision" else None)
        if want != have:
            raise HybridbatchError(f"finished evaluation was made with {key}={have!r}, the experiment asks for "
                                   f"{want!r}; use another --out or delete the folder", path=out)


def _check_same_settings(path: Path, settings: dict[str, Any]) -> None:
    """A run folder is reused only by the same run: same training config text and overrides."""
    import json

    if not path.is_file():
        return
    before = json.loads(path.read_text(encoding="utf-8"))
    for key in ("train_config", "train_overrides"):
        if key in before and before[key] != settings[key]:
            raise HybridbatchError(f"this run was made with another {key.replace('_', ' ')}; use a new --out "
                                   "or remove the run folder", path=path.parent)


def run_experiment(cfg: ExperimentConfig, out: Path | None = None, *, only: list[str] | None = None) -> Path:
    """Run every unfinished step of the grid, then write ``<out>/summary``; returns ``out``."""
    from hybridbatch.reporting.compare import load_record, write_comparison

    out = Path(out or cfg.out or f"runs/{cfg.name}")
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "experiment.json", provenance(asdict(cfg)))
    runs = expand_grid(cfg)
    if only:
        runs = [r for r in runs if r.run_id in only]
    timing_path = out / "timing.json"
    timing: dict[str, float] = {}
    if timing_path.is_file():
        import json

        timing = json.loads(timing_path.read_text())
    eval_dirs: list[Path] = []
    if cfg.include_base:
        for bench in cfg.evaluate.benchmarks:
            target = out / "base" / f"eval-{bench}"
            started = time.perf_counter()
            evaluate_run(cfg.base_model, bench, cfg, target, {"label": "base (untrained)", "run_id": "base"})
            timing.setdefault(f"base/eval-{bench}", round(time.perf_counter() - started, 1))
            eval_dirs.append(target)
    for spec in runs:
        run_dir = out / spec.run_id
        run_dir.mkdir(exist_ok=True)
        extra = {"label": spec.label, "run_id": spec.run_id, "strategy": spec.strategy, "alpha": spec.alpha,
                 "seed": spec.seed, "train": spec.train}
        settings = {**extra, "train_config": Path(cfg.train[spec.train]).read_text(encoding="utf-8"),
                    "train_overrides": cfg.train_overrides}
        _check_same_settings(run_dir / "run.json", settings)
        write_json(run_dir / "run.json", settings)
        started = time.perf_counter()
        pending = [b for b in cfg.evaluate.benchmarks if not (run_dir / f"eval-{b}" / "results.json").is_file()]
        model = train_run(spec, cfg, run_dir) if pending else None  # every evaluation done: nothing to train
        if pending:
            timing.setdefault(f"{spec.run_id}/train", round(time.perf_counter() - started, 1))
        for bench in cfg.evaluate.benchmarks:
            started = time.perf_counter()
            if bench in pending:
                evaluate_run(str(model), bench, cfg, run_dir / f"eval-{bench}", extra)
                timing.setdefault(f"{spec.run_id}/eval-{bench}", round(time.perf_counter() - started, 1))
            eval_dirs.append(run_dir / f"eval-{bench}")
        write_json(timing_path, timing)
    write_json(timing_path, timing)
    records = [load_record(d) for d in eval_dirs]
    seen = set(cfg.seen_languages) if cfg.seen_languages else None
    write_comparison(records, out / "summary", seen_languages=seen, title=f"Experiment {cfg.name}")
    log.info("summary: %s", out / "summary" / "summary.md")
    return out
