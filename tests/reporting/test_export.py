"""``export-records``: an experiment's records without weights, and report's tables and paired tests unchanged
on the copy (also with the per-query arrays reduced to what the tests read, as float32)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.cli import main
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.runner import run_evaluation
from hybridbatch.reporting.export import export_records
from tests.conftest import MockEncoder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HEADER = {"format": "hybridbatch-negatives", "version": 1, "policy": "same-language", "per_query": 4}


def _experiment(tmp_path: Path) -> Path:
    """An experiment-shaped folder: base and two seeds of one run (XNLI fixture, clean and perturbed), a
    training folder with a model, checkpoints, logs and mined negatives, a lock and a partial write."""
    shutil.copytree(FIXTURES / "xnli_tiny", tmp_path / "data" / "xnli")
    exp = tmp_path / "exp"
    for run, (dim, name) in {"base": (16, "base"), "hybrid-s1": (12, "h1"), "hybrid-s2": (12, "h2")}.items():
        label = "base" if run == "base" else "hybrid"
        cfg = EvaluationConfig(benchmark="xnli", model=name, data_dir=str(tmp_path / "data"),
                               perturb=["char-noise:0.5"], extra={"label": label, "seed": run[-1:]})
        run_evaluation(cfg, exp / run / "eval-xnli", encoder=MockEncoder(dim, name))
    train = exp / "hybrid-s1" / "train"
    (train / "model" / "1_Pooling").mkdir(parents=True)
    (train / "model" / "modules.json").write_text("[]")
    (train / "model" / "README.md").write_text("# model card\n")
    (train / "model" / "model.safetensors").write_bytes(b"\0" * 1000)
    (train / "checkpoints" / "checkpoint-10").mkdir(parents=True)
    (train / "checkpoints" / "checkpoint-10" / "optimizer.pt").write_bytes(b"\0" * 100)
    (train / "logs").mkdir()
    (train / "logs" / "events.out.tfevents.1").write_bytes(b"\0")
    (train / "config.yaml").write_text("seed: 1\n")
    (train / "validation.jsonl").write_text('{"step": 10, "mul": 0.5}\n')
    (train / "negatives.jsonl").write_text(json.dumps(HEADER) + "\n" + '{"query": 0, "negatives": [1]}\n')
    (exp / "experiment.lock").write_text("pid 1")
    (exp / ".summary.tmp-abc").mkdir()
    return exp


def test_export_leaves_out_weights_and_keeps_the_records(tmp_path, capsys):
    exp = _experiment(tmp_path)
    out = tmp_path / "records"
    assert main(["export-records", str(exp), "--out", str(out)]) == 0
    assert "left out: locks and partial writes: 2; mined negatives: 1; model folders: 1; training checkpoints/: 1; " \
           "training logs/: 1" in capsys.readouterr().out
    train = out / "hybrid-s1" / "train"
    assert sorted(p.name for p in train.iterdir()) == ["config.yaml", "model-card.md", "negatives-header.json",
                                                       "validation.jsonl"]
    assert (train / "model-card.md").read_text() == "# model card\n"
    assert json.loads((train / "negatives-header.json").read_text()) == HEADER
    assert not (out / "experiment.lock").exists() and not list(out.glob(".*"))
    for file in (p for p in exp.rglob("*") if p.is_file() and "eval-xnli" in p.parts):  # evaluations byte for byte
        assert (out / file.relative_to(exp)).read_bytes() == file.read_bytes(), file


def test_paired_per_query_arrays_are_small_and_give_the_same_report(tmp_path):
    exp = _experiment(tmp_path)
    slim = tmp_path / "slim"
    export_records(exp, slim, per_query="paired")
    for name in ("per_query.npz", "perturb-char-noise-0.5/perturbed_per_query.npz"):
        with np.load(exp / "base" / "eval-xnli" / name) as full, np.load(slim / "base" / "eval-xnli" / name) as small:
            assert "cosine" in full.files
            assert sorted(small.files) == ["cross/acc", "cross/ap", "mono/acc", "mono/ap"]
            for key in small.files:
                assert small[key].dtype == np.float32
                np.testing.assert_allclose(small[key], full[key], rtol=1e-6, equal_nan=True)
    reports = {}
    for name, folder in (("full", exp), ("slim", slim)):
        assert main(["report", str(folder), "--out", str(tmp_path / f"report-{name}"), "--resamples", "500"]) == 0
        with (tmp_path / f"report-{name}" / "significance.csv").open() as handle:
            reports[name] = list(csv.DictReader(handle))
        robustness = (tmp_path / f"report-{name}" / "robustness.md").read_text()
        assert "Paired randomization tests on the drops" in robustness
    assert reports["full"] and len(reports["full"]) == len(reports["slim"])
    for a, b in zip(reports["full"], reports["slim"]):
        assert (a["a"], a["b"], a["measure"], a["n"]) == (b["a"], b["b"], b["measure"], b["n"])
        for key in ("mean_a", "mean_b", "p"):
            assert float(a[key]) == pytest.approx(float(b[key]), abs=1e-6)


def test_bad_requests_are_refused_and_write_nothing(tmp_path):
    exp = _experiment(tmp_path)
    with pytest.raises(HybridbatchError, match="must not contain one another"):
        export_records(exp, exp / "records")
    out = tmp_path / "records"
    out.mkdir()
    with pytest.raises(HybridbatchError, match="already exists"):
        export_records(exp, out)
    with pytest.raises(HybridbatchError, match="model folder"):
        export_records(exp / "hybrid-s1" / "train" / "model", tmp_path / "m")
    (exp / "hybrid-s1" / "train" / "negatives.jsonl").write_text('{"query": 0}\n')
    with pytest.raises(HybridbatchError, match="negatives.jsonl: line 1 is not a negatives header"):
        export_records(exp, out, replace=True)
    assert list(out.iterdir()) == [] and not list(tmp_path.glob(".records.tmp-*"))
    (exp / "base" / "eval-xnli" / "results.json").unlink()
    with pytest.raises(HybridbatchError, match="per-query arrays without results.json"):
        export_records(exp, tmp_path / "other", per_query="paired")
    assert not (tmp_path / "other").exists()
