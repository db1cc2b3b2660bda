"""Merged variants in a grid: each run's WiSE-FT merge and per-seed soups, evaluated and summarised."""

from __future__ import annotations

import json
from pathlib import Path

from hybridbatch.experiment.config import load_experiment
from hybridbatch.experiment.runner import run_experiment
from tests.training.helpers import toy_items, write_config, write_jsonl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_wise_and_soup_variants_are_evaluated_once_and_summarised(tmp_path, tiny_model_dir):
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    write_config(tmp_path / "train.yaml", {
        "model": str(tiny_model_dir), "datasets": [{"jsonl": "items.jsonl", "name": "toy"}], "seed": 1,
        "validation_fraction": 0.2,
        "training": {"batch_size": 8, "max_steps": 2, "eval_steps": 2, "loss": "mnrl", "warmup_steps": 0,
                     "max_seq_length": 32, "learning_rate": 1e-3}})
    bench = f"lareqa:{FIXTURES / 'lareqa_tiny'}"
    exp = write_config(tmp_path / "exp.yaml", {
        "name": "m", "train": {"toy": "train.yaml"}, "base_model": str(tiny_model_dir),
        "grid": [{"strategy": ["x-x-mono", "x-y"], "seed": [1]}],
        "evaluate": {"benchmarks": [bench], "batch_size": 8}, "evaluate_wise": 0.5, "soups": [["x-x-mono", "x-y"]]})
    out = run_experiment(load_experiment(exp), tmp_path / "grid")
    wise = out / "toy-x-y-s1" / "wise0.5" / f"eval-{bench}"
    soup = out / "soup-x-x-mono+x-y-s1" / f"eval-{bench}"
    for folder in (wise, soup):
        assert (folder / "results.json").is_file()
    assert json.loads((soup / "config.json").read_text())["config"]["extra"]["members"] == ["toy-x-x-mono-s1",
                                                                                           "toy-x-y-s1"]
    summary = (out / "summary" / "summary.md").read_text()
    assert "| x-y + WiSE λ=0.5 | 1 |" in summary and "| soup(x-x-mono+x-y) | 1 |" in summary
    # the merged weights are evaluated, not the run's own (metrics alone may coincide on a fixture this small)
    evaluated = json.loads((wise / "config.json").read_text())["config"]["model"]
    assert evaluated == f"wise:0.5:{tiny_model_dir}+{out / 'toy-x-y-s1' / 'train' / 'model'}"
    stamp = (soup / "results.json").stat().st_mtime_ns
    run_experiment(load_experiment(exp), tmp_path / "grid")
    assert (soup / "results.json").stat().st_mtime_ns == stamp  # not redone
