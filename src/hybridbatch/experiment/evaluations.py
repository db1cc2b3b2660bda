"""How a grid evaluates a model: the evaluation config of one (model, benchmark), the reuse check of a
finished evaluation folder, and the evaluation of a model held in memory (a merge that is never saved)."""

from __future__ import annotations

import json
from typing import Any

from hybridbatch.encoding import SentenceTransformerEncoder
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.runner import resolve_hardware, run_evaluation
from hybridbatch.experiment.config import ExperimentConfig
from hybridbatch.experiment.layout import EvalFolder

# evaluation settings that must match for a finished evaluation to be reused
SAME_EVALUATION_KEYS = ("benchmark", "languages", "candidate_text", "max_seq_length", "precision", "backend",
                        "perturb", "perturb_seed")
# what a config.json written before a key existed means by its absence
STORED_DEFAULTS: dict[str, Any] = {"precision": "fp32", "backend": "torch", "perturb": [], "perturb_seed": 0}


def evaluation_config(cfg: ExperimentConfig, model: str, benchmark: str, extra: dict[str, Any]) -> EvaluationConfig:
    """The evaluation of ``model`` on ``benchmark`` with the experiment's evaluation settings."""
    device = cfg.device if cfg.evaluate.device == "auto" else cfg.evaluate.device
    fields: dict[str, Any] = {"benchmark": benchmark, "model": model, "extra": extra, "device": device}
    if benchmark in cfg.evaluate.benchmark_languages:
        fields["languages"] = list(cfg.evaluate.benchmark_languages[benchmark])
    return EvaluationConfig.from_settings(cfg.evaluate, **fields)


def check_same_evaluation(folder: EvalFolder, eval_cfg: EvaluationConfig) -> None:
    """A finished evaluation is reused only if it was made with the same evaluation settings (precision as
    resolved on this machine: ``auto`` that means fp32 here does not reuse a bf16 evaluation). Raises
    :class:`HybridbatchError` naming the folder otherwise, or when its config.json cannot be read."""
    eval_cfg = resolve_hardware(eval_cfg)
    try:
        stored = json.loads(folder.config.read_text(encoding="utf-8"))["config"]
    except (OSError, ValueError, KeyError) as exc:
        raise HybridbatchError(f"finished evaluation without a readable config.json ({exc})",
                               path=folder.path) from exc
    for key in SAME_EVALUATION_KEYS:
        want, have = getattr(eval_cfg, key), stored.get(key, STORED_DEFAULTS.get(key))
        if want != have:
            raise HybridbatchError(f"finished evaluation was made with {key}={have!r}, the experiment asks for "
                                   f"{want!r}; use another --out or delete the folder", path=folder.path)


def evaluate_into(folder: EvalFolder, cfg: ExperimentConfig, model: str, benchmark: str,
                  extra: dict[str, Any]) -> None:
    """Evaluate the model folder ``model`` on ``benchmark`` into ``folder``; a finished folder is not redone,
    only checked (:func:`check_same_evaluation`)."""
    eval_cfg = evaluation_config(cfg, model, benchmark, extra)
    if folder.finished():
        check_same_evaluation(folder, eval_cfg)
        return
    run_evaluation(eval_cfg, folder.path)


def evaluate_in_memory(model: Any, name: str, cfg: ExperimentConfig, folders: dict[str, EvalFolder],
                       extra: dict[str, Any]) -> None:
    """Evaluate a loaded SentenceTransformer (a merge built in memory) into ``folders`` (benchmark →
    folder). ``name`` stands for the model in config.json; its vectors are cached under the weights'
    identity."""
    for benchmark, folder in folders.items():
        eval_cfg = evaluation_config(cfg, name, benchmark, extra)
        encoder = SentenceTransformerEncoder(model, query_prompt=eval_cfg.query_prefix,
                                             passage_prompt=eval_cfg.passage_prefix, batch_size=eval_cfg.batch_size,
                                             label=name, precision=eval_cfg.precision, backend=eval_cfg.backend)
        run_evaluation(eval_cfg, folder.path, encoder=encoder)
