"""Pair-classification metrics (MTEB's PairClassification protocol) over the scores of labelled pairs.

Each pair i has a score s_i (cosine similarity of the two texts' embeddings) and a label y_i ∈ {0, 1};
P = #{i : y_i = 1}. A pair is predicted positive at threshold t when s_i ≥ t.

* **Average precision** of the positive class (sklearn's ``average_precision_score``, ties grouped):
  AP = (1/P) Σ_{i : y_i = 1} prec(s_i), with prec(t) = #{j : s_j ≥ t, y_j = 1} / #{j : s_j ≥ t}.
  The term prec(s_i) of a positive pair is its *contribution* (NaN for negatives), so AP is the mean of
  the contributions: the per-pair values of significance and robustness tests.
* **Best-threshold accuracy**: max over t of (1/n) Σ_i 1[(s_i ≥ t) = y_i], t over the distinct scores and
  +∞ (everything negative); ties never split (MTEB cuts between sorted neighbours and so may split ties).
* **Best-threshold F1**: max over the same t of 2·TP / (2·TP + FP + FN) (0 when no positive is predicted).

The thresholds are chosen on the scored pairs themselves, as MTEB does: an upper bound of what one fixed
threshold achieves. Undefined values (no pairs; AP without a positive) are None / NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairMetrics:
    """AP, best-threshold accuracy and F1 of one set of pairs, with the thresholds and counts."""

    ap: float | None
    acc: float | None
    f1: float | None
    acc_threshold: float | None
    f1_threshold: float | None
    n: int
    n_positive: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {"ap": self.ap, "acc": self.acc, "f1": self.f1, "acc_threshold": self.acc_threshold,
                "f1_threshold": self.f1_threshold, "n": self.n, "n_positive": self.n_positive}


def _cuts(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                             np.ndarray]:
    """(order, run of each sorted position, distinct scores descending, TP and FP at each distinct score t,
    counting the pairs with s ≥ t)."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), s.size - 1]  # last position of each run of equal scores
    run = np.repeat(np.arange(last.size), np.diff(np.r_[-1, last]))
    tp = np.cumsum(y)[last]
    fp = (last + 1) - tp
    return order, run, s[last], tp, fp


def _check(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels)
    if s.ndim != 1 or s.shape != y.shape:
        raise ValueError("scores and labels must be 1-d arrays of one length")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    if np.isnan(s).any():
        raise ValueError("scores hold NaN")
    return s, y.astype(np.int64)


def ap_contributions(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """prec(s_i) for each positive pair, NaN for negatives (see module doc); the mean over positives is AP."""
    s, y = _check(scores, labels)
    out = np.full(s.size, np.nan)
    if not s.size:
        return out
    order, run, _, tp, fp = _cuts(s, y)
    values = (tp / (tp + fp))[run]
    positive = y[order] == 1
    out[order[positive]] = values[positive]
    return out


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """AP of the positive class (module doc); None without a positive pair."""
    contrib = ap_contributions(scores, labels)
    hits = contrib[~np.isnan(contrib)]
    return float(hits.mean()) if hits.size else None


def best_accuracy(scores: np.ndarray, labels: np.ndarray) -> tuple[float | None, float | None]:
    """(best accuracy, its threshold t: positive iff s ≥ t; +inf = all negative); (None, None) when empty.
    Among equal accuracies the highest t wins."""
    s, y = _check(scores, labels)
    if not s.size:
        return None, None
    _, _, values, tp, fp = _cuts(s, y)
    negatives = s.size - int(y.sum())
    correct = np.r_[negatives, tp + (negatives - fp)]  # index 0: t = +inf
    k = int(np.argmax(correct))
    return float(correct[k] / s.size), float("inf") if k == 0 else float(values[k - 1])


def best_f1(scores: np.ndarray, labels: np.ndarray) -> tuple[float | None, float | None]:
    """(best F1, its threshold t: positive iff s ≥ t); F1 0.0 with t = +inf when no cut predicts a positive
    correctly; (None, None) when empty."""
    s, y = _check(scores, labels)
    if not s.size:
        return None, None
    _, _, values, tp, fp = _cuts(s, y)
    fn = int(y.sum()) - tp
    f1 = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    k = int(np.argmax(f1))
    return (float(f1[k]), float(values[k])) if f1[k] > 0 else (0.0, float("inf"))


def accuracy_hits(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """1.0 / 0.0 per pair: whether the best-accuracy threshold classifies it correctly (mean = accuracy)."""
    s, y = _check(scores, labels)
    _, t = best_accuracy(s, y)
    if t is None:
        return np.zeros(0)
    return ((s >= t).astype(np.int64) == y).astype(np.float64)


def pair_metrics(scores: np.ndarray, labels: np.ndarray) -> PairMetrics:
    """All three metrics of one set of pairs."""
    s, y = _check(scores, labels)
    acc, t_acc = best_accuracy(s, y)
    f1, t_f1 = best_f1(s, y)
    return PairMetrics(average_precision(s, y), acc, f1, _finite(t_acc), _finite(t_f1), int(s.size), int(y.sum()))


def _finite(t: float | None) -> float | None:
    """JSON has no infinity: a threshold of +inf (everything negative) is written as None."""
    return None if t is None or not np.isfinite(t) else t
