"""The planned batches behind sentence-transformers' batch-sampler contract (DDP: see test_ddp.py)."""

from __future__ import annotations

import dataclasses

import pytest

from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import SamplingConfig
from hybridbatch.training.dataset import planned_dataset
from hybridbatch.training.planner import BatchPlanner
from hybridbatch.training.sampler import HybridSamplerFactory
from tests.training.helpers import toy_pairs, toy_training


def _texts(ds, entries):
    return ds[entries]["query"]


def test_sampler_factory_plugs_into_the_trainer_contract():
    from sentence_transformers.base.sampler import DefaultBatchSampler

    train_pairs, val_pairs = toy_training(toy_pairs(30)), toy_training(toy_pairs(6, start=50))
    planner = BatchPlanner(train_pairs, 10, SamplingConfig(), seed=3)
    train_ds, train_plan = planned_dataset(train_pairs, planner, 2 * len(planner))
    val_planner = BatchPlanner(val_pairs, 10, dataclasses.replace(SamplingConfig(), batches_per_epoch=None), seed=3,
                               allow_smaller=True)
    val_ds, val_plan = planned_dataset(val_pairs, val_planner, len(val_planner))
    factory = HybridSamplerFactory((train_ds, planner, train_plan), [(val_ds, val_planner, val_plan)])
    kwargs = {"batch_size": 10, "drop_last": True, "valid_label_columns": ["label"], "generator": None, "seed": 3}
    sampler = factory(train_ds, **kwargs)
    assert isinstance(sampler, DefaultBatchSampler) and factory.train_sampler is sampler
    assert len(sampler) == 9
    epoch0 = list(sampler)
    sampler.set_epoch(1)
    epoch1 = list(sampler)
    expected = [b.rows for b in BatchPlanner(train_pairs, 10, SamplingConfig(), seed=3).plan(1)]
    got = [[train_pairs.describe(int(r))["group"] for r in rows] for rows in expected]
    groups = [[q.split()[2] for q in _texts(train_ds, entries)] for entries in epoch1]
    assert groups == [[g[1:] for g in batch] for batch in got] and epoch0 != epoch1
    sampler.set_epoch(2)
    assert list(sampler) == []  # past the planned batches
    val = factory(val_ds, **kwargs)
    assert val.batch_size == 6  # 6 validation groups
    first = list(val)
    val.set_epoch(5)
    assert list(val) == first  # the same validation batches at every evaluation
    with pytest.raises(HybridbatchError, match="does not know"):
        factory(object(), **kwargs)
    with pytest.raises(HybridbatchError, match="seed 4"):
        factory(train_ds, **(kwargs | {"seed": 4}))
