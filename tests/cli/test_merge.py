"""``hybridbatch merge --lambda a,b,c --validate-with``: a WiSE-FT sweep scored on the validation split."""

from __future__ import annotations

import json

import torch

from hybridbatch.cli import main
from hybridbatch.merging.sweep import best_lambda
from tests.training.helpers import toy_items, write_config, write_jsonl


def test_lambda_sweep_saves_the_best_merge_and_its_table(tmp_path, tiny_model_dir, capsys):
    from sentence_transformers import SentenceTransformer

    tuned = SentenceTransformer(str(tiny_model_dir), device="cpu")
    with torch.no_grad():
        for p in tuned.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    tuned.save(str(tmp_path / "tuned"))
    write_jsonl(tmp_path / "items.jsonl", toy_items(30, ["en", "de"]))
    cfg = write_config(tmp_path / "t.yaml", {"datasets": [{"jsonl": "items.jsonl"}], "validation_fraction": 0.3})
    out = tmp_path / "wise"
    assert main(["merge", str(tmp_path / "tuned"), "--base", str(tiny_model_dir), "--lambda", "0,0.5,1",
                 "--validate-with", str(cfg), "--out", str(out)]) == 0
    sweep = json.loads((out / "lambda_sweep.json").read_text())
    assert [r["lambda"] for r in sweep["rows"]] == [0.0, 0.5, 1.0]
    assert sweep["best_lambda"] == best_lambda(sweep["rows"], "mo+mul")["lambda"]
    record = json.loads((out / "hybridbatch_merge.json").read_text())["config"]
    assert record["inputs"][1]["weight"] == sweep["best_lambda"]
    assert "best" in (out / "lambda_sweep.md").read_text()
    assert main(["merge", str(tmp_path / "tuned"), "--base", str(tiny_model_dir), "--lambda", "0.5,2",
                 "--validate-with", str(cfg), "--out", str(tmp_path / "bad")]) == 2
    assert "outside [0, 1]" in capsys.readouterr().err


def test_merge_flags_are_derived_from_the_request_with_its_defaults():
    from hybridbatch.cli import build_parser
    from hybridbatch.cli.config_flags import values_from_args
    from hybridbatch.merging.command import MergeRequest

    args = build_parser().parse_args(["merge", "A", "--out", "o"])
    assert values_from_args(args, args.merge_flags, MergeRequest) == {
        "base": None, "lambdas": None, "weights": None, "validate_with": None, "select_metric": "mo+mul",
        "data_dir": None}
    args = build_parser().parse_args(["merge", "A", "--base", "default", "--lambda", "0,0.5", "--validate-with",
                                      "t.yaml", "--select-metric", "mo", "--data-dir", "d", "--out", "o"])
    assert values_from_args(args, args.merge_flags, MergeRequest) == {
        "base": "default", "lambdas": "0,0.5", "weights": None, "validate_with": "t.yaml", "select_metric": "mo",
        "data_dir": "d"}
