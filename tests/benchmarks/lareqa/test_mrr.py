"""MRR@10 in the LAReQA outputs (Mo./Cr./Mul.) against ranx, and old per-query files without it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hybridbatch.benchmarks.lareqa.scorer import LareqaScorer
from hybridbatch.benchmarks.lareqa.scoring import aggregate_lareqa, score_lareqa
from tests.benchmarks.lareqa.test_scoring import LANGS, oracle_inputs, random_benchmark


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mrr10_per_pair_and_pooled_against_ranx(seed):
    ranx = pytest.importorskip("ranx")
    bench, Q, C = random_benchmark(seed)
    res, per_query = score_lareqa(bench, Q, C, block=4)
    checked = 0
    for target, run, qrels in oracle_inputs(bench, Q, C):
        if not qrels:
            continue
        rq = ranx.Qrels(qrels)
        scores = ranx.evaluate(rq, ranx.Run(run), "mrr@10", return_mean=False)
        oracle = dict(zip(rq.keys(), np.atleast_1d(scores)))  # ranx orders queries by id
        for i, q in enumerate(bench.queries):
            ours = (per_query["mul/mrr@10"][i] if target == "mul"
                    else per_query["pairs/mrr@10"][i, LANGS.index(target)])
            if q.id in oracle:
                assert ours == pytest.approx(oracle[q.id], abs=1e-6), (target, q.id)
                checked += 1
            else:
                assert math.isnan(ours)
    assert checked > 50
    for setting in ("mo", "cr", "mul"):
        assert res["summary"][setting]["mrr@10"] is not None
    mo = np.mean([res["pairs"][f"{x}-{x}"]["mrr@10"] for x in LANGS if res["pairs"][f"{x}-{x}"]["n_queries"]])
    assert res["summary"]["mo"]["mrr@10"] == pytest.approx(mo)


def test_mrr10_is_rendered_and_old_per_query_files_aggregate_unchanged():
    bench, Q, C = random_benchmark(3)
    res, per_query = score_lareqa(bench, Q, C)
    scorer = LareqaScorer()
    assert "MRR@10" in scorer.markdown(res) and ",mrr@10," in scorer.csv(res)
    old = {k: v for k, v in per_query.items() if not k.endswith("mrr@10")}  # a per_query.npz from before
    again = aggregate_lareqa(bench, old)
    assert "mrr@10" not in again["summary"]["mul"] and "mrr@10" not in again["pairs"]["a-a"]
    assert again["summary"]["mul"]["map"] == res["summary"]["mul"]["map"]
    assert "MRR@10" not in scorer.markdown(again) and "mrr@10" not in scorer.csv(again)
