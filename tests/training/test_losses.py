"""The loss: MultipleNegativesRankingLoss, and the regulariser toward the base model's embeddings."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch

from hybridbatch.training.config import load_config
from hybridbatch.training.losses import DistillTargets, DistillToBaseLoss, build_loss
from tests.training.helpers import toy_items, write_config, write_jsonl


def _config(tmp_path: Path, **training):
    tmp_path.mkdir(parents=True, exist_ok=True)
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    return load_config(write_config(tmp_path / "t.yaml", {
        "datasets": [{"jsonl": "items.jsonl"}], "output_dir": str(tmp_path / "run"), "seed": 1,
        "validation_fraction": 0.2,
        "training": {"batch_size": 8, "max_steps": 3, "eval_steps": 3, "logging_steps": 1, "loss": "mnrl",
                     "warmup_steps": 0, "max_seq_length": 32} | training}))


def _batch(model, n=6):
    queries = [f"what is w{i}" for i in range(n)]
    passages = [f"the w{i} passage" for i in range(n)]
    return [model.tokenize(queries), model.tokenize(passages)], torch.arange(n)


@pytest.fixture()
def model(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_model_dir), device="cpu")


def _targets(model, n=6, noise=0.0):
    with torch.no_grad():
        q = model.encode([f"what is w{i}" for i in range(n)], convert_to_tensor=True)
        p = model.encode([f"the w{i} passage" for i in range(n)], convert_to_tensor=True)
    return DistillTargets(q + noise, p + noise, torch.arange(n), torch.arange(n))


def test_beta_zero_is_plain_mnrl_and_beta_adds_the_distance(model, tmp_path):
    features, labels = _batch(model)
    plain = build_loss(model, _config(tmp_path))
    assert type(plain).__name__ == "MultipleNegativesRankingLoss"
    torch.manual_seed(0)
    expected = plain(copy.deepcopy(features), labels)
    wrapped = DistillToBaseLoss(plain, _targets(model, noise=0.05), weight=0.0)
    assert torch.equal(wrapped(copy.deepcopy(features), labels), expected)
    weighted = DistillToBaseLoss(plain, _targets(model, noise=0.05), weight=2.0)
    total = weighted(copy.deepcopy(features), labels)
    parts = weighted.last_parts
    assert parts["distill"] > 0 and total.item() == pytest.approx(parts["contrastive"] + 2.0 * parts["distill"], rel=1e-6)
    same = DistillToBaseLoss(plain, _targets(model), weight=5.0)  # targets = the model itself: no distance
    same(copy.deepcopy(features), labels)
    assert same.last_parts["distill"] == pytest.approx(0.0, abs=1e-6)


def test_targets_follow_the_rows_of_the_batch():
    targets = DistillTargets(torch.eye(4), 2 * torch.eye(4), torch.tensor([3, 2, 1, 0]), torch.tensor([0, 0, 1, 1]))
    q, p = targets.for_rows(torch.tensor([0, 2]))
    assert torch.equal(q, torch.eye(4)[[3, 1]]) and torch.equal(p, 2 * torch.eye(4)[[0, 1]])


def test_gradcache_with_the_regulariser_is_built_from_the_config(model, tmp_path):
    from hybridbatch.training.cached_distill import CachedDistillLoss

    config = _config(tmp_path, loss="cached-mnrl", distill_weight=0.5, mini_batch_size=4)
    loss = build_loss(model, config, _targets(model))
    assert isinstance(loss, CachedDistillLoss) and loss.weight == 0.5 and loss.mini_batch_size == 4


def test_training_with_the_regulariser_stays_closer_to_the_base(model, tmp_path):
    from hybridbatch.training.trainer import train

    def moved(**extra) -> float:
        m = copy.deepcopy(model)
        before = {k: v.clone() for k, v in m.state_dict().items()}
        train(_config(tmp_path / str(len(extra)), learning_rate=5e-3, **extra), model=m)
        return sum(float((v - before[k]).float().norm()) for k, v in m.state_dict().items())

    free, held = moved(), moved(distill_weight=50.0)
    assert held < free
    run = tmp_path / "1" / "run"
    assert json.loads((run / "run.json").read_text())["config"]["training"]["distill_weight"] == 50.0
