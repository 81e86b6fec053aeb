"""Features and scores for one asker against many candidates, computed together in NumPy.

Every number here is something a person can check: the best unit pair per query unit, its
similarity and code agreement, capacities, distance, modes, regions. A score is the weighted sum
of the feature values, and each feature's contribution is reported with it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, Field

from matching.pool import ProfileCard, UnitCard

# Names the scoring formula; a trained ranker would carry its own version.
RANKER_VERSION = "features-1"
FEATURES = ("semantic", "catalogue", "capacity", "distance", "modes", "provinces", "reciprocity")
# Agreement of two catalogue codes: same specialty, same class (first four digits), same category (two).
AGREEMENT = {"code": 1.0, "class": 0.6, "category": 0.3, "none": 0.0}


class Weights(BaseModel):
    """Feature weights; they are normalised to sum to 1, so scores stay in [0, 1]."""

    semantic: float = Field(0.40, ge=0, description="Headcount-weighted best unit-pair similarity")
    catalogue: float = Field(0.15, ge=0, description="Same code 1, same class 0.6, same category 0.3")
    capacity: float = Field(0.10, ge=0, description="Share of each query unit's amount the partner covers")
    distance: float = Field(0.10, ge=0, description="1 / (1 + km / distance_scale_km); 0.5 when unknown")
    modes: float = Field(0.05, ge=0, description="Share of the asker's cooperation modes the partner offers")
    provinces: float = Field(0.05, ge=0, description="Partner in the enterprise's preferred provinces")
    reciprocity: float = Field(0.15, ge=0, description="Harmonic mean of both sides' use of each other")

    def normalised(self) -> dict[str, float]:
        values = {name: float(getattr(self, name)) for name in FEATURES}
        total = sum(values.values()) or 1.0
        return {name: value / total for name, value in values.items()}


class RankingSettings(BaseModel):
    weights: Weights = Weights()
    min_similarity: float = Field(0.35, ge=0, le=1, description="A unit pair below this is not a match")
    distance_scale_km: float = Field(300.0, gt=0, description="Distance at which the distance feature is 0.5")


@dataclass
class Query:
    """The asking side: its units (with vectors) and, when it is a profile, the profile."""

    units: list[UnitCard]
    vectors: np.ndarray
    is_enterprise: bool  # the asker's side: enterprises ask for colleges
    profile: ProfileCard | None = None
    location: tuple[float, float] | None = None
    modes: frozenset[str] = frozenset()


@dataclass
class Scored:
    """Feature values per candidate (arrays over candidates) and the pairs behind them."""

    profile_ids: np.ndarray
    values: dict[str, np.ndarray]
    score: np.ndarray
    best_unit: np.ndarray  # query unit × candidate → candidate unit id (-1 when the candidate has none)
    best_sim: np.ndarray  # query unit × candidate
    agreement: np.ndarray  # query unit × candidate
    relevant: np.ndarray  # candidate has a pair at or above min_similarity
    asker_view: np.ndarray
    candidate_view: np.ndarray
    distance_km: np.ndarray  # nan when unknown
    weights: dict[str, float] = field(default_factory=dict)


def code_agreement(a: str, b: str) -> str:
    if a == b:
        return "code"
    if a[:4] == b[:4]:
        return "class"
    if a[:2] == b[:2]:
        return "category"
    return "none"


def score(query: Query, candidates: Sequence[ProfileCard], units: dict[int, UnitCard],
          sims: np.ndarray, unit_ids: np.ndarray, config: RankingSettings) -> Scored:
    """Score candidates whose units are `unit_ids` (grouped by profile, in candidate order).

    `sims` is query units × unit_ids cosine similarity.
    """
    weights = config.weights.normalised()
    m, n_profiles = len(query.units), len(candidates)
    sims = np.clip(sims, 0.0, 1.0)
    counts = _counts(candidates, unit_ids)
    width = max(1, int(counts.max()) if n_profiles else 1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if n_profiles else np.zeros(0, np.int64)
    pad = starts[:, None] + np.arange(width)[None, :]
    valid = np.arange(width)[None, :] < counts[:, None]
    pad = np.where(valid, pad, 0)
    padded = np.where(valid[None, :, :], sims[:, pad] if sims.shape[1] else np.zeros((m, n_profiles, width)), -1.0)
    best_pos = padded.argmax(axis=2)  # first of equal maxima: units keep their profile order
    best_sim = np.maximum(np.take_along_axis(padded, best_pos[:, :, None], axis=2)[:, :, 0], 0.0)
    best_idx = np.take_along_axis(np.broadcast_to(pad, (m, *pad.shape)), best_pos[:, :, None], axis=2)[:, :, 0]
    has_units = counts > 0
    best_unit = np.where(has_units[None, :], unit_ids[best_idx] if len(unit_ids) else -1, -1)

    amounts_q = np.array([max(u.amount, 1) for u in query.units], dtype=np.float64)
    w = amounts_q / amounts_q.sum()
    amount_of = np.array([units[int(u)].amount for u in unit_ids], dtype=np.float64) if len(unit_ids) else np.zeros(0)
    relevant_pair = (best_sim >= config.min_similarity) & has_units[None, :]

    agreement = np.zeros((m, n_profiles))
    for q, unit in enumerate(query.units):
        if not unit.codes:
            continue
        for p in np.flatnonzero(relevant_pair[q]):
            other = units[int(best_unit[q, p])].codes
            agreement[q, p] = max((AGREEMENT[code_agreement(a, b)] for a in unit.codes for b in other), default=0.0)

    best_amount = np.where(has_units[None, :], amount_of[best_idx] if len(unit_ids) else 0.0, 0.0)
    covered = np.minimum(best_amount, amounts_q[:, None])
    values: dict[str, np.ndarray] = {
        "semantic": w @ best_sim,
        "catalogue": w @ agreement,
        "capacity": w @ (np.where(relevant_pair, covered / amounts_q[:, None], 0.0)),
    }
    asker_view = (w / amounts_q) @ (covered * best_sim)
    # The candidate's view: each of its units taken by the asker's most similar unit, as a share
    # of everything the candidate has (graduates a year, or headcount).
    if len(unit_ids):
        q_best = sims.argmax(axis=0)
        s_best = sims.max(axis=0)
        used = np.minimum(amount_of, amounts_q[q_best]) * s_best
        group = np.repeat(np.arange(n_profiles), counts)
        used_sum = np.bincount(group, weights=used, minlength=n_profiles)
        total = np.bincount(group, weights=amount_of, minlength=n_profiles)
        candidate_view = np.divide(used_sum, total, out=np.zeros(n_profiles), where=total > 0)
    else:
        candidate_view = np.zeros(n_profiles)
    values["reciprocity"] = harmonic(asker_view, candidate_view)

    distance_km = distances(query.location, candidates)
    values["distance"] = np.where(np.isnan(distance_km), 0.5,
                                  1.0 / (1.0 + np.nan_to_num(distance_km) / config.distance_scale_km))
    values["modes"] = np.array([mode_overlap(query.modes, c.modes) for c in candidates])
    values["provinces"] = np.array([province_fit(query, c) for c in candidates])
    total_score = sum((weights[f] * values[f] for f in FEATURES), np.zeros(n_profiles))
    return Scored(
        profile_ids=np.array([c.id for c in candidates], dtype=np.int64), values=values, score=total_score,
        best_unit=best_unit, best_sim=best_sim, agreement=agreement, relevant=relevant_pair.any(axis=0),
        asker_view=asker_view, candidate_view=candidate_view, distance_km=distance_km, weights=weights,
    )


def _counts(candidates: Sequence[ProfileCard], unit_ids: np.ndarray) -> np.ndarray:
    """How many of `unit_ids` each candidate has; `unit_ids` lists them candidate by candidate."""
    owner_of = {}
    for p, card in enumerate(candidates):
        for unit_id in card.units:
            owner_of[unit_id] = p
    counts = np.zeros(len(candidates), dtype=np.int64)
    if len(unit_ids):
        np.add.at(counts, np.array([owner_of[int(u)] for u in unit_ids], dtype=np.int64), 1)
    return counts


def harmonic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    total = a + b
    out: np.ndarray = np.divide(2 * a * b, total, out=np.zeros_like(total, dtype=np.float64), where=total > 0)
    return out


def distances(origin: tuple[float, float] | None, candidates: Sequence[ProfileCard]) -> np.ndarray:
    out = np.full(len(candidates), np.nan)
    if origin is None:
        return out
    located = [i for i, c in enumerate(candidates) if c.located]
    if located:
        lat = np.radians(np.array([candidates[i].lat for i in located], dtype=np.float64))
        lon = np.radians(np.array([candidates[i].lon for i in located], dtype=np.float64))
        lat0, lon0 = np.radians(origin[0]), np.radians(origin[1])
        a = np.sin((lat - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
        out[located] = 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(1.0, a)))
    return out


def mode_overlap(asked: frozenset[str], offered: frozenset[str]) -> float:
    """Share of the asker's modes the partner also lists; 0.5 when either lists none (unknown)."""
    if not asked or not offered:
        return 0.5
    return len(asked & offered) / len(asked)


def province_fit(query: Query, candidate: ProfileCard) -> float:
    """The enterprise's preferred provinces decide, whichever side asks: 1 inside them, else 0.

    With no stated preference: same province 1, same country 0.5, abroad 0.
    """
    if query.profile is None:
        return 0.5
    enterprise, college = (query.profile, candidate) if query.is_enterprise else (candidate, query.profile)
    if enterprise.preferred_provinces:
        return 1.0 if college.province in enterprise.preferred_provinces else 0.0
    if college.province and college.province == enterprise.province and college.country == enterprise.country:
        return 1.0
    return 0.5 if college.country == enterprise.country else 0.0
