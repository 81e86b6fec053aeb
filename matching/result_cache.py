"""Answers of read requests kept by what they depend on, so a repeated request is not computed again.

A key holds everything an answer depends on: the request (path, parameters, the reader's language,
whose key asks) and the data generation, i.e. both sides' index versions (bumped in the transaction
of every write, by any process: matching/live.py) and the ranker's version. A write therefore makes
every older entry unreachable at once, in every process, without a message between them; the old
entries just age out of the LRU. Nothing here is invalidated by time.

Why: under load the same pages are asked for again and again (a profile's matches, a list page,
a common search), and ranking or loading them costs milliseconds of CPU that a dict look-up does not
(benchmarks/bench_load.py prints the hit rate of its mix).
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class ResultCache(Generic[V]):
    """A thread-safe LRU of at most `size` entries; size 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()  # routes run in a thread pool
        self.stats = CacheStats()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.stats.misses += 1
                return None
            self._entries.move_to_end(key)
            self.stats.hits += 1
            return value

    def put(self, key: Hashable, value: V) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
