"""Weight-space merging of models of one architecture and one tokenizer.

* WiSE-FT (Wortsman et al. 2022): θ = (1 − λ)·θ_base + λ·θ_tuned; λ = 0 is the base, λ = 1 the tuned
  model, bit for bit.
* A soup: θ = Σ_i w_i·θ_i over several fine-tuned models (uniform w_i = 1/n by default).

Floating-point tensors are combined in float32 (float64 accumulation for a soup) and cast back to their
dtype; any other tensor (integer buffers such as position ids) must be equal in every input and is
copied. This module is the weight arithmetic only; loading, sweeping and saving merges (with their
provenance) is :mod:`hybridbatch.merging`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from hybridbatch.errors import HybridbatchError
from hybridbatch.models.fingerprint import tokenizer_signature


def check_compatible(models: Sequence[Any], names: Sequence[str]) -> None:
    """Raise unless every model has the first one's tokenizer and state-dict layout (names, shapes, dtypes)."""
    ref_tok = tokenizer_signature(models[0])
    ref = {k: (tuple(v.shape), v.dtype) for k, v in models[0].state_dict().items()}
    for model, name in zip(models[1:], names[1:]):
        if tokenizer_signature(model) != ref_tok:
            raise HybridbatchError(f"cannot merge: its tokenizer differs from that of {names[0]}", path=name)
        layout = {k: (tuple(v.shape), v.dtype) for k, v in model.state_dict().items()}
        if layout != ref:
            diff = sorted(set(layout) ^ set(ref)) or sorted(k for k in ref if layout[k] != ref[k])
            raise HybridbatchError(f"cannot merge: its architecture differs from that of {names[0]} "
                                   f"(first difference: {diff[0]})", path=name)


def merge_state_dicts(states: Sequence[dict], weights: Sequence[float]) -> dict:
    """Σ_i weights[i]·states[i] per floating tensor; an input whose weight is 1 while all others are 0 is
    returned as an exact copy."""
    import torch  # deferred: torch

    if len(states) != len(weights) or not states:
        raise HybridbatchError(f"{len(states)} models but {len(weights)} weights")
    exact = [i for i, w in enumerate(weights) if w == 1.0]
    if len(exact) == 1 and all(w == 0.0 for i, w in enumerate(weights) if i != exact[0]):
        return {k: v.detach().clone() for k, v in states[exact[0]].items()}
    out = {}
    for key, first in states[0].items():
        if not torch.is_floating_point(first):
            if any(not torch.equal(s[key], first) for s in states[1:]):
                raise HybridbatchError(f"cannot merge: non-float tensor {key!r} differs between the models")
            out[key] = first.detach().clone()
            continue
        acc_dtype = torch.float32 if len(states) == 2 else torch.float64
        acc = torch.zeros_like(first, dtype=acc_dtype)
        for state, w in zip(states, weights):
            acc += float(w) * state[key].detach().to(acc_dtype)
        out[key] = acc.to(first.dtype)
    return out


def merge_models(models: Sequence[Any], names: Sequence[str], weights: Sequence[float]) -> Any:
    """A new model: a copy of ``models[-1]`` (its modules, prompts, config) holding the merged weights."""
    check_compatible(models, names)
    merged = copy.deepcopy(models[-1])
    merged.load_state_dict(merge_state_dicts([m.state_dict() for m in models], weights))
    return merged


def wise_weights(lam: float) -> list[float]:
    """[weight of the base, weight of the tuned model] for WiSE-FT interpolation at ``lam``."""
    if not 0.0 <= lam <= 1.0:
        raise HybridbatchError(f"lambda {lam} outside [0, 1]")
    return [1.0 - lam, lam]
