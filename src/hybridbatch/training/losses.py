"""The contrastive loss of a run: MultipleNegativesRankingLoss (InfoNCE over in-batch negatives) or
its GradCache variant, with the configured scale (1 / temperature)."""

from __future__ import annotations

from hybridbatch.training.config import TrainConfig


def build_loss(model, config: TrainConfig):
    """MultipleNegativesRankingLoss, or its GradCache version (``cached-mnrl``), with the configured scale."""
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
        MultipleNegativesRankingLoss,
    )

    t = config.training
    if t.loss == "mnrl":
        return MultipleNegativesRankingLoss(model, scale=t.scale, gather_across_devices=t.gather_across_devices)
    return CachedMultipleNegativesRankingLoss(model, scale=t.scale, mini_batch_size=t.mini_batch_size,
                                              gather_across_devices=t.gather_across_devices)
