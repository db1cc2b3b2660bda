"""Bitext scoring: cosine and ratio-margin accuracy against a brute-force recomputation, ties, the hub case."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hybridbatch.benchmarks.tatoeba.scoring import aggregate_bitext, bitext_pairs, bitext_per_query
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.errors import HybridbatchError


def bitext(sizes: dict[str, int], pivot: str = "eng") -> Benchmark:
    """Pairs ``<x>-<pivot>`` with ``sizes[x]`` lines, laid out as the Tatoeba reader does."""
    queries, cands, qrels = [], [], {}
    for x, n in sizes.items():
        pair = f"{x}-{pivot}"
        for lang, other in ((x, pivot), (pivot, x)):
            for i in range(n):
                qid = f"{pair}:{lang}:{i}"
                queries.append(Query(qid, lang, f"{pair}:{i}", f"{lang} {i}"))
                cands.append(Candidate(qid, lang, f"{lang} {i}"))
                qrels[qid] = {f"{pair}:{other}:{i}": 1}
    bench = Benchmark("bitext-toy", "bitext", queries, cands, qrels, sorted([*sizes, pivot]), "toy")
    bench.validate()
    return bench


def brute_force(bench: Benchmark, Q: np.ndarray, C: np.ndarray, k: int = 4) -> tuple[list[float], list[float]]:
    """Per query, hit of the cosine and of the ratio-margin nearest neighbour, by explicit loops in float64."""
    Q64, C64 = Q.astype(np.float64), C.astype(np.float64)
    acc, margin = [], []
    for i, q in enumerate(bench.queries):
        pair = q.id.split(":")[0]
        gold = next(iter(bench.qrels[q.id]))
        targets = [j for j, c in enumerate(bench.candidates) if c.id.startswith(pair + ":") and c.lang != q.lang]
        sources = [r for r, p in enumerate(bench.queries) if p.id.startswith(pair + ":") and p.lang == q.lang]

        kk = min(k, len(targets), len(sources))

        def score(r: int, j: int) -> float:
            return float(Q64[r] @ C64[j])

        def knn(values: list[float], kk: int = kk) -> float:
            top = sorted(values, reverse=True)[:kk]
            return sum(top) / len(top)

        cos = [score(i, j) for j in targets]
        best = max(range(len(targets)), key=lambda t: (cos[t], -t))
        acc.append(float(bench.candidates[targets[best]].id == gold))
        fwd = knn(cos)
        mar = [cos[t] / ((fwd + knn([score(r, targets[t]) for r in sources])) / 2) for t in range(len(targets))]
        best = max(range(len(targets)), key=lambda t: (mar[t], -t))
        margin.append(float(bench.candidates[targets[best]].id == gold))
    return acc, margin


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_against_brute_force_on_random_vectors(seed: int) -> None:
    bench = bitext({"afr": 12, "deu": 7, "xho": 3})
    rng = np.random.default_rng(seed)
    # translations share a base vector, so accuracies are neither 0 nor 1
    base = {q.group: rng.standard_normal(6) for q in bench.queries}
    Q = np.stack([base[q.group] + 1.2 * rng.standard_normal(6) for q in bench.queries]).astype(np.float32)
    group_of = {q.id: q.group for q in bench.queries}
    C = np.stack([base[group_of[c.id]] + 1.2 * rng.standard_normal(6) for c in bench.candidates]).astype(np.float32)
    pq = bitext_per_query(bench, Q, C)
    acc, margin = brute_force(bench, Q, C)
    np.testing.assert_array_equal(pq["acc"], acc)
    np.testing.assert_array_equal(pq["margin_acc"], margin)
    assert 0 < np.mean(acc) < 1
    res = aggregate_bitext(bench, pq)
    x_rows = [i for i, q in enumerate(bench.queries) if q.id.startswith("afr-eng:afr")]
    e_rows = [i for i, q in enumerate(bench.queries) if q.id.startswith("afr-eng:eng")]
    afr = res["per_language"]["afr"]
    assert afr["acc"]["xx2pivot"] == pytest.approx(np.mean([acc[i] for i in x_rows]))
    assert afr["acc"]["pivot2xx"] == pytest.approx(np.mean([acc[i] for i in e_rows]))
    assert afr["acc"]["mean"] == pytest.approx((afr["acc"]["xx2pivot"] + afr["acc"]["pivot2xx"]) / 2)
    assert afr["n_sentences"] == 12 and afr["pair"] == "afr-eng"
    assert res["summary"]["acc"]["mean"] == pytest.approx(np.mean([e["acc"]["mean"]
                                                                   for e in res["per_language"].values()]))
    assert res["languages"] == ["afr", "deu", "xho"] and res["pivot"] == "eng" and res["kind"] == "bitext"
    json.dumps(res, allow_nan=False)


def test_perfect_and_tie_to_the_earlier_candidate() -> None:
    bench = bitext({"afr": 3})
    # every sentence gets its own axis; translations identical -> accuracy 1
    Q = np.zeros((6, 3), dtype=np.float32)
    for i, q in enumerate(bench.queries):
        Q[i, int(q.group.split(":")[1])] = 1.0
    res = aggregate_bitext(bench, bitext_per_query(bench, Q, Q.copy()))
    assert res["summary"]["acc"] == {"xx2pivot": 1.0, "pivot2xx": 1.0, "mean": 1.0}
    # English lines 0 and 1 become identical: afr 1 ties between eng 0 and eng 1 -> eng 0 (earlier) wins
    C = Q.copy()
    C[4, :] = C[3, :]  # candidate eng:1 := eng:0
    pq = bitext_per_query(bench, Q, C)
    assert pq["acc"][:3].tolist() == [1.0, 0.0, 1.0]


def test_margin_discounts_a_hub() -> None:
    """An English sentence close to every afr sentence (a hub) is the cosine neighbour of four of them; the
    ratio margin divides by its large backward neighbourhood and finds the true translations."""
    bench = bitext({"afr": 5})
    e = np.eye(6, dtype=np.float32)
    Q, C = np.zeros((10, 6), dtype=np.float32), np.zeros((10, 6), dtype=np.float32)
    Q[:5], Q[5:], C[:5] = e[:5], e[:5], e[:5]
    C[5:9] = 0.5 * e[:4]  # eng 0-3: their translation, but weakly
    C[9] = 0.6 * e[:5].sum(0)  # eng 4: the hub, 0.6 to every afr sentence
    pq = bitext_per_query(bench, Q, C)
    acc, margin = brute_force(bench, Q, C)
    np.testing.assert_array_equal(pq["acc"], acc)
    np.testing.assert_array_equal(pq["margin_acc"], margin)
    assert pq["acc"][:5].tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert pq["margin_acc"][:5].tolist() == [1.0] * 5


def test_structure_errors() -> None:
    bench = bitext({"afr": 2})
    bench.qrels["afr-eng:afr:0"] = {"afr-eng:eng:0": 1, "afr-eng:eng:1": 1}
    with pytest.raises(HybridbatchError, match="query 'afr-eng:afr:0' has 2 relevant candidates"):
        bitext_pairs(bench)
    bench = bitext({"afr": 2})
    bench.qrels["afr-eng:afr:0"] = {"afr-eng:afr:1": 1}
    with pytest.raises(HybridbatchError, match="is not on the other side of pair 'afr-eng'"):
        bitext_pairs(bench)
    with pytest.raises(HybridbatchError, match="per-query array 'margin_acc' missing"):
        aggregate_bitext(bitext({"afr": 2}), {"acc": np.zeros(4)})
