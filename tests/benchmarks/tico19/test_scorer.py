"""Multi-parallel scoring (TICO-19): brute-force X→Y / pooled mAP, R@k, rank distance with the own sentence
left out; the report of the kind."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.lareqa.scoring import lareqa_per_query
from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.benchmarks.tico19.scorer import MultiparallelScorer, own_rows
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from tests.data.tiny_data import build_data_dir

LANGS = ["am", "en", "es_LA"]


def parallel(n_units: int, langs=LANGS) -> Benchmark:
    queries, cands = [], []
    for lang in langs:
        for u in range(n_units):
            queries.append(Query(f"{lang}:u{u}", lang, f"u{u}", f"{lang} {u}"))
            cands.append(Candidate(f"{lang}:u{u}", lang, f"{lang} {u}"))
    qrels = {q.id: {f"{y}:{q.group}": 1 for y in langs if y != q.lang} for q in queries}
    bench = Benchmark("mp-toy", "multiparallel", queries, cands, qrels, list(langs), "toy")
    bench.validate()
    return bench


def random_vectors(bench: Benchmark, seed: int, noise: float = 1.0, dim: int = 8):
    rng = np.random.default_rng(seed)
    base = {q.group: rng.standard_normal(dim) for q in bench.queries}
    Q = np.stack([base[q.group] + noise * rng.standard_normal(dim) for q in bench.queries]).astype(np.float32)
    C = np.stack([base[c.id.split(":", 1)[1]] + noise * rng.standard_normal(dim)
                  for c in bench.candidates]).astype(np.float32)
    return Q / np.linalg.norm(Q, axis=1, keepdims=True), C / np.linalg.norm(C, axis=1, keepdims=True)


def brute_force(bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, list]:
    """Per query, by explicit sorting in float64: pooled AP / R@1 / R@10 / rank distance / top-10 own share and
    X→Y AP for every Y≠X, the query's own sentence removed from every ranking."""
    S = Q.astype(np.float64) @ C.astype(np.float64).T
    out: dict[str, list] = {"map": [], "r@1": [], "r@10": [], "rd": [], "own": [], "pairs": []}
    for i, q in enumerate(bench.queries):
        keep = [j for j, c in enumerate(bench.candidates) if c.id != q.id]
        order = sorted(keep, key=lambda j: (-S[i, j], j))
        rel = {j for j, c in enumerate(bench.candidates) if c.id in bench.qrels[q.id]}
        ranks = sorted(order.index(j) + 1 for j in rel)
        out["map"].append(np.mean([(n + 1) / r for n, r in enumerate(ranks)]))
        out["r@1"].append(sum(r <= 1 for r in ranks) / len(ranks))
        out["r@10"].append(sum(r <= 10 for r in ranks) / len(ranks))
        out["rd"].append(ranks[-1] - ranks[0])
        out["own"].append(sum(bench.candidates[j].lang == q.lang for j in order[:10]) / 10)
        pair = {}
        for y in bench.languages:
            if y == q.lang:
                continue
            in_y = [j for j in order if bench.candidates[j].lang == y]
            (gold,) = [j for j in rel if bench.candidates[j].lang == y]
            pair[y] = 1 / (in_y.index(gold) + 1)
        out["pairs"].append(pair)
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_against_brute_force(seed: int) -> None:
    bench = parallel(8)
    Q, C = random_vectors(bench, seed)
    scorer = MultiparallelScorer()
    res, pq = scorer.score(bench, Q, C)
    bf = brute_force(bench, Q, C)
    np.testing.assert_allclose(pq["mul/map"], bf["map"], rtol=1e-12)
    np.testing.assert_allclose(pq["mul/r@1"], bf["r@1"])
    np.testing.assert_allclose(pq["mul/r@10"], bf["r@10"])
    np.testing.assert_allclose(pq["bias/rank_distance"], bf["rd"])
    np.testing.assert_allclose(pq["bias/top10_own_share"], bf["own"])
    for i in range(len(bench.queries)):
        for j, y in enumerate(bench.languages):
            expected = bf["pairs"][i].get(y, np.nan)
            np.testing.assert_allclose(pq["pairs/map"][i, j], expected, rtol=1e-12)
        assert np.isnan(pq["mo/map"][i])
    cross = [np.mean([bf["pairs"][i][y] for i, q in enumerate(bench.queries) if q.lang == x])
             for x in LANGS for y in LANGS if x != y]
    assert res["summary"]["cr"]["map"] == pytest.approx(np.mean(cross))
    per_lang = [np.mean([bf["map"][i] for i, q in enumerate(bench.queries) if q.lang == x]) for x in LANGS]
    assert res["summary"]["mul"]["map"] == pytest.approx(np.mean(per_lang))
    assert res == scorer.aggregate(bench, pq)
    json.dumps(res, allow_nan=False)


def test_the_own_sentence_is_left_out() -> None:
    """Queries and candidates identical: with its own sentence ranked, it would come first every time."""
    bench = parallel(6)
    Q, _ = random_vectors(bench, 3, noise=0.01)
    pq = MultiparallelScorer().per_query(bench, Q, Q.copy())
    assert np.all(pq["mul/r@1"] == 0.5) and np.allclose(pq["mul/map"], 1.0)  # 2 relevant: R@1 <= 1/2
    assert np.all(pq["bias/rank_distance"] == 1.0) and np.all(pq["bias/top10_own_share"] < 1)
    plain = lareqa_per_query(bench, Q, Q.copy())  # no exclusion: the own sentence comes first
    assert np.all(plain["mul/r@1"] == 0.0)
    assert own_rows(bench).tolist() == list(range(18))


def test_results_and_report(tmp_path: Path) -> None:
    bench = load_benchmark("tico19", build_data_dir(tmp_path / "data"), None)
    Q, C = random_vectors(bench, 0, noise=0.5)
    scorer = MultiparallelScorer()
    res, pq = scorer.score(bench, Q, C)
    assert res["kind"] == "multiparallel" and "mo" not in res["summary"]
    assert len(res["pairs"]) == 6 * 5 and "en-en" not in res["pairs"]
    assert res["language_info"]["es_LA"]["name"] == "Spanish" and res["language_info"]["ckb"]["joshi_class"] == 1
    assert res["bias"]["relevant_own_share"] == {x: 0.0 for x in bench.languages}
    md = scorer.markdown(res)
    assert md.startswith("# tico19-test: 6 languages, 18 sentences (3 units)") and "| es_LA | Spanish | 5 |" in md
    assert scorer.csv(res).count("\ncr,en,fr,map,") == 1
    scorer.write_plots(res, tmp_path)
    assert (tmp_path / "heatmap_map.png").is_file() and (tmp_path / "rank_distance.png").is_file()
    assert "tico19-test: mAP X→Y" in scorer.summary_line(res)
