"""End-to-end ``hybridbatch report`` on evaluations made by ``hybridbatch evaluate --embeddings``."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.registry import load_benchmark
from hybridbatch.cli import main
from hybridbatch.cli.report import find_eval_folders
from hybridbatch.errors import HybridbatchError
from hybridbatch.evaluation.embeddings_file import save_embeddings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SPECS = {"lareqa": f"lareqa:{FIXTURES / 'lareqa_tiny'}", "beir": f"beir:{FIXTURES / 'beir_tiny'}"}


def _evaluate(tmp_path: Path, kind: str, seed: int) -> Path:
    bench = load_benchmark(SPECS[kind])
    rng = np.random.default_rng(seed)
    emb = tmp_path / f"{kind}-{seed}.npz"
    save_embeddings(emb, bench, rng.standard_normal((len(bench.queries), 12)).astype(np.float32),
                    rng.standard_normal((len(bench.candidates), 12)).astype(np.float32))
    out = tmp_path / "runs" / f"{kind}-{seed}"
    assert main(["evaluate", "--embeddings", str(emb), "--benchmark", SPECS[kind], "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("kind, header", [
    ("beir", "| model | n | nDCG@10 | R@100 | MRR@10 |"),
    ("lareqa", "| model | n | Mo. | Cr. | Mul. | mAP@20 Mul. | R@1 Mul. | R@10 Mul. | MRR@10 Mo. | MRR@10 Cr. "
     "| MRR@10 Mul. | rank distance |"),
])
def test_report_on_two_evaluations(tmp_path, capsys, kind, header):
    a, b = _evaluate(tmp_path, kind, 0), _evaluate(tmp_path, kind, 1)
    capsys.readouterr()
    out = tmp_path / "cmp"
    assert main(["report", str(a), str(b), "--out", str(out), "--resamples", "50"]) == 0
    assert "compared 2 evaluations" in capsys.readouterr().out
    md = (out / "summary.md").read_text()
    assert header in md
    assert f"| {a.name} | 1 |" in md and f"| {b.name} | 1 |" in md
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["tables"][json.loads((a / "results.json").read_text())["benchmark"]]) == {a.name, b.name}
    assert (out / "significance.csv").read_text().startswith("benchmark,a,b,measure,mean_a,mean_b,p,n\n")


def test_report_finds_evaluations_below_a_folder(tmp_path, capsys):
    _evaluate(tmp_path, "beir", 0)
    _evaluate(tmp_path, "lareqa", 0)
    assert len(find_eval_folders(tmp_path / "runs")) == 2
    assert main(["report", str(tmp_path / "runs"), "--out", str(tmp_path / "cmp"), "--resamples", "50"]) == 0
    md = (tmp_path / "cmp" / "summary.md").read_text()
    assert "## beir_tiny-test" in md and "## lareqa_tiny" in md
    with pytest.raises(HybridbatchError, match="no evaluation folder"):
        find_eval_folders(tmp_path / "cmp")


def test_an_evaluation_whose_per_query_values_are_all_nan_is_one_line_and_writes_nothing(tmp_path, capsys):
    a = _evaluate(tmp_path, "lareqa", 0)
    with np.load(a / "per_query.npz") as data:
        nan = {k: np.full(data[k].shape, np.nan) for k in data.files}
    np.savez_compressed(a / "per_query.npz", **nan)
    capsys.readouterr()
    out = tmp_path / "cmp"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning on the way
        assert main(["report", str(a), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hybridbatch: error:") and "\n" not in err, err
    assert "only NaN" in err and str(a / "per_query.npz") in err
    assert not out.exists() and not list(tmp_path.glob(".cmp*"))
