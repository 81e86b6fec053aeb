"""Paired per-query bootstrap (training/paired.py): intervals that cover a known difference, shrink to a point
when the rankers agree, and are reproducible."""

import numpy as np
import pytest

from training.paired import paired_bootstrap


def test_identical_rankings_give_a_zero_interval() -> None:
    values = np.random.default_rng(1).random(50)
    same = paired_bootstrap(values, values.copy())
    assert (same.mean, same.low, same.high, same.queries) == (0.0, 0.0, 0.0, 50)
    assert not same.worse_beyond_noise and not same.better_beyond_noise


def test_interval_covers_the_true_difference_about_as_often_as_promised() -> None:
    # Per-query Recall-like values: a query's difficulty is shared by both rankers (the pairing), a
    # wins by 0.05 on average. Over 200 independent sets the 95% interval should cover 0.05 in about
    # 95% of them; a binomial(200, 0.95) lands in [180, 198] with probability > 0.999.
    rng = np.random.default_rng(7)
    covered, excluded_zero = 0, 0
    for _ in range(200):
        difficulty = rng.random(300)
        b = difficulty
        a = difficulty + 0.05 + rng.normal(0, 0.2, 300)
        ci = paired_bootstrap(a, b, resamples=1000, seed=int(rng.integers(1 << 30)))
        assert ci.low <= ci.mean <= ci.high
        covered += ci.low <= 0.05 <= ci.high
        excluded_zero += ci.better_beyond_noise
    assert 180 <= covered <= 198
    # 0.05 is 4.3 standard errors (0.2 / sqrt(300) = 0.0115) away from 0: nearly always detected.
    assert excluded_zero >= 195


def test_a_loss_beyond_noise_and_noise_are_told_apart() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2, 400).astype(float)
    worse = base.copy()
    worse[:60] = 0.0  # 60 queries lost, none won
    assert paired_bootstrap(worse, base).worse_beyond_noise
    swapped = base.copy()
    flip = rng.choice(400, 20, replace=False)
    swapped[flip] = 1 - swapped[flip]  # about as many won as lost
    ci = paired_bootstrap(swapped, base)
    assert ci.low < 0 < ci.high or ci.mean == 0


def test_seeded_and_checked() -> None:
    a, b = np.random.default_rng(0).random((2, 80))
    assert paired_bootstrap(a, b, seed=5) == paired_bootstrap(a, b, seed=5)
    assert paired_bootstrap(a, b, seed=5) != paired_bootstrap(a, b, seed=6)
    with pytest.raises(ValueError, match="equally long"):
        paired_bootstrap(a, b[:-1])
    with pytest.raises(ValueError, match="non-empty"):
        paired_bootstrap([], [])
