"""Trainer checkpoints: which one ``--resume`` continues from, whether it is readable, whether the
run's configuration still allows continuing the same batch sequence, and what a killed run left behind.

A checkpoint is written under ``checkpoints/.tmp-checkpoint-N/`` and renamed to ``checkpoints/checkpoint-N``
only when complete (see :mod:`.safe_trainer`), so a ``checkpoint-N`` folder is either whole or absent."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
from pathlib import Path

import yaml

from hybridbatch.errors import HybridbatchError
from hybridbatch.outputs import remove_stale
from hybridbatch.run_files import (
    CHECKPOINT_PREFIX,
    CHECKPOINTS,
    LEAKAGE_REPORT,
    MODEL,
    MODEL_MARKER,
    OPTIMIZER_STATE,
    RUN_RECORD,
    SCHEDULER_STATE,
    STAGING_PREFIX,
    TRAIN_CONFIG,
    TRAINER_STATE,
    checkpoint_step,
)
from hybridbatch.training.config import TrainConfig, to_dict

log = logging.getLogger(__name__)
# settings that may change between an interrupted run and its resumption (device and precision: a run may
# continue on another machine; the batch sequence does not depend on them)
RESUMABLE_KEYS = {"training.max_steps", "training.early_stopping_patience", "training.logging_steps",
                  "training.save_total_limit", "allow_leakage", "output_dir", "training.device",
                  "training.precision"}
ADDED_KEYS = {"sampling.dataset_weighting": "size", "training.length_sorted": False, "negatives.file": None,
              "negatives.policy": None, "negatives.candidates": None, "negatives.per_query": 4,
              "negatives.range_min": 0, "negatives.range_max": 200, "negatives.margin": 0.0}
"""Keys added after runs were saved, with the value that reproduces the runs saved without them."""
KILL_ENV = "HYBRIDBATCH_TEST_KILL_AT"
RUN_FILES = (TRAIN_CONFIG, RUN_RECORD, LEAKAGE_REPORT)
"""Files the trainer writes (atomically) at the top of a run folder."""


def kill_point(name: str) -> None:
    """Fault-injection hook for tests: SIGKILL this process when ``$HYBRIDBATCH_TEST_KILL_AT`` is ``name``
    (``step-N``: inside step N, before its optimizer update; ``checkpoint-N``: checkpoint N half written;
    ``final-save``: the final model half written)."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def remove_stale_temporaries(out: Path) -> list[Path]:
    """Remove what a killed run left half-written in ``out``: staged checkpoints, the final model's temporary
    folder, temporary run files. Returns the removed paths."""
    stale = [p for p in (Path(out) / CHECKPOINTS).glob(f"{STAGING_PREFIX}*")]
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    stale += remove_stale(Path(out), MODEL)
    for name in RUN_FILES:  # outputs.atomic_file's temporary files, killed mid-write
        for p in Path(out).glob(f"{name}*.tmp"):
            p.unlink(missing_ok=True)
            stale.append(p)
    for p in stale:
        log.warning("removed %s, left by an interrupted run", p)
    return stale


def checkpoint_to_resume(out: Path, resume: str | None, config: TrainConfig) -> Path | None:
    """The checkpoint to continue from: None for a fresh run, the newest complete ``checkpoints/checkpoint-N``
    for ``"latest"`` (incomplete ones skipped with a warning; None, with a warning, when there is none), else
    the folder ``resume``. Raises when ``resume`` names an unreadable checkpoint, when no checkpoint of the
    run is complete, or when the configuration changed in a way that breaks the batch sequence."""
    if resume is None:
        if any((out / CHECKPOINTS).glob(f"{CHECKPOINT_PREFIX}*")):
            raise HybridbatchError("output folder already holds checkpoints; pass --resume or choose another "
                                   "--out", path=out)
        return None
    if resume == "latest":
        steps = {p: checkpoint_step(p.name) for p in (out / CHECKPOINTS).glob(f"{CHECKPOINT_PREFIX}*")}
        found = sorted((p for p, step in steps.items() if step is not None), key=steps.__getitem__)
        if not found:
            log.warning("no checkpoint in %s; starting afresh", out / CHECKPOINTS)
            return None
        path = newest_complete(found)
    else:
        path = Path(resume)
        check_checkpoint(path)
    check_same_config(out, config)
    log.warning("resuming from %s", path)
    return path


def newest_complete(found: list[Path]) -> Path:
    """The last of ``found`` (oldest first) that :func:`check_checkpoint` accepts; raises if none is."""
    reasons = []
    for path in reversed(found):
        try:
            check_checkpoint(path)
            return path
        except HybridbatchError as exc:
            log.warning("skipping incomplete checkpoint: %s", exc)
            reasons.append(f"{path.name}: {str(exc).removeprefix(str(path) + ': ')}")
    raise HybridbatchError(f"no complete checkpoint to resume from ({'; '.join(reasons)}); start a new run "
                           "with another --out", path=found[-1].parent)


def check_checkpoint(path: Path) -> None:
    """Raise HybridbatchError unless ``path`` is a readable trainer checkpoint."""
    path = Path(path)
    if not path.is_dir():
        raise HybridbatchError("checkpoint folder not found", path=path)
    try:
        state = json.loads((path / TRAINER_STATE).read_text(encoding="utf-8"))
        int(state["global_step"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HybridbatchError(f"unreadable checkpoint: {TRAINER_STATE} ({type(exc).__name__})",
                               path=path) from None
    for name in (OPTIMIZER_STATE, SCHEDULER_STATE, MODEL_MARKER):
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
    saved_path = out / TRAIN_CONFIG
    if not saved_path.is_file():
        return
    saved = ADDED_KEYS | _flatten(yaml.safe_load(saved_path.read_text(encoding="utf-8")) or {})
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
