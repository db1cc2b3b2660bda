"""The validation table: a run's selected row from its history, the ranked Markdown table."""

from __future__ import annotations

import json

from hybridbatch.experiment.config import RunSpec
from hybridbatch.experiment.layout import RunFolder
from hybridbatch.experiment.validation_table import run_row, write_validation_table
from hybridbatch.outputs import write_json


def test_a_runs_row_is_its_best_evaluation_by_its_own_select_metric(tmp_path):
    run, spec = RunFolder(tmp_path / "r"), RunSpec("x-y", None, 1, "toy")
    assert run_row(spec, run) is None  # no retrieval validation logged
    run.train.path.mkdir(parents=True)
    history = [{"step": 10, "metrics": {"val_mo": 0.5, "val_mo+mul": 0.4, "val_mo_en": 0.1}},
               {"step": 20, "metrics": {"val_mo": 0.6, "val_mo+mul": 0.3}}]
    run.train.validation_history.write_text("".join(json.dumps(h) + "\n" for h in history))
    write_json(run.train.record, {"config": {"training": {"select_metric": "mo+mul"}}})
    assert run_row(spec, run) == {"run": "toy-x-y-s1", "train": "toy", "kind": "trained", "step": 10,
                                  "selected_by": "mo+mul", "mo": 0.5, "mo+mul": 0.4}
    write_json(run.train.record, {"config": {"training": {}}})  # loss: the last evaluation
    assert run_row(spec, run)["step"] == 20


def test_the_table_is_ranked_by_the_select_metric(tmp_path):
    rows = [{"run": "a", "kind": "trained", "step": 10, "mo": 0.5, "cr": 0.4, "mul": 0.3, "mo+mul": 0.4,
             "rank_distance": 7.25},
            {"run": "base (toy)", "kind": "base", "mo": 0.6, "mo+mul": 0.45}]
    write_validation_table(rows, tmp_path / "v", "mo+mul")
    assert (tmp_path / "v" / "validation.md").read_text().splitlines() == [
        "# Validation split: retrieval mAP (ranked by mo+mul)", "",
        "| run | kind | step | Mo. | Cr. | Mul. | (Mo.+Mul.)/2 | rank distance |",
        "|---|---|---|---|---|---|---|---|",
        "| base (toy) | base | – | 0.6000 | – | – | 0.4500 | – |",
        "| a | trained | 10 | 0.5000 | 0.4000 | 0.3000 | 0.4000 | 7.2 |"]
    assert [r["run"] for r in json.loads((tmp_path / "v" / "validation.json").read_text())["rows"]] == [
        "base (toy)", "a"]
