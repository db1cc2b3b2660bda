"""The batch planner plugged into sentence-transformers' trainer: a batch sampler, the factory the
trainer calls to build it, and the callback that keeps its epoch right on resume."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from sentence_transformers.base.sampler import DefaultBatchSampler
from transformers import TrainerCallback

from hybridbatch.data.training_pairs import TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import SamplingConfig
from hybridbatch.training.negatives import NegativeSlots
from hybridbatch.training.planner import BatchPlanner


class HybridBatchSampler(DefaultBatchSampler):
    """sentence-transformers batch sampler over a :class:`BatchPlanner` (yields global row lists).
    ``set_epoch`` selects the plan; ``fixed_epoch`` pins it (validation batches are the same at
    every evaluation)."""

    def __init__(self, dataset, planner: BatchPlanner, *, drop_last: bool = True, fixed_epoch: int | None = None):
        super().__init__(dataset, batch_size=planner.batch_size, drop_last=drop_last, seed=planner.seed)
        self.planner = planner
        self.fixed_epoch = fixed_epoch

    def __iter__(self) -> Iterator[list[int]]:
        epoch = self.epoch if self.fixed_epoch is None else self.fixed_epoch
        k = self.planner.negatives.k if self.planner.negatives is not None else 1
        for batch in self.planner.plan(epoch):
            yield batch.dataset_indices(k).tolist()

    def __len__(self) -> int:
        return len(self.planner)


class HybridSamplerFactory:
    """The callable given as ``SentenceTransformerTrainingArguments(batch_sampler=...)``.

    The trainer calls it as ``factory(dataset, batch_size=, drop_last=, valid_label_columns=,
    generator=, seed=)`` for the train and the eval dataset; it recognises which one by identity
    and plans over the matching :class:`TrainingPairs`. The world size is read from
    ``torch.distributed`` when it is initialised. ``train_planner``, when given, is the planner already
    built (and checked) for these settings; it is reused when the trainer asks for the same ones.
    ``negatives``: the mined negatives of the training rows (the validation rows have none).
    """

    def __init__(self, config: SamplingConfig, train: tuple[object, TrainingPairs],
                 eval: tuple[object, TrainingPairs] | None = None, world_size: int | None = None,
                 train_planner: BatchPlanner | None = None, negatives: NegativeSlots | None = None):
        self.config, self.train, self.eval, self._world_size = config, train, eval, world_size
        self.train_planner = train_planner
        self.negatives = negatives
        self.train_sampler: HybridBatchSampler | None = None  # built for the training set

    def __getstate__(self) -> dict:
        # The trainer pickles its arguments (training_args.bin) with this factory inside; the
        # datasets are not needed there.
        return {"config": self.config, "train": None, "eval": None, "_world_size": self._world_size,
                "train_planner": None, "train_sampler": None, "negatives": None}

    def world_size(self) -> int:
        if self._world_size is not None:
            return self._world_size
        import torch.distributed as dist

        return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1

    def __call__(self, dataset, batch_size: int, drop_last: bool, valid_label_columns=None, generator=None,
                 seed: int = 0) -> HybridBatchSampler:
        if self.train is None:
            raise HybridbatchError("this batch sampler factory was restored from a pickle and holds no data")
        world = self.world_size()
        if dataset is self.train[0]:
            planner = self.train_planner
            if planner is None or (planner.batch_size, planner.seed, planner.world_size) != (batch_size, seed, world):
                planner = BatchPlanner(self.train[1], batch_size, self.config, seed=seed, world_size=world,
                                       negatives=self.negatives)
            self.train_sampler = HybridBatchSampler(dataset, planner, drop_last=drop_last)
            return self.train_sampler
        if self.eval is not None and dataset is self.eval[0]:
            config = dataclasses.replace(self.config, batches_per_epoch=None)
            planner = BatchPlanner(self.eval[1], batch_size, config, seed=seed, world_size=world,
                                   allow_smaller=True)
            return HybridBatchSampler(dataset, planner, drop_last=drop_last, fixed_epoch=0)
        raise HybridbatchError("the batch sampler was asked for a dataset it does not know")


class SamplerEpochCallback(TrainerCallback):
    """Sets the training sampler's epoch at each epoch start from the global step: on resume under DDP
    the trainer's own ``set_epoch`` does not reach a sampler behind accelerate's shard and skip wrappers."""

    def __init__(self, factory: HybridSamplerFactory):
        self.factory = factory

    def on_epoch_begin(self, args, state, control, train_dataloader=None, **kwargs):
        sampler = self.factory.train_sampler
        if sampler is None or train_dataloader is None:
            return
        n, ga = len(train_dataloader), args.gradient_accumulation_steps
        steps_per_epoch = max(n // ga + int(n % ga > 0), 1)
        sampler.set_epoch(state.global_step // steps_per_epoch)
