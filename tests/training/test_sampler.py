"""The planner behind sentence-transformers' batch-sampler contract (DDP: see test_ddp.py)."""

from __future__ import annotations

import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import SamplingConfig
from hybridbatch.training.planner import BatchPlanner
from hybridbatch.training.sampler import HybridSamplerFactory
from tests.training.helpers import toy_pairs, toy_training


def test_sampler_factory_plugs_into_the_trainer_contract():
    from sentence_transformers.base.sampler import DefaultBatchSampler

    train_pairs, val_pairs = toy_training(toy_pairs(30)), toy_training(toy_pairs(6, start=50))
    train_ds, val_ds = object(), object()
    factory = HybridSamplerFactory(SamplingConfig(), (train_ds, train_pairs), (val_ds, val_pairs), world_size=1)
    kwargs = {"batch_size": 10, "drop_last": True, "valid_label_columns": ["label"], "generator": None, "seed": 3}
    sampler = factory(train_ds, **kwargs)
    assert isinstance(sampler, DefaultBatchSampler) and factory.train_sampler is sampler
    assert len(sampler) == 9
    epoch0 = list(sampler)
    sampler.set_epoch(1)
    epoch1 = list(sampler)
    expected = [b.rows.tolist() for b in BatchPlanner(train_pairs, 10, SamplingConfig(), seed=3).plan(1)]
    assert epoch1 == expected and epoch0 != epoch1
    val = factory(val_ds, **kwargs)
    assert val.batch_size == 6  # 6 validation groups
    first = list(val)
    val.set_epoch(5)
    assert list(val) == first  # the same validation batches at every evaluation
    with pytest.raises(HybridbatchError, match="does not know"):
        factory(object(), **kwargs)


def test_factory_reuses_the_checked_training_planner_only_for_the_same_settings():
    pairs = toy_training(toy_pairs(30))
    planner = BatchPlanner(pairs, 10, SamplingConfig(), seed=3)
    train_ds = object()
    factory = HybridSamplerFactory(SamplingConfig(), (train_ds, pairs), world_size=1, train_planner=planner)
    kwargs = {"drop_last": True, "valid_label_columns": None, "generator": None}
    assert factory(train_ds, batch_size=10, seed=3, **kwargs).planner is planner
    other = factory(train_ds, batch_size=10, seed=4, **kwargs).planner
    assert other is not planner and other.seed == 4
