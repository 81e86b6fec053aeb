"""Partnerships that exist, as the ranker sees them: which pairs are partners, and how alike profiles are.

Two features read it: `partnered` (the pair already cooperates) and `collaborative` (the candidate
partners with profiles like the asker, or the asker with profiles like the candidate: the
similarity of the closest such profile). Both are 0 without history. Profiles are compared by the
mean of their units' vectors (unit-normalised), so the signal follows whatever model is configured.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from matching.pool import Pool


@dataclass(frozen=True)
class History:
    """Known (college id, enterprise id) partnerships, each with a weight in [0, 1] (a soft tie less)."""

    college_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    enterprise_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # profile id → its centroid, per side (only profiles that appear in a partnership)
    college_vectors: dict[int, np.ndarray] = field(default_factory=dict)
    enterprise_vectors: dict[int, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.college_ids)

    @classmethod
    def build(cls, pairs: Iterable[tuple[int, int, float]], colleges: Pool, enterprises: Pool) -> "History":
        """From (college id, enterprise id, weight) triples; pairs whose profiles are gone are left out.
        A pair listed twice keeps its largest weight."""
        best: dict[tuple[int, int], float] = {}
        for c, e, w in pairs:
            if c in colleges.profiles and e in enterprises.profiles:
                best[(c, e)] = max(w, best.get((c, e), 0.0))
        keys = sorted(best)
        return cls(np.array([c for c, _ in keys], np.int64), np.array([e for _, e in keys], np.int64),
                   np.array([best[k] for k in keys], np.float64),
                   {c: v for c in {c for c, _ in keys} if (v := centroid(colleges, c)) is not None},
                   {e: v for e in {e for _, e in keys} if (v := centroid(enterprises, e)) is not None})

    def without(self, *, college_id: int | None = None, enterprise_id: int | None = None) -> "History":
        """The history less one profile's partnerships (a held-out query must not see its own)."""
        keep = np.ones(len(self), bool)
        if college_id is not None:
            keep &= self.college_ids != college_id
        if enterprise_id is not None:
            keep &= self.enterprise_ids != enterprise_id
        return History(self.college_ids[keep], self.enterprise_ids[keep], self.weights[keep],
                       self.college_vectors, self.enterprise_vectors)

    def partnered(self, asker_id: int | None, asker_is_enterprise: bool, candidate_ids: np.ndarray) -> np.ndarray:
        """Per candidate: the weight of its partnership with the asker, 0 when none."""
        out = np.zeros(len(candidate_ids))
        if asker_id is None or not len(self):
            return out
        mine, theirs = (self.enterprise_ids, self.college_ids) if asker_is_enterprise else (
            self.college_ids, self.enterprise_ids)
        chosen = mine == asker_id
        if chosen.any():
            position = {int(c): i for i, c in enumerate(candidate_ids)}
            for c, w in zip(theirs[chosen], self.weights[chosen], strict=True):
                i = position.get(int(c))
                if i is not None:
                    out[i] = max(out[i], w)
        return out

    def collaborative(self, asker_id: int | None, asker_vector: np.ndarray | None, asker_is_enterprise: bool,
                      candidate_ids: np.ndarray, candidate_vector: "CentroidOf") -> np.ndarray:
        """Per candidate: the largest similarity of (a) the asker to a partner of the candidate, or (b) the
        candidate to a partner of the asker; each times the partnership's weight, clipped at 0."""
        out = np.zeros(len(candidate_ids))
        if not len(self) or asker_vector is None:
            return out
        mine, theirs = (self.enterprise_ids, self.college_ids) if asker_is_enterprise else (
            self.college_ids, self.enterprise_ids)
        same_side = self.enterprise_vectors if asker_is_enterprise else self.college_vectors
        position = {int(c): i for i, c in enumerate(candidate_ids)}
        # (a) the candidate's partners that are like the asker
        for c, e, w in zip(theirs, mine, self.weights, strict=True):
            i = position.get(int(c))
            if i is None or int(e) == asker_id:
                continue
            v = same_side.get(int(e))
            if v is not None:
                out[i] = max(out[i], w * float(asker_vector @ v))
        # (b) the asker's partners that are like the candidate
        if asker_id is not None:
            other_side = self.college_vectors if asker_is_enterprise else self.enterprise_vectors
            partners = [(other_side[int(c)], w) for c, e, w in zip(theirs, mine, self.weights, strict=True)
                        if int(e) == asker_id and int(c) in other_side]
            if partners:
                matrix = np.vstack([v for v, _ in partners])
                weights = np.array([w for _, w in partners])
                for i, cid in enumerate(candidate_ids.tolist()):
                    if int(cid) in {int(c) for c in theirs[mine == asker_id]}:
                        continue  # the pair itself is `partnered`, not collaborative evidence
                    v = candidate_vector(int(cid))
                    if v is not None:
                        out[i] = max(out[i], float((weights * (matrix @ v)).max()))
        return np.clip(out, 0.0, 1.0)


class CentroidOf:
    """A pool's profile centroids, computed on first use (for the candidates that need one)."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self._cache: dict[int, np.ndarray | None] = {}

    def __call__(self, profile_id: int) -> np.ndarray | None:
        if profile_id not in self._cache:
            self._cache[profile_id] = centroid(self.pool, profile_id)
        return self._cache[profile_id]


def centroid(pool: Pool, profile_id: int) -> np.ndarray | None:
    card = pool.profiles.get(profile_id)
    if card is None:
        return None
    units = [u for u in card.units if u in pool.index]
    if not units:
        return None
    mean = pool.index.vectors_of(units).astype(np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


def query_centroid(vectors: np.ndarray) -> np.ndarray | None:
    if not len(vectors):
        return None
    mean = vectors.astype(np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


EMPTY = History()
