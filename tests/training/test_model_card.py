from __future__ import annotations

from hybridbatch.training.config import load_config
from hybridbatch.training.data import prepare_data
from hybridbatch.training.model_card import model_card_section
from tests.training.helpers import toy_items, write_config, write_jsonl

PROMPTS = {"query": "query: ", "passage": "passage: "}


def _section(tmp_path, datasets, **sampling):
    write_jsonl(tmp_path / "a.jsonl", toy_items(20, ["en", "de"]))
    write_jsonl(tmp_path / "b.jsonl", toy_items(20, ["en", "fr"], start=100))
    config = load_config(write_config(tmp_path / "train.yaml", {
        "datasets": [{"jsonl": f"{name}.jsonl"} for name in datasets], "seed": 3, "sampling": sampling}))
    return model_card_section(config, prepare_data(config), PROMPTS, steps=40, best="checkpoint-30")


def test_card_states_strategy_alpha_and_each_dataset(tmp_path):
    card = _section(tmp_path, ["a"], strategy="hybrid", alpha=0.25)
    assert "| batch strategy | hybrid; alpha = 0.25; mono language weighting: uniform |" in card
    assert "| training data | a (" in card and "languages de en" in card
    assert "dataset draw" not in card  # one dataset: nothing is drawn


def test_card_states_how_the_dataset_of_a_batch_is_drawn(tmp_path):
    assert "| dataset draw | one dataset per batch, drawn by size (items) |" in _section(tmp_path, ["a", "b"])
    card = _section(tmp_path, ["a", "b"], dataset_weighting="uniform")
    assert "| dataset draw | one dataset per batch, drawn uniformly |" in card
