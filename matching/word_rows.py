"""Some units' keyword ids, read without the padding the pool's word-id table carries.

The pool keeps each unit's word ids in one row of a table as wide as the unit with most words,
padded with -1 (`Pool.word_ids`). At 100,000 specialties with Chinese texts most of a row is
padding, and scoring read every cell of every candidate's row several times a query. Here the
rows are read in a few blocks, each only as wide as its rows need.

Sums of per-word weights over these blocks equal, bit for bit, the same sums over the whole padded
rows (what scoring computed before). NumPy sums a row of 8 to 128 numbers in eight partial sums
(cells 0, 8, 16, ... in the first; 1, 9, ... in the second, ...), adds those in a fixed tree, and
then adds the last `width % 8` cells one by one; a longer row is split at a multiple of 8 near its
middle and each part is summed so. Padding weighs 0, and adding 0 changes no partial sum: so any
multiple of 8 from 8 to 128 that holds all of a row's words gives the full width's result, unless
a row's words reach into the cells the full width adds one by one, or the full width is under 8
(then it is summed in order). `exact_width` picks such a width, or the full one when none exists;
tests/test_fast_paths.py checks the sums against the full rows.
"""

from dataclasses import dataclass
from functools import cache

import numpy as np

PAIRWISE_BLOCK = 128  # NumPy's pairwise summation splits rows longer than this
MERGE_CELLS = 4_096  # a block's fixed cost, in cells read: narrower blocks merge while cheaper than this


@cache
def exact_width(width: int, needed: int) -> int:
    """The narrowest width holding `needed` leading cells whose row sums equal the full `width`'s."""
    top = width
    while top > PAIRWISE_BLOCK:  # a row whose words all lie in the first part sums as that part alone
        half = top // 2
        top = half - half % 8
    if width < 8 or needed > top - top % 8:
        return width
    return max(8, -(-needed // 8) * 8)


@dataclass(frozen=True)
class WordRows:
    """Word ids of `count` units in blocks: (positions among the units, their ids: rows × block width,
    -1 padded as in the pool)."""

    count: int
    blocks: list[tuple[np.ndarray, np.ndarray]]

    @classmethod
    def of(cls, word_ids: np.ndarray, word_counts: np.ndarray, unit_ids: np.ndarray) -> "WordRows":
        width = word_ids.shape[1]
        counts = word_counts[unit_ids]
        if not len(unit_ids):
            return cls(0, [])
        needed = np.array([exact_width(width, int(c)) for c in range(int(counts.max()) + 1)], np.int64)[counts]
        widths, sizes = np.unique(needed, return_counts=True)
        # Merge a block into the next wider one while reading its rows wider costs less than a block.
        chosen: list[int] = []
        pending = 0
        for i, (w, size) in enumerate(zip(widths.tolist(), sizes.tolist(), strict=True)):
            pending += size
            if i + 1 < len(widths) and pending * (int(widths[i + 1]) - w) < MERGE_CELLS:
                continue
            chosen.append(w)
            pending = 0
        edges = np.array(chosen, np.int64)
        block_of = np.searchsorted(edges, needed)  # the narrowest chosen width holding each row
        blocks = []
        for b, w in enumerate(chosen):
            rows = np.flatnonzero(block_of == b)
            if len(rows):
                blocks.append((rows, word_ids[unit_ids[rows], :w]))
        return cls(len(unit_ids), blocks)

    def clipped(self, pad: int) -> "WordRows":
        """Ids clipped to `pad`, a weight table's last entry (0): padding (-1) and words newer than the
        table read it, as in ranking.keyword_overlaps."""
        return WordRows(self.count, [(rows, np.minimum(words, pad)) for rows, words in self.blocks])

    def through(self, lookup: np.ndarray) -> "WordRows":
        """Each (clipped) id replaced by `lookup[id]`."""
        return WordRows(self.count, [(rows, lookup[words]) for rows, words in self.blocks])

    def sums(self, table: np.ndarray) -> np.ndarray:
        """Per unit, the sum of `table` over its (clipped) ids, as `table[ids].sum(axis=1)` over the full rows."""
        out = np.zeros(self.count)
        for rows, words in self.blocks:
            out[rows] = table[words].sum(axis=1)
        return out

    def cells(self, lookup: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(unit position, lookup value) of every cell whose (clipped) id `lookup` maps to 0 or more."""
        found_rows, found_values = [], []
        for rows, words in self.blocks:
            values = lookup[words]
            r, c = np.nonzero(values >= 0)
            found_rows.append(rows[r])
            found_values.append(values[r, c])
        if not found_rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(found_rows), np.concatenate(found_values)

    def any_of(self, ids: np.ndarray) -> np.ndarray:
        """Per unit: whether its (unclipped) ids include any of `ids`."""
        out = np.zeros(self.count, dtype=bool)
        for rows, words in self.blocks:
            out[rows] = np.isin(words, ids).any(axis=1)
        return out
