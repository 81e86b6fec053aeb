"""Headcount to specialties: the allocation of most total score that no capacity can hold more than.

Maximise Σ score × headcount over (gap, specialty) edges, subject to each gap's headcount and each
specialty's remaining capacity. That is a transportation problem, solved as a min-cost flow:

    source ─(headcount)→ gap ─(∞, −score)→ specialty ─(capacity)→ sink
                          └───────(headcount, 0)──────────────────↗  bypass: demand may stay unfilled

OR-Tools' SimpleMinCostFlow solves it exactly and fast (network simplex in C++, integer flows by
construction, so no rounding of a fractional LP answer), which is why it is used rather than a
general LP solver. Costs must be integers: scores are scaled by 10**6, so the optimum found is
within 10**-6 per allocated person of the real-valued one.

Each gap first keeps only its `max_colleges_per_gap` best colleges with capacity left (ties by
college id): a cap on colleges per gap would otherwise need integer variables, and a pre-filter
keeps the problem a flow.
Every input is sorted by id before the graph is built, so the same input gives the same answer.
"""

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from ortools.graph.python import min_cost_flow

SCALE = 10**6


class Edge(NamedTuple):
    gap_id: int
    specialty_id: int
    college_id: int
    score: float


class AllocationError(RuntimeError):
    """The solver did not report an optimum: a bug or overflow, never the caller's input."""


def top_edges(edges: Iterable[Edge], max_colleges_per_gap: int | None) -> list[Edge]:
    """Each gap's edges to its best `max_colleges_per_gap` colleges (a college ranks by its best edge).

    Edges repeating a (gap, specialty) pair keep the highest score. The result is sorted by
    (gap, specialty, college).
    """
    best: dict[tuple[int, int], Edge] = {}
    for edge in edges:
        key = (edge.gap_id, edge.specialty_id)
        if key not in best or (-edge.score, edge.college_id) < (-best[key].score, best[key].college_id):
            best[key] = edge
    by_gap: dict[int, list[Edge]] = {}
    for edge in best.values():
        by_gap.setdefault(edge.gap_id, []).append(edge)
    kept: list[Edge] = []
    for gap_edges in by_gap.values():
        if max_colleges_per_gap is not None:
            college_score: dict[int, float] = {}
            for edge in gap_edges:
                college_score[edge.college_id] = max(college_score.get(edge.college_id, edge.score), edge.score)
            ranked = sorted(college_score, key=lambda c: (-college_score[c], c))
            allowed = set(ranked[:max_colleges_per_gap])
            gap_edges = [e for e in gap_edges if e.college_id in allowed]
        kept.extend(gap_edges)
    return sorted(kept, key=lambda e: (e.gap_id, e.specialty_id, e.college_id))


def usable_edges(gaps: Mapping[int, int], capacity: Mapping[int, int], edges: Iterable[Edge],
                 max_colleges_per_gap: int | None = None) -> list[Edge]:
    """The edges an allocation chooses among: to gaps still wanting people and specialties with capacity
    left, each gap's best `max_colleges_per_gap` colleges of those (a full college takes no place)."""
    open_edges = [e for e in edges if gaps.get(e.gap_id, 0) > 0 and capacity.get(e.specialty_id, 0) > 0]
    return top_edges(open_edges, max_colleges_per_gap)


def allocate(gaps: Mapping[int, int], capacity: Mapping[int, int], edges: Iterable[Edge],
             max_colleges_per_gap: int | None = None) -> dict[tuple[int, int], int]:
    """{(gap_id, specialty_id): headcount} of greatest Σ score × headcount over `usable_edges`.

    `gaps`: headcount still wanted per gap; `capacity`: graduates a year still free per specialty
    (a specialty not given has none). Pairs allocated nothing are left out.
    """
    demand = {g: int(h) for g, h in gaps.items() if h > 0}
    free = {s: int(c) for s, c in capacity.items() if c > 0}
    usable = usable_edges(demand, free, edges, max_colleges_per_gap)
    if not usable:
        return {}
    gap_ids = sorted({e.gap_id for e in usable})
    specialty_ids = sorted({e.specialty_id for e in usable})
    source, sink = 0, 1
    gap_node = {g: 2 + i for i, g in enumerate(gap_ids)}
    specialty_node = {s: 2 + len(gap_ids) + i for i, s in enumerate(specialty_ids)}
    total = sum(demand[g] for g in gap_ids)

    flow = min_cost_flow.SimpleMinCostFlow()
    for g in gap_ids:
        flow.add_arc_with_capacity_and_unit_cost(source, gap_node[g], demand[g], 0)
        flow.add_arc_with_capacity_and_unit_cost(gap_node[g], sink, demand[g], 0)  # bypass: left unfilled
    edge_arcs = [
        (e, flow.add_arc_with_capacity_and_unit_cost(gap_node[e.gap_id], specialty_node[e.specialty_id],
                                                       demand[e.gap_id], -round(e.score * SCALE)))
        for e in usable
    ]
    for s in specialty_ids:
        flow.add_arc_with_capacity_and_unit_cost(specialty_node[s], sink, free[s], 0)
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise AllocationError(f"min-cost flow ended with status {status.name}")
    result: dict[tuple[int, int], int] = {}
    for edge, arc in edge_arcs:
        amount = int(flow.flow(arc))
        if amount > 0:
            result[(edge.gap_id, edge.specialty_id)] = amount
    return result


def total_score(allocation: Mapping[tuple[int, int], int], edges: Iterable[Edge]) -> float:
    score = {(e.gap_id, e.specialty_id): e.score for e in edges}
    return sum(score[pair] * headcount for pair, headcount in allocation.items())
