"""A soup: θ = Σ_i w_i·θ_i over several fine-tuned models of one architecture and tokenizer."""

from __future__ import annotations

from typing import Any

from hybridbatch.errors import HybridbatchError
from hybridbatch.models.loading import load_model
from hybridbatch.models.merge import merge_models


def uniform_weights(n: int) -> list[float]:
    """``n`` equal weights summing to 1."""
    return [1.0 / n] * n


def parse_weights(text: str | None, n: int) -> list[float]:
    """Soup weights from comma-separated text (None: uniform): ``n`` non-negative numbers summing to 1.
    Raises :class:`HybridbatchError` (naming ``--weights``) otherwise."""
    if not text:
        return uniform_weights(n)
    try:
        weights = [float(x) for x in text.split(",")]
    except ValueError:
        raise HybridbatchError(f"--weights {text!r}: expected comma-separated numbers") from None
    if len(weights) != n or abs(sum(weights) - 1.0) > 1e-6 or min(weights) < 0:
        raise HybridbatchError("--weights: one non-negative weight per model, summing to 1")
    return weights


def load_soup(models: list[str], weights: list[float] | None = None) -> tuple[Any, list[Any]]:
    """(the soup, the loaded inputs) of the model folders ``models`` with ``weights`` (default: uniform)."""
    loaded = [load_model(m) for m in models]
    return merge_models(loaded, models, weights or uniform_weights(len(loaded))), loaded
