"""Training with mined negatives through the real commands: mine with the model, train with the file; a
file that does not fit the training split stops the run before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

from hybridbatch.cli import main
from tests.training.helpers import toy_items, write_config, write_jsonl


def _config(tmp_path: Path, model: Path) -> Path:
    write_jsonl(tmp_path / "items.jsonl", toy_items(60, ["en", "de", "es"]))
    return write_config(tmp_path / "train.yaml", {
        "datasets": [{"jsonl": "items.jsonl", "name": "toy"}], "model": str(model), "seed": 3,
        "validation_fraction": 0.2,
        "training": {"batch_size": 8, "max_steps": 3, "eval_steps": 2, "max_seq_length": 32, "distill_weight": 1.0,
                     "loss": "mnrl"}})


def test_mine_then_train_with_the_negatives(tmp_path, tiny_model_dir, capsys):
    cfg = _config(tmp_path, tiny_model_dir)
    negatives = tmp_path / "neg.jsonl"
    assert main(["mine", "--config", str(cfg), "--out", str(negatives), "--per-query", "3"]) == 0
    plan = tmp_path / "plan.jsonl"
    assert main(["train", "--config", str(cfg), "--negatives-file", str(negatives), "--dry-run", "--plan-out",
                 str(plan)]) == 0
    assert "rows carry a negative in the query's language" in capsys.readouterr().out
    rows = [r for line in plan.read_text().splitlines() for r in json.loads(line)["rows"]]
    assert rows and all(r["negative"]["lang"] == r["query_lang"] and r["negative"]["group"] != r["group"]
                        for r in rows)
    out = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--negatives-file", str(negatives), "--out", str(out)]) == 0
    assert (out / "model" / "modules.json").is_file()
    saved = (out / "config.yaml").read_text()
    assert "negatives:" in saved and str(negatives) in saved


def test_a_negatives_file_that_does_not_fit_stops_before_training(tmp_path, tiny_model_dir, capsys):
    cfg = _config(tmp_path, tiny_model_dir)
    negatives = tmp_path / "neg.jsonl"
    assert main(["mine", "--config", str(cfg), "--out", str(negatives)]) == 0
    lines = negatives.read_text().splitlines()
    record = json.loads(lines[1])
    record["negatives"][0]["id"] = "gnosuchgroup/en"
    lines[1] = json.dumps(record)
    negatives.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    out = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--negatives-file", str(negatives), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hybridbatch: error:") and "\n" not in err
    assert str(negatives) in err and "line 2" in err
    assert not out.exists()


def test_a_policy_without_a_file_mines_into_the_run_folder_once(tmp_path, tiny_model_dir, capsys):
    cfg = _config(tmp_path, tiny_model_dir)
    out = tmp_path / "run"
    argv = ["train", "--config", str(cfg), "--negatives-policy", "same-language", "--out", str(out)]
    assert main(argv + ["--dry-run"]) == 0
    assert not out.exists()  # a dry run mines elsewhere
    assert main(argv) == 0
    printed = capsys.readouterr().out
    mined = out / "negatives.jsonl"
    assert "mined" in printed and mined.is_file()
    header = json.loads(mined.read_text().splitlines()[0])
    assert header["policy"] == "same-language" and header["training"]["config"] == "mined before training"
    assert f"file: {mined.resolve()}" in (out / "config.yaml").read_text()
    before = mined.read_bytes()
    assert main(argv + ["--resume"]) == 0  # finished run: resumes on the same negatives, mines nothing
    assert mined.read_bytes() == before and "mined" not in capsys.readouterr().out
