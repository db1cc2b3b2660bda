"""Inference backends (hybridbatch.models.backends): vectors equal torch fp32's, one export per model and
versions, clear errors, their own cache identity, and ``evaluate --backend`` end to end.

Tests that run an export need the optional extras and are skipped without them."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.cli import main
from hybridbatch.encoding import SentenceTransformerEncoder, encode_texts
from hybridbatch.errors import HybridbatchError
from hybridbatch.models import backends
from hybridbatch.models.fingerprint import model_fingerprint, tokenizer_fingerprint
from hybridbatch.models.loading import load_model
from tests.conftest import build_tiny_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LAREQA = f"lareqa:{FIXTURES / 'lareqa_tiny'}"
TEXTS = ["paris is the capital of france", "der hund schläft", "the cat sat on the mat and then it slept all day",
         "¿cuál es la capital de españa?", "madrid", "wie heißt die hauptstadt von deutschland und frankreich"]
MIN_COSINE = 0.9999  # an export in fp32 reproduces torch fp32 up to float rounding


def needs(backend: str) -> None:
    """Skip unless the backend's packages import (openvino through the import that keeps its telemetry off)."""
    for name in backends.MODULES[backend]:
        if name == "openvino":
            try:
                backends.import_openvino()
            except ImportError:
                pytest.skip("openvino is not installed")
        else:
            pytest.importorskip(name)


def load(folder: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu")


@pytest.fixture
def tiny_model(tiny_model_dir):
    return load(tiny_model_dir)


def torch_vectors(model) -> tuple[np.ndarray, np.ndarray]:
    encoder = SentenceTransformerEncoder(model, query_prompt="query: ", passage_prompt="passage: ",
                                         show_progress=False, precision="fp32")
    return encoder.encode_queries(TEXTS), encoder.encode_passages(TEXTS)


def assert_close(vectors: np.ndarray, reference: np.ndarray, min_cosine: float = MIN_COSINE) -> None:
    assert vectors.dtype == np.float32 and vectors.shape == reference.shape
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors * reference).sum(axis=1).min() >= min_cosine


@pytest.fixture
def fake_exports(monkeypatch):
    """Exporters that write a marker file and count their calls; the extras are not needed."""
    calls: list[tuple[str, Path]] = []

    def exporter(name):
        def export(model, folder: Path) -> list[str]:
            calls.append((name, folder))
            (folder / "graph").write_text(name)
            return ["input_ids", "attention_mask"]
        return export

    monkeypatch.setattr(backends, "require", lambda backend: None)
    monkeypatch.setitem(backends.EXPORTERS, "onnx", exporter("onnx"))
    monkeypatch.setitem(backends.EXPORTERS, "openvino", exporter("openvino"))
    return calls


def test_onnx_vectors_equal_torch_fp32_in_input_order(tiny_model):
    needs("onnx")
    queries, passages = torch_vectors(tiny_model)
    encoder = SentenceTransformerEncoder(tiny_model, query_prompt="query: ", passage_prompt="passage: ",
                                         show_progress=False, batch_size=4, backend="onnx")
    assert encoder.precision == "fp32"
    assert_close(encoder.encode_queries(TEXTS), queries)
    assert_close(encoder.encode_passages(TEXTS), passages)
    assert encoder.encode_queries([]).shape == (0, queries.shape[1])


def test_openvino_fp32_is_true_f32_and_bf16_uses_the_bf16_hint(tiny_model, monkeypatch):
    needs("openvino")
    from hybridbatch import hardware

    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset({"amx_bf16"}))  # where OpenVINO would pick bf16
    queries, passages = torch_vectors(tiny_model)
    exact = SentenceTransformerEncoder(tiny_model, query_prompt="query: ", passage_prompt="passage: ",
                                       show_progress=False, batch_size=4, backend="openvino", precision="fp32")
    assert_close(exact.encode_queries(TEXTS), queries)
    assert_close(exact.encode_passages(TEXTS), passages)
    assert str(exact._backend_model.compiled.get_property("INFERENCE_PRECISION_HINT")) == "<Type: 'float32'>"
    fast = SentenceTransformerEncoder(tiny_model, query_prompt="query: ", show_progress=False, backend="openvino")
    assert fast.precision == "bf16"  # auto where bf16 is native, as for torch
    assert_close(fast.encode_queries(TEXTS), queries, min_cosine=0.99)
    import openvino

    if "BF16" in openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"):  # else OpenVINO runs f32
        assert "bfloat16" in str(fast._backend_model.compiled.get_property("INFERENCE_PRECISION_HINT"))


def test_openvino_converts_without_onnx_and_keeps_input_order_across_its_streams(tiny_model, tmp_path, monkeypatch):
    needs("openvino")
    monkeypatch.setenv("HYBRIDBATCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "onnx", None)  # OpenVINO converts the torch model itself
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    queries, _ = torch_vectors(tiny_model)
    encoder = SentenceTransformerEncoder(tiny_model, query_prompt="query: ", show_progress=False, batch_size=1,
                                         backend="openvino", precision="fp32")
    many = TEXTS * 5  # 30 batches of one, in flight on every infer request of the queue
    assert_close(encoder.encode_queries(many), np.concatenate([queries] * 5))
    compiled = encoder._backend_model.compiled
    assert str(compiled.get_property("PERFORMANCE_HINT")) == "THROUGHPUT"
    assert not list(backends.export_folder(tiny_model, "openvino").glob("*.onnx*"))


def test_the_int8_variant_names_nncf_when_it_is_missing(tiny_model, monkeypatch):
    needs("openvino")
    monkeypatch.setitem(sys.modules, "nncf", None)
    with pytest.raises(HybridbatchError, match=r"pip install 'hybridbatch\[openvino\]' nncf"):
        backends.require("openvino-int8")


def test_the_export_is_made_once_and_then_reused(tiny_model, tiny_model_dir, monkeypatch):
    needs("onnx")
    calls = []
    real = backends.EXPORTERS["onnx"]
    monkeypatch.setitem(backends.EXPORTERS, "onnx", lambda model, folder: calls.append(folder) or real(model, folder))
    first = SentenceTransformerEncoder(tiny_model, show_progress=False, backend="onnx").encode_queries(TEXTS)
    folder = backends.export_folder(tiny_model, "onnx")
    stamp = (folder / backends.ONNX_FILE).stat().st_mtime_ns
    again = SentenceTransformerEncoder(load(tiny_model_dir), show_progress=False, backend="onnx")
    np.testing.assert_array_equal(again.encode_queries(TEXTS), first)
    assert len(calls) == 1 and (folder / backends.ONNX_FILE).stat().st_mtime_ns == stamp
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]  # no temporary folder left


def test_an_export_of_another_model_or_other_versions_is_not_reused(tiny_model, tiny_model_dir, tmp_path,
                                                                     fake_exports, monkeypatch):
    first = backends.ensure_export(tiny_model, "onnx")
    assert backends.ensure_export(load(tiny_model_dir), "onnx") == first  # the same weights from a fresh load
    assert len(fake_exports) == 1
    other = load(build_tiny_model(tmp_path / "other", seed=1))
    assert backends.ensure_export(other, "onnx") != first
    cls_pooled = load_model(str(tiny_model_dir), pooling="cls")  # same weights, another graph
    assert model_fingerprint(cls_pooled) == model_fingerprint(tiny_model)
    assert backends.ensure_export(cls_pooled, "onnx") != first
    assert backends.ensure_export(tiny_model, "openvino") != first
    versions = backends.backend_versions("onnx") | {"onnxruntime": "0.0.1"}
    monkeypatch.setattr(backends, "backend_versions", lambda backend: versions)
    assert backends.ensure_export(tiny_model, "onnx") != first
    assert len(fake_exports) == 5
    monkeypatch.setattr(backends, "EXPORT_FORMAT", backends.EXPORT_FORMAT + 1)
    assert backends.ensure_export(tiny_model, "onnx") != first
    assert len(fake_exports) == 6


def test_a_missing_package_is_a_one_line_error_naming_the_extra(tiny_model, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    monkeypatch.setitem(sys.modules, "openvino", None)
    for backend in ("onnx", "openvino"):
        with pytest.raises(HybridbatchError) as caught:
            SentenceTransformerEncoder(tiny_model, backend=backend)
        message = str(caught.value)
        assert "\n" not in message and f"pip install 'hybridbatch[{backend}]'" in message


def test_a_failed_export_is_a_one_line_error_and_leaves_nothing(tiny_model, monkeypatch):
    def broken(model, folder):
        (folder / "half-written").write_text("x")
        raise RuntimeError("tracing failed\nwith a long story")

    monkeypatch.setattr(backends, "require", lambda backend: None)
    monkeypatch.setitem(backends.EXPORTERS, "onnx", broken)
    with pytest.raises(HybridbatchError) as caught:
        backends.ensure_export(tiny_model, "onnx")
    message = str(caught.value)
    assert "\n" not in message and "tracing failed" in message and "pip install 'hybridbatch[onnx]'" in message
    assert list((backends.export_folder(tiny_model, "onnx").parent).iterdir()) == []


def test_an_export_the_runtime_cannot_load_is_a_one_line_error_with_its_reason(tiny_model, fake_exports,
                                                                                 monkeypatch):
    folder = backends.ensure_export(tiny_model, "openvino")

    def refuse(self):
        raise RuntimeError("Exception from core.cpp:117:\nSupported primitive descriptors list is empty for node: "
                           "Softmax\n\n")

    monkeypatch.setattr(backends.BackendModel, "_open_openvino", refuse)
    with pytest.raises(HybridbatchError) as caught:
        backends.BackendModel(tiny_model, "openvino", folder, "bf16")
    message = str(caught.value)
    assert "\n" not in message and str(folder) in message and "precision bf16" in message
    assert "Supported primitive descriptors list is empty for node: Softmax" in message


def test_identity_differs_per_backend_and_torch_identity_is_unchanged(tiny_model, monkeypatch):
    import hybridbatch.encoding as encoding

    monkeypatch.setattr(encoding, "require", lambda backend: None)
    torch_fp32 = SentenceTransformerEncoder(tiny_model, query_prompt="q: ", precision="fp32")
    parts = [model_fingerprint(tiny_model), tokenizer_fingerprint(tiny_model), repr("q: "), repr(""),
             str(tiny_model.max_seq_length)]
    assert torch_fp32.identity == hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]  # as before backends
    encoders = {b: SentenceTransformerEncoder(tiny_model, query_prompt="q: ", precision="fp32", backend=b)
                for b in ("torch", "onnx", "openvino")}
    assert len({e.identity for e in encoders.values()}) == 3
    assert {e.model_identity for e in encoders.values()} == {torch_fp32.model_identity}  # indexes stay searchable
    bf16 = SentenceTransformerEncoder(tiny_model, query_prompt="q: ", precision="bf16", backend="openvino")
    assert bf16.identity not in {e.identity for e in encoders.values()}


def test_precision_per_backend(tiny_model, monkeypatch):
    import hybridbatch.encoding as encoding
    from hybridbatch import hardware

    monkeypatch.setattr(encoding, "require", lambda backend: None)
    monkeypatch.setattr(hardware, "cpu_flags", lambda: frozenset({"avx512_bf16"}))
    assert backends.resolve_backend_precision("onnx", "auto", "cpu") == "fp32"  # onnx: fp32 only
    assert backends.resolve_backend_precision("openvino", "auto", "cpu") == "bf16"
    assert backends.resolve_backend_precision("torch", "auto", "cpu") == "bf16"
    with pytest.raises(HybridbatchError, match="backend onnx runs in fp32 only"):
        SentenceTransformerEncoder(tiny_model, precision="bf16", backend="onnx")
    with pytest.raises(HybridbatchError, match="unknown backend 'tensorrt'"):
        SentenceTransformerEncoder(tiny_model, backend="tensorrt")


def test_evaluation_config_checks_the_backend():
    from hybridbatch.evaluation.config import EvaluationConfig

    EvaluationConfig(benchmark=LAREQA, model="m", backend="openvino").validate()
    with pytest.raises(HybridbatchError) as caught:
        EvaluationConfig(benchmark=LAREQA, model="m", backend="tensorrt").validate()
    assert "backend" in str(caught.value) and "\n" not in str(caught.value)


def test_a_finished_evaluation_is_not_reused_with_another_backend(tmp_path):
    from hybridbatch.evaluation.config import EvaluationConfig
    from hybridbatch.experiment.evaluations import check_same_evaluation
    from hybridbatch.experiment.layout import EvalFolder
    from hybridbatch.outputs import write_json

    old = {"benchmark": "xquad-r", "languages": None, "candidate_text": "sentence", "max_seq_length": None,
           "precision": "fp32"}
    write_json(tmp_path / "config.json", {"config": old})  # written before backends existed: torch
    check_same_evaluation(EvalFolder(tmp_path), EvaluationConfig(benchmark="xquad-r", model="m", precision="fp32"))
    with pytest.raises(HybridbatchError, match="backend='torch', the experiment asks for 'onnx'"):
        check_same_evaluation(EvalFolder(tmp_path), EvaluationConfig(benchmark="xquad-r", model="m",
                                                                     precision="fp32", backend="onnx"))


def test_cli_evaluate_with_the_onnx_backend(tmp_path, tiny_model_dir, capsys):
    needs("onnx")
    args = ["evaluate", "--model", str(tiny_model_dir), "--benchmark", LAREQA, "--batch-size", "8"]
    assert main(args + ["--out", str(tmp_path / "onnx"), "--backend", "onnx"]) == 0
    assert main(args + ["--out", str(tmp_path / "onnx2"), "--backend", "onnx"]) == 0
    assert main(args + ["--out", str(tmp_path / "torch"), "--precision", "fp32"]) == 0
    onnx, onnx2, torch = (json.loads((tmp_path / n / "results.json").read_text()) for n in ("onnx", "onnx2", "torch"))
    config = json.loads((tmp_path / "onnx" / "config.json").read_text())["config"]
    assert (config["backend"], config["precision"]) == ("onnx", "fp32")
    assert json.loads((tmp_path / "torch" / "config.json").read_text())["config"]["backend"] == "torch"
    assert onnx2["timing"]["texts_encoded"] == 0  # the onnx vectors come from the cache the second time
    assert torch["timing"]["texts_encoded"] == onnx["timing"]["texts_encoded"] > 0  # but never serve torch
    for setting in ("mo", "cr", "mul"):
        assert onnx["summary"][setting]["map"] == pytest.approx(torch["summary"][setting]["map"], abs=1e-4)
    capsys.readouterr()
    assert main(args + ["--out", str(tmp_path / "bad"), "--backend", "onnx", "--precision", "bf16"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fp32 only" in err[0] and not (tmp_path / "bad").exists()


def test_backend_vectors_reach_the_same_cache_lookup_as_torch(tiny_model, tmp_path):
    needs("onnx")
    encoder = SentenceTransformerEncoder(tiny_model, show_progress=False, backend="onnx")
    vectors, fresh = encode_texts(encoder, TEXTS + TEXTS[:2], "passage", cache_root=tmp_path)
    assert fresh == len(TEXTS) and vectors.shape[0] == len(TEXTS) + 2
    np.testing.assert_array_equal(vectors[-2:], vectors[:2])
    assert (tmp_path / "embeddings" / f"{encoder.identity}.sqlite").is_file()


def test_a_backend_reports_each_batch_with_the_vectors_it_returns(tiny_model, tmp_path):
    needs("onnx")
    encoder = SentenceTransformerEncoder(tiny_model, show_progress=False, batch_size=4, backend="onnx")
    seen: dict[int, np.ndarray] = {}
    vectors = encoder.encode_passages(TEXTS, on_batch=lambda pos, vec: seen.update(zip(pos.tolist(), vec)))
    assert sorted(seen) == list(range(len(TEXTS)))
    np.testing.assert_array_equal(np.stack([seen[i] for i in range(len(TEXTS))]), vectors)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_an_index_built_with_openvino_is_searched_with_torch_and_the_same_hits(tmp_path, tiny_model_dir):
    needs("openvino")
    from hybridbatch.search.searcher import Searcher
    from tests.search.conftest import write_corpus

    corpus = write_corpus(tmp_path / "docs.jsonl")
    assert main(["index", "--corpus", str(corpus), "--out", str(tmp_path / "index"), "--model", str(tiny_model_dir),
                 "--backend", "openvino", "--precision", "fp32"]) == 0
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["corpora"][-1]["backend"] == "openvino"
    by_torch = Searcher(tmp_path / "index", precision="fp32").search(["the rhine"])[0]
    by_openvino = Searcher(tmp_path / "index", precision="fp32", backend="openvino").search(["the rhine"])[0]
    assert [h["id"] for h in by_torch] == [h["id"] for h in by_openvino]
    assert [h["score"] for h in by_torch] == pytest.approx([h["score"] for h in by_openvino], abs=1e-4)


def test_openvino_is_imported_with_its_usage_telemetry_off(tmp_path):
    needs("openvino")
    import subprocess

    code = ("import sys; from hybridbatch.models.backends import import_openvino; import_openvino(); "
            "import openvino.tools.ovc.telemetry_utils as t; print(t.tm.__name__)")
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "openvino.tools.ovc.telemetry_stub"
    assert not (tmp_path / "intel").exists()  # no usage-statistics files written
