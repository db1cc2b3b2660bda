"""End-to-end ``hybridbatch evaluate``: embeddings route, model route, bad input → exit 2, no partial output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.cli import main
from hybridbatch.evaluation.embeddings_file import save_embeddings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LAREQA = f"lareqa:{FIXTURES / 'lareqa_tiny'}"
BEIR = f"beir:{FIXTURES / 'beir_tiny'}"


def _random_embeddings(bench, seed=0, dim=12):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((len(bench.queries), dim)).astype(np.float32),
            rng.standard_normal((len(bench.candidates), dim)).astype(np.float32))


def test_embeddings_route_writes_every_report_file(tmp_path, capsys):
    bench = load_benchmark(LAREQA)
    Q, C = _random_embeddings(bench)
    # make every question point exactly at its relevant candidates: perfect retrieval
    for i, rel in enumerate(bench.relevant_indices()):
        Q[i] = C[rel].mean(0)
    emb = tmp_path / "emb.npz"
    save_embeddings(emb, bench, Q, C)
    out = tmp_path / "report"
    assert main(["evaluate", "--embeddings", str(emb), "--benchmark", LAREQA, "--out", str(out)]) == 0
    for name in ("results.json", "results.md", "results.csv", "heatmap_map.png", "rank_distance.png",
                 "per_query.npz", "config.json"):
        assert (out / name).is_file(), name
    results = json.loads((out / "results.json").read_text())
    assert set(results["summary"]) == {"mo", "cr", "mul", "rank_distance"}
    assert len(results["pairs"]) == len(bench.languages) ** 2
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["embeddings"] == str(emb)
    assert "torch" in config["versions"]
    assert "Mo." in (out / "results.md").read_text()
    assert "mAP Mo." in capsys.readouterr().out


def test_model_route_then_cache_encodes_nothing(tmp_path, tiny_model_dir):
    out1, out2 = tmp_path / "r1", tmp_path / "r2"
    args = ["evaluate", "--model", str(tiny_model_dir), "--benchmark", LAREQA, "--batch-size", "8"]
    assert main(args + ["--out", str(out1), "--save-embeddings", str(tmp_path / "e.npz")]) == 0
    assert main(args + ["--out", str(out2)]) == 0
    first = json.loads((out1 / "results.json").read_text())
    second = json.loads((out2 / "results.json").read_text())
    assert first["timing"]["texts_encoded"] > 0
    assert second["timing"]["texts_encoded"] == 0
    assert first["summary"] == second["summary"]
    # the saved embeddings reproduce the same numbers without the model
    out3 = tmp_path / "r3"
    assert main(["evaluate", "--embeddings", str(tmp_path / "e.npz"), "--benchmark", LAREQA,
                 "--out", str(out3)]) == 0
    third = json.loads((out3 / "results.json").read_text())
    for setting in ("mo", "cr", "mul"):
        assert third["summary"][setting]["map"] == pytest.approx(first["summary"][setting]["map"], abs=1e-5)


def test_bf16_evaluation_records_its_precision_and_uses_its_own_cache(tmp_path, tiny_model_dir):
    args = ["evaluate", "--model", str(tiny_model_dir), "--benchmark", LAREQA, "--batch-size", "8"]
    assert main(args + ["--out", str(tmp_path / "fp32")]) == 0
    assert main(args + ["--out", str(tmp_path / "bf16"), "--precision", "bf16"]) == 0
    fp32 = json.loads((tmp_path / "fp32" / "results.json").read_text())
    bf16 = json.loads((tmp_path / "bf16" / "results.json").read_text())
    assert bf16["timing"]["texts_encoded"] == fp32["timing"]["texts_encoded"] > 0  # no fp32 vectors reused
    config = json.loads((tmp_path / "bf16" / "config.json").read_text())["config"]
    assert config["precision"] == "bf16"
    for setting in ("mo", "cr", "mul"):
        assert bf16["summary"][setting]["map"] == pytest.approx(fp32["summary"][setting]["map"], abs=0.05)


def test_beir_benchmark_with_model(tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "beir"
    assert main(["evaluate", "--model", str(tiny_model_dir), "--benchmark", BEIR, "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["kind"] == "beir"
    assert 0.0 <= results["summary"]["ndcg@10"] <= 1.0
    assert "nDCG@10" in (out / "results.md").read_text()
    s = results["summary"]
    assert capsys.readouterr().out.splitlines()[0] == (
        f"beir_tiny-test: nDCG@10 {s['ndcg@10']:.3f}  R@100 {s['recall@100']:.3f}  MRR@10 {s['mrr@10']:.3f}")


def _exit_and_message(argv, capsys):
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


@pytest.mark.parametrize("case", ["missing_key", "wrong_shape", "unknown_language", "not_a_model",
                                  "malformed_json", "both_sources", "bad_batch_size", "short_max_seq_length"])
def test_bad_input_exit_2_one_line_no_output(case, tmp_path, capsys):
    bench = load_benchmark(LAREQA)
    Q, C = _random_embeddings(bench)
    out = tmp_path / "out"
    emb = tmp_path / "e.npz"
    argv = ["evaluate", "--benchmark", LAREQA, "--out", str(out)]
    if case == "missing_key":
        save_embeddings(emb, bench, Q, C)
        with np.load(emb) as data:
            arrays = {k: data[k] for k in data.files if k != "C_es"}
        np.savez(emb, **arrays)
        argv += ["--embeddings", str(emb)]
        expected = "missing array 'C_es'"
    elif case == "wrong_shape":
        save_embeddings(emb, bench, Q, C)
        with np.load(emb) as data:
            arrays = {k: data[k] for k in data.files}
        arrays["C_en"] = arrays["C_en"][:-1]
        np.savez(emb, **arrays)
        argv += ["--embeddings", str(emb)]
        expected = "'C_en' has shape"
    elif case == "unknown_language":
        save_embeddings(emb, bench, Q, C)
        argv += ["--embeddings", str(emb), "--languages", "de,xx"]
        expected = "xx"
    elif case == "not_a_model":
        (tmp_path / "empty").mkdir()
        argv += ["--model", str(tmp_path / "empty")]
        expected = "empty"
    elif case == "malformed_json":
        folder = tmp_path / "broken"
        folder.mkdir()
        (folder / "en.json").write_text('{"data": [ {')
        argv = ["evaluate", "--benchmark", f"lareqa:{folder}", "--out", str(out), "--embeddings", str(emb)]
        expected = "en.json"
    elif case in ("bad_batch_size", "short_max_seq_length"):
        save_embeddings(emb, bench, Q, C)
        flag, value, expected = {"bad_batch_size": ("--batch-size", "0", "'batch_size' is 0"),
                                 "short_max_seq_length": ("--max-seq-length", "4", "'max_seq_length' is 4")}[case]
        argv += ["--embeddings", str(emb), flag, value]
    else:
        argv += ["--embeddings", str(emb), "--model", "default"]
        expected = "give exactly one of --model and --embeddings"
    code, err = _exit_and_message(argv, capsys)
    assert code == 2
    assert len(err) == 1 and err[0].startswith("hybridbatch: error:") and expected in err[0], err
    assert not out.exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())
