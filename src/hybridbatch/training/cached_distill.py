"""GradCache (cached MNRL) together with the regulariser toward the base model, so that large batches
(256-512 rows) fit on a CPU without dropping the regulariser.

GradCache embeds a batch in mini-batches without gradients, computes the loss on the cached embeddings and
back-propagates it to them, then re-embeds each mini-batch with gradients and pushes the cached embedding
gradients through. The regulariser β · ½ (d(s_q, t_q) + d(s_p, t_p)) (see :mod:`.losses`) is a per-row
function of the same embeddings, so it is added to the loss on the cached embeddings and its gradient joins
theirs before the second pass: the loss and the gradients equal those of plain MNRL + regulariser on the whole
batch, up to float rounding (tests/training/test_cached_distill.py).
"""

from __future__ import annotations

import torch
from sentence_transformers.sentence_transformer.losses import CachedMultipleNegativesRankingLoss

from hybridbatch.errors import HybridbatchError


def distill_distance(student: torch.Tensor, target: torch.Tensor, distance: str) -> torch.Tensor:
    """Mean over rows of ``1 − cos(s, t)`` (``cosine``) or of ``‖s − t‖² / dim`` (``mse``)."""
    student = student.float()
    if distance == "cosine":
        return (1.0 - torch.nn.functional.cosine_similarity(student, target, dim=-1)).mean()
    if distance == "mse":
        return ((student - target) ** 2).mean()
    raise HybridbatchError(f"unknown distill distance {distance!r}; expected cosine or mse")


class CachedDistillLoss(CachedMultipleNegativesRankingLoss):
    """Cached MNRL + ``weight`` × the distance of each row's query and positive embeddings to the base model's
    vectors of the same texts (``targets.for_rows(labels)``; ``labels`` are the batch's global row indices)."""

    def __init__(self, model, targets, *, weight: float, distance: str = "cosine", scale: float = 20.0,
                 mini_batch_size: int = 32, gather_across_devices: bool = False):
        super().__init__(model, scale=scale, mini_batch_size=mini_batch_size,
                         gather_across_devices=gather_across_devices)
        distill_distance(torch.zeros(1, 1), torch.zeros(1, 1), distance)  # checks the name
        self.targets = targets
        self.weight = float(weight)
        self.distance = distance
        self.last_parts: dict[str, float] = {}

    def calculate_loss(self, reps: list[list[torch.Tensor]], labels: torch.Tensor | None = None, *,
                       with_backward: bool = False) -> torch.Tensor:
        if labels is None:
            raise HybridbatchError("the regulariser needs each row's index as its label")
        contrastive = super().calculate_loss(reps, labels, with_backward=with_backward)
        queries, positives = torch.cat(reps[0]), torch.cat(reps[1])
        t_query, t_passage = self.targets.for_rows(labels)
        reg = 0.5 * (distill_distance(queries, t_query.to(queries.device), self.distance)
                     + distill_distance(positives, t_passage.to(positives.device), self.distance))
        if with_backward:  # adds to the cached embedding gradients the contrastive part left there
            (self.weight * reg).backward()
            reg = reg.detach()
        self.last_parts = {"contrastive": float(contrastive.detach()), "distill": float(reg.detach())}
        return contrastive + self.weight * reg
