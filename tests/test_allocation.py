"""matching.allocation against an LP solved independently (scipy's HiGHS), on random small instances."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from matching.allocation import Edge, allocate, top_edges, total_score, usable_edges


@st.composite
def instances(draw: st.DrawFn) -> tuple[dict[int, int], dict[int, int], list[Edge], int | None]:
    gap_ids = draw(st.lists(st.integers(1, 40), min_size=1, max_size=6, unique=True))
    specialty_ids = draw(st.lists(st.integers(100, 140), min_size=1, max_size=6, unique=True))
    gaps = {g: draw(st.integers(0, 60)) for g in gap_ids}
    capacity = {s: draw(st.integers(0, 60)) for s in specialty_ids}
    college_of = {s: draw(st.integers(1000, 1004)) for s in specialty_ids}  # colleges hold several specialties
    pairs = draw(st.lists(st.tuples(st.sampled_from(gap_ids), st.sampled_from(specialty_ids)), max_size=20,
                          unique=True))
    # Scores on a 10**-3 grid are exact after scaling, so the optimum must match to float precision.
    edges = [Edge(g, s, college_of[s], draw(st.integers(0, 1000)) / 1000) for g, s in pairs]
    cap = draw(st.none() | st.integers(1, 4))
    return gaps, capacity, edges, cap


def lp_optimum(gaps: dict[int, int], capacity: dict[int, int], edges: list[Edge]) -> float:
    """max Σ score·x  s.t.  Σ_s x[g,s] ≤ headcount[g],  Σ_g x[g,s] ≤ capacity[s],  x ≥ 0."""
    if not edges:
        return 0.0
    rows: list[np.ndarray] = []
    bounds: list[float] = []
    for g, h in gaps.items():
        rows.append(np.array([1.0 if e.gap_id == g else 0.0 for e in edges]))
        bounds.append(h)
    for s, c in capacity.items():
        rows.append(np.array([1.0 if e.specialty_id == s else 0.0 for e in edges]))
        bounds.append(c)
    result = linprog(c=[-e.score for e in edges], A_ub=np.vstack(rows), b_ub=bounds, bounds=(0, None),
                     method="highs")
    assert result.status == 0, result.message
    return float(-result.fun)


@settings(max_examples=300, deadline=None)
@given(instances())
def test_allocation_is_feasible_and_optimal(instance: tuple[dict[int, int], dict[int, int], list[Edge], int | None]
                                            ) -> None:
    gaps, capacity, edges, cap = instance
    result = allocate(gaps, capacity, edges, cap)
    kept = usable_edges(gaps, capacity, edges, cap)
    given_pairs = {(e.gap_id, e.specialty_id) for e in kept}
    assert set(result) <= given_pairs  # only given edges, and only those the pre-filter kept
    assert all(isinstance(h, int) and h > 0 for h in result.values())
    for g, h in gaps.items():
        assert sum(v for (gap, _), v in result.items() if gap == g) <= h
    for s, c in capacity.items():
        assert sum(v for (_, spec), v in result.items() if spec == s) <= c
    for g in gaps:
        colleges = {e.college_id for e in kept if e.gap_id == g}
        assert cap is None or len(colleges) <= cap
    assert abs(total_score(result, kept) - lp_optimum(gaps, capacity, kept)) < 1e-6


def test_pre_filter_keeps_each_gaps_best_colleges_ties_by_id() -> None:
    edges = [Edge(1, 10, 100, 0.5), Edge(1, 11, 101, 0.9), Edge(1, 12, 102, 0.5), Edge(1, 13, 100, 0.2),
             Edge(2, 10, 100, 0.1)]
    kept = top_edges(edges, 2)
    # college 101 (0.9), then 100 and 102 tie at 0.5: the lower id wins; all of college 100's edges stay
    assert {(e.gap_id, e.college_id) for e in kept} == {(1, 101), (1, 100), (2, 100)}
    assert [e.specialty_id for e in kept if e.gap_id == 1] == [10, 11, 13]


def test_a_full_college_leaves_its_place_to_the_next_best() -> None:
    edges = [Edge(1, 10, 100, 0.9), Edge(1, 11, 101, 0.8), Edge(1, 12, 102, 0.7)]
    assert allocate({1: 5}, {10: 0, 11: 2, 12: 9}, edges, 2) == {(1, 11): 2, (1, 12): 3}


def test_capacity_goes_where_it_adds_most_not_to_the_first_comer() -> None:
    # Greedy by score would give gap 1 all of specialty 10 (0.9) and leave gap 2 with nothing.
    gaps = {1: 10, 2: 5}
    capacity = {10: 8, 11: 4}
    edges = [Edge(1, 10, 100, 0.9), Edge(1, 11, 101, 0.5), Edge(2, 10, 100, 0.8)]
    assert allocate(gaps, capacity, edges) == {(1, 10): 6, (1, 11): 4, (2, 10): 2}


def test_same_input_in_any_order_gives_the_same_allocation() -> None:
    rng = np.random.default_rng(5)
    gaps = {g: int(rng.integers(1, 50)) for g in range(1, 40)}
    capacity = {s: int(rng.integers(0, 40)) for s in range(100, 130)}
    # Equal scores everywhere: many optima, so only a deterministic construction picks the same one.
    edges = [Edge(g, s, s // 3, 0.5) for g in gaps for s in capacity if rng.random() < 0.3]
    first = allocate(gaps, capacity, edges, 3)
    for _ in range(3):
        order = rng.permutation(len(edges))
        shuffled_gaps = dict(sorted(gaps.items(), key=lambda _: rng.random()))
        assert allocate(shuffled_gaps, capacity, [edges[i] for i in order], 3) == first


def test_nothing_to_allocate() -> None:
    assert allocate({}, {10: 5}, []) == {}
    assert allocate({1: 5}, {10: 0}, [Edge(1, 10, 100, 0.9)]) == {}
    assert allocate({1: 5}, {}, [Edge(1, 10, 100, 0.9)]) == {}  # a specialty without capacity given has none
    assert allocate({1: 5}, {10: 9}, [Edge(2, 10, 100, 0.9)]) == {}  # an edge to an unknown gap
