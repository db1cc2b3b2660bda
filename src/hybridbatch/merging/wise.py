"""WiSE-FT (Wortsman et al. 2022): θ = (1 − λ)·θ_base + λ·θ_tuned, λ = 0 the base, λ = 1 the tuned model."""

from __future__ import annotations

from typing import Any

from hybridbatch.models.loading import load_model
from hybridbatch.models.merge import merge_models, wise_weights


def load_wise_pair(base: str, tuned: str) -> tuple[Any, Any]:
    """(base model, fine-tuned model): ``tuned`` loaded as saved, ``base`` ("default" or a folder) with the
    fine-tuned model's max_seq_length."""
    tuned_model = load_model(tuned)
    return load_model(base, max_seq_length=tuned_model.max_seq_length), tuned_model


def wise_merge(base: Any, tuned: Any, names: list[str], lam: float) -> Any:
    """A new model, a copy of ``tuned`` holding (1 − λ)·θ_base + λ·θ_tuned; ``names`` [base, tuned] name
    the inputs in errors. Raises :class:`~hybridbatch.errors.HybridbatchError` for λ outside [0, 1] or
    models that cannot be merged."""
    return merge_models([base, tuned], names, wise_weights(lam))
