"""Language bias: rank distance and top-10 own-language share, hand-computed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hybridbatch.benchmarks.lareqa.scoring import score_lareqa
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.scoring.bias import language_bias, rank_distance


def test_rank_distance_per_query():
    inf = np.inf
    ranks = np.array([[1, 5, 3], [7, inf, inf], [2, 40, inf], [inf, inf, inf]], dtype=float)
    d = rank_distance(ranks)
    assert d[0] == 4 and d[2] == 38
    assert math.isnan(d[1]) and math.isnan(d[3])  # fewer than 2 relevant


def test_language_bias_means_per_language_then_over_languages():
    inf = np.inf
    pooled = np.array([[1, 3], [1, 11], [2, 4], [5, inf]], dtype=float)
    rel_lang = np.array([[0, 1], [0, 1], [1, 0], [1, -1]])
    q_lang = np.array([0, 0, 1, 1])
    top_own = np.array([10, 6, 3, 1])
    res, pq = language_bias(pooled, rel_lang, top_own, 10, q_lang, ["x", "y"])
    assert res["rank_distance"] == {"x": 6.0, "y": 2.0}  # x: (2 + 10) / 2; y: only query 2 has 2 relevant
    assert res["rank_distance_mean"] == 4.0
    assert res["top10_own_share"] == pytest.approx({"x": 0.8, "y": 0.2})
    assert res["relevant_own_share"] == pytest.approx({"x": 0.5, "y": 0.75})
    assert math.isnan(pq["rank_distance"][3]) and pq["relevant_own_share"][3] == 1.0


def test_known_rank_distance_end_to_end():
    """Languages a, b; 3 parallel questions; 4 distractors per language.

    A distractor scores above every foreign answer for queries of language a only, so for a query in a
    the foreign answer is ranked after the own answer and all 8 distractors (distance 10 - 1 = 9); for a
    query in b it comes right after the own answer (distance 1).
    """
    langs = ["a", "b"]
    queries = [Query(f"{x}{g}", x, f"g{g}", "?") for x in langs for g in range(3)]
    cands = [Candidate(f"{x}-ans{g}", x, "s") for x in langs for g in range(3)]
    cands += [Candidate(f"{x}-dis{k}", x, "d") for x in langs for k in range(4)]
    qrels = {q.id: {f"{y}-ans{q.group[1:]}": 1 for y in langs} for q in queries}
    bench = Benchmark("bias", "lareqa", queries, cands, qrels, langs)
    S = np.zeros((len(queries), len(cands)), dtype=np.float32)
    for i, q in enumerate(queries):
        for j, c in enumerate(cands):
            if c.id.endswith(f"ans{q.group[1:]}"):
                S[i, j] = 0.5 if c.lang == q.lang else 0.25
            elif "dis" in c.id:
                S[i, j] = 0.375 if q.lang == "a" else 0.125
    S /= 8
    n_q, n_c = S.shape
    Q = np.hstack([np.eye(n_q), np.zeros((n_q, n_c))]).astype(np.float32)
    C = np.hstack([S.T, np.diag(np.sqrt(1 - (S.astype(np.float64) ** 2).sum(0)))]).astype(np.float32)
    res, pq = score_lareqa(bench, Q, C)
    assert res["bias"]["rank_distance"] == {"a": 9.0, "b": 1.0}
    assert res["summary"]["rank_distance"] == 5.0
    np.testing.assert_array_equal(pq["bias/rank_distance"], [9, 9, 9, 1, 1, 1])
    # query in a: own answer + 8 distractors (4 own) + 1 other answer in the top 10 -> 5 own
    # query in b: own answer, foreign answer, then the 8 distractors (tied at 0.125) -> 5 own
    assert res["bias"]["top10_own_share"] == pytest.approx({"a": 0.5, "b": 0.5})
    assert res["bias"]["relevant_own_share"] == {"a": 0.5, "b": 0.5}
