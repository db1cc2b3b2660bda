"""The training configuration: dataclasses read from YAML, every key checked.

Layout (every key optional except ``datasets``)::

    model: default                 # hybridbatch.models.loading spec or a model folder
    output_dir: runs/mlqa-to-xquad
    seed: 42
    validation_fraction: 0.1       # held-out share of items, whole groups; 0 = no validation
    eval_benchmarks: [xquad-r]     # checked for leakage before training
    allow_leakage: false
    datasets:
      - benchmark: mlqa-r          # or  jsonl: path/to/items.jsonl (relative to this file)
        name: mlqa-r               # default: the benchmark spec or the file stem
        languages: null            # default: all
        passage: sentence          # sentence | sentence+context
        hard_negatives: false
    sampling: {strategy: hybrid, alpha: 0.5, language_weighting: uniform,
               smoothing_exponent: 0.5, batches_per_epoch: null}
    training: {batch_size: 100, learning_rate: 3.0e-5, ...}   # see TrainingConfig

An unknown key anywhere is an error naming it.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hybridbatch.errors import HybridbatchError
from hybridbatch.sampling import SamplingConfig

PASSAGE_MODES = ("sentence", "sentence+context")
LOSSES = ("mnrl", "cached-mnrl")
PROMPT_MODES = ("auto", "model", "paper", "none")
PAPER_PROMPTS = {"query": "Query: ", "passage": "Passage: "}


@dataclass
class DatasetConfig:
    """One training dataset: a benchmark spec (``mlqa-r``) or a JSONL file of items."""

    benchmark: str | None = None
    jsonl: str | None = None
    name: str | None = None
    languages: list[str] | None = None
    passage: str = "sentence"
    hard_negatives: bool = False

    @property
    def label(self) -> str:
        return self.name or self.benchmark or Path(self.jsonl or "data").stem


@dataclass
class TrainingConfig:
    """Optimisation, loss and trainer settings (paper: AdamW, lr 3e-5, wd 0.01, batch 100)."""

    batch_size: int = 100
    learning_rate: float = 3e-5
    weight_decay: float = 0.01
    max_steps: int = 1000
    warmup_steps: float = 0.1  # >= 1: steps; < 1: share of max_steps
    max_seq_length: int = 128
    loss: str = "cached-mnrl"  # mnrl | cached-mnrl (GradCache)
    scale: float = 20.0  # 1 / temperature
    mini_batch_size: int = 32  # cached-mnrl only
    gather_across_devices: bool = False
    prompts: str = "auto"  # auto: the model's query/passage prompts if any, else paper; model; paper; none
    freeze_word_embeddings: bool = False
    precision: str = "fp32"  # fp32 | bf16 (mixed precision: bfloat16 autocast, fp32 master weights)
    eval_steps: int = 100  # validation loss + checkpoint every eval_steps
    logging_steps: int = 10
    early_stopping_patience: int | None = 3  # evaluations without improvement; null = off
    save_total_limit: int | None = 3


@dataclass
class TrainConfig:
    datasets: list[DatasetConfig]
    model: str = "default"
    output_dir: str = "runs/train"
    seed: int = 42
    validation_fraction: float = 0.1
    eval_benchmarks: list[str] = field(default_factory=list)
    allow_leakage: bool = False
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    base_dir: str = field(default=".", metadata={"internal": True})  # folder of the YAML file

    def validate(self) -> None:
        """Raise HybridbatchError on a value out of range (types are checked when read)."""
        self.sampling.validate()
        if not self.datasets:
            raise HybridbatchError("'datasets' is empty")
        for i, d in enumerate(self.datasets):
            where = f"datasets[{i}]"
            if (d.benchmark is None) == (d.jsonl is None):
                raise HybridbatchError(f"{where}: give exactly one of 'benchmark' and 'jsonl'")
            if d.passage not in PASSAGE_MODES:
                raise HybridbatchError(f"{where}: passage {d.passage!r}; expected one of {', '.join(PASSAGE_MODES)}")
        t = self.training
        checks = [
            (t.loss in LOSSES, f"training.loss {t.loss!r}; expected one of {', '.join(LOSSES)}"),
            (t.precision in ("fp32", "bf16"), f"training.precision {t.precision!r}; expected fp32 or bf16"),
            (t.prompts in PROMPT_MODES, f"training.prompts {t.prompts!r}; expected one of {', '.join(PROMPT_MODES)}"),
            (t.batch_size >= 2, f"training.batch_size {t.batch_size} must be >= 2"),
            (t.max_steps >= 1, f"training.max_steps {t.max_steps} must be >= 1"),
            (t.learning_rate > 0, f"training.learning_rate {t.learning_rate} must be > 0"),
            (t.weight_decay >= 0, f"training.weight_decay {t.weight_decay} must be >= 0"),
            (t.warmup_steps >= 0, f"training.warmup_steps {t.warmup_steps} must be >= 0"),
            (t.max_seq_length >= 8, f"training.max_seq_length {t.max_seq_length} must be >= 8"),
            (t.mini_batch_size >= 1, f"training.mini_batch_size {t.mini_batch_size} must be >= 1"),
            (t.scale > 0, f"training.scale {t.scale} must be > 0"),
            (t.eval_steps >= 1, f"training.eval_steps {t.eval_steps} must be >= 1"),
            (t.logging_steps >= 1, f"training.logging_steps {t.logging_steps} must be >= 1"),
            (0.0 <= self.validation_fraction < 1.0,
             f"validation_fraction {self.validation_fraction} outside [0, 1)"),
        ]
        for ok, message in checks:
            if not ok:
                raise HybridbatchError(message)

    def resolve_path(self, value: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else Path(self.base_dir) / path


def load_config(path: str | Path) -> TrainConfig:
    """Read and check a YAML config; errors name the file and the offending key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HybridbatchError(f"cannot read config ({exc.strerror})", path=path) from None
    except yaml.YAMLError as exc:
        raise HybridbatchError(f"malformed YAML: {str(exc).splitlines()[0]}", path=path) from None
    if not isinstance(raw, dict):
        raise HybridbatchError("config should be a mapping", path=path)
    try:
        config = from_dict(TrainConfig, raw, "")
    except HybridbatchError as exc:
        raise HybridbatchError(str(exc), path=path) from None
    config.base_dir = str(path.parent.resolve())
    try:
        config.validate()
    except HybridbatchError as exc:
        raise HybridbatchError(str(exc), path=path) from None
    return config


def to_dict(config: TrainConfig) -> dict[str, Any]:
    """The resolved config as plain data (what ``config.yaml`` in a run folder holds)."""
    out = dataclasses.asdict(config)
    out.pop("base_dir", None)
    return out


def dump_yaml(config: TrainConfig) -> str:
    return yaml.safe_dump(to_dict(config), sort_keys=False, allow_unicode=True)


def from_dict(cls, data: Any, where: str):
    """Build dataclass ``cls`` from a mapping; unknown keys and wrong types raise, naming the key."""
    if not isinstance(data, dict):
        raise HybridbatchError(f"'{where or 'config'}' should be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = f"{where}.{unknown[0]}" if where else str(unknown[0])
        raise HybridbatchError(f"unknown config key '{key}'; known here: {', '.join(fields)}")
    values = {}
    for name, value in data.items():
        values[name] = _coerce(hints[name], value, f"{where}.{name}" if where else name)
    missing = [n for n, f in fields.items() if n not in values and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise HybridbatchError(f"missing config key '{(where + '.') if where else ''}{missing[0]}'")
    return cls(**values)


def _coerce(hint, value: Any, where: str):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", typing.Union)):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        errors = []
        for a in inner:
            try:
                return _coerce(a, value, where)
            except HybridbatchError as exc:
                errors.append(str(exc))
        raise HybridbatchError(errors[0])
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where)
    if origin is list:
        if not isinstance(value, list):
            raise HybridbatchError(f"config key '{where}' should be a list, got {type(value).__name__}")
        return [_coerce(args[0], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is bool and isinstance(value, bool):
        return value
    if hint is str and isinstance(value, str):
        return value
    raise HybridbatchError(f"config key '{where}' should be {getattr(hint, '__name__', hint)}, "
                           f"got {type(value).__name__} {value!r}")
