"""Comparing finished evaluations of any kind: tables from the scorer's measures, significance, α sweep."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.registry import get_scorer, load_benchmark
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.runner import write_report
from hybridbatch.reporting.compare import (
    alpha_points,
    alpha_sweep_plot,
    load_record,
    per_language_tables,
    significance_csv,
    significance_table,
    summary_tables,
    write_comparison,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SPECS = {"lareqa": f"lareqa:{FIXTURES / 'lareqa_tiny'}", "beir": f"beir:{FIXTURES / 'beir_tiny'}"}


def make_eval(folder: Path, kind: str, vectors_seed: int, **extra) -> Path:
    """An evaluation folder of random vectors (what ``hybridbatch evaluate`` writes)."""
    bench = load_benchmark(SPECS[kind])
    rng = np.random.default_rng(vectors_seed)
    Q = rng.standard_normal((len(bench.queries), 12)).astype(np.float32)
    C = rng.standard_normal((len(bench.candidates), 12)).astype(np.float32)
    results, per_query = get_scorer(kind).score(bench, Q, C)
    folder.mkdir(parents=True)
    write_report(folder, results, per_query, EvaluationConfig(benchmark=SPECS[kind], embeddings="e.npz",
                                                              extra=extra))
    return folder


def test_lareqa_summary_table_layout(tmp_path):
    recs = [load_record(make_eval(tmp_path / f"s{i}", "lareqa", i, label="sys", seed=i)) for i in (1, 2)]
    recs.append(load_record(make_eval(tmp_path / "base", "lareqa", 7, label="base")))
    md, data = summary_tables(recs)
    lines = md.splitlines()
    assert lines[:5] == ["## lareqa_tiny", "", "Table 1 layout: mAP (mean ± std over seeds; n = number of seeds)",
                         "", "| model | n | Mo. | Cr. | Mul. | mAP@20 Mul. | R@1 Mul. | R@10 Mul. | MRR@10 Mo. | MRR@10 Cr. | "
                         "MRR@10 Mul. | rank distance |"]
    mo = [r.results["summary"]["mo"]["map"] for r in recs[:2]]
    assert lines[6].startswith(f"| sys | 2 | {np.mean(mo):.3f} ± {np.std(mo, ddof=1):.3f} |")
    assert data["lareqa_tiny"]["sys"]["mo"] == pytest.approx((np.mean(mo), np.std(mo, ddof=1)))
    assert data["lareqa_tiny"]["base"]["n"] == 1
    assert set(data["lareqa_tiny"]["base"]) == {"mo", "cr", "mul", "mul_map@20", "mul_r@1", "mul_r@10", "mo_mrr@10",
                                                "cr_mrr@10", "mul_mrr@10",
                                                "rank_distance", "n"}
    _, rows = significance_table(recs, n_resamples=100)
    assert {r["measure"] for r in rows} == {"mo/map", "cr/map", "mul/map", "bias/rank_distance"}
    per_lang = per_language_tables(recs, {"de", "en"})
    assert "### lareqa_tiny: Mo. mAP (X→X) per query language" in per_lang
    assert "| model | de | en | es* |" in per_lang


def test_beir_evaluations_compare(tmp_path):
    recs = [load_record(make_eval(tmp_path / name, "beir", i)) for i, name in enumerate(["a", "b"])]
    md, data = summary_tables(recs)
    assert "| model | n | nDCG@10 | R@100 | MRR@10 |" in md
    assert data["beir_tiny-test"]["a"]["ndcg@10"][0] == pytest.approx(recs[0].results["summary"]["ndcg@10"])
    sig_md, rows = significance_table(recs, n_resamples=100)
    assert {r["measure"] for r in rows} <= {"ndcg@10", "recall@100", "mrr@10"} and rows
    assert "| beir_tiny-test | a | b | nDCG@10 |" in sig_md
    assert "### beir_tiny-test: MRR@10 per query language" in per_language_tables(recs, None)
    write_comparison(recs, tmp_path / "cmp", n_resamples=100)
    assert json.loads((tmp_path / "cmp" / "summary.json").read_text())["tables"]["beir_tiny-test"]["b"]["n"] == 1


def test_one_benchmark_from_two_kinds_is_an_error(tmp_path):
    a = load_record(make_eval(tmp_path / "a", "beir", 0))
    b = load_record(make_eval(tmp_path / "b", "beir", 1))
    b.results["kind"] = "lareqa"
    with pytest.raises(HybridbatchError, match="different kinds"):
        summary_tables([a, b])


@pytest.mark.parametrize("kind", ["lareqa", "beir"])
def test_alpha_sweep_plot(tmp_path, kind):
    runs = [("x-y", None), ("hybrid", 0.5), ("x-x-mono", None)]
    recs = [load_record(make_eval(tmp_path / f"r{i}", kind, i, label=s, strategy=s, alpha=a))
            for i, (s, a) in enumerate(runs)]
    assert alpha_sweep_plot(recs, tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").stat().st_size > 0
    assert not alpha_sweep_plot(recs[:2], tmp_path / "none.png")


def test_alpha_sweep_never_pools_training_sets_or_language_subsets(tmp_path):
    runs = [("x-y", None, "mlqa-r", None), ("hybrid", 0.5, "mlqa-r", None), ("hybrid", 0.5, "mix", None),
            ("x-x-mono", None, "mix", None), ("hybrid", 0.5, "mlqa-r", ["en"]), ("hybrid", 0.5, "mlqa-r", ["en"])]
    recs = [load_record(make_eval(tmp_path / f"r{i}", "lareqa", i, label=f"{s} {t} {lang}", strategy=s, alpha=a,
                                  train=t, **({"train_languages": lang} if lang else {})))
            for i, (s, a, t, lang) in enumerate(runs)]
    points = alpha_points(recs)
    assert {setting: {a: len(v) for a, v in pts.items()} for (_, setting), pts in points.items()} == {
        "train=mlqa-r": {0.0: 1, 0.5: 1}, "train=mix": {0.5: 1, 1.0: 1}, "train=mlqa-r languages=en": {0.5: 2}}
    # pooled over training sets these would be 3 α values; per setting none has 3, so there is no sweep
    assert not alpha_sweep_plot(recs, tmp_path / "none.png")
    recs.append(load_record(make_eval(tmp_path / "r9", "lareqa", 9, label="x", strategy="x-x-mono", train="mlqa-r")))
    assert alpha_sweep_plot(recs, tmp_path / "sweep.png")


def test_tradeoff_plot_one_marker_per_evaluation_for_lareqa_only(tmp_path, monkeypatch):
    import hybridbatch.reporting.compare as compare
    from hybridbatch.reporting.compare import tradeoff_plot

    drawn = {}
    monkeypatch.setattr(compare, "tradeoff_scatter", lambda points, path, **kw: drawn.update(points=points, **kw))
    recs = [load_record(make_eval(tmp_path / f"s{i}", "lareqa", i, label="sys", seed=i)) for i in (1, 2)]
    recs.append(load_record(make_eval(tmp_path / "base", "lareqa", 7, label="base (untrained)")))
    assert tradeoff_plot(recs, tmp_path / "t.png")
    assert [p[0] for p in drawn["points"]] == ["sys", "sys", "base (untrained)"]
    first = drawn["points"][0]
    summary = recs[0].results["summary"]
    assert first[1:] == (summary["mul"]["map"], summary["mo"]["map"], summary["rank_distance"])
    assert drawn["xlabel"] == "Mul. mAP" and drawn["highlight"] == "base (untrained)"
    beir = [load_record(make_eval(tmp_path / name, "beir", i)) for i, name in enumerate(["a", "b"])]
    assert not tradeoff_plot(beir, tmp_path / "none.png")
    write_comparison(recs, tmp_path / "cmp", n_resamples=50)
    assert "tradeoff.png" in (tmp_path / "cmp" / "summary.md").read_text()


def test_significance_csv_keeps_labels_with_commas_and_quotes_in_one_field(tmp_path):
    labels = ['hybrid α=0.5 (train=mix, dataset_weighting=uniform)', 'x-y "quoted", train=mix']
    recs = [load_record(make_eval(tmp_path / f"r{i}", "lareqa", i, label=label)) for i, label in enumerate(labels)]
    write_comparison(recs, tmp_path / "cmp", n_resamples=50)
    _, rows = significance_table(recs, n_resamples=50)
    parsed = list(csv.DictReader(io.StringIO((tmp_path / "cmp" / "significance.csv").read_text(encoding="utf-8"))))
    assert len(parsed) == len(rows) == 4
    assert {(r["a"], r["b"]) for r in parsed} == {tuple(labels)}
    assert [r["measure"] for r in parsed] == [r["measure"] for r in rows]
    assert [float(r["mean_a"]) for r in parsed] == pytest.approx([r["mean_a"] for r in rows], abs=1e-6)
    assert significance_csv([]) == "benchmark,a,b,measure,mean_a,mean_b,p,n\n"
