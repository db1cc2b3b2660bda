"""The tiny grid the executor tests and benchmarks/executor_speed.py run: 2 strategies × 2 seeds on toy data
(tiny model, 2 steps of batch 8), the base model and one soup per seed, evaluated on tests/fixtures/lareqa_tiny.
Precision and device are fixed (fp32, cpu), so every process — this one or a Ray worker — computes alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.training.helpers import toy_items, write_config, write_jsonl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BENCH = f"lareqa:{FIXTURES / 'lareqa_tiny'}"


def write_tiny_grid(folder: Path, model_dir: Path, *, name: str = "tiny", grid: list[dict] | None = None,
                    max_steps: int = 2, **fields: Any) -> Path:
    """items.jsonl, train.yaml and exp.yaml in ``folder``; returns exp.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    write_config(folder / "train.yaml", {
        "model": str(model_dir), "datasets": [{"jsonl": "items.jsonl", "name": "toy"}],
        "output_dir": str(folder / "unused"), "seed": 1, "validation_fraction": 0.2,
        "training": {"batch_size": 8, "max_steps": max_steps, "eval_steps": 2, "logging_steps": 1, "loss": "mnrl",
                     "warmup_steps": 0, "max_seq_length": 32, "device": "cpu", "precision": "fp32"}})
    data = {"name": name, "train": {"toy": "train.yaml"},
            "grid": grid or [{"strategy": ["x-x-mono", "x-y"], "seed": [1, 2]}],
            "evaluate": {"benchmarks": [BENCH], "batch_size": 8, "precision": "fp32", "device": "cpu"},
            "base_model": str(model_dir), "seen_languages": ["en", "de", "es"], "device": "cpu",
            "soups": [["x-x-mono", "x-y"]], **fields}
    return write_config(folder / "exp.yaml", data)


def results(out: Path) -> dict[str, dict]:
    """Every results.json of a grid folder by its path relative to the folder."""
    return {str(p.parent.relative_to(out)): json.loads(p.read_text()) for p in sorted(out.rglob("results.json"))}


def numbers(value: Any, prefix: str = "") -> dict[str, Any]:
    """The leaves of a JSON value by their path (to compare two grids' records key by key)."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in numbers(item, f"{prefix}/{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in numbers(item, f"{prefix}[{i}]").items()}
    return {prefix: value}


def half_written(out: Path) -> list[str]:
    """Temporary files and folders that atomic writes leave only when killed (``*.tmp*``, staging folders)."""
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if ".tmp" in p.name or ".old-" in p.name)
