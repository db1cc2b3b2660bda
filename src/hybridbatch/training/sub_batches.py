"""Length-sorted sub-batches: embed a training batch's texts in groups of similar length, each padded only to
its own longest text, and put the embeddings back in the batch's order.

The collator pads every text column to the longest text of the batch (queries ~17 real tokens padded to
~40, passage sentences ~40 padded to ~110 on MLQA-R), so most of a step's arithmetic is spent on padding.
:func:`embed_length_sorted` is a drop-in for sentence-transformers' ``embed_columns``:

* columns are grouped as ``embed_columns`` groups them: the first (anchor) column on its own, the other
  columns (positives, negatives) merged by ``merge_feature_batches`` when they preprocess alike;
* within a group, rows are sorted by their extent (last attended position + 1) and cut into contiguous runs
  (:func:`plan_sub_batches`); each run is one forward pass, its tensors trimmed to the run's widest text;
* the per-run embeddings are concatenated and indexed back into the original row order, so autograd routes
  every row's gradient to the forward pass that made it.

Contract: for an encoder whose embedding of a text depends only on that text's attended tokens (an
attention-masked transformer with mean/CLS pooling, positions counted from the start: every model here), the
result equals ``embed_columns``'s up to float rounding (other GEMM shapes sum in another order: ~1e-7
relative), and so do the loss and the gradients of any loss computed from it. In training mode with dropout,
the masks are drawn per forward-pass shape: same distribution, other random numbers, so a run is not
bit-identical to a padded one (why ``training.length_sorted`` is opt-in). Batches the scheme cannot slice
(flattened ``cu_seq_lens`` inputs, no 2-D attention mask, tensors not indexed by row) run as one forward pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

# The fixed cost of one forward + backward pass (op dispatch for ~12 layers, small-GEMM inefficiency) in
# padded tokens. benchmarks/train_step_speed.py, multilingual-e5-small, MLQA-R batches of 100, 2-core CPU:
# 16 and 64 tie (~12 passes/step), 256 is ~8% slower (7 passes), 1024 ~35% slower (4 passes).
FORWARD_OVERHEAD_TOKENS = 64


def plan_sub_batches(extents: Sequence[int], overhead_tokens: float = FORWARD_OVERHEAD_TOKENS
                     ) -> list[tuple[int, int]]:
    """Cut ascending ``extents`` into contiguous ``(begin, end)`` runs covering all rows, minimising
    Σ over runs of (rows × the run's largest extent) + ``overhead_tokens`` × number of runs (exact dynamic
    programme, O(n²) in numpy; n ≤ a few hundred rows per step)."""
    e = np.asarray(extents, dtype=np.float64)
    n = len(e)
    if n == 0:
        return []
    if np.any(np.diff(e) < 0):
        raise ValueError("plan_sub_batches needs ascending extents")
    best = np.zeros(n + 1)
    start = np.zeros(n + 1, dtype=np.int64)
    for end in range(1, n + 1):
        begins = np.arange(end)
        costs = best[:end] + (end - begins) * e[end - 1] + overhead_tokens
        k = int(np.argmin(costs))  # ties: the earliest begin, i.e. fewer runs
        best[end], start[end] = costs[k], k
    ranges, end = [], n
    while end > 0:
        ranges.append((int(start[end]), end))
        end = int(start[end])
    return ranges[::-1]


def _sliceable(features: dict[str, Any]) -> Tensor | None:
    """The 2-D attention mask when every row-indexed tensor of ``features`` can be sliced by row, else None."""
    mask = features.get("attention_mask")
    if "cu_seq_lens_q" in features or not isinstance(mask, Tensor) or mask.ndim != 2 or not mask.shape[0]:
        return None
    rows = mask.shape[0]
    for key, value in features.items():
        if key != "prompt_length" and isinstance(value, Tensor) and (value.ndim == 0 or value.shape[0] != rows):
            return None  # e.g. a VLM's flattened pixel grid: not indexed by row
    return mask


def row_extents(mask: Tensor) -> Tensor:
    """Per row of a (rows, width) attention mask: last attended position + 1 (0 for an empty row)."""
    positions = torch.arange(1, mask.shape[1] + 1, device=mask.device)
    return (mask.bool() * positions).amax(dim=1)


def _take(features: dict[str, Any], rows: Tensor, width: int, full_width: int) -> dict[str, Any]:
    """Rows ``rows`` of ``features``, token axes trimmed to ``width``; metadata passed through."""
    n = features["attention_mask"].shape[0]
    out: dict[str, Any] = {}
    for key, value in features.items():
        if isinstance(value, Tensor) and value.ndim >= 1 and value.shape[0] == n:
            value = value.index_select(0, rows)
            if value.ndim >= 2 and value.shape[1] == full_width:
                value = value[:, :width]
        out[key] = value
    return out


def _unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DistributedDataParallel wrapper (also under torch.compile), else ``model``.

    DDP's forward runs collectives (buffer broadcast, bucket rebuild) that every rank must call equally
    often, but each rank's plan has its own number of passes: so one pass per column group goes through the
    wrapper, which also prepares the reducer for the backward pass (every pass uses the same parameters),
    and the others through the wrapped module. Gradients are all-reduced as before: DDP's hooks sit on the
    parameters and fire once per backward, whichever forward the gradient came from."""
    from torch.nn.parallel import DistributedDataParallel

    base = getattr(model, "_orig_mod", model)
    return base.module if isinstance(base, DistributedDataParallel) else model


def embed_sorted(model: nn.Module, features: dict[str, Any],
                 overhead_tokens: float = FORWARD_OVERHEAD_TOKENS) -> Tensor:
    """``model(features)["sentence_embedding"]`` computed in length-sorted sub-batches, rows in input order."""
    mask = _sliceable(features)
    if mask is None:
        return model(features)["sentence_embedding"]
    full_width = mask.shape[1]
    extents = row_extents(mask)
    order = torch.argsort(extents, stable=True)
    sorted_extents = extents[order].tolist()
    ranges = plan_sub_batches(sorted_extents, overhead_tokens)
    if len(ranges) == 1 and sorted_extents[-1] == full_width:
        return model(features)["sentence_embedding"]  # nothing to trim
    # the first pass through ``model`` itself, the others through the module a DDP wrapper holds (see _unwrap)
    parts = [(model if i == 0 else _unwrap(model))(
        _take(features, order[b:e], max(sorted_extents[e - 1], 1), full_width))["sentence_embedding"]
        for i, (b, e) in enumerate(ranges)]
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(order.numel(), device=order.device)
    return torch.cat(parts).index_select(0, inverse)


def _column_groups(features_list: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """``embed_columns``'s grouping: (features, number of columns) for the anchor column alone, then the
    other columns merged into one batch when ``merge_feature_batches`` allows, else one by one."""
    from sentence_transformers.base.losses.merged_forward import merge_feature_batches

    groups = [(features_list[0], 1)]
    rest = features_list[1:]
    merged = merge_feature_batches(rest) if len(rest) > 1 else None
    groups += [(merged, len(rest))] if merged is not None else [(f, 1) for f in rest]
    return groups


def embed_length_sorted(model: nn.Module, features_list: Iterable[dict[str, Any]],
                        overhead_tokens: float = FORWARD_OVERHEAD_TOKENS) -> list[Tensor]:
    """One ``(rows, dim)`` embedding tensor per column, as sentence-transformers' ``embed_columns`` returns,
    each group of columns embedded in length-sorted sub-batches (see the module docstring)."""
    features_list = list(features_list)
    if not features_list:
        return []
    out: list[Tensor] = []
    for features, columns in _column_groups(features_list):
        emb = embed_sorted(model, features, overhead_tokens)
        out += [emb] if columns == 1 else list(emb.reshape(columns, -1, *emb.shape[1:]).unbind(0))
    return out


def token_counts(features_list: Sequence[dict[str, Any]], overhead_tokens: float = FORWARD_OVERHEAD_TOKENS
                 ) -> dict[str, int]:
    """Tokens one step embeds: ``real`` (attended), ``padded`` (as ``embed_columns`` pads: anchor column and
    merged candidates), ``sorted`` (length-sorted sub-batches) and ``forwards`` (passes of the sorted way)."""
    counts = {"real": 0, "padded": 0, "sorted": 0, "forwards": 0}
    for features, _ in _column_groups(list(features_list)):
        mask = features["attention_mask"]
        extents = torch.sort(row_extents(mask)).values.tolist()
        ranges = plan_sub_batches(extents, overhead_tokens)
        counts["real"] += int(mask.sum())
        counts["padded"] += mask.numel()
        counts["sorted"] += sum((e - b) * max(extents[e - 1], 1) for b, e in ranges)
        counts["forwards"] += len(ranges)
    return counts


class LengthSortedLoss(nn.Module):
    """``base_loss`` (a sentence-transformers loss with ``compute_loss_from_embeddings``, e.g.
    MultipleNegativesRankingLoss) with its columns embedded by :func:`embed_length_sorted`. Same loss and
    gradients as ``base_loss(features, labels)``, including ``gather_across_devices`` (it gathers the
    reassembled embeddings, in row order)."""

    def __init__(self, base_loss: nn.Module, overhead_tokens: float = FORWARD_OVERHEAD_TOKENS):
        super().__init__()
        if not hasattr(base_loss, "compute_loss_from_embeddings"):
            raise TypeError(f"{type(base_loss).__name__} has no compute_loss_from_embeddings")
        self.base_loss = base_loss
        self.model = base_loss.model  # a child too, so the trainer's DDP wrapper replaces it here as well
        self.overhead_tokens = overhead_tokens

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor | None) -> Tensor:
        embeddings = embed_length_sorted(self.model, sentence_features, self.overhead_tokens)
        return self.base_loss.compute_loss_from_embeddings(embeddings, labels)

    def get_config_dict(self) -> dict[str, Any]:
        return {**self.base_loss.get_config_dict(), "length_sorted": True}

    @property
    def citation(self) -> str:
        return self.base_loss.citation
