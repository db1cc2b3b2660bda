"""Metric formulas: hand-computed cases (incl. ties) and agreement with pytrec_eval and ranx."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from hybridbatch.scoring.metrics import (
    average_precision,
    columnwise_nanmean,
    ndcg_at_k,
    order_by_rule,
    ranks_by_rule,
    recall_at_k,
    reciprocal_rank,
)


def test_tie_rule_hand_case():
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.5], dtype=np.float32)
    # 0.9 first; the three 0.5 in candidate order 0, 2, 4; then 0.1
    assert ranks_by_rule(scores, np.array([0, 1, 2, 3, 4])).tolist() == [2, 1, 3, 5, 4]
    assert order_by_rule(scores).tolist() == [1, 0, 2, 4, 3]
    ranks = ranks_by_rule(scores, np.array([0, 2]))[None, :].astype(float)
    # AP = (1/2) * (1/2 + 2/3)
    assert average_precision(ranks, np.array([2]))[0] == pytest.approx((0.5 + 2 / 3) / 2, abs=1e-12)
    assert recall_at_k(ranks, np.array([2]), 2)[0] == 0.5
    assert reciprocal_rank(ranks, np.array([2]))[0] == 0.5


def test_rule_ranks_agree_with_order_on_tie_heavy_rows():
    rng = np.random.default_rng(3)
    for _ in range(20):
        scores = rng.integers(0, 4, size=30).astype(np.float32)
        order = order_by_rule(scores)
        expected = np.empty(30, dtype=np.int64)
        expected[order] = np.arange(1, 31)
        assert ranks_by_rule(scores, np.arange(30)).tolist() == expected.tolist()


def test_truncated_ap_keeps_the_full_denominator():
    # 3 relevant at ranks 1, 2 and 30; AP@20 = (1/1 + 2/2) / 3, not / min(20, 3) (same here) ...
    ranks = np.array([[1.0, 2.0, 30.0]])
    assert average_precision(ranks, np.array([3]), 20)[0] == pytest.approx(2 / 3)
    assert average_precision(ranks, np.array([3]))[0] == pytest.approx((1 + 1 + 3 / 30) / 3)
    # ... and with |R| = 25 > k = 20 (all 20 top results relevant) AP@20 = 20 / 25
    ranks = np.arange(1, 26, dtype=float)[None, :]
    assert average_precision(ranks, np.array([25]), 20)[0] == pytest.approx(0.8)


def test_padding_not_retrieved_and_empty_queries():
    ranks = np.array([[3.0, np.inf], [np.inf, np.inf]])
    n_rel = np.array([2, 0])
    ap = average_precision(ranks, n_rel)
    assert ap[0] == pytest.approx(1 / 3 / 2) and math.isnan(ap[1])
    assert recall_at_k(ranks, n_rel, 10)[0] == 0.5
    assert reciprocal_rank(ranks, n_rel, 2)[0] == 0.0
    assert reciprocal_rank(ranks, n_rel, 3)[0] == pytest.approx(1 / 3)


def test_ndcg_hand_case():
    # relevant grades 2 (rank 3) and 1 (rank 1); ideal order: 2 then 1
    ranks = np.array([[3.0, 1.0]])
    gains = np.array([[2.0, 1.0]])
    dcg = 2 / math.log2(4) + 1 / math.log2(2)
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(ranks, gains, gains, 10)[0] == pytest.approx(dcg / idcg)
    assert ndcg_at_k(ranks, gains, gains, 2)[0] == pytest.approx(1 / idcg)


def _random_runs(seed: int, n_queries: int = 25, n_docs: int = 150):
    """Random distinct scores and random graded qrels (some queries with > 20 relevant)."""
    rng = np.random.default_rng(seed)
    scores = rng.random((n_queries, n_docs))
    qrels, run = {}, {}
    for i in range(n_queries):
        n_judged = int(rng.integers(1, 40 if i % 5 == 0 else 8))
        docs = rng.choice(n_docs, size=n_judged, replace=False)
        qrels[f"q{i}"] = {f"d{d}": int(rng.integers(1, 4)) for d in docs}
        run[f"q{i}"] = {f"d{d}": float(scores[i, d]) for d in range(n_docs)}
    ranks, gains, n_rel = [], [], []
    for i in range(n_queries):
        rel = np.array([int(d[1:]) for d in qrels[f"q{i}"]])
        ranks.append(ranks_by_rule(scores[i], rel).astype(float))
        gains.append([qrels[f"q{i}"][f"d{d}"] for d in rel])
        n_rel.append(len(rel))
    m = max(len(r) for r in ranks)
    R = np.full((n_queries, m), np.inf)
    G = np.zeros((n_queries, m))
    for i, (r, g) in enumerate(zip(ranks, gains, strict=True)):
        R[i, : len(r)] = r
        G[i, : len(g)] = g
    return qrels, run, R, G, np.array(n_rel)


def test_against_pytrec_eval():
    pytrec_eval = pytest.importorskip("pytrec_eval")
    qrels, run, R, G, n_rel = _random_runs(0)
    measures = {"map", "map_cut_20", "recall_1", "recall_10", "recall_100", "ndcg_cut_10"}
    oracle = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    # trec_eval's recip_rank is not cut: cut the run to its top 10 to get MRR@10
    top10 = {q: dict(sorted(d.items(), key=lambda kv: -kv[1])[:10]) for q, d in run.items()}
    rr_oracle = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
    ours = {
        "map": average_precision(R, n_rel), "map_cut_20": average_precision(R, n_rel, 20),
        "recall_1": recall_at_k(R, n_rel, 1), "recall_10": recall_at_k(R, n_rel, 10),
        "recall_100": recall_at_k(R, n_rel, 100), "ndcg_cut_10": ndcg_at_k(R, G, G, 10),
    }
    mrr = reciprocal_rank(R, n_rel, 10)
    for i in range(len(n_rel)):
        for name, values in ours.items():
            assert values[i] == pytest.approx(oracle[f"q{i}"][name], abs=1e-6), (name, i)
        assert mrr[i] == pytest.approx(rr_oracle[f"q{i}"]["recip_rank"], abs=1e-6)
    assert any(n > 20 for n in n_rel)  # the map@20 denominator case is exercised


def test_against_ranx():
    ranx = pytest.importorskip("ranx")
    qrels, run, R, G, n_rel = _random_runs(1, n_queries=15)
    oracle = ranx.evaluate(ranx.Qrels(qrels), ranx.Run(run), ["map", "map@20", "recall@10", "ndcg@10",
                                                              "mrr@10"], return_mean=False)
    order = list(ranx.Qrels(qrels).keys())  # ranx returns arrays in its qrels key order
    idx = np.array([int(q[1:]) for q in order])
    np.testing.assert_allclose(average_precision(R, n_rel)[idx], oracle["map"], atol=1e-6)
    np.testing.assert_allclose(average_precision(R, n_rel, 20)[idx], oracle["map@20"], atol=1e-6)
    np.testing.assert_allclose(recall_at_k(R, n_rel, 10)[idx], oracle["recall@10"], atol=1e-6)
    np.testing.assert_allclose(ndcg_at_k(R, G, G, 10)[idx], oracle["ndcg@10"], atol=1e-6)
    np.testing.assert_allclose(reciprocal_rank(R, n_rel, 10)[idx], oracle["mrr@10"], atol=1e-6)


def test_columnwise_nanmean_skips_nan_and_keeps_all_nan_columns_undefined():
    a = np.array([1.0, np.nan, np.nan, 4.0])
    b = np.array([3.0, 2.0, np.nan, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = columnwise_nanmean([a, b])
    np.testing.assert_array_equal(got[[0, 1, 3]], [2.0, 2.0, 4.0])
    assert np.isnan(got[2])
    np.testing.assert_array_equal(columnwise_nanmean([a]), a)
