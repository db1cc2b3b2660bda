"""Retrieval on the validation split: the benchmark it builds, the evaluator, selection during training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.registry import get_scorer
from hybridbatch.data.training_pairs import Item, PairSet, TrainingPairs
from hybridbatch.encoding import SentenceTransformerEncoder, encode_texts
from hybridbatch.training.validation import ValidationEvaluator, validation_benchmark
from tests.training.helpers import toy_items, toy_pairs, write_config, write_jsonl


def test_benchmark_relates_every_translation_and_shares_identical_passages():
    items = [Item("g1", "en", "q1 en", "p1 en"), Item("g1", "de", "q1 de", "p1 de"),
             Item("g2", "en", "q2 en", "p1 en"),  # the same answer sentence as g1 in English
             Item("g2", "de", "q2 de", "p2 de")]
    bench = validation_benchmark(TrainingPairs([PairSet("v", items)]))
    assert bench.kind == "lareqa" and bench.languages == ["de", "en"]
    assert [c.text for c in bench.candidates] == ["p1 de", "p2 de", "p1 en"]  # one candidate per text
    by_text = {c.id: c.text for c in bench.candidates}
    rel = {q.text: sorted(by_text[c] for c in bench.qrels[q.id]) for q in bench.queries}
    assert rel == {"q1 en": ["p1 de", "p1 en"], "q1 de": ["p1 de", "p1 en"],
                   "q2 en": ["p1 en", "p2 de"], "q2 de": ["p1 en", "p2 de"]}


def test_evaluator_equals_offline_scoring_and_adds_the_composites(tiny_model_dir, tmp_path):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    bench = validation_benchmark(TrainingPairs([toy_pairs(12)]))
    history = tmp_path / "validation.jsonl"
    evaluator = ValidationEvaluator(bench, select_metric="mo+mul", history_path=history,
                                    query_prompt="Query: ", passage_prompt="Passage: ", batch_size=8)
    metrics = evaluator(model, epoch=1, steps=5)
    encoder = SentenceTransformerEncoder(model, query_prompt="Query: ", passage_prompt="Passage: ",
                                         show_progress=False)
    Q, _ = encode_texts(encoder, [q.text for q in bench.queries], "query", cache=False)
    C, _ = encode_texts(encoder, [c.text for c in bench.candidates], "passage", cache=False)
    offline = get_scorer("lareqa").score(bench, Q, C)[0]["summary"]
    assert metrics["val_mo"] == pytest.approx(offline["mo"]["map"], abs=1e-9)
    assert metrics["val_mul"] == pytest.approx(offline["mul"]["map"], abs=1e-9)
    assert metrics["val_rank_distance"] == pytest.approx(offline["rank_distance"], abs=1e-9)
    assert metrics["val_mo+mul"] == pytest.approx((metrics["val_mo"] + metrics["val_mul"]) / 2)
    assert metrics["val_mo+cr+mul"] == pytest.approx(
        (metrics["val_mo"] + metrics["val_cr"] + metrics["val_mul"]) / 3)
    assert evaluator.primary_metric == "val_mo+mul" and evaluator.greater_is_better
    assert json.loads(history.read_text())["step"] == 5


def test_training_selects_the_checkpoint_by_validation_retrieval(tiny_model_dir, tmp_path):
    from sentence_transformers import SentenceTransformer

    from hybridbatch.training.config import load_config
    from hybridbatch.training.trainer import train

    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    cfg = load_config(write_config(tmp_path / "t.yaml", {
        "datasets": [{"jsonl": "items.jsonl"}], "output_dir": str(tmp_path / "run"), "seed": 1,
        "validation_fraction": 0.2,
        "training": {"batch_size": 8, "max_steps": 4, "eval_steps": 2, "logging_steps": 1, "loss": "mnrl",
                     "warmup_steps": 0, "max_seq_length": 32, "select_metric": "mo+mul", "learning_rate": 1e-3,
                     "early_stopping_patience": None}}))
    result = train(cfg, model=SentenceTransformer(str(tiny_model_dir), device="cpu"))
    history = [json.loads(x) for x in (Path(cfg.output_dir) / "validation.jsonl").read_text().splitlines()]
    assert [h["step"] for h in history] == [2, 4], history
    scores = [h["metrics"]["val_mo+mul"] for h in history]
    best = int(np.argmax(scores))  # the first of equal scores, as the trainer keeps
    assert result.best_checkpoint and result.best_checkpoint.endswith(f"checkpoint-{history[best]['step']}"), (
        scores, result.best_checkpoint)
    state = json.loads((Path(result.best_checkpoint) / "trainer_state.json").read_text())
    assert state["best_metric"] == pytest.approx(max(scores))
    # the best checkpoint's state holds the evaluations up to its own step (step 2's state has only one)
    logged = [e for e in state["log_history"] if "eval_val_mo+mul" in e]
    upto = [h for h in history if h["step"] <= history[best]["step"]]
    assert len(logged) == len(upto) and "eval_val_rank_distance" in logged[0]
    assert [e["eval_val_mo+mul"] for e in logged] == pytest.approx([h["metrics"]["val_mo+mul"] for h in upto])


def test_retrieval_selection_needs_a_validation_split(tmp_path):
    from hybridbatch.errors import HybridbatchError
    from hybridbatch.training.config import load_config

    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de"]))
    with pytest.raises(HybridbatchError, match="t.yaml: .*need a validation split"):
        load_config(write_config(tmp_path / "t.yaml", {
            "datasets": [{"jsonl": "items.jsonl"}], "validation_fraction": 0.0,
            "training": {"select_metric": "mo"}}))


def test_the_one_factory_takes_the_configs_settings_unless_told_otherwise(tmp_path):
    from hybridbatch.errors import HybridbatchError
    from hybridbatch.training.config import load_config
    from hybridbatch.training.data import prepare_data
    from hybridbatch.training.validation import build_validation_evaluator

    write_jsonl(tmp_path / "items.jsonl", toy_items(30, ["en", "de"]))
    cfg = load_config(write_config(tmp_path / "t.yaml", {
        "datasets": [{"jsonl": "items.jsonl"}], "validation_fraction": 0.3,
        "training": {"select_metric": "mo+cr+mul", "precision": "bf16"}}))
    data = prepare_data(cfg)
    prompts = {"query": "q: ", "passage": "p: "}
    evaluator = build_validation_evaluator(cfg, data, prompts, history_path=tmp_path / "h.jsonl")
    assert evaluator.primary_metric == "val_mo+cr+mul" and evaluator.precision == "bf16"
    assert (evaluator.query_prompt, evaluator.passage_prompt) == ("q: ", "p: ")
    assert evaluator.history_path == tmp_path / "h.jsonl"
    assert len(evaluator.bench.queries) == sum(len(d.items) for d in data.validation.datasets)
    other = build_validation_evaluator(cfg, data, prompts, select_metric="mo", precision="fp32")
    assert other.primary_metric == "val_mo" and other.precision == "fp32" and other.history_path is None
    data.validation = None
    with pytest.raises(HybridbatchError, match="needs a validation split"):
        build_validation_evaluator(cfg, data, prompts)
