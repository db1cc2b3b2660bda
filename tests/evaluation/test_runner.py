"""The evaluation runner: typed settings, scorer dispatch, the report folder."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.registry import get_scorer, load_benchmark
from hybridbatch.config import from_dict
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.config import EvaluationConfig, EvaluationSettings
from hybridbatch.evaluation.runner import run_evaluation

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# the keys of config.json's "config" before the scorer refactor; the experiment runner reads some of them
CONFIG_KEYS = {"benchmark", "model", "embeddings", "languages", "candidate_text", "batch_size", "max_seq_length",
               "query_prefix", "passage_prefix", "precision", "device", "cache", "data_dir", "extra",
               "perturb", "perturb_seed",  # the robustness suite
               "backend"}  # inference backends (hybridbatch.models.backends)


def test_config_keys_unchanged():
    assert set(asdict(EvaluationConfig(benchmark="xquad-r", model="m"))) == CONFIG_KEYS


@pytest.mark.parametrize("change, message", [
    ({"precision": "fp16"}, "'precision' is 'fp16'; expected one of auto, fp32, bf16"),
    ({"backend": "tensorrt"}, "'backend' is 'tensorrt'; expected one of torch, onnx, openvino"),
    ({"candidate_text": "context"}, "'candidate_text' is 'context'"),
    ({"batch_size": 0}, "'batch_size' is 0; must be >= 1"),
    ({"max_seq_length": 4}, "'max_seq_length' is 4; must be >= 8"),
    ({"languages": "de,en"}, "'languages' should be a list"),
    ({"model": None}, "exactly one of --model and --embeddings"),
    ({"embeddings": "e.npz"}, "exactly one of --model and --embeddings"),
])
def test_check_comes_from_the_field_types(change, message):
    cfg = EvaluationConfig(**{"benchmark": "xquad-r", "model": "m", **change})
    with pytest.raises(HybridbatchError, match=message.replace("(", r"\(")):
        cfg.validate()


def test_valid_configs_pass():
    EvaluationConfig(benchmark="xquad-r", model="m", max_seq_length=8, precision="bf16",
                     candidate_text="sentence+context", languages=["de"], extra={"seed": 1}).validate()
    EvaluationConfig(benchmark="xquad-r", embeddings="e.npz").validate()


def test_settings_are_reusable_with_required_fields_and_the_strict_loader():
    @dataclass(kw_only=True)
    class ExperimentEvaluation(EvaluationSettings):
        benchmarks: list[str] = field(default_factory=lambda: ["xquad-r"])

    e = from_dict(ExperimentEvaluation, {"benchmarks": ["mlqa-r"], "precision": "bf16", "batch_size": 8})
    assert e.benchmarks == ["mlqa-r"] and e.precision == "bf16" and e.cache
    e.validate()
    cfg = EvaluationConfig.from_settings(e, benchmark="mlqa-r", model="m", extra={"seed": 1})
    assert (cfg.benchmark, cfg.model, cfg.precision, cfg.batch_size, cfg.extra) == ("mlqa-r", "m", "bf16", 8,
                                                                                    {"seed": 1})
    cfg.validate()
    with pytest.raises(HybridbatchError, match="'batch_size' is 0"):
        from_dict(ExperimentEvaluation, {"batch_size": 0})


def test_run_evaluation_with_an_encoder_writes_the_scorer_report(tmp_path, mock_encoder):
    bench = load_benchmark(f"beir:{FIXTURES / 'beir_tiny'}")
    cfg = EvaluationConfig(benchmark="beir:x", model="mock", extra={"label": "m"})
    results = run_evaluation(cfg, tmp_path / "out", bench=bench, encoder=mock_encoder)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "per_query.npz", "results.csv",
                                                    "results.json", "results.md"]
    assert results["timing"]["texts_encoded"] > 0
    stored = json.loads((out / "results.json").read_text())
    with np.load(out / "per_query.npz") as data:
        per_query = {k: data[k] for k in data.files}
    scorer = get_scorer("beir")
    assert scorer.aggregate(bench, per_query) == {k: v for k, v in stored.items() if k != "timing"}
    assert (out / "results.md").read_text() == scorer.markdown(stored)
    assert json.loads((out / "config.json").read_text())["config"]["extra"] == {"label": "m"}


def test_candidate_text_with_context_is_encoded(tmp_path, mock_encoder):
    bench = load_benchmark(f"lareqa:{FIXTURES / 'lareqa_tiny'}")
    cfg = EvaluationConfig(benchmark="lareqa:x", model="mock", candidate_text="sentence+context", cache=False)
    run_evaluation(cfg, tmp_path / "out", bench=bench, encoder=mock_encoder)
    c = bench.candidates[0]
    assert f"{c.text} {c.context}" in mock_encoder.encoded
    assert c.text not in mock_encoder.encoded


def test_bad_config_leaves_no_output(tmp_path):
    with pytest.raises(HybridbatchError):
        run_evaluation(EvaluationConfig(benchmark="xquad-r", model="m", batch_size=-1), tmp_path / "out")
    assert not (tmp_path / "out").exists()
