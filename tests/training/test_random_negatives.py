"""Random negatives for a dataset of a mix (``datasets[].negatives: random``): drawn without a model under the
language policy, never the query's own conflict cluster; mining encodes only the datasets it mines; the
distillation targets encode only the planned rows; ``training.eval_batches`` caps each validation loss."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hybridbatch.data.bitext import read_bitext
from hybridbatch.training import trainer
from hybridbatch.training.config import load_config
from hybridbatch.training.data import prepare_data
from hybridbatch.training.negatives import random_slots
from tests.training.helpers import toy_items, write_config, write_jsonl


def _bitext(tmp_path, groups: int = 60, langs=("en", "de", "fr")):
    path = tmp_path / "bitext.tsv"
    path.write_text("".join(f"{lang}\t{g}\tsentence {g} {lang}\n" for g in range(groups) for lang in langs))
    return path


@pytest.mark.parametrize("policy", ["same-language", "other-language", "any"])
def test_random_slots_follow_the_policy_and_avoid_the_own_cluster(tmp_path, policy):
    ds = read_bitext(str(_bitext(tmp_path)), tmp_path, None, name="news")
    slots = random_slots(ds, 4, policy, [7, 1])
    assert slots.shape == (ds.n_items, 4) and (slots >= 0).all()
    cluster = ds.cluster_of[ds.item_group]
    assert not (cluster[slots] == cluster[:, None]).any()
    same = ds.item_lang[slots] == ds.item_lang[:, None]
    if policy == "same-language":
        assert same.all()
    elif policy == "other-language":
        assert not same.any()
    else:
        assert same.any() and (~same).any()
    assert np.array_equal(slots, random_slots(ds, 4, policy, [7, 1]))
    assert not np.array_equal(slots, random_slots(ds, 4, policy, [8, 1]))


def test_random_slots_are_minus_one_where_no_item_qualifies(tmp_path):
    ds = read_bitext(str(_bitext(tmp_path, groups=1)), tmp_path, None, name="news")  # one group: all own cluster
    assert (random_slots(ds, 3, "any", 0) == -1).all()


def _mix(tmp_path, model=None, **training):
    write_jsonl(tmp_path / "qa.jsonl", toy_items(40, ["en", "de", "es"]))
    _bitext(tmp_path)
    data = {"datasets": [{"jsonl": "qa.jsonl", "name": "qa", "weight": 3.0},
                         {"bitext": "bitext.tsv", "name": "news", "weight": 1.0, "negatives": "random"}],
            "output_dir": str(tmp_path / "run"), "seed": 1, "validation_fraction": 0.2,
            "negatives": {"policy": "same-language", "per_query": 2},
            "training": {"batch_size": 8, "max_steps": 4, "eval_steps": 2, "logging_steps": 1, "loss": "mnrl",
                         "warmup_steps": 0, "max_seq_length": 32} | training}
    if model is not None:
        data["model"] = str(model)
    return write_config(tmp_path / "train.yaml", data)


def test_mining_encodes_only_the_mined_dataset_and_training_draws_the_rest(tmp_path, tiny_model_dir, capsys):
    from hybridbatch.cli import main

    cfg = _mix(tmp_path, tiny_model_dir)
    negatives = tmp_path / "neg.jsonl"
    assert main(["mine", "--config", str(cfg), "--out", str(negatives)]) == 0
    lines = negatives.read_text().splitlines()
    assert {json.loads(line)["dataset"] for line in lines[1:]} == {"qa"}
    config = load_config(cfg)
    n_qa = len(prepare_data(config).train.datasets[0].items)
    assert json.loads(lines[0])["queries"] == n_qa
    assert f"encoding: {2 * n_qa} distinct texts" in capsys.readouterr().out
    assert main(["train", "--config", str(cfg), "--negatives-file", str(negatives), "--dry-run"]) == 0
    assert "random negatives (drawn, not mined): news" in capsys.readouterr().out

    from hybridbatch.training.config import apply_overrides
    data = prepare_data(apply_overrides(config, {"negatives.file": str(negatives)}))
    qa, news = data.negatives.per_dataset
    assert qa.shape[1] == news.shape[1] == 2 and (news >= 0).all()
    ds = data.train.datasets[1]
    assert (ds.item_lang[news] == ds.item_lang[:, None]).all()


def test_distillation_encodes_the_planned_rows_only_and_validation_is_capped(tmp_path, tiny_model_dir, monkeypatch):
    from sentence_transformers import SentenceTransformer

    from hybridbatch.training import losses

    encoded: list[int] = []
    real = losses.encode_texts

    def counting(encoder, texts, *args, **kwargs):
        encoded.append(len(texts))
        return real(encoder, texts, *args, **kwargs)

    monkeypatch.setattr(losses, "encode_texts", counting)
    cfg = _mix(tmp_path, distill_weight=1.0, eval_batches=1)
    config = load_config(cfg)
    data = prepare_data(config)
    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    built = {}
    original = trainer.build_trainer

    def spy(*args, **kwargs):
        built["trainer"] = original(*args, **kwargs)
        return built["trainer"]

    monkeypatch.setattr(trainer, "build_trainer", spy)
    trainer.train(config, model=model)
    evals = built["trainer"].eval_dataset
    assert set(evals) == {"qa", "news"} and all(len(ds) == 8 for ds in evals.values())  # one batch each
    planned = 5 * 8 + 2 * 8  # max_steps + 1 training batches, one validation batch per dataset
    every = data.train.n_items + data.validation.n_items
    assert 0 < encoded[0] <= planned and encoded[1] <= planned and encoded[0] < every


def test_targets_of_some_rows_are_the_full_targets_of_those_rows(tmp_path, tiny_model_dir):
    import torch
    from sentence_transformers import SentenceTransformer

    from hybridbatch.training.losses import distill_targets

    data = prepare_data(load_config(_mix(tmp_path)))
    model = SentenceTransformer(str(tiny_model_dir), device="cpu").eval()
    prompts = {"query": "", "passage": ""}
    rows = np.array([3, 0, 17, data.train.n_rows - 1, 3])
    full = distill_targets(model, data.train, prompts, precision="fp32")
    some = distill_targets(model, data.train, prompts, precision="fp32", rows=rows)
    assert len(some.query_vectors) < len(full.query_vectors)
    for a, b in zip(full.for_rows(torch.as_tensor(rows)), some.for_rows(torch.as_tensor(rows))):
        assert torch.allclose(a, b, atol=1e-5)
