"""The contrastive loss of a run: MultipleNegativesRankingLoss (InfoNCE over in-batch negatives) or its
GradCache variant, with the configured scale (1 / temperature); optionally plus a regulariser that keeps
the embeddings close to the frozen base model's.

Regulariser (``training.distill_weight`` = β > 0): for each row of a batch, with s = the student's
embedding of a text and t = the base model's embedding of the same (prompted, truncated) text,

* ``cosine``: d(s, t) = 1 − cos(s, t);   * ``mse``: d(s, t) = ‖s − t‖² / dim;

loss = InfoNCE + β · mean over the batch's queries and positives of d(s, t). The base model's vectors of
every training text are computed once before training (through the embedding cache), so the regulariser
costs no second forward pass. β = 0 is plain MultipleNegativesRankingLoss, unchanged.

``training.length_sorted``: both losses embed the batch's columns in length-sorted sub-batches
(:mod:`hybridbatch.training.sub_batches`): the same loss and gradients for less padding work.
"""

from __future__ import annotations

import torch
from torch import nn

from hybridbatch.encoding import SentenceTransformerEncoder, encode_texts
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.cached_distill import CachedDistillLoss, distill_distance
from hybridbatch.training.config import TrainConfig
from hybridbatch.training.sub_batches import LengthSortedLoss, embed_length_sorted


def build_loss(model, config: TrainConfig, targets: DistillTargets | None = None):
    """MultipleNegativesRankingLoss, or its GradCache version (``cached-mnrl``), with the configured scale;
    wrapped in :class:`DistillToBaseLoss` when ``training.distill_weight`` > 0 (``targets`` required), and
    embedding in length-sorted sub-batches when ``training.length_sorted`` (``mnrl`` only)."""
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
        MultipleNegativesRankingLoss,
    )

    t = config.training
    if t.length_sorted and t.loss != "mnrl":
        raise HybridbatchError("training.length_sorted needs training.loss mnrl (cached-mnrl already embeds "
                               "in mini-batches)")
    if t.loss == "mnrl":
        loss = MultipleNegativesRankingLoss(model, scale=t.scale, gather_across_devices=t.gather_across_devices)
    else:
        loss = CachedMultipleNegativesRankingLoss(model, scale=t.scale, mini_batch_size=t.mini_batch_size,
                                                  gather_across_devices=t.gather_across_devices)
    if t.distill_weight == 0.0:
        return LengthSortedLoss(loss) if t.length_sorted else loss
    if targets is None:
        raise HybridbatchError("the distillation regulariser needs the base model's vectors (DistillTargets)")
    if t.loss == "cached-mnrl":
        return CachedDistillLoss(model, targets, weight=t.distill_weight, distance=t.distill_loss, scale=t.scale,
                                 mini_batch_size=t.mini_batch_size, gather_across_devices=t.gather_across_devices)
    return DistillToBaseLoss(loss, targets, weight=t.distill_weight, distance=t.distill_loss,
                             length_sorted=t.length_sorted)


class DistillTargets:
    """The base model's vectors of every training row's query and positive passage.

    ``query_vectors`` / ``passage_vectors``: (n, dim) float32, one row per encoded item; which vector rows a
    global training row reads is given either as arrays (``row_query_item`` / ``row_passage_item``, per global
    row) or as ``rows_to_items(rows) -> (query vector rows, passage vector rows)`` (from
    :meth:`TrainingPairs.row_items`: nothing stored per row).
    """

    def __init__(self, query_vectors, passage_vectors, row_query_item=None, row_passage_item=None, *,
                 rows_to_items=None):
        self.query_vectors = torch.as_tensor(query_vectors, dtype=torch.float32)
        self.passage_vectors = torch.as_tensor(passage_vectors, dtype=torch.float32)
        if rows_to_items is None:
            q_items = torch.as_tensor(row_query_item, dtype=torch.long)
            p_items = torch.as_tensor(row_passage_item, dtype=torch.long)
            rows_to_items = lambda rows: (q_items[rows], p_items[rows])  # noqa: E731
        self.rows_to_items = rows_to_items

    def for_rows(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rows = rows.detach().long().cpu()
        q, p = self.rows_to_items(rows)
        return self.query_vectors[torch.as_tensor(q)], self.passage_vectors[torch.as_tensor(p)]


class DistillToBaseLoss(nn.Module):
    """``base_loss`` (MultipleNegativesRankingLoss) + ``weight`` × the distance to the base model's vectors.

    The batch's ``labels`` are its global row indices (the training dataset's ``label`` column when the
    regulariser is on); the base loss ignores them and builds its own in-batch targets. ``length_sorted``:
    embed the columns in length-sorted sub-batches (same values, less padding work).
    """

    def __init__(self, base_loss, targets: DistillTargets, *, weight: float, distance: str = "cosine",
                 length_sorted: bool = False):
        super().__init__()
        if distance not in ("cosine", "mse"):
            raise HybridbatchError(f"unknown distill distance {distance!r}; expected cosine or mse")
        self.base_loss = base_loss
        self.model = base_loss.model
        self.targets = targets
        self.weight = float(weight)
        self.distance = distance
        self.length_sorted = length_sorted
        self.last_parts: dict[str, float] = {}

    def forward(self, sentence_features, labels: torch.Tensor) -> torch.Tensor:
        from sentence_transformers.sentence_transformer.losses.multiple_negatives_ranking import embed_columns

        embed = embed_length_sorted if self.length_sorted else embed_columns
        embeddings = embed(self.model, sentence_features)
        contrastive = self.base_loss.compute_loss_from_embeddings(embeddings, labels)
        t_query, t_passage = self.targets.for_rows(labels)
        device = embeddings[0].device
        reg = 0.5 * (self._distance(embeddings[0], t_query.to(device))
                     + self._distance(embeddings[1], t_passage.to(device)))
        self.last_parts = {"contrastive": float(contrastive.detach()), "distill": float(reg.detach())}
        return contrastive + self.weight * reg

    def _distance(self, student: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return distill_distance(student, target, self.distance)

    @property
    def citation(self) -> str:
        return self.base_loss.citation


def targets_encoder(model, prompts: dict[str, str], precision: str, *, batch_size: int = 64,
                    show_progress: bool = True) -> SentenceTransformerEncoder:
    """The encoder of the distillation targets (and of mining, which so shares their cache entries): the
    training prompts, ``precision``; batch size and progress bar are not part of its identity."""
    return SentenceTransformerEncoder(model, query_prompt=prompts["query"], passage_prompt=prompts["passage"],
                                      batch_size=batch_size, label="distillation targets", precision=precision,
                                      show_progress=show_progress)


def distill_targets(base_model, pairs, prompts: dict[str, str], *, precision: str = "auto",
                    batch_size: int = 64, rows=None) -> DistillTargets:
    """The base model's vectors of the training items' queries and passages (as trained on: prompts, context,
    the model's max length), through the embedding cache: computed once per base model and text. ``rows``:
    only the items these global rows pair (the planned batches), else every item."""
    import numpy as np

    encoder = targets_encoder(base_model, prompts, precision, batch_size=batch_size)
    if rows is None:
        q_items = p_items = np.arange(pairs.n_items)
    else:
        q_rows, p_rows = pairs.row_items(np.asarray(rows, dtype=np.int64))
        q_items, p_items = np.unique(q_rows), np.unique(p_rows)
    Q, _ = encode_texts(encoder, pairs.texts("query", q_items), "query", label="distillation-target", step=(1, 2))
    P, _ = encode_texts(encoder, pairs.texts("passage", p_items), "passage", label="distillation-target",
                        step=(2, 2))

    def rows_to_vectors(rows):
        q, p = pairs.row_items(np.asarray(rows))
        return np.searchsorted(q_items, q), np.searchsorted(p_items, p)

    return DistillTargets(Q, P, rows_to_items=rows_to_vectors)
