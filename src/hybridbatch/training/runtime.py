"""What a training configuration means on this machine and for this model: the device and precision it
runs in, and the query / passage prompts. Light (no torch import), so that mining and merging resolve
these exactly as training does without loading the trainer."""

from __future__ import annotations

import logging
from typing import Any

from hybridbatch.errors import HybridbatchError
from hybridbatch.hardware import resolve_device, resolve_precision
from hybridbatch.training.config import PAPER_PROMPTS, TrainConfig, apply_overrides

log = logging.getLogger(__name__)


def resolve_hardware(config: TrainConfig) -> TrainConfig:
    """A checked copy with ``training.device`` and ``training.precision`` resolved for this machine (what
    config.yaml records and the trainer uses)."""
    config.validate()
    device = resolve_device(config.training.device)
    precision = resolve_precision(config.training.precision, device)
    if (device, precision) != (config.training.device, config.training.precision):
        log.info("training on %s in %s", device, precision)
    return apply_overrides(config, {"training.device": device, "training.precision": precision})


def resolve_prompts(model: Any, mode: str) -> dict[str, str]:
    """``{"query": ..., "passage": ...}`` prefixes: ``paper`` (Query: / Passage: ), ``model`` (the
    model's own query/passage prompts), ``auto`` (model's if it has both, else paper), ``none``."""
    own = dict(getattr(model, "prompts", None) or {})
    own_passage = own.get("passage") or own.get("document")
    has_own = bool(own.get("query")) and bool(own_passage)
    if mode == "none":
        return {"query": "", "passage": ""}
    if mode == "paper" or (mode == "auto" and not has_own):
        return dict(PAPER_PROMPTS)
    if not has_own:
        raise HybridbatchError("training.prompts is 'model' but the model has no query/passage prompts")
    return {"query": own["query"], "passage": own_passage}
