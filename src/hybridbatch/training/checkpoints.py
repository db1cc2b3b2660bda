"""Trainer checkpoints: which one ``--resume`` continues from, whether it is readable, and whether the
run's configuration still allows continuing the same batch sequence."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import yaml

from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import TrainConfig, to_dict

log = logging.getLogger(__name__)
# settings that may change between an interrupted run and its resumption (device and precision: a run may
# continue on another machine; the batch sequence does not depend on them)
RESUMABLE_KEYS = {"training.max_steps", "training.early_stopping_patience", "training.logging_steps",
                  "training.save_total_limit", "allow_leakage", "output_dir", "training.device",
                  "training.precision"}


def checkpoint_to_resume(out: Path, resume: str | None, config: TrainConfig) -> Path | None:
    """The checkpoint to continue from: None for a fresh run, the newest ``checkpoints/checkpoint-N`` for
    ``"latest"`` (None, with a warning, when there is none), else the folder ``resume``. Raises when the
    checkpoint is unreadable or the configuration changed in a way that breaks the batch sequence."""
    if resume is None:
        if any((out / "checkpoints").glob("checkpoint-*")):
            raise HybridbatchError("output folder already holds checkpoints; pass --resume or choose another "
                                   "--out", path=out)
        return None
    if resume == "latest":
        found = sorted((p for p in (out / "checkpoints").glob("checkpoint-*") if p.name[11:].isdigit()),
                       key=lambda p: int(p.name[11:]))
        if not found:
            log.warning("no checkpoint in %s; starting afresh", out / "checkpoints")
            return None
        path = found[-1]
    else:
        path = Path(resume)
    check_checkpoint(path)
    check_same_config(out, config)
    return path


def check_checkpoint(path: Path) -> None:
    """Raise HybridbatchError unless ``path`` is a readable trainer checkpoint."""
    path = Path(path)
    if not path.is_dir():
        raise HybridbatchError("checkpoint folder not found", path=path)
    try:
        state = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
        int(state["global_step"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HybridbatchError(f"unreadable checkpoint: trainer_state.json ({type(exc).__name__})",
                               path=path) from None
    for name in ("optimizer.pt", "scheduler.pt", "modules.json"):
        f = path / name
        if not f.is_file() or f.stat().st_size == 0:
            raise HybridbatchError(f"unreadable checkpoint: {name} missing or empty", path=path)
    weights = list(path.rglob("*.safetensors"))
    if not weights:
        raise HybridbatchError("unreadable checkpoint: no model weights (*.safetensors)", path=path)
    from safetensors import safe_open

    for w in weights:
        try:
            with safe_open(str(w), framework="pt") as handle:
                handle.keys()
        except Exception as exc:  # safetensors raises its own error types
            raise HybridbatchError(f"unreadable checkpoint: {w.name}: {exc}", path=path) from None


def check_same_config(out: Path, config: TrainConfig) -> None:
    """Raise when ``out/config.yaml`` differs from ``config`` outside :data:`RESUMABLE_KEYS`."""
    saved_path = out / "config.yaml"
    if not saved_path.is_file():
        return
    saved = _flatten(yaml.safe_load(saved_path.read_text(encoding="utf-8")) or {})
    now = _flatten(to_dict(config))
    differ = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k) and k not in RESUMABLE_KEYS)
    if differ:
        raise HybridbatchError(f"cannot resume with a different configuration ({', '.join(differ)} changed); "
                               "the batch sequence would not continue", path=saved_path)


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out |= _flatten(v, f"{prefix}{k}.")
        else:
            out[f"{prefix}{k}"] = v
    return out
