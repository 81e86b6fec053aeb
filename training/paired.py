"""Paired per-query bootstrap: is one ranker's metric different from another's by more than noise?

Why paired: two rankers ranked the same queries, and most of a metric's spread is between queries (an
easy query is easy for both), so resampling queries and taking the difference on each resample gives
a much tighter, honest interval than comparing two separately estimated means. Why a bootstrap: the
per-query values (Recall@10 of one or two partners, a reciprocal rank) are far from normal. Percentile
interval, seeded, so a reported figure can be reproduced.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RESAMPLES = 10_000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class PairedDifference:
    """Mean of (a − b) over the queries and its bootstrap interval."""

    mean: float
    low: float
    high: float
    queries: int

    @property
    def worse_beyond_noise(self) -> bool:
        """a loses to b: the whole interval is below 0."""
        return self.high < 0

    @property
    def better_beyond_noise(self) -> bool:
        return self.low > 0

    def __str__(self) -> str:
        return f"{self.mean:+.3f} [{self.low:+.3f}, {self.high:+.3f}] ({self.queries} queries)"


def paired_bootstrap(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, *,
                     resamples: int = RESAMPLES, confidence: float = CONFIDENCE, seed: int = 0,
                     chunk: int = 1000) -> PairedDifference:
    """`a[i]` and `b[i]`: the same query's metric under two rankers. Resamples queries with replacement
    (`resamples` times, in chunks to bound memory) and takes the percentile interval of the mean difference."""
    x, y = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if x.shape != y.shape or x.ndim != 1 or not len(x):
        raise ValueError(f"need two equally long, non-empty 1-d arrays of per-query values, got {x.shape}, {y.shape}")
    if not 0 < confidence < 1 or resamples < 1:
        raise ValueError("need 0 < confidence < 1 and resamples >= 1")
    diff = x - y
    rng = np.random.default_rng(seed)
    means = np.concatenate([diff[rng.integers(0, len(diff), (min(chunk, resamples - start), len(diff)))].mean(axis=1)
                            for start in range(0, resamples, chunk)])
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return PairedDifference(float(diff.mean()), float(low), float(high), len(diff))


__all__ = ["PairedDifference", "paired_bootstrap"]
