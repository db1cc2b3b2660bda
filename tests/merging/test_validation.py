"""The validation evaluator of a training config, for any model."""

from __future__ import annotations

import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.merging.validation import evaluator_for, measures, validation_data
from hybridbatch.training.config import load_config
from hybridbatch.training.validation import ValidationEvaluator
from tests.training.helpers import toy_items, write_config, write_jsonl


def _config(tmp_path, **fields):
    write_jsonl(tmp_path / "items.jsonl", toy_items(30, ["en", "de"]))
    return write_config(tmp_path / "t.yaml", {"datasets": [{"jsonl": "items.jsonl"}], **fields})


def test_a_config_without_a_validation_split_is_refused_naming_it(tmp_path):
    path = _config(tmp_path, validation_fraction=0.0)
    with pytest.raises(HybridbatchError, match=r"t\.yaml: the training config holds out no validation split"):
        validation_data(load_config(path), source=path)


def test_the_evaluator_uses_the_models_prompts_and_the_configs_precision(tmp_path, tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    config = load_config(_config(tmp_path, validation_fraction=0.3, training={"prompts": "paper",
                                                                              "precision": "bf16"}))
    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    evaluator = evaluator_for(config, validation_data(config), model, select_metric="mul")
    assert isinstance(evaluator, ValidationEvaluator) and evaluator.history_path is None
    assert (evaluator.query_prompt, evaluator.passage_prompt) == ("Query: ", "Passage: ")
    assert evaluator.primary_metric == "val_mul" and evaluator.precision == "bf16"
    assert evaluator_for(config, validation_data(config), model, select_metric="mo", precision="fp32").precision == "fp32"


def test_measures_keep_the_table_columns():
    assert measures({"val_mo": 1.0, "val_mo_en": 0.5, "val_rank_distance": 3.0}, "val_") == {
        "mo": 1.0, "rank_distance": 3.0}
