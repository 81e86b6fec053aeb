"""Which units contain a word: the lexical half of retrieval, beside the vector index.

Dense retrieval alone misses a candidate whose strength is its keywords (a rare term both texts
share), and an exact search cannot stop early while such a candidate might be unseen. Postings
let retrieval fetch the units that share a gap's words, and bound the overlap of everyone else by
the weight of the words it did not fetch.

Built from the pool's word-id columns in one sort, and rebuilt lazily once enough units changed;
units changed since the build are looked up in their columns directly, so postings are never short.
"""

import threading
from dataclasses import dataclass

import numpy as np

REBUILD_SHARE = 0.02  # rebuild once this share of the units changed since the last build


@dataclass(frozen=True)
class _Built:
    starts: np.ndarray  # word id → first position in `units`; len = words + 1
    units: np.ndarray  # unit ids, grouped by word


class Postings:
    def __init__(self) -> None:
        self._built: _Built | None = None
        self._changed: set[int] = set()  # units added or changed since the build
        self._lock = threading.Lock()

    def touch(self, unit_id: int) -> None:
        with self._lock:
            self._changed.add(unit_id)

    def reset(self) -> None:
        with self._lock:
            self._built, self._changed = None, set()

    def lookup(self, word_ids: np.ndarray, owner: np.ndarray, words: np.ndarray) -> list[np.ndarray]:
        """Per word: the ids of the units (with an owner) whose words include it.

        `owner` and `words` are the pool's columns (unit id → owner, unit id → padded word ids).
        """
        built, changed = self._current(owner, words)
        out = []
        for word in word_ids.tolist():
            found = built.units[built.starts[word]:built.starts[word + 1]] if word + 1 < len(built.starts) else \
                np.zeros(0, np.int64)
            if len(changed):
                found = np.union1d(found, changed[(words[changed] == word).any(axis=1)])
            out.append(found[owner[found] >= 0] if len(found) else found)
        return out

    def sizes(self, word_ids: np.ndarray, owner: np.ndarray, words: np.ndarray) -> np.ndarray:
        """About how many units have each word (stale entries included): the cost of fetching it."""
        built, _ = self._current(owner, words)
        inside = word_ids + 1 < len(built.starts)
        safe = np.where(inside, word_ids, 0)
        out: np.ndarray = np.where(inside, built.starts[safe + 1] - built.starts[safe], 0)
        return out

    def _current(self, owner: np.ndarray, words: np.ndarray) -> tuple[_Built, np.ndarray]:
        with self._lock:
            if self._built is None or (len(self._changed) > 64
                                       and len(self._changed) > REBUILD_SHARE * int((owner >= 0).sum())):
                self._built, self._changed = _build(owner, words), set()
            changed = np.fromiter(self._changed, dtype=np.int64, count=len(self._changed))
            return self._built, changed[changed < len(owner)]


def _build(owner: np.ndarray, words: np.ndarray) -> _Built:
    rows = np.flatnonzero(owner >= 0)
    block = words[rows]
    keep = block >= 0
    word_of = block[keep].astype(np.int64)
    unit_of = np.broadcast_to(rows[:, None], block.shape)[keep]
    order = np.argsort(word_of, kind="stable")
    size = int(word_of.max()) + 1 if len(word_of) else 0
    starts = np.zeros(size + 1, np.int64)
    np.cumsum(np.bincount(word_of, minlength=size), out=starts[1:])
    return _Built(starts=starts, units=unit_of[order].astype(np.int64))
