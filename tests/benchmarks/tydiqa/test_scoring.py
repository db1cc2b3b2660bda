"""TyDi QA scoring: own-language and pooled nDCG@10, MRR@10, R@100 against pytrec_eval and ranx, the top-10
own-language share by brute force, aggregation per language and resource class, the report files, and the
per-query arrays in ``report``'s paired tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.registry import get_scorer
from hybridbatch.benchmarks.tydiqa.reader import read_tydiqa
from hybridbatch.benchmarks.tydiqa.scoring import KEYS, aggregate_tydiqa, tydiqa_per_query
from hybridbatch.data.benchmark import Benchmark, Candidate, Query
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.runner import run_evaluation, write_report
from hybridbatch.reporting.compare import load_record, significance_table, summary_tables

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "tydiqa_tiny"
LANGS = ["en", "sw", "te"]


def random_tydiqa(seed: int, questions: int = 40, passages: int = 150, dim: int = 6):
    """TyDi-shaped: per language ``passages`` passages (te fewer, so R@100 < 1 and > 0 both occur) and
    ``questions`` questions whose gold passages repeat; vectors near their gold passage."""
    rng = np.random.default_rng(seed)
    cands = [Candidate(f"{x}:p{k}", x, f"{x} passage {k}") for x in LANGS
             for k in range(passages if x != "te" else passages // 2)]
    queries, qrels = [], {}
    for x in LANGS:
        pool = [c.id for c in cands if c.lang == x]
        for g in range(questions):
            qid = f"{x}-{g}"
            queries.append(Query(qid, x, qid, "?"))
            qrels[qid] = {pool[int(rng.integers(len(pool) // 2))]: 1}  # the first half: shared golds
    bench = Benchmark("tydiqa-toy", "tydiqa", queries, cands, qrels, LANGS, "toy")
    bench.validate()
    vec = {c.id: rng.standard_normal(dim) for c in cands}
    C = np.stack([vec[c.id] for c in cands]).astype(np.float32)
    Q = np.stack([vec[next(iter(qrels[q.id]))] + 3.0 * rng.standard_normal(dim) for q in queries]).astype(np.float32)
    return bench, Q, C


def _run(bench: Benchmark, Q: np.ndarray, C: np.ndarray, own_language: bool) -> dict[str, dict[str, float]]:
    S = Q.astype(np.float64) @ C.astype(np.float64).T
    return {q.id: {c.id: float(S[i, j]) for j, c in enumerate(bench.candidates)
                   if not own_language or c.lang == q.lang} for i, q in enumerate(bench.queries)}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("scope", ["language", "pooled"])
def test_against_pytrec_eval(seed: int, scope: str) -> None:
    pytrec_eval = pytest.importorskip("pytrec_eval")
    bench, Q, C = random_tydiqa(seed)
    pq = tydiqa_per_query(bench, Q, C)
    run = _run(bench, Q, C, scope == "language")
    oracle = pytrec_eval.RelevanceEvaluator(bench.qrels, {"ndcg_cut_10", "recall_100"}).evaluate(run)
    top10 = {q: dict(sorted(d.items(), key=lambda kv: -kv[1])[:10]) for q, d in run.items()}
    rr = pytrec_eval.RelevanceEvaluator(bench.qrels, {"recip_rank"}).evaluate(top10)
    for i, q in enumerate(bench.queries):
        assert pq[f"{scope}/ndcg@10"][i] == pytest.approx(oracle[q.id]["ndcg_cut_10"], abs=1e-9)
        assert pq[f"{scope}/r@100"][i] == pytest.approx(oracle[q.id]["recall_100"], abs=1e-9)
        assert pq[f"{scope}/mrr@10"][i] == pytest.approx(rr[q.id]["recip_rank"], abs=1e-9)
    assert 0 < np.mean(pq[f"{scope}/mrr@10"]) < 1 and 0 < np.mean(pq[f"{scope}/r@100"]) < 1


def test_against_ranx() -> None:
    ranx = pytest.importorskip("ranx")
    bench, Q, C = random_tydiqa(2)
    pq = tydiqa_per_query(bench, Q, C)
    qrels = ranx.Qrels(bench.qrels)
    order = [next(i for i, q in enumerate(bench.queries) if q.id == qid) for qid in qrels.keys()]  # ranx sorts ids
    for scope in ("language", "pooled"):
        scores = ranx.evaluate(qrels, ranx.Run(_run(bench, Q, C, scope == "language")),
                               ["ndcg@10", "mrr@10", "recall@100"], return_mean=False)
        for m, name in (("ndcg@10", "ndcg@10"), ("mrr@10", "mrr@10"), ("r@100", "recall@100")):
            np.testing.assert_allclose(pq[f"{scope}/{m}"][order], scores[name], atol=1e-9)
    # the pool holds the other languages' passages too, so it can only be harder
    assert (pq["pooled/mrr@10"] <= pq["language/mrr@10"] + 1e-12).all()
    assert pq["pooled/mrr@10"].mean() < pq["language/mrr@10"].mean()


def test_top10_own_share_by_brute_force() -> None:
    bench, Q, C = random_tydiqa(3)
    pq = tydiqa_per_query(bench, Q, C)
    S = Q @ C.T
    langs = np.array([c.lang for c in bench.candidates])
    for i, q in enumerate(bench.queries):
        top = np.lexsort((np.arange(len(langs)), -S[i]))[:10]
        assert pq["pooled/top10_own_share"][i] == pytest.approx((langs[top] == q.lang).mean())
    assert set(pq) == set(KEYS)


def test_aggregation_per_language_summary_and_class() -> None:
    bench, Q, C = random_tydiqa(4)
    pq = tydiqa_per_query(bench, Q, C)
    res = aggregate_tydiqa(bench, pq)
    assert res["languages"] == LANGS and res["n_queries"] == 120 and res["n_candidates"] == 375
    te = [i for i, q in enumerate(bench.queries) if q.lang == "te"]
    e = res["per_language"]["te"]
    assert e["language"]["ndcg@10"] == pytest.approx(np.mean(pq["language/ndcg@10"][te]))
    assert e["pooled"]["r@100"] == pytest.approx(np.mean(pq["pooled/r@100"][te]))
    assert (e["n_queries"], e["n_passages"], e["corpus_own_share"]) == (40, 75, pytest.approx(75 / 375))
    assert res["summary"]["pooled"]["mrr@10"] == pytest.approx(
        np.mean([res["per_language"][x]["pooled"]["mrr@10"] for x in LANGS]))
    # Joshi classes: en 5, sw 2, te 1
    assert {c: v["languages"] for c, v in res["by_class"].items()} == {"1": ["te"], "2": ["sw"], "5": ["en"]}
    assert res["by_class"]["2"]["language"]["ndcg@10"] == res["per_language"]["sw"]["language"]["ndcg@10"]
    json.dumps(res, allow_nan=False)
    with pytest.raises(HybridbatchError, match=r"per-query array 'pooled/top10_own_share' missing"):
        aggregate_tydiqa(bench, {k: v for k, v in pq.items() if k != "pooled/top10_own_share"})
    with pytest.raises(HybridbatchError, match=r"'language/ndcg@10' missing or not of shape \(120,\)"):
        aggregate_tydiqa(bench, pq | {"language/ndcg@10": pq["language/ndcg@10"][:5]})


def test_a_query_without_an_own_language_passage_is_undefined_there() -> None:
    bench, Q, C = random_tydiqa(5, questions=3, passages=6)
    bench.qrels["en-0"] = {"sw:p0": 1}  # only relevant in another language
    bench._cache.clear()
    pq = tydiqa_per_query(bench, Q, C)
    assert np.isnan(pq["language/ndcg@10"][0]) and not np.isnan(pq["pooled/ndcg@10"][0])
    assert aggregate_tydiqa(bench, pq)["per_language"]["en"]["n_queries"] == 2


def make_eval(folder: Path, vectors_seed: int, languages: list[str] | None, **extra) -> Path:
    bench = read_tydiqa(FIXTURE, "dev", languages)
    rng = np.random.default_rng(vectors_seed)
    Q = rng.standard_normal((len(bench.queries), 8)).astype(np.float32)
    C = rng.standard_normal((len(bench.candidates), 8)).astype(np.float32)
    results, per_query = get_scorer("tydiqa").score(bench, Q, C)
    folder.mkdir(parents=True)
    write_report(folder, results, per_query, EvaluationConfig(benchmark="tydiqa", embeddings="e.npz", extra=extra))
    return folder


@pytest.mark.parametrize("languages", [["sw"], ["en", "te"], None])
def test_report_files_of_the_tiny_fixture(tmp_path: Path, languages) -> None:
    out = make_eval(tmp_path / "e", 0, languages)
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["kind"] == "tydiqa" and results["languages"] == (languages or LANGS)
    assert set(results["language_info"]) == set(results["languages"])
    md = (out / "results.md").read_text(encoding="utf-8")
    assert "## Per language" in md and "## By resource class" in md
    rows = (out / "results.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "setting,query_lang,candidate_lang,metric,value" and len(rows) > 8
    assert (out / "pooled_cost.png").is_file()
    scorer = get_scorer("tydiqa")
    assert scorer.summary_line(results).startswith("tydiqa-dev: nDCG@10 ")
    values = scorer.per_language(results)
    assert [v.measure for v in values] == [m.name for m in scorer.measures]
    assert set(values[0].values) == set(results["languages"])


def test_per_query_arrays_feed_the_paired_tests(tmp_path: Path) -> None:
    recs = [load_record(make_eval(tmp_path / name, seed, None, label=name, seed=seed))
            for name, seed in (("a", 1), ("b", 2))]
    _, rows = significance_table(recs, n_resamples=200)
    measures = {r["measure"] for r in rows}
    assert measures == {m.per_query for m in get_scorer("tydiqa").measures}
    assert all(r["n"] == 9 and 0 < r["p"] <= 1 for r in rows)
    md, data = summary_tables(recs)
    assert "## tydiqa-dev" in md and data["tydiqa-dev"]["a"]["ndcg@10"][0] == pytest.approx(
        recs[0].results["summary"]["language"]["ndcg@10"])


def test_a_model_evaluation_with_perturbed_queries(tmp_path: Path, tiny_model_dir: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE, data / "tydiqa-goldp")
    cfg = EvaluationConfig(benchmark="tydiqa", model=str(tiny_model_dir), data_dir=str(data), languages=["en", "sw"],
                           perturb=["char-noise:0.2"])
    results = run_evaluation(cfg, tmp_path / "out")
    assert results["timing"]["texts_encoded"] == 7 + 6  # 7 questions, 6 distinct passages
    robustness = json.loads((tmp_path / "out" / "robustness.json").read_text(encoding="utf-8"))
    row = robustness["rows"][0]
    assert row["perturbation"] == "char-noise:0.2" and row["changed"] > 0
    assert row["language/ndcg@10"]["clean"] == pytest.approx(results["summary"]["language"]["ndcg@10"])
