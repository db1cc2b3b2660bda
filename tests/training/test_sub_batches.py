"""Length-sorted sub-batches (training.length_sorted): the same embeddings, loss and gradients as the padded
batch, rows back in their order, for both losses, with negatives, and across two DDP processes.

Tolerances (fp32, model in eval mode, i.e. dropout off): embeddings atol 1e-6; loss rtol 1e-6 + atol 1e-6
(a few ulps of a loss ≈ 2-4); gradients: the whole gradient vector within 1e-5 relative (L2 norm), and each
parameter's gradient elementwise within rtol 1e-5 + atol 1e-5 × the largest gradient entry (the attention
key biases have a gradient of exactly 0 in exact arithmetic, ~1e-12 of float noise either way). The
differences come only from float summation order: other GEMM shapes, other padding widths.
"""

from __future__ import annotations

import copy
import itertools
import random
from pathlib import Path

import pytest
import torch

from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import apply_overrides
from hybridbatch.training.losses import DistillTargets, DistillToBaseLoss, build_loss
from hybridbatch.training.sub_batches import (
    LengthSortedLoss,
    embed_length_sorted,
    plan_sub_batches,
    row_extents,
    token_counts,
)
from tests.conftest import TINY_CORPUS
from tests.training.test_losses import _config

WORDS = sorted({w for line in TINY_CORPUS for w in line.split()})
LOSS_TOL = {"rtol": 1e-6, "atol": 1e-6}
GRAD_NORM_RTOL = 1e-5
GRAD_RTOL, GRAD_ATOL_SHARE = 1e-5, 1e-5


def _texts(n: int, low: int, high: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(low, high))) for _ in range(n)]


def _columns(n: int = 24, negatives: bool = False, seed: int = 0) -> list[list[str]]:
    columns = [_texts(n, 1, 20, seed), _texts(n, 1, 50, seed + 1)]
    return columns + [_texts(n, 1, 50, seed + 2)] if negatives else columns


@pytest.fixture()
def model(tiny_model_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_model_dir), device="cpu").eval()


def _features(model, columns):
    return [model.preprocess(texts) for texts in columns]


def _loss_and_grads(loss, model, features, labels=None):
    model.zero_grad(set_to_none=True)
    value = loss(copy.deepcopy(features), labels)
    value.backward()
    return value.detach(), {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


def assert_same_loss_and_grads(padded, sorted_) -> None:
    (loss_a, grads_a), (loss_b, grads_b) = padded, sorted_
    torch.testing.assert_close(loss_b, loss_a, **LOSS_TOL)
    assert grads_a.keys() == grads_b.keys() and grads_a
    flat_a = torch.cat([g.flatten() for g in grads_a.values()])
    flat_b = torch.cat([g.flatten() for g in grads_b.values()])
    assert float((flat_b - flat_a).norm() / flat_a.norm()) <= GRAD_NORM_RTOL
    atol = GRAD_ATOL_SHARE * float(flat_a.abs().max())
    for name in grads_a:
        torch.testing.assert_close(grads_b[name], grads_a[name], rtol=GRAD_RTOL, atol=atol, msg=name)


# ---- the partition ----

def _brute_force(extents, overhead):
    n, best = len(extents), None
    for k in range(n):
        for cuts in itertools.combinations(range(1, n), k):
            bounds = (0, *cuts, n)
            cost = sum((e - b) * extents[e - 1] + overhead for b, e in zip(bounds, bounds[1:]))
            best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_the_partition_is_optimal_and_covers_every_row(seed):
    rng = random.Random(seed)
    extents = sorted(rng.randint(1, 60) for _ in range(9))
    for overhead in (0, 8, 40, 1000):
        ranges = plan_sub_batches(extents, overhead)
        assert ranges[0][0] == 0 and ranges[-1][1] == len(extents)
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(ranges, ranges[1:]))
        cost = sum((e - b) * extents[e - 1] + overhead for b, e in ranges)
        assert cost == _brute_force(extents, overhead)
    assert plan_sub_batches(extents, 10 ** 9) == [(0, len(extents))]
    assert plan_sub_batches([], 5) == []
    with pytest.raises(ValueError, match="ascending"):
        plan_sub_batches([3, 1])


def test_extents_count_to_the_last_attended_position():
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0], [0, 1, 1, 0]])
    assert row_extents(mask).tolist() == [2, 4, 0, 3]


# ---- embeddings: values and order ----

def test_reassembled_rows_are_in_their_original_order(model):
    columns = _columns(30, negatives=True)
    features = _features(model, columns)
    with torch.no_grad():
        got = embed_length_sorted(model, copy.deepcopy(features), overhead_tokens=0)
        alone = [torch.stack([model(model.preprocess([t]))["sentence_embedding"][0] for t in texts])
                 for texts in columns]  # each text in its own unpadded forward pass
    counts = token_counts(features, overhead_tokens=0)
    assert counts["forwards"] > 3 and counts["real"] <= counts["sorted"] < counts["padded"]
    assert len(got) == 3
    for a, b in zip(got, alone):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    # a permutation of the rows would fail: the texts' embeddings are distinct
    assert float((alone[1] - alone[1].roll(1, 0)).abs().max()) > 1e-2


class _Recorder(torch.nn.Module):
    """A stand-in encoder: the embedding of a row is its token ids' sum; records each forward's shape."""

    def __init__(self):
        super().__init__()
        self.shapes: list[tuple[int, ...]] = []

    def forward(self, features):
        self.shapes.append(tuple(features["input_ids"].shape))
        ids = features["input_ids"] * features["attention_mask"]
        return {"sentence_embedding": ids.sum(dim=1, keepdim=True).float()}


def test_sub_batches_are_trimmed_and_unsliceable_batches_run_whole():
    mask = torch.tensor([[1] * 6, [1, 1, 0, 0, 0, 0], [1] * 5 + [0], [1, 0, 0, 0, 0, 0]])
    ids = torch.arange(1, 25).reshape(4, 6) * mask
    features = [{"input_ids": ids, "attention_mask": mask, "prompt_length": 2, "modality": "text"}]
    stub = _Recorder()
    (got,) = embed_length_sorted(stub, features, overhead_tokens=0)
    assert sorted(stub.shapes) == [(1, 1), (1, 2), (1, 5), (1, 6)]
    assert got.flatten().tolist() == ids.sum(dim=1).tolist()
    features[0]["pixel_values"] = torch.zeros(7, 3)  # not indexed by row: cannot be sliced
    stub = _Recorder()
    embed_length_sorted(stub, features, overhead_tokens=0)
    assert stub.shapes == [(4, 6)]


# ---- loss and gradients ----

@pytest.mark.parametrize("negatives", [False, True])
@pytest.mark.parametrize("overhead", [0, 64])
def test_mnrl_loss_and_gradients_equal_the_padded_batch(model, negatives, overhead):
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    features = _features(model, _columns(24, negatives=negatives, seed=7))
    base = MultipleNegativesRankingLoss(model, scale=50.0)
    padded = _loss_and_grads(base, model, features)
    sorted_ = _loss_and_grads(LengthSortedLoss(base, overhead_tokens=overhead), model, features)
    assert_same_loss_and_grads(padded, sorted_)


@pytest.mark.parametrize("distance", ["cosine", "mse"])
def test_the_regulariser_loss_and_gradients_equal_the_padded_batch(model, distance):
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    n = 20
    columns = _columns(n, negatives=True, seed=3)
    with torch.no_grad():
        q = model.encode(columns[0], convert_to_tensor=True)
        p = model.encode(columns[1], convert_to_tensor=True)
    generator = torch.Generator().manual_seed(0)
    targets = DistillTargets(q + 0.05 * torch.randn(q.shape, generator=generator), p.flip(0), torch.arange(n),
                             torch.arange(n))
    labels = torch.randperm(n, generator=generator)  # global row ids: the targets follow them
    base = MultipleNegativesRankingLoss(model, scale=20.0)
    features = _features(model, columns)
    padded_loss = DistillToBaseLoss(base, targets, weight=3.0, distance=distance)
    sorted_loss = DistillToBaseLoss(base, targets, weight=3.0, distance=distance, length_sorted=True)
    padded = _loss_and_grads(padded_loss, model, features, labels)
    parts = padded_loss.last_parts
    sorted_ = _loss_and_grads(sorted_loss, model, features, labels)
    assert parts["distill"] > 1e-3
    assert sorted_loss.last_parts == pytest.approx(parts, rel=1e-5, abs=1e-6)
    assert_same_loss_and_grads(padded, sorted_)


# ---- configuration and wiring ----

def test_build_loss_wires_the_setting(model, tmp_path):
    plain = build_loss(model, _config(tmp_path / "a"))
    assert type(plain).__name__ == "MultipleNegativesRankingLoss"  # default off: the loss of old configs
    wrapped = build_loss(model, _config(tmp_path / "b", length_sorted=True))
    assert isinstance(wrapped, LengthSortedLoss) and wrapped.model is model
    assert wrapped.get_config_dict()["length_sorted"] is True
    targets = DistillTargets(torch.zeros(1, 32), torch.zeros(1, 32), torch.zeros(1), torch.zeros(1))
    distill = build_loss(model, _config(tmp_path / "c", length_sorted=True, distill_weight=1.0), targets)
    assert isinstance(distill, DistillToBaseLoss) and distill.length_sorted
    with pytest.raises(HybridbatchError, match="length_sorted needs training.loss mnrl"):  # refused when read
        apply_overrides(_config(tmp_path / "d"), {"training.loss": "cached-mnrl", "training.length_sorted": True})


def _train_losses(tmp_path: Path, model, **training) -> tuple[list[float], torch.Tensor]:
    from transformers import TrainerCallback

    from hybridbatch.training.trainer import train

    losses: list[float] = []

    class Record(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            losses.extend(logs[k] for k in ("loss", "eval_loss") if logs and k in logs)

    train(_config(tmp_path, **training), model=model, callbacks=[Record()])
    return losses, torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.mark.parametrize("distill_weight", [0.0, 2.0])
def test_training_without_dropout_is_the_same_run(model, tmp_path, monkeypatch, distill_weight):
    """Through the trainer (train mode): with dropout 0, sorted and padded runs log the same losses and end
    with the same weights; with dropout on, the masks (and so the numbers) differ, hence the opt-in."""
    from hybridbatch.training import sub_batches

    plans: list[int] = []
    plan = sub_batches.plan_sub_batches
    monkeypatch.setattr(sub_batches, "plan_sub_batches",  # overhead 0: the short toy texts split too
                        lambda extents, overhead=0: plans.append(len(plan(extents, 0))) or plan(extents, 0))
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    runs = [_train_losses(tmp_path / str(on), copy.deepcopy(model), distill_weight=distill_weight,
                          length_sorted=on, learning_rate=1e-3) for on in (False, True)]
    (loss_a, weights_a), (loss_b, weights_b) = runs
    assert max(plans) > 1 and len(loss_a) == len(loss_b) >= 3
    assert loss_b == pytest.approx(loss_a, rel=1e-4)  # logged rounded to 4 digits
    # AdamW divides by sqrt(v): where a gradient is ~0 its update follows the gradient's last bits, so a few single
    # weights may differ by a sizeable part of the step (seen: 1 in 27k, up to 2.8 % of the largest movement, by
    # test order). Hence a count, not a maximum: a real error (a row embedded in the wrong place) moves many
    # weights by the order of the movement itself, and the norms below
    start = torch.cat([p.detach().flatten() for p in model.parameters()])
    moved = float((weights_a - start).abs().max())
    far = int(((weights_b - weights_a).abs() > 2e-2 * moved).sum())
    assert far <= weights_a.numel() // 1000, f"{far} of {weights_a.numel()} weights differ by over 2 % of the movement"
    assert float((weights_b - weights_a).norm()) < 3e-4 * float((weights_a - start).norm())  # seen: 3.5e-5


# ---- DDP: two gloo processes, gather_across_devices on ----

def _ddp_worker(rank: int, store: str, model_dir: str, out: str) -> None:
    import faulthandler

    faulthandler.dump_traceback_later(120, exit=True)  # a collective mismatch hangs: fail instead
    import torch.distributed as dist
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    try:
        model = SentenceTransformer(model_dir, device="cpu").eval()
        ddp = DistributedDataParallel(model, find_unused_parameters=True)  # as the trainer wraps it
        # rank 0: varied lengths, many passes; rank 1: about equal lengths, few passes
        columns = (_columns(12, negatives=True, seed=11) if rank == 0 else
                   [_texts(12, 4, 4, seed) for seed in (1, 2, 3)])
        features = _features(model, columns)
        base = MultipleNegativesRankingLoss(ddp, gather_across_devices=True)
        sorted_ = LengthSortedLoss(base, overhead_tokens=0)
        results = [_loss_and_grads(loss, model, features) for loss in (base, sorted_, base, sorted_)]
        torch.save((results, token_counts(features, 0)["forwards"]), f"{out}-rank{rank}.pt")
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not torch.distributed.is_available(), reason="no torch.distributed")
def test_ddp_with_gathered_embeddings_gives_the_same_gradients(tmp_path, tiny_model_dir):
    import torch.multiprocessing as mp

    mp.spawn(_ddp_worker, args=(str(tmp_path / "store"), str(tiny_model_dir), str(tmp_path / "out")), nprocs=2)
    (rank0, passes0), (rank1, passes1) = [torch.load(tmp_path / f"out-rank{r}.pt") for r in (0, 1)]
    assert passes0 > passes1  # the ranks ran different numbers of forward passes
    for padded, sorted_, *again in (rank0, rank1):
        assert_same_loss_and_grads(padded, sorted_)
        assert_same_loss_and_grads(padded, again[1])  # a second step (DDP rebuilds its buckets after the first)
    for name, grad in rank0[1][1].items():  # DDP averaged the gradients: the ranks agree
        torch.testing.assert_close(rank1[1][1][name], grad)
    assert float((rank0[0][0] - rank1[0][0]).abs()) > 1e-4  # and the ranks held different rows
