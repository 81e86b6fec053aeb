"""How long calls take, for every benchmark: timing a list of calls, their percentiles, and a cProfile dump.

One place so that the benchmarks' figures mean the same thing (the same warm-up and budget rule, the same
percentile definition: numpy's linear interpolation) and their profiles read alike.
"""

import cProfile
import io
import math
import pstats
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

MIN_TIMED = 50  # a case cut short by its time budget still has this many timed calls


def timed_calls(items: Sequence[Any], warmup: int, call: Callable[[Any], list[int]], budget_s: float = math.inf
                ) -> tuple[list[float], list[list[int]], float]:
    """Latencies (ms) of the items after the first `warmup`, their answers (ids), and the first call's ms.

    A slow case stops early: warm-up after budget/10 (at least 3 calls), timing after budget (at least
    MIN_TIMED calls); the count is reported with the percentiles.
    """
    first = 0.0
    started = time.perf_counter()
    for i, item in enumerate(items[:warmup]):
        if i >= 3 and time.perf_counter() - started > budget_s / 10:
            break
        t = time.perf_counter()
        call(item)
        if i == 0:
            first = (time.perf_counter() - t) * 1000
    samples: list[float] = []
    results: list[list[int]] = []
    started = time.perf_counter()
    for item in items[warmup:]:
        if len(samples) >= MIN_TIMED and time.perf_counter() - started > budget_s:
            break
        t = time.perf_counter()
        ids = call(item)
        samples.append((time.perf_counter() - t) * 1000)
        results.append(ids)
    return samples, results, first


def percentiles(samples: Sequence[float], *qs: float) -> tuple[float, ...]:
    """The qs-th percentiles of samples (NaN each when there are none: a class nobody hit)."""
    if not len(samples):
        return tuple(math.nan for _ in qs)
    return tuple(float(x) for x in np.percentile(np.asarray(samples, dtype=np.float64), qs))


def profiled(call: Callable[[Any], object], items: Iterable[Any], path: Path, cumulative: int = 30,
             tottime: int = 20) -> str:
    """call(item) for each item under cProfile; the top functions by cumulative and by own time, written to
    path and returned."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        for item in items:
            call(item)
    finally:
        profiler.disable()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.strip_dirs().sort_stats("cumulative").print_stats(cumulative)
    stats.sort_stats("tottime").print_stats(tottime)
    path.write_text(buffer.getvalue())
    return buffer.getvalue()
