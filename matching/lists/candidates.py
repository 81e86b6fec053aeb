"""Candidate colleges for every gap in scope, from the ranker: the edges an allocation chooses among.

An enterprise's suggestions give, for each college, one matched specialty per talent gap; a pair the
ranker calls relevant is a candidate edge (gap → that specialty) scored with the suggestion's score,
and the suggestion is kept as the explanation of any entry made from it.
"""

import dataclasses
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from matching.allocation import Edge
from matching.keywords import KeywordStats
from matching.lists.scope import Demand
from matching.pool import Pool
from matching.ranking import RankingSettings
from matching.results import SuggestionPublic
from matching.suggest import MatchFilter, profile_query, suggest

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
    # Told each enterprise's suggestions as they are gathered, in scope (the service logs them as impressions)
    on_page: Callable[[int, list[SuggestionPublic]], None] | None = None


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
                    pools.on_page(enterprise_id, found)
                cands = _candidates(found, gaps, in_scope=True)
                if college_ids is not None and any(not any(c.score >= min_score for c in cands.get(g, []))
                                                   for g in gaps):
                    # A gap with nothing eligible in scope: were better colleges left out by the scope?
                    outside = [s for s in _ask(pools, pools.colleges, query, pools.limit)
                               if s.id not in college_ids]
                    for gap_id, more in _candidates(outside, gaps, in_scope=False).items():
                        cands.setdefault(gap_id, []).extend(more)
                eligible = [Edge(c.gap_id, c.specialty_id, c.college_id, c.score) for cs in cands.values()
                            for c in cs if c.in_scope and c.score >= min_score
                            and (c.gap_id, c.specialty_id) not in excluded]
                keep = {e.college_id for e in usable(eligible)}
                for s in found:
                    if s.id in keep:
                        gathered.explanations[(enterprise_id, s.id)] = s.model_dump(mode="json")
                gathered.asked.update(gaps)
                for gap_id, cs in cands.items():
                    gathered.by_gap[gap_id] = _best_first(cs)
        advance(1)
    return gathered


def _ask(pools: CandidatePools, pool: Pool, query: Any, limit: int) -> list[SuggestionPublic]:
    return suggest(pool, query, MatchFilter(), limit, 0, pools.config, pools.exact_scan_max,
                   asker_label="enterprise", gap_stats=pools.gap_stats).data


def _candidates(suggestions: Iterable[SuggestionPublic], gaps: set[int], in_scope: bool) -> dict[int, list[Candidate]]:
    out: dict[int, list[Candidate]] = {}
    for s in suggestions:
        for pair in s.matched:
            if pair.relevant and pair.query_unit.id in gaps:
                out.setdefault(pair.query_unit.id, []).append(Candidate(
                    gap_id=pair.query_unit.id, college_id=s.id, college_name=s.name, college_province=s.province,
                    specialty_id=pair.candidate_unit.id, specialty_name=pair.candidate_unit.name, score=s.score,
                    in_scope=in_scope))
    return out


def _best_first(cands: Iterable[Candidate]) -> list[Candidate]:
    return sorted(cands, key=lambda c: (-c.score, c.college_id, c.specialty_id))


def _subset(pool: Pool, college_ids: frozenset[int]) -> Pool:
    """The pool seen through the scope's colleges: the same index, filtered inside the search."""
    view = dataclasses.replace(pool, profiles={i: pool.profiles[i] for i in sorted(college_ids)
                                               if i in pool.profiles})
    view.invalidate()
    return view
