"""BEIR-style scoring: pytrec_eval agreement, exact ties at the cut-off, search scope, hand case."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from hybridbatch.benchmarks.beir.scoring import score_beir, search_top
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring.metrics import order_by_rule


def random_beir(seed: int, langs=("x", "y"), n_docs: int = 150, n_queries: int = 20, dim: int = 8):
    rng = np.random.default_rng(seed)
    queries, cands, qrels = [], [], {}
    for lang in langs:
        ids = [f"{lang}-d{k}" for k in range(n_docs)]
        cands += [Candidate(cid, lang, "t") for cid in ids]
        for k in range(n_queries):
            qid = f"{lang}-q{k}"
            queries.append(Query(qid, lang, qid, "?"))
            judged = rng.choice(n_docs, size=int(rng.integers(1, 9)), replace=False)
            qrels[qid] = {ids[d]: int(rng.integers(0, 4)) for d in judged}  # grade 0 = judged non-relevant
    Q = rng.standard_normal((len(queries), dim)).astype(np.float32)
    C = rng.standard_normal((len(cands), dim)).astype(np.float32)
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    C /= np.linalg.norm(C, axis=1, keepdims=True)
    bench = Benchmark("beir-random", "beir", queries, cands, qrels, list(langs))
    bench.validate()
    return bench, Q, C


def test_against_pytrec_eval():
    pytrec_eval = pytest.importorskip("pytrec_eval")
    bench, Q, C = random_beir(0)
    res, pq = score_beir(bench, Q, C)
    S = Q.astype(np.float64) @ C.T.astype(np.float64)
    run = {}
    for i, q in enumerate(bench.queries):
        cols = [j for j, c in enumerate(bench.candidates) if c.lang == q.lang]
        run[q.id] = {bench.candidates[j].id: float(S[i, j]) for j in cols}
    oracle = pytrec_eval.RelevanceEvaluator(bench.qrels, {"ndcg_cut_10", "recall_100"}).evaluate(run)
    top10 = {q: dict(sorted(d.items(), key=lambda kv: -kv[1])[:10]) for q, d in run.items()}
    rr = pytrec_eval.RelevanceEvaluator(bench.qrels, {"recip_rank"}).evaluate(top10)
    scored = 0
    for i, q in enumerate(bench.queries):
        if not any(g > 0 for g in bench.qrels[q.id].values()):
            assert math.isnan(pq["ndcg@10"][i]) and math.isnan(pq["mrr@10"][i])
            continue
        scored += 1
        assert pq["ndcg@10"][i] == pytest.approx(oracle[q.id]["ndcg_cut_10"], abs=1e-6)
        assert pq["recall@100"][i] == pytest.approx(oracle[q.id]["recall_100"], abs=1e-6)
        assert pq["mrr@10"][i] == pytest.approx(rr[q.id]["recip_rank"], abs=1e-6)
    assert 0 < pq["recall@100"][~np.isnan(pq["recall@100"])].mean() < 1
    assert res["per_language"]["x"]["n_queries"] + res["per_language"]["y"]["n_queries"] == scored
    macro = np.mean([res["per_language"][x]["ndcg@10"] for x in ("x", "y")])
    assert res["summary"]["ndcg@10"] == pytest.approx(macro)
    assert set(res) == {"benchmark", "kind", "languages", "summary", "per_language"}
    json.dumps(res, allow_nan=False)


def test_search_top_breaks_ties_by_candidate_order():
    rng = np.random.default_rng(1)
    C = (rng.integers(-1, 2, (300, 3)) / 4).astype(np.float32)  # many duplicates -> exact ties
    Q = (rng.integers(-1, 2, (30, 3)) / 4).astype(np.float32)
    top = search_top(Q, C, 100)
    S = Q.astype(np.float64) @ C.T.astype(np.float64)
    for i in range(len(Q)):
        assert top[i].tolist() == order_by_rule(S[i])[:100].tolist()


def test_hand_case_and_scope():
    # two languages; query x0 has relevant x-d1 (grade 2) and y-d0 (grade 1)
    queries = [Query("x0", "x", "x0", "?")]
    cands = [Candidate("x-d0", "x", "t"), Candidate("x-d1", "x", "t"), Candidate("y-d0", "y", "t")]
    qrels = {"x0": {"x-d1": 2, "y-d0": 1, "x-d0": 0}}
    bench = Benchmark("hand", "beir", queries, cands, qrels, ["x", "y"])
    Q = np.array([[1.0, 0.0]], dtype=np.float32)
    C = np.array([[0.5, 0.0], [0.25, 0.0], [1.0, 0.0]], dtype=np.float32)
    idcg = 2 + 1 / math.log2(3)
    # scope language: x-d1 at rank 2, y-d0 never retrieved
    res, pq = score_beir(bench, Q, C, scope="language")
    assert pq["ndcg@10"][0] == pytest.approx((2 / math.log2(3)) / idcg)
    assert pq["recall@100"][0] == 0.5 and pq["mrr@10"][0] == 0.5
    # scope all: y-d0 rank 1, x-d0 rank 2, x-d1 rank 3
    res, pq = score_beir(bench, Q, C, scope="all")
    assert pq["ndcg@10"][0] == pytest.approx((1 + 2 / 2) / idcg)
    assert pq["recall@100"][0] == 1.0 and pq["mrr@10"][0] == 1.0
    assert res["per_language"] == {"x": {"ndcg@10": pq["ndcg@10"][0], "recall@100": 1.0, "mrr@10": 1.0,
                                         "n_queries": 1}}


def test_auto_scope_pools_when_query_language_has_no_corpus():
    queries = [Query("h0", "hau", "h0", "?")]
    cands = [Candidate("e0", "en", "t"), Candidate("e1", "en", "t")]
    bench = Benchmark("afriqa-like", "beir", queries, cands, {"h0": {"e1": 1}}, ["hau", "en"])
    Q = np.array([[1.0, 0.0]], dtype=np.float32)
    C = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    res, _ = score_beir(bench, Q, C)
    assert res["summary"]["mrr@10"] == 1.0
    with pytest.raises(HybridbatchError, match="no candidate in language 'hau'"):
        score_beir(bench, Q, C, scope="language")
    with pytest.raises(HybridbatchError, match=r"expected \(2, dim\)"):
        score_beir(bench, Q, C[:1])
