"""Paired tests on robustness drops, on fake finished evaluations of the tiny LAReQA fixture."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.lareqa import ROBUSTNESS_MEASURES
from hybridbatch.benchmarks.registry import get_scorer, load_benchmark
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.runner import write_report
from hybridbatch.reporting.compare import load_record
from hybridbatch.reporting.robustness_tests import drop_tests, per_query_drops
from hybridbatch.reporting.significance import paired_randomization_test
from hybridbatch.reporting.studies import write_studies

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LAREQA = f"lareqa:{FIXTURES / 'lareqa_tiny'}"
PERTURBATION = "char-noise:0.1"
MEASURES = [path for path, _ in ROBUSTNESS_MEASURES]


def fake_eval(folder: Path, label: str, seed: int, loss: float, *, with_folder: bool = True) -> Path:
    """An evaluation whose perturbed per-query mAPs are the clean ones minus ``loss`` (rank distance + 10·loss)."""
    bench = load_benchmark(LAREQA)
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((len(bench.queries), 12)).astype(np.float32)
    C = rng.standard_normal((len(bench.candidates), 12)).astype(np.float32)
    results, per_query = get_scorer("lareqa").score(bench, Q, C)
    folder.mkdir(parents=True)
    write_report(folder, results, per_query, EvaluationConfig(benchmark=LAREQA, embeddings="e.npz",
                                                              extra={"label": label, "seed": seed}))
    measures = {k: {"clean": 0.5, "perturbed": 0.5 - loss, "drop": loss} for k in MEASURES}
    (folder / "robustness.json").write_text(json.dumps({"benchmark": "lareqa_tiny", "seed": 0, "rows": [
        {"perturbation": PERTURBATION, "name": "char-noise", "strength": 0.1, "changed": 3, "queries": 11,
         **measures}]}))
    if with_folder:
        perturbed = {k: v - loss for k, v in per_query.items() if k.endswith("/map")}
        perturbed["bias/rank_distance"] = per_query["bias/rank_distance"] + 10 * loss
        sub = folder / "perturb-char-noise-0.1"
        sub.mkdir()
        np.savez_compressed(sub / "perturbed_per_query.npz", **perturbed)
    return folder


def test_drops_are_clean_minus_perturbed_and_rank_distance_the_other_way(tmp_path):
    rec = load_record(fake_eval(tmp_path / "a", "a", 1, 0.25))
    drops = per_query_drops(rec, PERTURBATION)
    assert np.allclose(drops["mo/map"][~np.isnan(drops["mo/map"])], 0.25)
    assert np.allclose(drops["bias/rank_distance"][~np.isnan(drops["bias/rank_distance"])], 2.5)
    assert per_query_drops(rec, "translit:1") is None  # no folder for it


def test_model_that_loses_more_is_significantly_worse_and_p_matches_the_test(tmp_path):
    recs = [load_record(fake_eval(tmp_path / "a1", "a", 1, 0.3)), load_record(fake_eval(tmp_path / "a2", "a", 2, 0.1)),
            load_record(fake_eval(tmp_path / "b", "b", 3, 0.0)),
            load_record(fake_eval(tmp_path / "c", "c", 4, 0.5, with_folder=False))]
    rows = drop_tests(recs, n_resamples=2000)
    assert {(r["a"], r["b"]) for r in rows} == {("a", "b")}  # c has no perturbed per-query file
    mo = next(r for r in rows if r["measure"] == "mo/map")
    assert mo["drop_a"] == pytest.approx(0.2) and mo["drop_b"] == pytest.approx(0.0)  # a: mean of its two seeds
    assert mo["p"] < 0.01
    expected_a = np.nanmean(np.stack([per_query_drops(r, PERTURBATION)["mo/map"] for r in recs[:2]]), axis=0)
    expected_b = per_query_drops(recs[2], PERTURBATION)["mo/map"]
    ok = ~(np.isnan(expected_a) | np.isnan(expected_b))
    assert mo["p"] == paired_randomization_test(expected_a[ok], expected_b[ok], n_resamples=2000)
    rd = next(r for r in rows if r["measure"] == "bias/rank_distance")
    assert rd["drop_a"] == pytest.approx(2.0) and rd["drop_b"] == pytest.approx(0.0)


def test_equal_drops_are_not_significant_and_the_report_lists_the_tests(tmp_path):
    recs = [load_record(fake_eval(tmp_path / "a", "a", 1, 0.2)), load_record(fake_eval(tmp_path / "b", "b", 2, 0.2))]
    rows = drop_tests(recs, n_resamples=500)
    assert rows and all(r["p"] == 1.0 for r in rows)
    write_studies(recs, tmp_path / "summary", n_resamples=500)
    text = (tmp_path / "summary" / "robustness.md").read_text()
    assert "Paired randomization tests on the drops" in text and "| lareqa_tiny | char-noise:0.1 | a | b |" in text
    assert (tmp_path / "summary" / "robustness_tests.csv").read_text().count("\n") == 1 + len(rows)
