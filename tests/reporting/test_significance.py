import numpy as np
import pytest
from scipy.stats import permutation_test

from hybridbatch.reporting.significance import paired_randomization_test


def test_identical_systems_give_p_one():
    a = np.random.default_rng(0).random(50)
    assert paired_randomization_test(a, a.copy()) == 1.0


def test_clear_difference_is_significant_and_noise_is_not():
    rng = np.random.default_rng(1)
    a = rng.random(400)
    assert paired_randomization_test(a + 0.05, a, n_resamples=2000) < 0.001
    noisy = a + rng.normal(0, 0.1, size=a.size)
    noisy -= (noisy - a).mean()  # exactly zero mean difference ... plus tiny jitter
    noisy[0] += 1e-9
    assert paired_randomization_test(noisy, a, n_resamples=2000) > 0.5


@pytest.mark.parametrize("shift", [0.0, 0.01, 0.03])
def test_agrees_with_scipy_permutation_test(shift):
    rng = np.random.default_rng(2)
    a = rng.random(200)
    b = a + rng.normal(shift, 0.1, size=a.size)
    ours = paired_randomization_test(a, b, n_resamples=20_000, seed=3)
    ref = permutation_test((a, b), lambda x, y, axis: np.mean(x - y, axis=axis), permutation_type="samples",
                           n_resamples=20_000, vectorized=True, random_state=4).pvalue
    assert abs(ours - ref) < 0.02


def test_exact_small_case():
    # d = (1, 1): sign patterns give |mean| in {1, 0, 0, 1}; P(|mean| >= 1) = 1/2.
    p = paired_randomization_test(np.array([1.0, 1.0]), np.zeros(2), n_resamples=40_000, seed=0)
    assert abs(p - 0.5) < 0.01


def test_shape_errors():
    with pytest.raises(ValueError):
        paired_randomization_test(np.zeros(3), np.zeros(4))
