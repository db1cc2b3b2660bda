"""The LAReQA scorer: measures, exact re-aggregation, rendering (Markdown, CSV, plots), per-language values."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from hybridbatch.benchmarks.lareqa.scorer import LareqaScorer
from hybridbatch.benchmarks.lareqa.scoring import score_lareqa
from hybridbatch.errors import HybridbatchError
from tests.helpers import parallel_benchmark


@pytest.fixture
def scored():
    bench = parallel_benchmark(["de", "en", "es"], n_groups=5, distractors=2)
    # MLQA-like gap: drop the es answer of group 0, so pair X-es has an unscored query
    bench.qrels["en:q0"].pop("es:a0")
    rng = np.random.default_rng(3)
    Q = rng.standard_normal((len(bench.queries), 8)).astype(np.float32)
    C = rng.standard_normal((len(bench.candidates), 8)).astype(np.float32)
    results, per_query = LareqaScorer().score(bench, Q, C)
    return bench, Q, C, results, per_query


def test_scorer_equals_the_metric_core(scored):
    bench, Q, C, results, per_query = scored
    core, core_pq = score_lareqa(bench, Q, C)
    assert results == core
    assert set(per_query) == set(core_pq)


def test_aggregate_reproduces_score_exactly_from_stored_arrays(scored, tmp_path):
    bench, _, _, results, per_query = scored
    np.savez_compressed(tmp_path / "pq.npz", **per_query)
    with np.load(tmp_path / "pq.npz") as data:
        stored = {k: data[k] for k in data.files}
    assert LareqaScorer().aggregate(bench, stored) == results


def test_aggregate_rejects_foreign_arrays(scored):
    bench, _, _, _, per_query = scored
    with pytest.raises(HybridbatchError, match="lack 'pairs/map'"):
        LareqaScorer().aggregate(bench, {"ndcg@10": per_query["mo/map"]})
    with pytest.raises(HybridbatchError, match="shape"):
        LareqaScorer().aggregate(bench, {**per_query, "mul/map": per_query["mul/map"][:-1]})


def test_measures_reproduce_the_summary_table_columns():
    s = LareqaScorer()
    assert [m.label for m in s.measures] == ["Mo.", "Cr.", "Mul.", "mAP@20 Mul.", "R@1 Mul.", "R@10 Mul.",
                                             "MRR@10 Mo.", "MRR@10 Cr.", "MRR@10 Mul.",
                                             "rank distance"]
    assert [m.per_query for m in s.measures if m.per_query] == ["mo/map", "cr/map", "mul/map",
                                                                "bias/rank_distance"]
    assert s.primary.name == "mo" and s.primary.greater_is_better
    assert not s.measures[-1].greater_is_better


def test_markdown_layout(scored):
    _, _, _, results, _ = scored
    md = LareqaScorer().markdown(results)
    lines = md.splitlines()
    assert lines[0] == "# toy: 3 languages, 15 questions, 45 candidates"
    assert lines[2:4] == ["| metric | Mo. | Cr. | Mul. |", "|---|---|---|---|"]
    s = results["summary"]
    assert lines[4] == f"| mAP | {s['mo']['map']:.3f} | {s['cr']['map']:.3f} | {s['mul']['map']:.3f} |"
    assert f"**{s['rank_distance']:.1f}**" in md
    assert "| X \\ Y | de | en | es |" in lines
    assert md.endswith("|\n")


def test_csv_has_one_row_per_number(scored):
    _, _, _, results, _ = scored
    rows = list(csv.reader(io.StringIO(LareqaScorer().csv(results))))
    L = len(results["languages"])
    expected = 1 + 3 * 5 + 1 + L * L * 6 + L * 6 + 3 * L  # 5 metrics (with MRR@10) + n_queries per entry
    assert len(rows) == expected
    assert rows[1] == ["mo", "all", "all", "map", repr(results["summary"]["mo"]["map"])]


def test_plots_and_summary_line(scored, tmp_path):
    _, _, _, results, _ = scored
    s = LareqaScorer()
    s.write_plots(results, tmp_path)
    assert (tmp_path / "heatmap_map.png").stat().st_size > 0
    assert (tmp_path / "rank_distance.png").stat().st_size > 0
    sm = results["summary"]
    assert s.summary_line(results) == (f"toy: mAP Mo. {sm['mo']['map']:.3f}  Cr. {sm['cr']['map']:.3f}  "
                                       f"Mul. {sm['mul']['map']:.3f}  rank distance {sm['rank_distance']:.1f}")


def test_per_language(scored):
    _, _, _, results, _ = scored
    tables = LareqaScorer().per_language(results)
    assert [t.title for t in tables] == ["Mo. mAP (X→X)", "Mul. mAP", "rank distance"]
    assert [t.measure for t in tables] == ["mo", "mul", "rank_distance"]
    assert tables[0].values["de"] == results["pairs"]["de-de"]["map"]
    assert tables[2].digits == 1
