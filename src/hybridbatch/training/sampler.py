"""The batch planner plugged into sentence-transformers' trainer: a batch sampler, the factory the
trainer calls to build it, and the callback that keeps its epoch right on resume."""

from __future__ import annotations

from collections.abc import Iterator

from sentence_transformers.base.sampler import DefaultBatchSampler
from transformers import TrainerCallback

from hybridbatch.errors import HybridbatchError
from hybridbatch.training.dataset import PlannedBatches
from hybridbatch.training.planner import BatchPlanner


class HybridBatchSampler(DefaultBatchSampler):
    """sentence-transformers batch sampler over planned batches (:mod:`hybridbatch.training.dataset`): yields
    the dataset entries of each batch of the current epoch. ``set_epoch`` selects the epoch; ``fixed_epoch``
    pins it (validation batches are the same at every evaluation)."""

    def __init__(self, dataset, planned: PlannedBatches, *, seed: int = 0, drop_last: bool = True,
                 fixed_epoch: int | None = None):
        super().__init__(dataset, batch_size=planned.batch_size, drop_last=drop_last, seed=seed)
        self.planned = planned
        self.fixed_epoch = fixed_epoch

    def __iter__(self) -> Iterator[list[int]]:
        epoch = self.epoch if self.fixed_epoch is None else self.fixed_epoch
        for index in range(self.planned.per_epoch):
            entries = self.planned.entries(epoch, index)
            if entries is None:  # past max_steps: the trainer stops before asking
                return
            yield entries

    def __len__(self) -> int:
        return self.planned.per_epoch


class HybridSamplerFactory:
    """The callable given as ``SentenceTransformerTrainingArguments(batch_sampler=...)``.

    The trainer calls it as ``factory(dataset, batch_size=, drop_last=, valid_label_columns=,
    generator=, seed=)`` for the train dataset and each eval dataset; it recognises which one by identity and
    returns a sampler over that dataset's planned batches (:func:`hybridbatch.training.dataset.planned_dataset`
    planned them with ``planner``; the trainer must ask for that planner's batch size and seed). Eval batches
    are the same at every evaluation (epoch 0)."""

    def __init__(self, train: tuple[object, BatchPlanner, PlannedBatches],
                 evals: list[tuple[object, BatchPlanner, PlannedBatches]] | None = None):
        self.train, self.evals = train, list(evals or [])
        self.train_sampler: HybridBatchSampler | None = None  # built for the training set

    def __getstate__(self) -> dict:
        # The trainer pickles its arguments (training_args.bin) with this factory inside; the
        # datasets are not needed there.
        return {"train": None, "evals": [], "train_sampler": None}

    def __call__(self, dataset, batch_size: int, drop_last: bool, valid_label_columns=None, generator=None,
                 seed: int = 0) -> HybridBatchSampler:
        if self.train is None:
            raise HybridbatchError("this batch sampler factory was restored from a pickle and holds no data")
        if dataset is self.train[0]:
            _, planner, planned = self.train
            if (planner.batch_size, planner.seed) != (batch_size, seed):
                raise HybridbatchError(f"the trainer asks for batches of {batch_size} with seed {seed}; the plan has "
                                       f"{planner.batch_size} and {planner.seed}")
            self.train_sampler = HybridBatchSampler(dataset, planned, seed=seed, drop_last=drop_last)
            return self.train_sampler
        for known, _, planned in self.evals:
            if dataset is known:
                return HybridBatchSampler(dataset, planned, seed=seed, drop_last=drop_last, fixed_epoch=0)
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
