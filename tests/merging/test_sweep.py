"""The λ sweep: values from the command line, one row per λ, the tie rule, the table."""

from __future__ import annotations

import json

import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.merging.sweep import best_lambda, lambda_sweep, parse_lambdas, sweep_table, write_sweep
from hybridbatch.merging.wise import load_wise_pair

ROW = {"mo": 0.8, "cr": 0.7, "mul": 0.5, "mo+mul": 0.65, "rank_distance": 12.34}


def test_lambdas_are_numbers_in_the_unit_interval():
    assert parse_lambdas("0, 0.5,1,") == [0.0, 0.5, 1.0]
    for text, message in (("a", "expected comma-separated numbers"), (",", "no value given"),
                          ("0.5,2", "outside")):
        with pytest.raises(HybridbatchError, match=message):
            parse_lambdas(text)


def test_best_lambda_prefers_the_base_side_within_the_tie_band():
    rows = [{"lambda": 0.25, "m": 0.7990}, {"lambda": 0.5, "m": 0.8005}, {"lambda": 0.75, "m": 0.7900}]
    assert best_lambda(rows, "m")["lambda"] == 0.25
    rows[0]["m"] = 0.7980
    assert best_lambda(rows, "m")["lambda"] == 0.5


def test_each_lambda_is_scored_on_its_merge_without_the_evaluator_prefix(base_and_tuned):
    base_dir, tuned_dir = base_and_tuned
    base, tuned = load_wise_pair(str(base_dir), str(tuned_dir))
    seen = []

    class Evaluator:
        name = "val"

        def __call__(self, model):
            seen.append(model)
            return {"val_mo": 0.5, "val_mo+mul": float(len(seen))}

    rows = lambda_sweep(base, tuned, [str(base_dir), str(tuned_dir)], [0.0, 1.0], Evaluator())
    assert rows == [{"lambda": 0.0, "mo": 0.5, "mo+mul": 1.0}, {"lambda": 1.0, "mo": 0.5, "mo+mul": 2.0}]
    assert len(seen) == 2 and seen[0] is not base and seen[1] is not tuned  # merged copies


def test_the_table_marks_the_best_row(tmp_path):
    rows = [{"lambda": 0.5, **ROW}, {"lambda": 1.0, **ROW}]
    assert sweep_table(rows, rows[0]) == [
        "| lambda | Mo. | Cr. | Mul. | (Mo.+Mul.)/2 | rank distance |", "|---|---|---|---|---|---|",
        "| 0.5 **best** | 0.8000 | 0.7000 | 0.5000 | 0.6500 | 12.3 |",
        "| 1 | 0.8000 | 0.7000 | 0.5000 | 0.6500 | 12.3 |"]
    write_sweep(tmp_path, rows, rows[0], "mo+mul")
    assert (tmp_path / "lambda_sweep.md").read_text().startswith(
        "# WiSE-FT lambda sweep on the validation split (mo+mul picks)\n\n| lambda |")
    assert json.loads((tmp_path / "lambda_sweep.json").read_text())["best_lambda"] == 0.5
