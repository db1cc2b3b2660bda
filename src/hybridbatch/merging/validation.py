"""The validation evaluator of a training config, for any model: its held-out validation split as a
retrieval benchmark, with the model's prompts as that config resolves them. Built by
:func:`hybridbatch.training.validation.build_validation_evaluator`, so a model is scored on validation
the same way during training, in a λ sweep and in an experiment's validation table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybridbatch.config import Precision
from hybridbatch.errors import HybridbatchError
from hybridbatch.training.config import TrainConfig
from hybridbatch.training.data import PreparedData, prepare_data
from hybridbatch.training.runtime import resolve_prompts

MEASURES = ("mo", "cr", "mul", "mo+mul", "rank_distance")
"""The validation measures a table row keeps."""


def validation_data(config: TrainConfig, data_dir: str | Path | None = None,
                    source: str | Path | None = None) -> PreparedData:
    """``config``'s training data with its validation split (read from ``data_dir``, default
    ``$HYBRIDBATCH_DATA``). Raises :class:`HybridbatchError` (naming ``source``, the config file) when the
    config holds out no validation split."""
    data = prepare_data(config, data_dir)
    if data.validation is None:
        raise HybridbatchError("the training config holds out no validation split (validation_fraction 0)",
                               path=source)
    return data


def evaluator_for(config: TrainConfig, data: PreparedData, model: Any, *, select_metric: str,
                  precision: Precision | None = None) -> Any:
    """A :class:`~hybridbatch.training.validation.ValidationEvaluator` on ``data``'s validation split (see
    :func:`validation_data`) with ``model``'s prompts resolved by ``config.training.prompts``, ranking by
    ``select_metric``, encoding in ``precision`` (default: the config's ``training.precision``)."""
    from hybridbatch.training.validation import build_validation_evaluator  # deferred: sentence_transformers

    return build_validation_evaluator(config, data, resolve_prompts(model, config.training.prompts),
                                select_metric=select_metric, precision=precision)


def measures(metrics: dict[str, float], prefix: str = "") -> dict[str, float]:
    """The :data:`MEASURES` present in ``metrics``, keyed without ``prefix``."""
    return {m: metrics[f"{prefix}{m}"] for m in MEASURES if f"{prefix}{m}" in metrics}
