"""``evaluate`` on the three pair-classification families: the report folder, each text encoded once per side,
perturbed second texts only, and ``report``'s paired tests between two models (clean and on the drops)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hybridbatch.benchmarks.registry import get_scorer, load_benchmark
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.runner import run_evaluation
from hybridbatch.reporting.compare import significance_table, write_comparison
from hybridbatch.reporting.records import load_record
from hybridbatch.reporting.robustness_tests import drop_tests
from tests.conftest import MockEncoder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FAMILIES = ["xnli", "pawsx", "americasnli"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    for name in FAMILIES:
        shutil.copytree(FIXTURES / f"{name}_tiny", tmp_path / "data" / name)
    return tmp_path / "data"


@pytest.mark.parametrize("spec", FAMILIES)
def test_report_folder_and_perturbed_second_texts(spec: str, data: Path, tmp_path: Path) -> None:
    encoder = MockEncoder()
    cfg = EvaluationConfig(benchmark=spec, model="mock", data_dir=str(data), perturb=["char-noise:0.5"])
    results = run_evaluation(cfg, tmp_path / "out", encoder=encoder)
    out = tmp_path / "out"
    assert {"results.json", "results.md", "results.csv", "per_query.npz", "ap.png", "robustness.json"} <= {
        p.name for p in out.iterdir()}
    bench = load_benchmark(spec, data)
    with np.load(out / "per_query.npz") as npz:
        per_query = {k: npz[k] for k in npz.files}
    stored = json.loads((out / "results.json").read_text())
    assert get_scorer(bench.kind).aggregate(bench, per_query) == {k: v for k, v in stored.items() if k != "timing"}
    first = {c.text for c in bench.candidates}
    second = {q.text for q in bench.queries}
    clean_count = len(first) + len(second)
    assert results["timing"]["texts_encoded"] == clean_count
    perturbed = encoder.encoded[clean_count:]  # the suite encodes perturbed second texts only
    assert perturbed and not set(perturbed) & first
    row = json.loads((out / "robustness.json").read_text())["rows"][0]
    assert row["mono/ap"]["clean"] == pytest.approx(stored["summary"]["mono"]["ap"])
    assert row["mono/ap"]["drop"] == pytest.approx(row["mono/ap"]["clean"] - row["mono/ap"]["perturbed"])


def test_paired_tests_between_two_models(data: Path, tmp_path: Path) -> None:
    records = []
    for name in ("a", "b"):
        cfg = EvaluationConfig(benchmark="xnli+neutral", model=name, data_dir=str(data),
                               perturb=["lowercase"], extra={"label": name})
        run_evaluation(cfg, tmp_path / name, encoder=MockEncoder(name=name))
        records.append(load_record(tmp_path / name))
    _, rows = significance_table(records, n_resamples=200)
    measures = {r["measure"]: r for r in rows}
    assert set(measures) == {"mono/ap", "cross/ap", "mono/acc", "cross/acc"}
    assert measures["mono/ap"]["n"] == 3 * 2  # 3 languages × 2 entailment pairs (AP contributions)
    assert measures["cross/acc"]["n"] == 3 * 2 * 6  # 6 ordered pairs of languages × 6 pairs each
    assert 0 < measures["mono/ap"]["p"] <= 1
    assert {r["measure"] for r in drop_tests(records, n_resamples=100)} == set(measures)
    write_comparison(records, tmp_path / "cmp", n_resamples=100)
    summary = (tmp_path / "cmp" / "summary.md").read_text()
    assert "### xnli-dev+neutral: mono AP per query language" in summary
