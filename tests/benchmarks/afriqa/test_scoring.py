"""Translated-QA scoring (AfriQA): nDCG@10, R@10, R@100, MRR@10 against pytrec_eval and ranx; roles, gap."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.afriqa.scorer import TranslatedQaScorer
from hybridbatch.benchmarks.afriqa.scoring import (
    aggregate_translated_qa,
    roles,
    translated_qa_per_query,
)
from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.errors import HybridbatchError
from tests.data.tiny_data import build_data_dir

NATIVE = {"hau": "en", "fon": "fr"}


def random_qa(seed: int, groups: int = 25, passages: int = 160, dim: int = 6):
    """AfriQA-shaped: per language ``groups`` native + translated questions, gold passages drawn (with
    repeats) from a pooled set of ``passages`` in en and fr."""
    rng = np.random.default_rng(seed)
    cands = [Candidate(f"{'en' if k % 3 else 'fr'}:p{k}", "en" if k % 3 else "fr", f"passage {k}")
             for k in range(passages)]
    queries, qrels = [], {}
    for lang, pivot in NATIVE.items():
        pool = [c.id for c in cands if c.lang == pivot]
        gold = [pool[int(rng.integers(len(pool)))] for _ in range(groups)]
        for suffix, qlang in (("", lang), (f":{pivot}", pivot)):
            for g in range(groups):
                qid = f"{lang}:{g}{suffix}"
                queries.append(Query(qid, qlang, f"{lang}:{g}", "?"))
                qrels[qid] = {gold[g]: 1}
    bench = Benchmark("qa-toy", "translated_qa", queries, cands, qrels, ["en", "fon", "fr", "hau"], "toy")
    bench.validate()
    gold_vec = {c.id: rng.standard_normal(dim) for c in cands}
    C = np.stack([gold_vec[c.id] + 0.5 * rng.standard_normal(dim) for c in cands]).astype(np.float32)
    noise = {lang: 2.5 if lang in NATIVE else 1.0 for lang in bench.languages}  # natives retrieve worse
    Q = np.stack([gold_vec[next(iter(qrels[q.id]))] + noise[q.lang] * rng.standard_normal(dim)
                  for q in bench.queries]).astype(np.float32)
    return bench, Q, C


def _run(bench: Benchmark, Q: np.ndarray, C: np.ndarray) -> dict[str, dict[str, float]]:
    S = Q.astype(np.float64) @ C.astype(np.float64).T
    return {q.id: {c.id: float(S[i, j]) for j, c in enumerate(bench.candidates)} for i, q in enumerate(bench.queries)}


@pytest.mark.parametrize("seed", [0, 1])
def test_against_pytrec_eval(seed: int) -> None:
    pytrec_eval = pytest.importorskip("pytrec_eval")
    bench, Q, C = random_qa(seed)
    pq = translated_qa_per_query(bench, Q, C)
    run = _run(bench, Q, C)
    oracle = pytrec_eval.RelevanceEvaluator(bench.qrels, {"ndcg_cut_10", "recall_10", "recall_100"}).evaluate(run)
    top10 = {q: dict(sorted(d.items(), key=lambda kv: -kv[1])[:10]) for q, d in run.items()}
    rr = pytrec_eval.RelevanceEvaluator(bench.qrels, {"recip_rank"}).evaluate(top10)
    for i, q in enumerate(bench.queries):
        assert pq["ndcg@10"][i] == pytest.approx(oracle[q.id]["ndcg_cut_10"], abs=1e-9)
        assert pq["r@10"][i] == pytest.approx(oracle[q.id]["recall_10"], abs=1e-9)
        assert pq["r@100"][i] == pytest.approx(oracle[q.id]["recall_100"], abs=1e-9)
        assert pq["mrr@10"][i] == pytest.approx(rr[q.id]["recip_rank"], abs=1e-9)
    assert 0 < np.nanmean(pq["r@10"]) < 1 and 0 < np.nanmean(pq["r@100"]) < 1


def test_against_ranx() -> None:
    ranx = pytest.importorskip("ranx")
    bench, Q, C = random_qa(2)
    pq = translated_qa_per_query(bench, Q, C)
    qrels, run = ranx.Qrels(bench.qrels), ranx.Run(_run(bench, Q, C))
    scores = ranx.evaluate(qrels, run, ["ndcg@10", "recall@10", "recall@100", "mrr@10"], return_mean=False)
    ids = list(qrels.keys())  # ranx orders queries by id
    order = [next(i for i, q in enumerate(bench.queries) if q.id == qid) for qid in ids]
    np.testing.assert_allclose(pq["ndcg@10"][order], scores["ndcg@10"], atol=1e-9)
    np.testing.assert_allclose(pq["r@10"][order], scores["recall@10"], atol=1e-9)
    np.testing.assert_allclose(pq["r@100"][order], scores["recall@100"], atol=1e-9)
    np.testing.assert_allclose(pq["mrr@10"][order], scores["mrr@10"], atol=1e-9)


def test_roles_gap_and_aggregation() -> None:
    bench, Q, C = random_qa(3)
    translated, groups, index = roles(bench)
    assert translated.tolist() == [q.lang in ("en", "fr") for q in bench.queries]
    assert len(groups) == 50 and index.max() == 49
    pq = translated_qa_per_query(bench, Q, C)
    native = [i for i, q in enumerate(bench.queries) if q.id == "hau:4"][0]
    control = [i for i, q in enumerate(bench.queries) if q.id == "hau:4:en"][0]
    assert pq["gap/ndcg@10"][native] == pq["ndcg@10"][control] - pq["ndcg@10"][native]
    assert np.isnan(pq["gap/ndcg@10"][control]) and np.isnan(pq["native/ndcg@10"][control])
    res = aggregate_translated_qa(bench, pq)
    assert res["languages"] == ["fon", "hau"]
    hau = res["per_language"]["hau"]
    assert hau["pivot"] == "en" and res["per_language"]["fon"]["pivot"] == "fr" and hau["n_queries"] == 25
    rows = [i for i, q in enumerate(bench.queries) if q.group.startswith("hau:") and not translated[i]]
    assert hau["native"]["r@100"] == pytest.approx(np.mean(pq["r@100"][rows]))
    assert hau["gap"]["ndcg@10"] == pytest.approx(hau["translated"]["ndcg@10"] - hau["native"]["ndcg@10"])
    assert res["summary"]["gap"]["ndcg@10"] == pytest.approx(np.mean([e["gap"]["ndcg@10"]
                                                                       for e in res["per_language"].values()]))
    assert res["summary"]["gap"]["ndcg@10"] > 0  # the designed natives are noisier
    json.dumps(res, allow_nan=False)


def test_a_group_without_its_translation_is_an_error() -> None:
    bench, Q, C = random_qa(0, groups=3, passages=12)
    bench.queries = [q for q in bench.queries if q.id != "hau:1:en"]
    bench.qrels.pop("hau:1:en")
    with pytest.raises(HybridbatchError, match="group 'hau:1' has 0 translated queries"):
        roles(bench)
    with pytest.raises(HybridbatchError, match="per-query array 'native/ndcg@10' missing"):
        aggregate_translated_qa(random_qa(0, groups=3, passages=12)[0], {})


def test_report_of_the_tiny_afriqa(tmp_path: Path) -> None:
    bench = load_benchmark("afriqa", build_data_dir(tmp_path / "data"), None)
    rng = np.random.default_rng(0)
    Q = rng.standard_normal((len(bench.queries), 8)).astype(np.float32)
    C = rng.standard_normal((len(bench.candidates), 8)).astype(np.float32)
    scorer = TranslatedQaScorer()
    res, pq = scorer.score(bench, Q, C)
    assert res == scorer.aggregate(bench, pq)
    assert res["n_groups"] == 5 and res["n_candidates"] == 4 and res["languages"] == ["fon", "hau"]
    assert res["language_info"]["hau"]["joshi_class"] == 2 and "fr" in res["language_info"]
    md = scorer.markdown(res)
    assert md.startswith("# afriqa-test: 2 languages, 5 questions, 4 pooled passages") and "| fon | Fon | 0 | fr |" in md
    assert scorer.csv(res).count("\ngap,hau,en,") == 4
    scorer.write_plots(res, tmp_path)
    assert (tmp_path / "gap.png").is_file()
