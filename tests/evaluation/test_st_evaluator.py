"""The sentence-transformers evaluator adapter: same numbers as an offline scoring of the same vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridbatch.benchmarks.registry import get_scorer, load_benchmark
from hybridbatch.encoding import SentenceTransformerEncoder, encode_texts
from hybridbatch.evaluation.st_evaluator import RetrievalEvaluator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def tiny_model(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_model_dir), device="cpu")


def _offline(model, bench, query_prompt, passage_prompt, candidate_text="sentence"):
    encoder = SentenceTransformerEncoder(model, query_prompt=query_prompt, passage_prompt=passage_prompt,
                                         batch_size=4, show_progress=False)
    Q, _ = encode_texts(encoder, [q.text for q in bench.queries], "query", cache=False)
    C, _ = encode_texts(encoder, bench.candidate_texts(candidate_text), "passage", cache=False)
    return get_scorer(bench.kind).score(bench, Q, C)[0]


def test_lareqa_metrics_equal_offline_scoring(tiny_model, tmp_path):
    bench = load_benchmark(f"lareqa:{FIXTURES / 'lareqa_tiny'}")
    evaluator = RetrievalEvaluator(bench, query_prompt="query: ", passage_prompt="passage: ",
                                   candidate_text="sentence+context", batch_size=4)
    tiny_model.train()
    metrics = evaluator(tiny_model, output_path=str(tmp_path), epoch=1, steps=10)
    assert tiny_model.training  # mode restored
    offline = _offline(tiny_model, bench, "query: ", "passage: ", "sentence+context")
    assert evaluator.last_results == offline
    s = offline["summary"]
    assert metrics["lareqa_tiny_mo"] == pytest.approx(s["mo"]["map"], abs=1e-12)
    assert metrics["lareqa_tiny_cr"] == pytest.approx(s["cr"]["map"], abs=1e-12)
    assert metrics["lareqa_tiny_mul_r@10"] == pytest.approx(s["mul"]["r@10"], abs=1e-12)
    assert metrics["lareqa_tiny_rank_distance"] == pytest.approx(s["rank_distance"], abs=1e-12)
    for lang in bench.languages:
        assert metrics[f"lareqa_tiny_mo_{lang}"] == pytest.approx(offline["pairs"][f"{lang}-{lang}"]["map"])
    assert evaluator.primary_metric == "lareqa_tiny_mo" and evaluator.greater_is_better
    assert evaluator.primary_metric in metrics
    line = json.loads((tmp_path / "retrieval_evaluation_lareqa_tiny.jsonl").read_text())
    assert line["epoch"] == 1 and line["steps"] == 10 and line["metrics"] == metrics


def test_beir_metrics_equal_offline_scoring_without_name(tiny_model):
    bench = load_benchmark(f"beir:{FIXTURES / 'beir_tiny'}")
    evaluator = RetrievalEvaluator(bench, name="", batch_size=4)
    metrics = evaluator(tiny_model)
    offline = _offline(tiny_model, bench, None, None)
    assert evaluator.primary_metric == "ndcg@10"
    assert {k: metrics[k] for k in ("ndcg@10", "recall@100", "mrr@10")} == pytest.approx(offline["summary"])
    assert {k for k in metrics if k.startswith("ndcg@10_")} == {f"ndcg@10_{x}" for x in offline["per_language"]}


def test_works_as_a_sequential_evaluator_member(tiny_model):
    from sentence_transformers.sentence_transformer.evaluation import SequentialEvaluator

    bench = load_benchmark(f"beir:{FIXTURES / 'beir_tiny'}")
    seq = SequentialEvaluator([RetrievalEvaluator(bench, batch_size=4)])
    out = seq(tiny_model)
    assert out["sequential_score"] == out["beir_tiny-test_ndcg@10"]
