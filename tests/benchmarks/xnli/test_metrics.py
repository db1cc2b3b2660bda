"""Pair-classification metrics: hand-computed cases, ties, and agreement with brute-force definitions and pytrec_eval."""

from __future__ import annotations

import numpy as np
import pytest

from hybridbatch.scoring.pair_classification import (
    accuracy_hits,
    ap_contributions,
    average_precision,
    best_accuracy,
    best_f1,
    pair_metrics,
)


def brute_ap(s: np.ndarray, y: np.ndarray) -> float | None:
    """(1/P) Σ over positives i of #{j: s_j ≥ s_i, y_j = 1} / #{j: s_j ≥ s_i}, written as loops."""
    terms = []
    for i in range(len(s)):
        if y[i] == 1:
            above = [j for j in range(len(s)) if s[j] >= s[i]]
            terms.append(sum(y[j] for j in above) / len(above))
    return sum(terms) / len(terms) if terms else None


def brute_best(s: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(max accuracy, max F1) over every threshold t in the scores and +inf (positive iff s ≥ t)."""
    best_acc, best_f = 0.0, 0.0
    for t in list(s) + [np.inf]:
        pred = s >= t
        tp, fp, fn = int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum()), int((~pred & (y == 1)).sum())
        best_acc = max(best_acc, float((pred == (y == 1)).mean()))
        best_f = max(best_f, 2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return best_acc, best_f


def test_hand_computed() -> None:
    s, y = np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 0, 1, 0])
    assert average_precision(s, y) == pytest.approx((1 + 2 / 3) / 2)
    assert best_accuracy(s, y) == (0.75, 0.9)  # ties between t = 0.9 and 0.7: the higher threshold
    assert best_f1(s, y) == (pytest.approx(0.8), 0.7)
    m = pair_metrics(s, y)
    assert (m.n, m.n_positive, m.acc_threshold, m.f1_threshold) == (4, 2, 0.9, 0.7)


def test_ties_are_never_split() -> None:
    s, y = np.array([0.5, 0.5, 0.1]), np.array([1, 0, 0])
    assert average_precision(s, y) == pytest.approx(0.5)  # sklearn's average_precision_score gives 0.5
    assert best_accuracy(s, y) == (pytest.approx(2 / 3), np.inf)  # t = 0.5 also gives 2/3: the higher t wins
    assert best_f1(s, y)[0] == pytest.approx(2 / 3)


def test_all_negative_threshold_and_no_positive() -> None:
    s, y = np.array([0.9, 0.1]), np.array([0, 0])
    assert average_precision(s, y) is None and np.isnan(ap_contributions(s, y)).all()
    assert best_accuracy(s, y) == (1.0, np.inf)
    assert best_f1(s, y) == (0.0, np.inf)
    assert pair_metrics(s, y).acc_threshold is None  # +inf is not JSON
    assert pair_metrics(np.zeros(0), np.zeros(0, int)).as_dict()["ap"] is None


@pytest.mark.parametrize("seed", range(30))
def test_against_brute_force_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    s = np.round(rng.random(n), 1)  # many ties
    y = (rng.random(n) < 0.4).astype(int)
    assert average_precision(s, y) == pytest.approx(brute_ap(s, y))
    acc, f1 = brute_best(s, y)
    assert best_accuracy(s, y)[0] == pytest.approx(acc) and best_f1(s, y)[0] == pytest.approx(f1)
    assert accuracy_hits(s, y).mean() == pytest.approx(acc)
    contrib = ap_contributions(s, y)
    assert np.isnan(contrib[y == 0]).all() and not np.isnan(contrib[y == 1]).any()


def test_against_pytrec_eval_without_ties() -> None:
    pytrec_eval = pytest.importorskip("pytrec_eval")
    rng = np.random.default_rng(7)
    s, y = rng.random(50), (rng.random(50) < 0.3).astype(int)
    qrels = {"q": {f"d{i}": int(y[i]) for i in range(50)}}
    run = {"q": {f"d{i}": float(s[i]) for i in range(50)}}
    assert average_precision(s, y) == pytest.approx(pytrec_eval.RelevanceEvaluator(qrels, {"map"}).evaluate(run)["q"]["map"])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        average_precision(np.array([0.1]), np.array([2]))
    with pytest.raises(ValueError, match="one length"):
        best_f1(np.array([0.1, 0.2]), np.array([1]))
