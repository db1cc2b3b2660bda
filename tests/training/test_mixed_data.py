"""Several training datasets: per-dataset validation, the selection dataset, a bitext dataset in training."""

from __future__ import annotations

import json

import pytest
from transformers import TrainerCallback

from hybridbatch.errors import HybridbatchError
from hybridbatch.training import trainer
from hybridbatch.training.config import load_config
from hybridbatch.training.data import prepare_data, selection_validation, validation_sets
from tests.training.helpers import toy_items, write_config, write_jsonl


def _mix(tmp_path, **top):
    write_jsonl(tmp_path / "qa.jsonl", toy_items(40, ["en", "de", "es"]))
    (tmp_path / "bitext.tsv").write_text("".join(f"{lang}\t{g}\tsentence {g} {lang}\n"
                                                  for g in range(60) for lang in ("en", "de", "fr")))
    data = {"datasets": [{"jsonl": "qa.jsonl", "name": "qa", "weight": 1.0},
                         {"bitext": "bitext.tsv", "name": "news", "weight": 1.0}],
            "output_dir": str(tmp_path / "run"), "seed": 1, "validation_fraction": 0.2,
            "training": {"batch_size": 8, "max_steps": 4, "eval_steps": 2, "logging_steps": 1, "loss": "mnrl",
                         "warmup_steps": 0, "max_seq_length": 32}} | top
    return load_config(write_config(tmp_path / "train.yaml", data))


def test_validation_sets_put_the_selection_dataset_first_with_row_offsets(tmp_path):
    config = _mix(tmp_path)
    data = prepare_data(config)
    sets = validation_sets(config, data)
    assert [name for name, _, _ in sets] == ["qa", "news"]
    assert sets[0][2] == data.train.n_rows and sets[1][2] == data.train.n_rows + data.validation.datasets[0].n_rows
    chosen = _mix(tmp_path, validation_dataset="news")
    assert selection_validation(chosen, prepare_data(chosen)).datasets[0].name == "news/validation"
    with pytest.raises(HybridbatchError, match="none of the training datasets"):
        _mix(tmp_path, validation_dataset="other")
    with pytest.raises(HybridbatchError, match="no monolingual rows"):
        _mix(tmp_path, sampling={"strategy": "x-x-mono"})


def test_training_on_a_mix_reports_each_dataset_and_selects_on_the_named_one(tmp_path, tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    entries: list[dict] = []

    class Record(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            entries.append(logs or {})

    config = _mix(tmp_path)
    result = trainer.train(config, model=SentenceTransformer(str(tiny_model_dir), device="cpu"), callbacks=[Record()])
    keys = {k for entry in entries for k in entry}
    assert {"eval_qa_loss", "eval_news_loss"} <= keys
    state = json.loads(next((tmp_path / "run" / "checkpoints").glob("checkpoint-4/trainer_state.json")).read_text())
    assert state["best_metric"] in [entry["eval_qa_loss"] for entry in entries if "eval_qa_loss" in entry]
    assert result.global_step == 4
