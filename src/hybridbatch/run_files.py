"""Every folder and file name of a run's outputs, in one place: writers and readers both take them from here.

A training run's folder (the trainer's ``output_dir``)::

    config.yaml, run.json, leakage.json, logs/, validation.jsonl, negatives.jsonl (mined for it)
    checkpoints/checkpoint-N/      trainer_state.json, optimizer.pt, scheduler.pt, modules.json, weights
    checkpoints/.tmp-checkpoint-N/ a checkpoint being written
    model/                         a sentence-transformers folder (modules.json, config.json, README.md,
                                   hybridbatch_config.yaml, hybridbatch_run.json; a merge:
                                   hybridbatch_merge.json)

An evaluation folder: results.json (it is finished exactly when this file exists), results.csv, results.md,
per_query.npz, config.json and, with perturbations, robustness.json. An experiment folder
(:mod:`hybridbatch.experiment.layout`): experiment.json, timing.json, experiment.lock, base/, summary/,
summary-validation/ and one folder per run with run.json, train/, eval-<benchmark>/, wise<λ>/ and
wise-validation.json.
"""

from __future__ import annotations

# a training run's folder
TRAIN_CONFIG = "config.yaml"
RUN_RECORD = "run.json"
LEAKAGE_REPORT = "leakage.json"
LOGS = "logs"
VALIDATION_HISTORY = "validation.jsonl"
NEGATIVES_FILE = "negatives.jsonl"
"""Where a run mines its negatives when its config asks for them without naming a file."""
CHECKPOINTS = "checkpoints"
CHECKPOINT_PREFIX = "checkpoint-"
STAGING_PREFIX = ".tmp-"
"""Name prefix of a checkpoint (or a replaced one) being written in ``checkpoints/``."""
TRAINER_STATE = "trainer_state.json"
OPTIMIZER_STATE = "optimizer.pt"
SCHEDULER_STATE = "scheduler.pt"
MODEL = "model"

# a model folder
MODEL_MARKER = "modules.json"
"""sentence-transformers' module list: a model folder is complete when it holds this file."""
MODEL_CONFIG = "config.json"
"""A Hugging Face model's configuration."""
MODEL_CARD = "README.md"
MODEL_SETTINGS = "hybridbatch_config.yaml"
MODEL_RUN_RECORD = "hybridbatch_run.json"
MERGE_RECORD = "hybridbatch_merge.json"

# an evaluation folder
RESULTS = "results.json"
RESULTS_CSV = "results.csv"
RESULTS_MD = "results.md"
PER_QUERY = "per_query.npz"
EVAL_CONFIG = "config.json"
ROBUSTNESS_RECORD = "robustness.json"
PERTURBED_RESULTS = "perturbed_results.json"
PERTURBED_PER_QUERY = "perturbed_per_query.npz"
"""A ``perturb-<name>-<strength>/`` folder's results and per-query arrays (not results.json, so that the folder is
not taken for an evaluation of its own)."""

# an experiment folder
EXPERIMENT_RECORD = "experiment.json"
TIMING = "timing.json"
LOCK = "experiment.lock"
BASE = "base"
TRAIN = "train"
SUMMARY = "summary"
SUMMARY_FILE = "summary.md"
VALIDATION_SUMMARY = "summary-validation"
VALIDATION_TABLE = "validation.md"
VALIDATION_TABLE_JSON = "validation.json"
WISE_VALIDATION = "wise-validation.json"
BASE_VALIDATION = "metrics.json"


def checkpoint_name(step: int) -> str:
    """``checkpoint-<step>``: the folder of the checkpoint at ``step``."""
    return f"{CHECKPOINT_PREFIX}{step}"


def checkpoint_step(name: str) -> int | None:
    """The step of a ``checkpoint-<step>`` folder name; None for any other name."""
    rest = name[len(CHECKPOINT_PREFIX):] if name.startswith(CHECKPOINT_PREFIX) else ""
    return int(rest) if rest.isdigit() else None


def eval_name(benchmark: str) -> str:
    """``eval-<benchmark>``: the folder of one evaluation."""
    return f"eval-{benchmark}"


def wise_name(lam: float) -> str:
    """``wise<λ>`` (λ as ``%g``): the folder of a run's WiSE-FT merge."""
    return f"wise{lam:g}"


def soup_name(members: list[str], seed: int, train: str, *, name_train: bool) -> str:
    """``soup-<s1+s2>-s<seed>`` (``-<train>`` appended when the grid has several training sets)."""
    return f"soup-{'+'.join(members)}-s{seed}" + (f"-{train}" if name_train else "")


def base_validation_name(train: str) -> str:
    """``validation-<train>``: the base model's validation folder for training set ``train``."""
    return f"validation-{train}"
