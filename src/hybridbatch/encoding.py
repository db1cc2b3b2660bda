"""The one path that turns texts into vectors: sorted-by-length batches, an on-disk cache, progress.

Contract: every encoder returns float32 arrays of shape (n, dim), rows L2-normalised, in the order
of the input texts. Queries and passages may get different prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Encoder(Protocol):
    """What evaluation, validation and search need from a model."""

    @property
    def identity(self) -> str:
        """A string that changes whenever the vectors could change (weights, prefixes, max length)."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...
