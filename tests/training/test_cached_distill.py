"""GradCache (cached MNRL) with the regulariser gives the loss and gradients of plain MNRL with the regulariser
on the whole batch. Tolerances as in test_sub_batches (fp32, eval mode): loss rtol 1e-6 + atol 1e-6; gradients
within 1e-5 relative (L2 norm of the whole vector) and per parameter rtol 1e-5 + atol 1e-5 × the largest entry;
the differences come from float summation order only (mini-batches of 3 rows against one batch)."""

from __future__ import annotations

import pytest
import torch
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

from hybridbatch.errors import HybridbatchError
from hybridbatch.training.cached_distill import CachedDistillLoss
from hybridbatch.training.losses import DistillTargets, DistillToBaseLoss
from tests.training.test_sub_batches import _columns, _features, _loss_and_grads, assert_same_loss_and_grads


@pytest.fixture()
def model(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_model_dir), device="cpu").eval()


def _targets(n_rows: int, dim: int, seed: int = 0) -> DistillTargets:
    g = torch.Generator().manual_seed(seed)
    return DistillTargets(torch.randn(n_rows, dim, generator=g), torch.randn(n_rows, dim, generator=g),
                          torch.arange(n_rows), torch.arange(n_rows))


@pytest.mark.parametrize("negatives", [False, True])
@pytest.mark.parametrize("distance", ["cosine", "mse"])
def test_gradcache_with_the_regulariser_equals_plain_mnrl_with_it(model, negatives, distance):
    n = 12
    features = _features(model, _columns(n, negatives=negatives, seed=7))
    targets = _targets(n, model.get_embedding_dimension())
    labels = torch.arange(n)
    plain = DistillToBaseLoss(MultipleNegativesRankingLoss(model, scale=20.0), targets, weight=3.0, distance=distance)
    cached = CachedDistillLoss(model, targets, weight=3.0, distance=distance, scale=20.0, mini_batch_size=3)
    expected = _loss_and_grads(plain, model, features, labels)
    got = _loss_and_grads(cached, model, features, labels)
    assert_same_loss_and_grads(expected, got)
    assert cached.last_parts == pytest.approx(plain.last_parts, rel=1e-5)
    assert cached.last_parts["distill"] > 0  # random targets: the regulariser is really in the loss


def test_the_regulariser_needs_row_labels_and_a_known_distance(model):
    features = _features(model, _columns(4))
    targets = _targets(4, model.get_embedding_dimension())
    with pytest.raises(HybridbatchError, match="unknown distill distance"):
        CachedDistillLoss(model, targets, weight=1.0, distance="l1")
    with pytest.raises(HybridbatchError, match="needs each row's index"):
        CachedDistillLoss(model, targets, weight=1.0)(features, None)
