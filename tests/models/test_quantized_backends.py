"""int8 variants of the backend exports (hybridbatch.models.quantized_backends) on the tiny model: one export
each (reused after), vectors of the right shape and L2-normalised, close to torch fp32; the calibration draw;
and the variants stay out of the CLI's ``--backend``.

The cosine bound (MIN_COSINE) is a smoke bound that catches a broken graph or a wrong input order, not a
quality claim: the tiny model's weights are random and its activations not shaped like a trained model's."""

from __future__ import annotations

import numpy as np
import pytest

from hybridbatch.cli import main
from hybridbatch.config import BACKENDS, EXPERIMENTAL_BACKENDS
from hybridbatch.encoding import SentenceTransformerEncoder
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.calibration import calibration_texts, draw_calibration
from hybridbatch.models import backends, quantized_backends
from tests.models.test_backends import TEXTS, load, torch_vectors

MIN_COSINE = 0.9
PACKAGES = {"onnx-int8-dynamic": ("onnxruntime",), "onnx-int8-static": ("onnxruntime",),
            "openvino-int8": ("openvino", "nncf")}


@pytest.fixture
def tiny_model(tiny_model_dir):
    return load(tiny_model_dir)


@pytest.fixture
def calibration(lareqa_tiny):
    return calibration_texts(3, seed=0, benchmark=f"lareqa:{lareqa_tiny}", query_prompt="query: ",
                             passage_prompt="passage: ")


@pytest.mark.parametrize("variant", EXPERIMENTAL_BACKENDS)
def test_each_int8_variant_exports_once_and_encodes_close_to_fp32(variant, tiny_model, calibration, monkeypatch):
    for name in ("onnx", "onnxscript", *PACKAGES[variant]):
        pytest.importorskip(name)
    made = []
    real = backends.ensure_export

    def counting(model, backend, **kwargs):
        folder = backends.export_folder(model, backend, fingerprint=kwargs.get("fingerprint"),
                                        extra=kwargs.get("extra", ""))
        if not (folder / backends.EXPORT_INFO).is_file():
            made.append(backend)
        return real(model, backend, **kwargs)

    monkeypatch.setattr(quantized_backends, "ensure_export", counting)
    queries, passages = torch_vectors(tiny_model)
    for _ in range(2):  # the second encoder finds both exports in the cache
        encoder = SentenceTransformerEncoder(tiny_model, query_prompt="query: ", passage_prompt="passage: ",
                                             show_progress=False, batch_size=4, backend=variant,
                                             calibration=calibration)
        assert encoder.precision == "fp32"
        for vectors, reference in ((encoder.encode_queries(TEXTS), queries),
                                   (encoder.encode_passages(TEXTS), passages)):
            assert vectors.dtype == np.float32 and vectors.shape == reference.shape
            np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
            assert (vectors * reference).sum(axis=1).min() > MIN_COSINE
    assert made == [backends.runtime(variant), variant]


def test_calibrated_variants_need_texts_and_have_their_own_identity(tiny_model, calibration):
    with pytest.raises(HybridbatchError, match="calibration"):
        SentenceTransformerEncoder(tiny_model, backend="onnx-int8-static", show_progress=False)
    one = SentenceTransformerEncoder(tiny_model, backend="onnx-int8-static", calibration=calibration)
    other = SentenceTransformerEncoder(tiny_model, backend="onnx-int8-static", calibration=calibration[:-1])
    dynamic = SentenceTransformerEncoder(tiny_model, backend="onnx-int8-dynamic", calibration=calibration)
    fp32 = SentenceTransformerEncoder(tiny_model, backend="onnx")
    assert len({one.identity, other.identity, dynamic.identity, fp32.identity}) == 4
    with pytest.raises(HybridbatchError, match="fp32 only"):
        SentenceTransformerEncoder(tiny_model, backend="onnx-int8-dynamic", precision="bf16")
    key = backends.export_key(tiny_model, "onnx-int8-static", extra=quantized_backends.calibration_key(calibration))
    assert key != backends.export_key(tiny_model, "onnx-int8-static",
                                      extra=quantized_backends.calibration_key(calibration[::-1]))


def test_calibration_draw_is_deterministic_per_seed_and_language(lareqa_tiny):
    from hybridbatch.benchmarks.registry import load_benchmark

    bench = load_benchmark(f"lareqa:{lareqa_tiny}")
    draw = draw_calibration(bench, 2, seed=1, query_prompt="query: ", passage_prompt="passage: ")
    assert draw == draw_calibration(bench, 2, seed=1, query_prompt="query: ", passage_prompt="passage: ")
    assert len(draw) == 4 * len(bench.languages)
    assert sum(t.startswith("query: ") for t in draw) == 2 * len(bench.languages)
    assert {t for t in draw if t.startswith("query: ")} <= {"query: " + q.text for q in bench.queries}
    seeds = {tuple(draw_calibration(bench, 2, seed=s)) for s in range(6)}
    assert len(seeds) > 1  # the seed matters
    alone = draw_calibration(bench.subset([bench.languages[0]]), 2, seed=1, query_prompt="query: ",
                             passage_prompt="passage: ")
    assert draw[:4] == alone  # a language's draw does not depend on the other languages
    with pytest.raises(HybridbatchError):
        draw_calibration(bench, 0)


def test_experimental_backends_are_not_cli_choices(capsys, tmp_path):
    assert not set(EXPERIMENTAL_BACKENDS) & set(BACKENDS)
    for variant in EXPERIMENTAL_BACKENDS:
        with pytest.raises(SystemExit) as exc:  # index, search, serve: an argparse choice
            main(["index", "--corpus", "unused", "--out", str(tmp_path / "index"), "--backend", variant])
        assert exc.value.code == 2
        assert "invalid choice" in capsys.readouterr().err
        # evaluate takes --backend from the configuration's fields, checked before anything is loaded
        assert main(["evaluate", "--benchmark", "xquad-r", "--model", "default", "--backend", variant,
                     "--out", str(tmp_path / "eval")]) == 2
        assert "expected one of torch, onnx, openvino" in capsys.readouterr().err
        assert not (tmp_path / "eval").exists()


def test_int8_drift_script_runs_on_the_tiny_data(tiny_model_dir, lareqa_tiny, tmp_path, capsys):
    for name in ("onnx", "onnxscript", "onnxruntime"):
        pytest.importorskip(name)
    import importlib.util
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "int8_drift.py"
    spec = importlib.util.spec_from_file_location("int8_drift", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "drift.json"
    assert script.main(["--model", str(tiny_model_dir), "--benchmark", f"lareqa:{lareqa_tiny}",
                        "--calibration-benchmark", f"lareqa:{lareqa_tiny}", "--calibration-n", "2",
                        "--variants", "onnx-int8-dynamic,onnx-int8-static", "--limit-languages", "2",
                        "--max-queries", "3", "--json", str(out)]) == 0
    numbers = json.loads(out.read_text())
    assert list(numbers["systems"]) == ["torch fp32", "onnx-int8-dynamic", "onnx-int8-static"]
    assert len(numbers["languages"]) == 2 and numbers["n_queries"] <= 6
    ref = numbers["systems"]["torch fp32"]
    assert ref["pass"] and all(v == 0 for v in ref["drift"].values())
    assert {"mo", "cr", "mul", "rank_distance", "texts_per_second", "pass"} <= set(numbers["systems"]["onnx-int8-static"])
    assert "PASS" in capsys.readouterr().out
