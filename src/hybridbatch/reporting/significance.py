"""Paired significance tests over queries."""

from __future__ import annotations

import numpy as np

from hybridbatch.errors import HybridbatchError


def paired_randomization_test(a: np.ndarray, b: np.ndarray, *, n_resamples: int = 10_000, seed: int = 0,
                              chunk: int = 500) -> float:
    """Two-sided paired randomization (sign-flip) test of mean(a − b) = 0.

    Under the null hypothesis each per-query difference d_i = a_i − b_i is equally likely to have
    either sign. p = (1 + #{resamples r : |mean(s_r · d)| ≥ |mean(d)|}) / (1 + n_resamples), with
    s_r uniform random sign vectors. Matches ``scipy.stats.permutation_test`` with
    ``permutation_type='samples'`` in distribution, but runs as a matrix product so that 10⁵
    paired items and 10⁴ resamples take a few seconds on 2 cores.
    """
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 1:
        raise HybridbatchError(f"resamples must be a whole number >= 1, got {n_resamples!r}")
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if d.ndim != 1 or d.size == 0:
        raise ValueError("need two equal-length, non-empty 1-d arrays")
    if not np.isfinite(d).all():
        raise HybridbatchError("per-query values hold NaN or infinite values where both systems are scored")
    observed = abs(d.mean())
    if observed == 0.0:
        return 1.0
    rng = np.random.default_rng(seed)
    tolerance = 1e-12 * max(1.0, float(np.abs(d).max()))
    total = float(d.sum())
    hits = 0
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        flips = rng.integers(0, 2, size=(size, d.size), dtype=np.int8)  # sign +1 where 1, -1 where 0
        # sum(s·d) = 2·sum(d where s = +1) − sum(d): one cast, no ±1 matrix (3× faster at 10⁵ items)
        means = np.abs(2.0 * (flips.astype(np.float64) @ d) - total) / d.size
        hits += int(np.count_nonzero(means >= observed - tolerance))
    return (hits + 1) / (n_resamples + 1)
