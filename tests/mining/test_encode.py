"""Mining encodes through the embedding cache exactly as the distillation targets do."""

from __future__ import annotations

import copy

import numpy as np

from hybridbatch.cli import main
from hybridbatch.mining.encode import encode_items
from tests.training.helpers import toy_items, toy_training, write_config, write_jsonl


def test_the_second_encoding_is_all_cache_hits(mock_encoder):
    pairs = toy_training()
    first = encode_items(mock_encoder, pairs)
    n = len(mock_encoder.encoded)
    second = encode_items(mock_encoder, pairs)
    assert first.n_encoded == first.n_texts == 180 and second.n_encoded == 0
    assert len(mock_encoder.encoded) == n
    assert np.array_equal(first.queries, second.queries) and np.array_equal(first.passages, second.passages)
    assert first.queries.shape == (90, 16)


def test_mining_after_the_distillation_targets_encodes_nothing(tmp_path, tiny_model_dir, capsys):
    """What training computes for the regulariser (train + validation items) covers what mining needs."""
    from hybridbatch.data.training_pairs import TrainingPairs
    from hybridbatch.models.loading import load_model
    from hybridbatch.training.config import load_config
    from hybridbatch.training.data import prepare_data
    from hybridbatch.training.losses import distill_targets
    from hybridbatch.training.runtime import resolve_hardware, resolve_prompts

    write_jsonl(tmp_path / "items.jsonl", toy_items(30, ["en", "de", "es"]))
    cfg = write_config(tmp_path / "t.yaml", {"datasets": [{"jsonl": "items.jsonl", "name": "toy"}],
                                             "model": str(tiny_model_dir), "validation_fraction": 0.2,
                                             "training": {"max_seq_length": 32, "distill_weight": 1.0,
                                                          "loss": "mnrl"}})
    config = resolve_hardware(load_config(cfg))  # what train() does, in its order
    data = prepare_data(config)
    model = load_model(config.model, max_seq_length=config.training.max_seq_length)
    model.max_seq_length = config.training.max_seq_length
    prompts = resolve_prompts(model, config.training.prompts)
    every = TrainingPairs(data.train.datasets + data.validation.datasets)
    distill_targets(copy.deepcopy(model).eval(), every, prompts, precision=config.training.precision)
    capsys.readouterr()
    assert main(["mine", "--config", str(cfg), "--out", str(tmp_path / "neg.jsonl")]) == 0
    out = capsys.readouterr().out
    n_train = len(data.train.datasets[0].items)
    assert f"encoding: {2 * n_train} distinct texts, 0 encoded now, {2 * n_train} from the cache" in out
