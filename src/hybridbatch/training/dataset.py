"""The trainer's datasets: the planned rows in plan order, their texts read from the item tables per batch.

The trainer indexes a ``datasets.Dataset``; holding one entry per possible (row, negative) would cost memory
in proportion to groups x languages^2 x negatives. Instead the dataset holds one entry per *planned* row:
entry ``b * batch_size + j`` is row ``j`` of the ``b``-th planned batch (batches in
:meth:`~hybridbatch.training.planner.BatchPlanner.plan_sequence` order, so epoch after epoch), stored as
global item ids; a transform turns ids into the ``query`` / ``positive`` (/ ``negative``) texts the loss
reads, and a ``label`` column carries each row's global row number for losses that need it (the
distillation regulariser). :class:`PlannedBatches` gives the sampler the entries of each batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from hybridbatch.data.training_pairs import TrainingPairs
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.planner import BatchPlanner, PlannedBatch


@dataclass(frozen=True)
class PlannedBatches:
    """Where each planned batch's rows sit in the trainer's dataset: batch at sequence position ``p`` (epoch
    ``e``, index ``i``: ``p = e * per_epoch + i``) holds entries ``p * batch_size`` onwards."""

    n_batches: int
    per_epoch: int
    batch_size: int

    def entries(self, epoch: int, index: int) -> list[int] | None:
        """The dataset entries of batch ``index`` of ``epoch``; None past the planned batches."""
        position = epoch * self.per_epoch + index
        if position >= self.n_batches:
            return None
        start = position * self.batch_size
        return list(range(start, start + self.batch_size))


def planned_dataset(pairs: TrainingPairs, planner: BatchPlanner, n_batches: int, *, row_labels: bool = False,
                    label_offset: int = 0):
    """(``datasets.Dataset`` of the first ``n_batches`` planned batches' rows, :class:`PlannedBatches`).

    Columns after the transform: ``query``, ``positive``, ``negative`` (when rows carry one: the mined
    negative of the row, or the passage item's own ``negative`` field) and, with ``row_labels``, ``label`` =
    global row number + ``label_offset``."""
    batches = list(planner.plan_sequence(n_batches))
    return entries_dataset(pairs, batches, row_labels=row_labels, label_offset=label_offset), \
        PlannedBatches(len(batches), planner.batches_per_epoch, planner.batch_size)


def entries_dataset(pairs: TrainingPairs, batches: Iterable[PlannedBatch], *, row_labels: bool = False,
                    label_offset: int = 0):
    """The dataset of the rows of ``batches``, in order (see :func:`planned_dataset`)."""
    from datasets import Dataset

    batches = list(batches)
    if not batches:
        raise HybridbatchError("no planned batches to train on")
    rows = np.concatenate([b.rows for b in batches])
    query, positive = pairs.row_items(rows)
    columns: dict[str, np.ndarray] = {"query_id": query, "positive_id": positive}
    mined = [b.negatives for b in batches]
    if all(m is not None for m in mined):
        if pairs.has_negatives:
            raise HybridbatchError("mined negatives and hard_negatives (paragraph siblings) exclude each other")
        columns["negative_id"] = np.concatenate(mined)
    elif pairs.has_negatives:
        columns["negative_of_id"] = positive
    if row_labels:
        columns["label"] = rows + label_offset
    table = Dataset.from_dict({k: v.tolist() for k, v in columns.items()})
    table.set_transform(_resolver(pairs))
    return table


def _resolver(pairs: TrainingPairs):
    def resolve(batch: dict[str, list]) -> dict[str, list]:
        out = {"query": pairs.texts("query", np.asarray(batch["query_id"])),
               "positive": pairs.texts("passage", np.asarray(batch["positive_id"]))}
        if "negative_id" in batch:
            out["negative"] = pairs.texts("passage", np.asarray(batch["negative_id"]))
        elif "negative_of_id" in batch:
            out["negative"] = pairs.texts("negative", np.asarray(batch["negative_of_id"]))
        if "label" in batch:
            out["label"] = batch["label"]
        return out

    return resolve
