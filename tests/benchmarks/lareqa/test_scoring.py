"""LAReQA scoring: designed benchmarks with known Mo./Cr./Mul., ties, and pytrec_eval on random runs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from hybridbatch.benchmarks.lareqa.scoring import score_lareqa
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.errors import HybridbatchError
from hybridbatch.scoring.metrics import average_precision, order_by_rule, ranks_by_rule
from hybridbatch.scoring.ranking import language_indices, relevant_ranks

LANGS = ["a", "b", "c"]


def embeddings_for(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors whose float32 dot products are exactly ``scores`` (n_q, n_c): query i = e_i, candidate
    j = (scores[:, j], then sqrt(1 - |.|^2) on its own axis). Needs column norms < 1."""
    n_q, n_c = scores.shape
    Q = np.zeros((n_q, n_q + n_c), dtype=np.float32)
    Q[:, :n_q] = np.eye(n_q)
    C = np.zeros((n_c, n_q + n_c), dtype=np.float32)
    C[:, :n_q] = scores.T
    C[np.arange(n_c), n_q + np.arange(n_c)] = np.sqrt(1 - (scores.astype(np.float64) ** 2).sum(0))
    return Q, C


def designed(groups: dict[int, list[str]]) -> tuple[Benchmark, np.ndarray, np.ndarray]:
    """One query and one answer sentence per (group, language) + one distractor per language.

    Scores (x 1/8): answer of the query's group 0.5 in its language, 0.25 in another; a distractor 0.375
    in another language, 0.125 in the query's; anything else 0.0625. Candidates language by language.
    """
    queries, cands, qrels = [], [], {}
    for lang in LANGS:
        cands += [Candidate(f"{lang}-ans{g}", lang, f"s{g}") for g, ls in groups.items() if lang in ls]
        cands.append(Candidate(f"{lang}-dis", lang, "distractor"))
    for lang in LANGS:
        for g, ls in groups.items():
            if lang in ls:
                queries.append(Query(f"{lang}-q{g}", lang, f"g{g}", f"question {g}"))
                qrels[f"{lang}-q{g}"] = {f"{y}-ans{g}": 1 for y in LANGS if y in ls and g >= 0}
    S = np.zeros((len(queries), len(cands)), dtype=np.float32)
    for i, q in enumerate(queries):
        for j, c in enumerate(cands):
            same = q.lang == c.lang
            if c.id.endswith("-dis"):
                s = 0.125 if same else 0.375
            elif c.id.split("ans")[1] == q.group[1:]:
                s = 0.5 if same else 0.25
            else:
                s = 0.0625
            S[i, j] = s / 8
    bench = Benchmark("designed", "lareqa", queries, cands, qrels, list(LANGS))
    bench.validate()
    return bench, *embeddings_for(S)


def test_designed_benchmark_known_values():
    bench, Q, C = designed({g: LANGS for g in range(5)})
    res, per_query = score_lareqa(bench, Q, C)
    s = res["summary"]
    assert s["mo"] == {"map": 1.0, "map@20": 1.0, "r@1": 1.0, "r@10": 1.0, "mrr@10": 1.0}
    assert s["cr"] == pytest.approx({"map": 0.5, "map@20": 0.5, "r@1": 0.0, "r@10": 1.0, "mrr@10": 0.5})
    # pooled: own answer rank 1, two foreign distractors 2-3, foreign answers 4-5
    assert s["mul"] == pytest.approx({"map": (1 + 2 / 4 + 3 / 5) / 3, "map@20": 0.7, "r@1": 1 / 3, "r@10": 1.0,
                                    "mrr@10": 1.0})
    assert s["rank_distance"] == 4.0
    assert len(res["pairs"]) == 9 and all(p["n_queries"] == 5 for p in res["pairs"].values())
    assert res["pairs"]["a-b"]["map"] == 0.5 and res["pairs"]["c-c"]["r@1"] == 1.0
    assert res["multilingual"]["b"]["n_queries"] == 5
    # top-10: ranks 7-10 are a tie at 0.0625 broken by candidate order, i.e. language a's candidates
    assert res["bias"]["top10_own_share"] == pytest.approx({"a": 0.6, "b": 0.2, "c": 0.2})
    assert res["bias"]["relevant_own_share"] == pytest.approx({lang: 1 / 3 for lang in LANGS})
    assert res["bias"]["rank_distance"] == {lang: 4.0 for lang in LANGS}
    assert per_query["mul/map"].shape == (15,) and per_query["pairs/map"].shape == (15, 3)
    np.testing.assert_allclose(per_query["cr/map"], 0.5)
    json.dumps(res, allow_nan=False)


def test_partial_groups_skip_and_count():
    # group 5 only in a and b; group 6 is a query in c without any relevant candidate
    groups = {g: LANGS for g in range(5)} | {5: ["a", "b"], -6: ["c"]}
    bench, Q, C = designed(groups)
    res, per_query = score_lareqa(bench, Q, C)
    n = {k: v["n_queries"] for k, v in res["pairs"].items()}
    assert n["a-a"] == 6 and n["a-b"] == 6 and n["b-a"] == 6 and n["a-c"] == 5 and n["c-a"] == 5
    assert n["c-c"] == 5 and res["multilingual"]["c"]["n_queries"] == 5
    assert res["summary"]["cr"]["map"] == pytest.approx(0.5)
    # (5, a) in the pool: own answer 1, distractors of b and c 2-3, answer in b 4 -> AP 0.75
    assert res["multilingual"]["a"]["map"] == pytest.approx((5 * 0.7 + 0.75) / 6)
    assert res["multilingual"]["c"]["map"] == pytest.approx(0.7)
    assert res["bias"]["rank_distance"]["a"] == pytest.approx((5 * 4 + 3) / 6)
    row = [q.id for q in bench.queries].index("c-q-6")
    assert math.isnan(per_query["mul/map"][row]) and math.isnan(per_query["bias/rank_distance"][row])
    json.dumps(res, allow_nan=False)


def random_benchmark(seed: int, dim: int = 6, quantised: bool = False):
    """Random groups present in random language subsets, 1-2 answers each, distractors, shuffled
    candidate order. ``quantised``: entries in {-1, 0, 1} / 4 with tiny dim, so exact ties abound."""
    rng = np.random.default_rng(seed)
    queries, cands, qrels = [], [], {}
    for g in range(12):
        langs = [lang for lang in LANGS if rng.random() < 0.7] or ["a"]
        answers = {lang: [f"{lang}-g{g}-{k}" for k in range(int(rng.integers(1, 3)))] for lang in langs}
        for lang in langs:
            queries.append(Query(f"{lang}-q{g}", lang, f"g{g}", "?"))
            cands += [Candidate(cid, lang, "s") for cid in answers[lang]]
        for lang in langs:
            qrels[f"{lang}-q{g}"] = {cid: 1 for ids in answers.values() for cid in ids}
    for lang in LANGS:
        cands += [Candidate(f"{lang}-dis{k}", lang, "d") for k in range(int(rng.integers(5, 10)))]
    cands = [cands[i] for i in rng.permutation(len(cands))]
    bench = Benchmark("random", "lareqa", queries, cands, qrels, list(LANGS))
    bench.validate()
    if quantised:
        Q = rng.integers(-1, 2, (len(queries), dim)).astype(np.float32) / 4
        C = rng.integers(-1, 2, (len(cands), dim)).astype(np.float32) / 4
    else:
        Q = rng.standard_normal((len(queries), dim)).astype(np.float32)
        C = rng.standard_normal((len(cands), dim)).astype(np.float32)
        Q /= np.linalg.norm(Q, axis=1, keepdims=True)
        C /= np.linalg.norm(C, axis=1, keepdims=True)
    return bench, Q, C


def oracle_inputs(bench, Q, C):
    """For each target (each candidate language, then ``"mul"`` = all candidates): (target, run, qrels) in the
    dict form ranx and pytrec_eval take, float64 scores, queries without a relevant target left out."""
    S = Q.astype(np.float64) @ C.T.astype(np.float64)
    cids = [c.id for c in bench.candidates]
    targets = [(y, [j for j, c in enumerate(bench.candidates) if c.lang == y]) for y in LANGS]
    targets.append(("mul", list(range(len(cids)))))
    for target, cols in targets:
        allowed = {cids[j] for j in cols}
        run, qrels = {}, {}
        for i, q in enumerate(bench.queries):
            rel = {c: 1 for c in bench.qrels[q.id] if c in allowed}
            if rel:
                qrels[q.id] = rel
                run[q.id] = {cids[j]: float(S[i, j]) for j in cols}
        yield target, run, qrels


@pytest.mark.parametrize("seed", [0, 1])
def test_every_setting_against_pytrec_eval(seed):
    pytrec_eval = pytest.importorskip("pytrec_eval")
    bench, Q, C = random_benchmark(seed)
    res, per_query = score_lareqa(bench, Q, C, block=4)
    measures = {"map", "map_cut_20", "recall_1", "recall_10"}
    names = {"map": "map", "map_cut_20": "map@20", "recall_1": "r@1", "recall_10": "r@10"}
    checked = 0
    for target, run, qrels in oracle_inputs(bench, Q, C):
        oracle = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
        for i, q in enumerate(bench.queries):
            for measure, name in names.items():
                ours = (per_query[f"mul/{name}"][i] if target == "mul"
                        else per_query[f"pairs/{name}"][i, LANGS.index(target)])
                if q.id in oracle:
                    assert ours == pytest.approx(oracle[q.id][measure], abs=1e-6), (target, q.id, name)
                    checked += 1
                else:
                    assert math.isnan(ours)
    assert checked > 100
    # summaries are the macro means of the per-pair means
    mo = np.mean([res["pairs"][f"{x}-{x}"]["map"] for x in LANGS if res["pairs"][f"{x}-{x}"]["n_queries"]])
    assert res["summary"]["mo"]["map"] == pytest.approx(mo)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ties_follow_the_candidate_order_rule(seed):
    bench, Q, C = random_benchmark(seed, dim=3, quantised=True)
    q_lang, c_lang = language_indices(bench)
    rr = relevant_ranks(Q, C, bench.relevant_indices(), q_lang, c_lang, len(LANGS), block=5)
    S = Q.astype(np.float64) @ C.T.astype(np.float64)  # exact for these values
    n_ties = 0
    for i, rel in enumerate(bench.relevant_indices()):
        got = dict(zip(rr.cand[i][rr.cand[i] >= 0].tolist(), rr.pooled[i][rr.cand[i] >= 0], strict=True))
        assert sorted(got) == sorted(rel.tolist())
        for c, rank in zip(rel, ranks_by_rule(S[i], rel), strict=True):
            assert got[c] == rank
            cols = np.flatnonzero(c_lang == c_lang[c])  # same-language candidates, in benchmark order
            in_lang = ranks_by_rule(S[i, cols], np.searchsorted(cols, [c]))[0]
            assert rr.in_lang[i][rr.cand[i] == c][0] == in_lang
            n_ties += int((S[i] == S[i, c]).sum() - 1)
        top = order_by_rule(S[i])[:10]
        assert rr.top_own[i] == (c_lang[top] == q_lang[i]).sum()
    assert n_ties > 20  # the case is really tie-heavy


def test_block_size_does_not_change_results():
    bench, Q, C = random_benchmark(4, dim=3, quantised=True)
    a, pa = score_lareqa(bench, Q, C, block=3)
    b, pb = score_lareqa(bench, Q, C, block=1000)
    assert a == b
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k])


def test_cross_per_query_is_mean_over_targets():
    bench, Q, C = random_benchmark(5)
    _, pq = score_lareqa(bench, Q, C)
    q_lang, _ = language_indices(bench)
    for i in range(len(bench.queries)):
        others = [pq["pairs/map"][i, y] for y in range(3) if y != q_lang[i]]
        others = [v for v in others if not math.isnan(v)]
        if others:
            assert pq["cr/map"][i] == pytest.approx(np.mean(others))
        assert pq["mo/map"][i] == pq["pairs/map"][i, q_lang[i]] or math.isnan(pq["mo/map"][i])


def test_mul_ap_matches_direct_formula():
    bench, Q, C = random_benchmark(6)
    _, pq = score_lareqa(bench, Q, C)
    S = Q @ C.T
    for i, rel in enumerate(bench.relevant_indices()):
        r = ranks_by_rule(S[i], rel).astype(float)[None, :]
        assert pq["mul/map"][i] == pytest.approx(average_precision(r, np.array([len(rel)]))[0])


def test_shape_errors_name_the_expectation():
    bench, Q, C = designed({g: LANGS for g in range(2)})
    with pytest.raises(HybridbatchError, match=r"expected \(6, dim\)"):
        score_lareqa(bench, Q[:-1], C)
    with pytest.raises(HybridbatchError, match=r"expected \(9, dim\)"):
        score_lareqa(bench, Q, C[:-1])
    with pytest.raises(HybridbatchError, match="same dim"):
        score_lareqa(bench, Q, C[:, :-1])
    with pytest.raises(HybridbatchError, match="NaN"):
        score_lareqa(bench, Q * np.nan, C)
