"""Rank-based retrieval metrics, vectorised over queries.

Every metric takes ``ranks``: an ``(n_queries, m)`` float array with the 1-based ranks of each query's
relevant candidates, padded with ``np.inf`` (padding, or "not retrieved" for a top-k run), and ``n_rel``:
the number of relevant candidates of each query (the denominator; may exceed the finite ranks of a
top-k run). A query with ``n_rel == 0`` gets NaN. Ranks of one query must be distinct, which the tie
rule below guarantees.

Tie rule (used by every scorer in this package)::

    rank(c) = 1 + #{c' : s_c' > s_c} + #{c' : s_c' == s_c and c' < c}

i.e. equal scores are ordered by candidate position in the benchmark, earlier first.
"""

from __future__ import annotations

import numpy as np


def ranks_by_rule(scores: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Exact ranks of candidate positions ``items`` in one score row, by the tie rule (reference, O(N))."""
    scores = np.asarray(scores)
    items = np.asarray(items, dtype=np.int64)
    s = scores[items][:, None]
    earlier = np.arange(scores.shape[0])[None, :] < items[:, None]
    return 1 + (scores[None, :] > s).sum(1) + ((scores[None, :] == s) & earlier).sum(1)


def order_by_rule(scores: np.ndarray) -> np.ndarray:
    """Candidate positions of one score row from rank 1 to N, by the tie rule."""
    scores = np.asarray(scores)
    return np.lexsort((np.arange(scores.shape[0]), -scores))


def _prep(ranks: np.ndarray, n_rel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r = np.sort(np.asarray(ranks, dtype=np.float64).reshape(len(n_rel), -1), axis=1)
    return r, np.asarray(n_rel, dtype=np.float64)


def _per_query(total: np.ndarray, n_rel: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_rel > 0, total / n_rel, np.nan)


def average_precision(ranks: np.ndarray, n_rel: np.ndarray, k: int | None = None) -> np.ndarray:
    """AP = (1/|R|) * sum over relevant r with rank(r) <= k of precision@rank(r).

    With ranks sorted ascending, precision at the i-th relevant is i / rank_i. ``k=None`` is the full
    ranking (mAP). ``k`` truncates the sum but keeps the |R| denominator, as trec_eval ``map_cut_k``
    and ranx ``map@k`` do (the other convention divides by min(k, |R|); it only differs when |R| > k).
    """
    r, n = _prep(ranks, n_rel)
    limit = np.inf if k is None else float(k)
    hit = np.isfinite(r) & (r <= limit)
    pos = np.arange(1, r.shape[1] + 1, dtype=np.float64)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(hit, pos / r, 0.0)
    return _per_query(prec.sum(1), n)


def recall_at_k(ranks: np.ndarray, n_rel: np.ndarray, k: int) -> np.ndarray:
    """Recall@k = |R ∩ top-k| / |R|."""
    r, n = _prep(ranks, n_rel)
    return _per_query((r <= k).sum(1).astype(np.float64), n)


def reciprocal_rank(ranks: np.ndarray, n_rel: np.ndarray, k: int | None = None) -> np.ndarray:
    """RR@k = 1 / (rank of the first relevant) if that rank <= k, else 0."""
    r, n = _prep(ranks, n_rel)
    first = r.min(axis=1) if r.shape[1] else np.full(len(n), np.inf)
    limit = np.inf if k is None else float(k)
    with np.errstate(divide="ignore"):
        rr = np.where(np.isfinite(first) & (first <= limit), 1.0 / first, 0.0)
    return np.where(n > 0, rr, np.nan)


def ndcg_at_k(ranks: np.ndarray, gains: np.ndarray, ideal_gains: np.ndarray, k: int) -> np.ndarray:
    """nDCG@k with linear gains and log2 discount (trec_eval ``ndcg_cut``, ranx ``ndcg``).

    DCG@k = sum over retrieved judged r with rank(r) <= k of gain(r) / log2(rank(r) + 1);
    IDCG@k = the same for the judged gains sorted descending (``ideal_gains``: every judged gain of
    the query, 0-padded). ``gains`` aligns with ``ranks``. NaN where IDCG = 0.
    """
    r = np.asarray(ranks, dtype=np.float64)
    g = np.asarray(gains, dtype=np.float64)
    inside = np.isfinite(r) & (r <= k)
    with np.errstate(invalid="ignore", divide="ignore"):
        dcg = np.where(inside, g / np.log2(np.where(inside, r, 1.0) + 1.0), 0.0).sum(1)
    ideal = -np.sort(-np.asarray(ideal_gains, dtype=np.float64).reshape(len(r), -1), axis=1)[:, :k]
    ideal = np.clip(ideal, 0.0, None)
    idcg = (ideal / np.log2(np.arange(2, ideal.shape[1] + 2, dtype=np.float64))[None, :]).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(idcg > 0, dcg / idcg, np.nan)


def columnwise_nanmean(arrays: list[np.ndarray]) -> np.ndarray:
    """Element-wise mean of equally shaped arrays over the non-NaN entries; NaN where all are NaN (no warning)."""
    stacked = np.stack([np.asarray(a, dtype=np.float64) for a in arrays])
    counts = (~np.isnan(stacked)).sum(axis=0)
    return np.where(counts > 0, np.nansum(stacked, axis=0) / np.maximum(counts, 1), np.nan)


def nanmean(values: np.ndarray) -> float | None:
    """Mean over the non-NaN entries as a JSON-ready float; None when there are none."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else None
