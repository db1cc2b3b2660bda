"""The training configuration: typed dataclasses read by the one strict loader (:mod:`hybridbatch.config`).

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
               smoothing_exponent: 0.5, dataset_weighting: size, batches_per_epoch: null}
    training: {batch_size: 100, learning_rate: 3.0e-5, ...}   # see TrainingConfig

An unknown key, a wrong type or a value out of range anywhere is an error naming the file and the key.
Every scalar field can be overridden by name (``learning_rate``) or dotted path
(``training.learning_rate``): from the command line (flags derived from these fields) and from an
experiment's ``train_overrides``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from hybridbatch import config as strict
from hybridbatch.config import Device, Precision, setting
from hybridbatch.data.negatives import NegativePolicy
from hybridbatch.errors import HybridbatchError

Strategy = Literal["x-x-mono", "x-y", "hybrid"]
STRATEGIES: tuple[str, ...] = ("x-x-mono", "x-y", "hybrid")
PassageMode = Literal["sentence", "sentence+context"]
NegativesSource = Literal["mined", "random"]
Loss = Literal["mnrl", "cached-mnrl"]
PromptMode = Literal["auto", "model", "paper", "none"]
RetrievalMetric = Literal["mo", "cr", "mul", "mo+mul", "mo+cr+mul"]
"""Validation retrieval mAP: mono, cross, multilingual, or a mean of those."""
SelectMetric = Literal["loss", RetrievalMetric]
DistillDistance = Literal["cosine", "mse"]
LanguageWeighting = Literal["uniform", "size", "smoothed"]
DatasetWeighting = Literal["size", "uniform"]
PAPER_PROMPTS = {"query": "Query: ", "passage": "Passage: "}


DATA_SOURCES = ("benchmark", "jsonl", "items", "bitext")


@dataclass
class DatasetConfig:
    """One training dataset, from exactly one source: ``benchmark`` (a spec such as ``mlqa-r``), ``jsonl`` (a
    JSONL file of items), ``items`` (a JSONL or Parquet file or a ``datasets`` folder of items, format by
    suffix) or ``bitext`` (line-parallel translations: ``ntrex128``, a folder of ``<name>.<lang>.txt`` files or a
    TSV of lang, group, text; X-Y rows only). File paths are relative to the config file."""

    benchmark: str | None = None
    jsonl: str | None = None
    items: str | None = None
    bitext: str | None = None
    name: str | None = None
    languages: list[str] | None = None
    exclude_languages: list[str] | None = None
    passage: PassageMode = "sentence"
    hard_negatives: bool = False
    weight: float | None = setting(None, gt=0.0, help="share of batches drawn from this dataset (relative to the "
                                   "others' weights; all or none of the datasets have one)")
    negatives: NegativesSource = setting("mined", help="with negatives.policy: mined (ranked by the base model; "
                                         "encodes every training text of this dataset) | random (drawn uniformly "
                                         "from other groups under the same language policy, seeded; no encoding: "
                                         "for large or easy sources such as bitext)")

    @property
    def label(self) -> str:
        path = self.jsonl or self.items or self.bitext
        return self.name or self.benchmark or (Path(path).stem if path else "data")

    @property
    def sources(self) -> list[str]:
        """The source keys this entry sets (exactly one is valid)."""
        return [k for k in DATA_SOURCES if getattr(self, k) is not None]


@dataclass
class SamplingConfig:
    """How batches are formed (see :mod:`hybridbatch.training.planner`)."""

    strategy: Strategy = setting("hybrid", help="x-x-mono | x-y | hybrid")
    alpha: float = setting(0.5, ge=0.0, le=1.0, help="share of X-X-mono batches for hybrid (0..1)")
    language_weighting: LanguageWeighting = setting("uniform", help="X-X-mono language draw: uniform | size | smoothed")
    smoothing_exponent: float = setting(0.5, ge=0.0, help="exponent e of size^e for language_weighting smoothed")
    dataset_weighting: DatasetWeighting = setting("size", help="several datasets: a batch's dataset drawn by size "
                                                  "(items; the method) | uniform")
    batches_per_epoch: int | None = setting(None, ge=1, help="default: items of all datasets // batch size")

    def validate(self) -> None:
        """Re-check every value (for configs built in code rather than read by the loader)."""
        strict.check_fields(self, "sampling")

    @property
    def mono_probability(self) -> float:
        return {"x-x-mono": 1.0, "x-y": 0.0}.get(self.strategy, float(self.alpha))


@dataclass
class TrainingConfig:
    """Optimisation, loss and trainer settings (paper: AdamW, lr 3e-5, wd 0.01, batch 100)."""

    batch_size: int = setting(100, ge=2)
    learning_rate: float = setting(3e-5, gt=0.0, flags=("--lr", "--learning-rate"), help="AdamW learning rate")
    weight_decay: float = setting(0.01, ge=0.0)
    max_steps: int = setting(1000, ge=1)
    warmup_steps: float = setting(0.1, ge=0.0, help=">= 1: steps; < 1: share of max steps")
    max_seq_length: int = setting(128, ge=8, le=100_000, help="tokens per text (longer texts are truncated)")
    loss: Loss = setting("cached-mnrl", help="mnrl | cached-mnrl (GradCache)")
    scale: float = setting(20.0, gt=0.0, help="similarity scale = 1 / temperature")
    mini_batch_size: int = setting(32, ge=1, help="GradCache mini-batch (cached-mnrl)")
    gather_across_devices: bool = False
    length_sorted: bool = setting(False, help="embed each batch's texts in length-sorted sub-batches, each "
                                  "padded only to its own longest text (mnrl only): the same loss and "
                                  "gradients for less padding work (MLQA-R batches of 100: 2.5x fewer tokens, "
                                  "~3.5x faster CPU steps); off by default because training-mode dropout "
                                  "then draws other random masks, so a run is not bit-identical to a padded one")
    prompts: PromptMode = setting("auto", help="auto: the model's query/passage prompts if any, else paper; "
                                  "model; paper (Query: / Passage: ); none")
    freeze_word_embeddings: bool = setting(False, help="do not train the word-embedding matrix (saves time and "
                                           "memory on CPU)")
    precision: Precision = setting("auto", help="bf16: mixed precision (bfloat16 autocast, fp32 weights), "
                                   "~2.3x faster steps on CPUs with AVX512-BF16; auto: bf16 where it is native "
                                   "(CUDA, AVX512-BF16/AMX CPUs), else fp32")
    device: Device = setting("auto", help="auto (CUDA when present) | cpu | cuda")
    eval_steps: int = setting(100, ge=1, help="validation loss and checkpoint every N steps")
    eval_batches: int | None = setting(None, ge=1, help="validation-loss batches per dataset (default: all of its "
                                       "validation split; cap it for a large source such as bitext)")
    select_metric: SelectMetric = setting("loss", help="checkpoint selection and early stopping on the "
                                          "validation split: loss, or retrieval mAP mo | cr | mul | mo+mul | "
                                          "mo+cr+mul (means of those)")
    retrieval_validation: bool = setting(False, help="score retrieval on the validation split at every "
                                         "evaluation even when selecting on loss (on when select_metric is not loss)")
    distill_weight: float = setting(0.0, ge=0.0, help="beta: weight of the regulariser toward the frozen base "
                                    "model's embeddings (0 = off)")
    distill_loss: DistillDistance = setting("cosine", help="regulariser distance: cosine (1 - cos) | mse")
    logging_steps: int = setting(10, ge=1)
    early_stopping_patience: int | None = setting(3, ge=1, help="evaluations without improvement; none = off")
    save_total_limit: int | None = setting(3, ge=1)


@dataclass
class NegativesConfig:
    """Mined hard negatives (``hybridbatch mine``): each row carries one of its query's mined negatives
    (:mod:`hybridbatch.training.negatives`)."""

    file: str | None = setting(None, flags=("--negatives-file",), help="negatives file written by 'hybridbatch mine' for this config's "
                               "training split (relative to the config file); none: mined before training when "
                               "a policy is set, else in-batch negatives only")
    policy: NegativePolicy | None = setting(None, flags=("--negatives-policy",), help="languages of the negatives: same-language | "
                                            "other-language | any; without a file, mined with the run's model into "
                                            "<output_dir>/negatives.jsonl; with one, checked against it")
    per_query: int = setting(4, ge=1, flags=("--negatives-per-query",), help="negatives mined per query (without a file)")
    range_min: int = setting(0, ge=0, flags=("--negatives-range-min",), help="mining skips the top range_min candidates (without a file)")
    range_max: int = setting(200, ge=1, flags=("--negatives-range-max",), help="mining looks no deeper than rank range_max (without a file)")
    margin: float | None = setting(0.0, ge=0.0, flags=("--negatives-margin",), help="mining keeps candidates scoring below the positive minus "
                                   "this margin (without a file; none = no margin)")
    candidates: int | None = setting(None, ge=1, flags=("--negative-candidates",), help="how many of each query's mined negatives (best first) a "
                                     "row may choose from when some belong to the batch's groups (default: all)")


@dataclass
class TrainConfig:
    datasets: list[DatasetConfig]
    model: str = setting("default", help="'default' or a model folder")
    output_dir: str = setting("runs/train", flags=("--out", "--output-dir"), help="run folder")
    seed: int = 42
    validation_fraction: float = setting(0.1, ge=0.0, lt=1.0)
    eval_benchmarks: list[str] = setting(default_factory=list, flags=("--eval-benchmark", "--eval-benchmarks"),
                                         help="benchmarks checked for leakage")
    allow_leakage: bool = setting(False, help="train even if evaluation texts occur in the training data")
    validation_dataset: str | None = setting(None, help="the training dataset (name) whose validation split selects "
                                             "the checkpoint; default: the first; every dataset's validation loss "
                                             "is reported")
    sampling: SamplingConfig = setting(default_factory=SamplingConfig)
    training: TrainingConfig = setting(default_factory=TrainingConfig)
    negatives: NegativesConfig = setting(default_factory=NegativesConfig)
    base_dir: str = setting(".", internal=True)  # folder of the YAML file: relative paths start there

    def validate(self) -> None:
        """Checks across fields (types and ranges are checked when read or overridden)."""
        if not self.datasets:
            raise HybridbatchError("'datasets' is empty")
        for i, d in enumerate(self.datasets):
            if len(d.sources) != 1:
                raise HybridbatchError(f"datasets[{i}]: give exactly one of {', '.join(DATA_SOURCES)}")
            if d.languages is not None and d.exclude_languages is not None:
                raise HybridbatchError(f"datasets[{i}]: give languages or exclude_languages, not both")
        labels = [d.label for d in self.datasets]
        if self.validation_dataset is not None and self.validation_dataset not in labels:
            raise HybridbatchError(f"validation_dataset {self.validation_dataset!r} is none of the training datasets "
                                   f"({', '.join(labels)})")
        if self.sampling.strategy == "x-x-mono" and any(d.bitext for d in self.datasets):
            raise HybridbatchError("x-x-mono batches cannot come from a bitext dataset (it has no monolingual rows); "
                                   "leave it out of x-x-mono training")
        t = self.training
        if (t.select_metric != "loss" or t.retrieval_validation) and self.validation_fraction == 0:
            raise HybridbatchError(f"training.select_metric {t.select_metric!r} / retrieval_validation need a "
                                   "validation split (validation_fraction > 0)")
        if self.negatives.file and any(d.hard_negatives for d in self.datasets):
            raise HybridbatchError("negatives.file (mined) and hard_negatives (paragraph siblings) exclude each "
                                   "other")
        if t.length_sorted and t.loss != "mnrl":
            raise HybridbatchError("training.length_sorted needs training.loss mnrl (cached-mnrl already embeds in "
                                   "mini-batches)")

    def resolve_path(self, value: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else Path(self.base_dir) / path


def load_config(path: str | Path) -> TrainConfig:
    """Read and check a YAML config; errors name the file and the offending key."""
    path = Path(path)
    config = strict.load_yaml(path, TrainConfig)
    config.base_dir = str(path.parent.resolve())
    try:
        config.validate()
    except HybridbatchError as exc:
        raise HybridbatchError(str(exc), path=path) from None
    return config


def apply_overrides(config: TrainConfig, overrides: dict[str, Any], *, source: str | Path | None = None
                    ) -> TrainConfig:
    """A copy of ``config`` with ``overrides`` (field name or dotted path → value) applied and checked."""
    out = strict.apply_overrides(config, overrides, source=source)
    out.validate()
    return out


def to_dict(config: TrainConfig) -> dict[str, Any]:
    """The resolved config as plain data (what ``config.yaml`` in a run folder holds)."""
    return strict.to_dict(config)


def dump_yaml(config: TrainConfig) -> str:
    return yaml.safe_dump(to_dict(config), sort_keys=False, allow_unicode=True)
