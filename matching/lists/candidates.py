"""Candidate colleges for every gap in scope, from the ranker: the edges an allocation chooses among.

An enterprise's scored rows (matching.suggest.rank) give, for each college, one matched specialty per
talent gap; a matched pair (at or above min_similarity, or of the same stated code) is a candidate edge
(gap → that specialty) scored with the college's score. Only the colleges an allocation may choose are
rendered as public suggestions, kept as the explanation of any entry made from them: edges never come
back out of HTTP models.
"""

import dataclasses
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matching.allocation import Edge
from matching.explain import suggestion
from matching.history import History
from matching.keywords import KeywordStats
from matching.lists.scope import Demand
from matching.messages import DEFAULT_LANGUAGE, LANGUAGES, Wording
from matching.outcomes.impressions import FeatureRows
from matching.pool import Pool
from matching.ranking import FEATURES, Query, RankingSettings
from matching.suggest import MatchFilter, Ranked, profile_query, rank
from matching.taxonomy import Catalogue

STORED_ELIGIBLE = 20  # candidates kept per gap for the report and for later rounds
STORED_OTHERS = 3  # below min_score, and outside the scope's colleges: near-misses only


@dataclass(frozen=True, slots=True)
class Candidate:
    gap_id: int
    college_id: int
    college_name: str
    college_province: str | None
    specialty_id: int
    specialty_name: str
    score: float
    in_scope: bool

    def stored(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"score": round(self.score, 6)}


@dataclass(frozen=True)
class CandidatePools:
    """The pools candidates are gathered from, with the ranking settings to score them by (a bundle
    of inputs, not a ranker: the scoring itself is `matching.suggest`)."""

    colleges: Pool
    enterprises: Pool
    config: RankingSettings
    exact_scan_max: int
    limit: int  # suggestions asked for per enterprise
    gap_stats: KeywordStats | None = None
    catalogue: Catalogue | None = None  # names coded specialties in the explanations' Chinese reasons
    history: History | None = None  # existing partnerships (matching.history), for the features that read them
    # Told each enterprise's scored candidates as they are gathered, in scope (the service logs them as impressions)
    on_page: Callable[[int, FeatureRows], None] | None = None


@dataclass
class Gathered:
    by_gap: dict[int, list[Candidate]] = field(default_factory=dict)  # best first, ties by college id
    asked: set[int] = field(default_factory=set)  # gaps whose enterprise the ranker was asked about
    # (enterprise id, college id) → the suggestion, for the pairs an allocation may choose
    explanations: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)

    def edges(self, min_score: float, excluded: Collection[tuple[int, int]] = ()) -> list[Edge]:
        """In-scope candidates at or above min_score, less the (gap, specialty) pairs excluded."""
        return [Edge(c.gap_id, c.specialty_id, c.college_id, c.score)
                for cands in self.by_gap.values() for c in cands
                if c.in_scope and c.score >= min_score and (c.gap_id, c.specialty_id) not in excluded]

    def stored(self, gap_id: int, min_score: float) -> list[dict[str, Any]]:
        """What the list keeps of a gap's candidates: the best eligible ones and a few near-misses."""
        cands = self.by_gap.get(gap_id, [])
        eligible = [c for c in cands if c.in_scope and c.score >= min_score][:STORED_ELIGIBLE]
        below = [c for c in cands if c.in_scope and c.score < min_score][:STORED_OTHERS]
        outside = [c for c in cands if not c.in_scope and c.score >= min_score][:STORED_OTHERS]
        return [c.stored() for c in _best_first([*eligible, *below, *outside])]


def gather(pools: CandidatePools, demand: Iterable[Demand], college_ids: frozenset[int] | None, min_score: float,
           excluded: Collection[tuple[int, int]] = (),
           usable: Callable[[list[Edge]], Iterable[Edge]] = lambda edges: edges,
           advance: Callable[[int], None] = lambda n: None) -> Gathered:
    """Candidates for each gap, enterprise by enterprise; `advance(1)` after each (it may raise to stop).

    `usable` picks, from a gap's eligible edges, those an allocation may choose: only their suggestions
    are kept as explanations (keeping all would hold thousands of them in memory for nothing).
    """
    wanted: dict[int, set[int]] = {}
    for d in demand:
        wanted.setdefault(d.enterprise_id, set()).add(d.gap_id)
    gathered = Gathered()
    for enterprise_id in sorted(wanted):
        gaps = wanted[enterprise_id]
        # Writes hold a pool's lock while they change it; hold both for one enterprise's query.
        with pools.colleges.lock, pools.enterprises.lock:
            if enterprise_id in pools.enterprises.profiles:
                in_scope = _subset(pools.colleges, college_ids) if college_ids is not None else pools.colleges
                query = profile_query(pools.enterprises, enterprise_id, is_enterprise=True)
                found = _ask(pools, in_scope, query, pools.limit)
                if pools.on_page is not None:
                    pools.on_page(enterprise_id, found.items())
                cands = _candidates(found, gaps, in_scope=True)
                if college_ids is not None and any(not any(c.score >= min_score for c in cands.get(g, []))
                                                   for g in gaps):
                    # A gap with nothing eligible in scope: were better colleges left out by the scope?
                    outside = _ask(pools, pools.colleges, query, pools.limit)
                    for gap_id, more in _candidates(outside, gaps, in_scope=False, skip=college_ids).items():
                        cands.setdefault(gap_id, []).extend(more)
                eligible = [Edge(c.gap_id, c.specialty_id, c.college_id, c.score) for cs in cands.values()
                            for c in cs if c.in_scope and c.score >= min_score
                            and (c.gap_id, c.specialty_id) not in excluded]
                keep = {e.college_id for e in usable(eligible)}
                for college_id in found.college_ids():
                    if college_id in keep:
                        gathered.explanations[(enterprise_id, college_id)] = found.explanation(pools, college_id)
                gathered.asked.update(gaps)
                for gap_id, cs in cands.items():
                    gathered.by_gap[gap_id] = _best_first(cs)
        advance(1)
    return gathered


def _ask(pools: CandidatePools, pool: Pool, query: Query, limit: int) -> "Asked":
    result = rank(pool, query, MatchFilter(), limit, pools.config, pools.exact_scan_max, asker_label="enterprise",
                  gap_stats=pools.gap_stats, history=pools.history)
    return Asked(pool, result, result.rows(0, limit), pools.config.min_similarity)


@dataclass(frozen=True)
class Asked:
    """An enterprise's best colleges as scored rows (matching.suggest.Ranked), rendered only on demand."""

    pool: Pool
    ranked: Ranked
    rows: list[int]
    min_similarity: float

    def college_ids(self) -> list[int]:
        scored = self.ranked.scored
        return [] if scored is None else [int(scored.profile_ids[i]) for i in self.rows]

    def items(self) -> FeatureRows:
        """The rows as impressions log them: college, rank, score and every feature value as scored (the
        matrix as is: the writer thread makes the rows)."""
        scored = self.ranked.scored
        if scored is None or not self.rows:
            return FeatureRows([], [], [], FEATURES, np.zeros((0, len(FEATURES))))
        rows = np.asarray(self.rows, np.int64)
        return FeatureRows(scored.profile_ids[rows].tolist(), list(range(1, len(rows) + 1)),
                           scored.score[rows].tolist(), FEATURES,
                           np.column_stack([scored.values[f][rows] for f in FEATURES]))

    def explanation(self, ranker: "CandidatePools", college_id: int) -> dict[str, Any]:
        """The public suggestion of one college of these rows, as stored with an entry."""
        scored = self.ranked.scored
        assert scored is not None
        r = self.college_ids().index(college_id)
        stats = ranker.gap_stats or KeywordStats()
        also = [Wording(lang, ranker.catalogue) for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
        return suggestion(self.pool, self.ranked.query, scored, self.rows[r], r + 1, ranker.config, stats,
                          also=also).explanation()


def _candidates(asked: Asked, gaps: set[int], in_scope: bool, skip: Collection[int] = ()) -> dict[int, list[Candidate]]:
    """Each relevant (gap, specialty) pair of the rows is an edge, scored with its college's score."""
    out: dict[int, list[Candidate]] = {}
    scored, query, pool = asked.ranked.scored, asked.ranked.query, asked.pool
    if scored is None:
        return out
    for i in asked.rows:
        college = pool.profiles[int(scored.profile_ids[i])]
        if college.id in skip:
            continue
        for q, unit_id, _, _, matched in scored.pairs(i):
            gap_id = query.units[q].id
            if matched and gap_id in gaps:
                out.setdefault(gap_id, []).append(Candidate(
                    gap_id=gap_id, college_id=college.id, college_name=college.name,
                    college_province=college.province, specialty_id=unit_id, specialty_name=pool.units[unit_id].name,
                    score=float(scored.score[i]), in_scope=in_scope))
    return out


def _best_first(cands: Iterable[Candidate]) -> list[Candidate]:
    return sorted(cands, key=lambda c: (-c.score, c.college_id, c.specialty_id))


def _subset(pool: Pool, college_ids: frozenset[int]) -> Pool:
    """The pool seen through the scope's colleges: the same index, filtered inside the search."""
    view = dataclasses.replace(pool, profiles={i: pool.profiles[i] for i in sorted(college_ids)
                                               if i in pool.profiles})
    view.invalidate()
    return view
