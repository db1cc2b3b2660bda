"""The BEIR scorer: exact re-aggregation, rendering, per-language values."""

from __future__ import annotations

import numpy as np
import pytest

from hybridbatch.benchmarks.beir.scorer import BeirScorer
from hybridbatch.benchmarks.beir.scoring import score_beir
from hybridbatch.errors import HybridbatchError
from tests.benchmarks.beir.test_scoring import random_beir


@pytest.fixture
def scored():
    bench, Q, C = random_beir(4, langs=("x", "y", "z"), n_docs=40, n_queries=6)
    bench.qrels["z-q0"] = {}  # a query without relevant documents: NaN, not counted
    results, per_query = BeirScorer().score(bench, Q, C)
    return bench, Q, C, results, per_query


def test_scorer_equals_the_metric_core_and_aggregate_reproduces_it(scored):
    bench, Q, C, results, per_query = scored
    assert results == score_beir(bench, Q, C)[0]
    assert BeirScorer().aggregate(bench, {k: np.array(v) for k, v in per_query.items()}) == results
    scored_z = sum(any(g > 0 for g in bench.qrels[q.id].values()) for q in bench.queries if q.lang == "z")
    assert results["per_language"]["z"]["n_queries"] == scored_z < 6


def test_aggregate_rejects_foreign_arrays(scored):
    bench, _, _, _, per_query = scored
    with pytest.raises(HybridbatchError, match="'ndcg@10' missing"):
        BeirScorer().aggregate(bench, {"mo/map": per_query["mrr@10"]})


def test_rendering(scored, tmp_path):
    _, _, _, results, _ = scored
    s = BeirScorer()
    md = s.markdown(results).splitlines()
    assert md[2:4] == ["| lang | queries | nDCG@10 | R@100 | MRR@10 |", "|---|---|---|---|---|"]
    n = sum(row["n_queries"] for row in results["per_language"].values())
    assert md[-1] == (f"| **all** | {n} | **{results['summary']['ndcg@10']:.3f}** | "
                      f"**{results['summary']['recall@100']:.3f}** | **{results['summary']['mrr@10']:.3f}** |")
    rows = s.csv(results).splitlines()
    assert rows[1] == f"beir,all,all,ndcg@10,{results['summary']['ndcg@10']!r}"
    assert len(rows) == 1 + 3 + 3 * 4
    sm = results["summary"]
    assert s.summary_line(results) == (f"beir-random: nDCG@10 {sm['ndcg@10']:.3f}  R@100 {sm['recall@100']:.3f}  "
                                       f"MRR@10 {sm['mrr@10']:.3f}")
    s.write_plots(results, tmp_path)
    assert not list(tmp_path.iterdir())
    tables = s.per_language(results)
    assert [t.measure for t in tables] == ["ndcg@10", "recall@100", "mrr@10"]
    assert tables[0].values["y"] == results["per_language"]["y"]["ndcg@10"]
