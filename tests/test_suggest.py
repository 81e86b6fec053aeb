"""matching.suggest on the whole sample: the fast path equals brute force, filters hold, explanations check out.

The sample is imported (and embedded) once per test run: the first xdist worker to get here builds
the database, the others copy it.
"""

import dataclasses
import math
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import matching.suggest as suggest_module
from embeddings.encoder import Encoder
from embeddings.index import configure_threads
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.embedding import Embedder
from matching.errors import InvalidInput
from matching.geography import haversine_km
from matching.live import LiveIndex
from matching.models import College, Enterprise
from matching.pool import Pool, mode_bits
from matching.prepare import prepare
from matching.profiles import create, delete
from matching.ranking import AGREEMENT, FEATURES, RankingSettings, Weights, mode_overlaps
from matching.reference import Reference
from matching.results import SuggestionPublic, SuggestionsPublic
from matching.schemas import CollegeCreate, EnterpriseCreate
from matching.sides import COLLEGES, ENTERPRISES, SIDES, SideSpec
from matching.suggest import (
    PLACE_K,
    MatchFilter,
    allowed_unit_ids,
    code_candidates,
    place_candidates,
    profile_query,
    retrieve_and_score,
    suggest,
    text_query,
)
from matching.vocab import Side
from tests.sampledb import sample_copy, shared_file

CONFIG = RankingSettings()
BRUTE = 10**9  # exact_scan_max: score every candidate
FAST = 0  # exact_scan_max: always retrieve from FAISS and deepen
ASKERS = 15  # per side
BORDER = 1e-6  # a similarity this close to min_similarity may fall either way

FILTERS = [
    MatchFilter(),
    MatchFilter(province="Xinjiang"),
    MatchFilter(country="KZ"),
    MatchFilter(mode="joint_research"),
    MatchFilter(min_capacity=100),
    MatchFilter(max_distance_km=600),
    MatchFilter(country="CN", province="Xinjiang", mode="internship", min_capacity=40),
    # selective; min_capacity 100 (120 with MiniLM): USE finds fewer loosely related pairs, and at 120 no asker
    # of the sample filled a page, which the filter test needs to put the filter to work
    MatchFilter(province="Xinjiang", mode="teacher_training", min_capacity=100, max_distance_km=1500),
]


# --- the sample, imported once (tests/sampledb.py) ----------------------------------------------------


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory, reference: Reference, encoder: Encoder) -> Path:
    """A private copy of a SQLite database holding the whole sample, embedded."""
    return sample_copy(tmp_path_factory, reference, encoder, "suggest")


@dataclass
class Unit:
    id: int
    profile_id: int
    name: str
    amount: int
    vector: np.ndarray
    codes: frozenset[str] = frozenset()  # its own catalogue codes (stated, not inferred)


@dataclass
class ProfileRow:
    id: int
    country: str
    province: str | None
    lat: float | None
    lon: float | None
    modes: set[str]
    units: list[Unit]
    preferred: set[str] = field(default_factory=set)  # enterprises' preferred provinces


@dataclass
class World:
    session: Session
    live: LiveIndex
    reference: Reference
    # read straight from the database, independently of the pools
    colleges: dict[int, ProfileRow]
    enterprises: dict[int, ProfileRow]

    def rows(self, spec: SideSpec) -> dict[int, ProfileRow]:
        return self.colleges if spec is COLLEGES else self.enterprises

    def pool(self, spec: SideSpec) -> Pool:
        return self.live.fresh_pool(self.session, spec)

    def ask(self, asker: SideSpec, profile_id: int, where: MatchFilter = MatchFilter(), limit: int = 10,
            offset: int = 0, exact_scan_max: int = FAST, config: RankingSettings = CONFIG) -> SuggestionsPublic:
        other = COLLEGES if asker is ENTERPRISES else ENTERPRISES
        query = profile_query(self.pool(asker), profile_id, is_enterprise=asker is ENTERPRISES)
        return suggest(self.pool(other), query, where, limit, offset, config, exact_scan_max, asker_label=asker.label,
                       gap_stats=self.pool(ENTERPRISES).stats)  # as the service asks


def _read_rows(session: Session) -> tuple[dict[int, ProfileRow], dict[int, ProfileRow]]:
    def vector(blob: bytes | None) -> np.ndarray:
        assert blob is not None
        return np.frombuffer(blob, dtype=np.float32)

    colleges = {
        c.id: ProfileRow(c.id, c.country, c.province, c.lat, c.lon, set(c.cooperation_modes),
                         [Unit(s.id, c.id, s.name, s.annual_graduates, vector(s.embedding),
                               frozenset([s.code] if s.code else [])) for s in c.specialties])
        for c in session.scalars(select(College))
    }
    enterprises = {
        e.id: ProfileRow(e.id, e.country, e.province, e.lat, e.lon, set(e.cooperation_modes),
                         [Unit(g.id, e.id, g.field, g.headcount, vector(g.embedding), frozenset(g.codes or []))
                          for g in e.talent_gaps],
                         set(e.preferred_provinces))
        for e in session.scalars(select(Enterprise))
    }
    session.expunge_all()
    return colleges, enterprises


@pytest.fixture(scope="module")
def world(sample_db: Path, reference: Reference, encoder: Encoder) -> Iterator[World]:
    configure_threads(1)  # as the service does: BLAS threads only slow small products down
    engine = make_engine(f"sqlite:///{sample_db}")
    with make_sessionmaker(engine)() as session:
        live = LiveIndex(Embedder(encoder, reference.catalogue), None)
        live.load(session)
        colleges, enterprises = _read_rows(session)
        assert len(colleges) == 220 and len(enterprises) == 440
        yield World(session, live, reference, colleges, enterprises)
    engine.dispose()


def askers(world: World, spec: SideSpec) -> list[int]:
    """Spread over the ids, plus a few in Xinjiang, where the selective filter has candidates."""
    rows = world.rows(spec)
    ids = sorted(rows)
    xinjiang = [i for i in ids if rows[i].province == "Xinjiang"][:4]
    spread = [i for i in ids[::len(ids) // ASKERS] if i not in xinjiang]
    return sorted(spread[:ASKERS - len(xinjiang)] + xinjiang)


def usable_filters(world: World, asker_spec: SideSpec, asker_id: int) -> list[MatchFilter]:
    asker = world.rows(asker_spec)[asker_id]
    located = asker.lat is not None and asker.lon is not None
    return [f for f in FILTERS if located or f.max_distance_km is None]


@dataclass
class Run:
    """One asker under one filter: the exact long list and the fast path's pages."""

    side: str  # the asker's
    asker_id: int
    filter_no: int
    brute: SuggestionsPublic  # exact_scan_max=BRUTE, limit=LONG
    pages: dict[tuple[int, int], SuggestionsPublic]  # exact_scan_max=FAST, by (limit, offset)

    @property
    def asker(self) -> SideSpec:
        return SIDES[Side(self.side)]

    @property
    def where(self) -> MatchFilter:
        return FILTERS[self.filter_no]


LONG = 40
PAGES = ((10, 0), (10, 10), (5, 3), (20, 20))  # need 40 at most: FAISS retrieval deepens past FIRST_K


@pytest.fixture(scope="module")
def runs(world: World, tmp_path_factory: pytest.TempPathFactory) -> list[Run]:
    """Every asker under every filter, computed once per test run (the sample database is the same)."""

    def build(path: Path) -> None:
        out = []
        for asker in (ENTERPRISES, COLLEGES):
            for asker_id in askers(world, asker):
                for where in usable_filters(world, asker, asker_id):
                    brute = world.ask(asker, asker_id, where, limit=LONG, exact_scan_max=BRUTE)
                    pages = {(limit, offset): world.ask(asker, asker_id, where, limit=limit, offset=offset,
                                                        exact_scan_max=FAST) for limit, offset in PAGES}
                    out.append(Run(str(asker.side), asker_id, FILTERS.index(where), brute, pages))
        path.write_bytes(pickle.dumps(out))

    loaded: list[Run] = pickle.loads(shared_file(tmp_path_factory, "suggest-runs.pickle", build).read_bytes())
    return loaded


# --- independent brute force -------------------------------------------------------------------------------


def passes(asker: ProfileRow, candidate: ProfileRow, where: MatchFilter) -> bool:
    if where.country and candidate.country != where.country:
        return False
    if where.province and candidate.province != where.province:
        return False
    if where.mode and where.mode not in candidate.modes:
        return False
    if where.max_distance_km is not None:
        if candidate.lat is None or candidate.lon is None:
            return False
        assert asker.lat is not None and asker.lon is not None
        if haversine_km(asker.lat, asker.lon, candidate.lat, candidate.lon) > where.max_distance_km:
            return False
    return True


def usable_units(candidate: ProfileRow, where: MatchFilter) -> list[Unit]:
    return [u for u in candidate.units if u.amount >= (where.min_capacity or 0)]


def expected_candidates(world: World, asker_spec: SideSpec, asker_id: int, where: MatchFilter,
                        threshold: float = CONFIG.min_similarity) -> tuple[set[int], set[int]]:
    """Candidates passing the filter with a relevant unit pair: (surely listed, maybe listed). A pair
    is relevant at or above min_similarity, or when both units state one same catalogue code."""
    asker = world.rows(asker_spec)[asker_id]
    other = world.enterprises if asker_spec is COLLEGES else world.colleges
    mine = np.stack([u.vector for u in asker.units]).astype(np.float64)
    sure, border = set(), set()
    for candidate in other.values():
        units = usable_units(candidate, where)
        if not units or not passes(asker, candidate, where):
            continue
        best = float((mine @ np.stack([u.vector for u in units]).astype(np.float64).T).max())
        if best >= threshold + BORDER or any(a.codes & b.codes for a in asker.units for b in units):
            sure.add(candidate.id)
        elif best > threshold - BORDER:
            border.add(candidate.id)
    return sure, border


def sides() -> list[Any]:
    return [pytest.param(ENTERPRISES, id="enterprises"), pytest.param(COLLEGES, id="colleges")]


def close(a: Any, b: Any, key: str = "") -> bool:
    """Equal, floats within float32 noise: similarities are products of float32 vectors, and BLAS
    may sum them in another order for another number of candidates (a few ulp)."""
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= (1.01e-4 if key == "similarity" else 1e-6)  # similarity is rounded to 4 places
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], k) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, key) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def assert_same_pages(got: SuggestionsPublic, want: list[SuggestionPublic], context: Any) -> None:
    """Same candidates in the same order with the same ranks, scores and explanations.

    Two candidates may only swap when their scores tie (within float32 noise)."""
    assert [s.rank for s in got.data] == [s.rank for s in want], context
    for position, (g, w) in enumerate(zip(got.data, want, strict=True)):
        if g.id != w.id:
            assert abs(g.score - w.score) <= 1e-6, (context, position, g.id, w.id)
            continue
        assert close(g.model_dump(), w.model_dump()), (context, position, g.model_dump(), w.model_dump())


# --- (a) the fast path equals brute force ----------------------------------------------------------------------


def test_fast_path_pages_equal_the_exact_list(world: World, runs: list[Run]) -> None:
    deep = 0
    for run in runs:
        for (limit, offset), page in run.pages.items():
            context = (run.side, run.asker_id, run.where, limit, offset)
            assert (page.offset, page.limit, page.count) == (offset, limit, len(page.data)), context
            assert_same_pages(page, run.brute.data[offset:offset + limit], context)
            assert [s.rank for s in page.data] == list(range(offset + 1, offset + 1 + len(page.data))), context
            if not page.data:
                assert page.reason, context
        deep += len(run.brute.data) == LONG
    assert len(runs) >= 2 * ASKERS * (len(FILTERS) - 2)
    assert deep >= ASKERS  # many lists go past the first retrieval


# With a low threshold nearly every candidate is relevant, so retrieval cannot stop at "the k-th
# similarity is below min_similarity" and must deepen until the score bound says the page is complete;
# other weights move that bound.
LOW = RankingSettings(min_similarity=0.1)
SEMANTIC_HEAVY = RankingSettings(min_similarity=0.2, weights=Weights(semantic=1.0, catalogue=0.1, capacity=0.1,
                                                                     distance=0.0, modes=0.0, provinces=0.0,
                                                                     reciprocity=0.2))
# With a high one, most listed candidates are listed for a pair of the same stated code alone: retrieval
# must not stop at "the k-th similarity is below min_similarity" while such a unit is unseen.
HIGH = RankingSettings(min_similarity=0.9)


@pytest.mark.parametrize("config", [pytest.param(CONFIG, id="default"), pytest.param(LOW, id="low-threshold"),
                                    pytest.param(SEMANTIC_HEAVY, id="semantic-heavy"),
                                    pytest.param(HIGH, id="high-threshold")])
@pytest.mark.parametrize("asker", sides())
def test_fast_path_equals_brute_force_page_by_page(world: World, asker: SideSpec, config: RankingSettings) -> None:
    """The same call with exact_scan_max=0 and 10**9, including pages far past every deepening step."""
    chosen = askers(world, asker)
    for asker_id in chosen[::5]:
        for where in (FILTERS[0], FILTERS[3], FILTERS[4]):
            for limit, offset in ((10, 0), (10, 10), (5, 40), (40, 60), (20, 400)):
                fast = world.ask(asker, asker_id, where, limit, offset, FAST, config)
                exact = world.ask(asker, asker_id, where, limit, offset, BRUTE, config)
                assert_same_pages(fast, exact.data, (asker_id, where, limit, offset))
                assert (fast.count, fast.reason) == (exact.count, exact.reason)


def test_text_search_fast_path_equals_brute_force(world: World) -> None:
    texts = ["dyeing technicians", "CNC machining operators", "nursing care for the elderly", "电子商务"]
    vectors = world.live.embedder.encode_texts(texts)
    for text, vector in zip(texts, vectors, strict=True):
        for spec, is_enterprise in ((COLLEGES, True), (ENTERPRISES, False)):
            for where in (MatchFilter(), MatchFilter(province="Xinjiang"), MatchFilter(min_capacity=30)):
                query = text_query(vector, text, 20, is_enterprise, (43.8, 87.6), frozenset({"internship"}))
                fast, exact = (suggest(world.pool(spec), query, where, 10, 5, CONFIG, scan,
                                                gap_stats=world.pool(ENTERPRISES).stats) for scan in (FAST, BRUTE))
                assert_same_pages(fast, exact.data, (text, spec.side, where))
                assert fast.data or fast.reason


# --- (b) filters are applied ------------------------------------------------------------------------------------


def test_every_suggestion_passes_the_filter_and_pages_are_full(world: World, runs: list[Run]) -> None:
    full_selective_pages = 0
    for run in runs:
        me = world.rows(run.asker)[run.asker_id]
        other_rows = world.enterprises if run.asker is COLLEGES else world.colleges
        where = run.where
        context = (run.side, run.asker_id, where)
        for result in (run.brute, *run.pages.values()):
            for s in result.data:
                assert passes(me, other_rows[s.id], where), (*context, s.id)
                if where.max_distance_km is not None:
                    assert s.distance_km is not None and s.distance_km <= where.max_distance_km + 0.05
                assert all(p.candidate_unit.amount >= (where.min_capacity or 0) for p in s.matched), context
        # whatever is listed passes the filter and has a unit pair at or above min_similarity
        sure, border = expected_candidates(world, run.asker, run.asker_id, where)
        assert {s.id for s in run.brute.data} <= sure | border, context
        # a page is full whenever enough candidates are listed at all
        first = run.pages[(10, 0)]
        assert first.count == min(10, len(run.brute.data)), context
        if where is FILTERS[-1] and first.count == 10:
            full_selective_pages += 1
    assert full_selective_pages >= 1  # the selective filter was put to work


@pytest.mark.parametrize("asker", sides())
def test_a_pair_of_the_same_stated_code_is_a_match_below_the_threshold(world: World, asker: SideSpec) -> None:
    """At min_similarity 0.9 nearly no pair is similar enough: those listed are the candidates with a unit
    of a code the asker's unit states, each with that pair relevant, and with every pair below 0.9 and of
    different codes not relevant; the fast path lists the same."""
    coded = 0
    for asker_id in askers(world, asker):
        sure, border = expected_candidates(world, asker, asker_id, FILTERS[0], HIGH.min_similarity)
        exact = world.ask(asker, asker_id, limit=LONG, exact_scan_max=BRUTE, config=HIGH)
        fast = world.ask(asker, asker_id, limit=LONG, exact_scan_max=FAST, config=HIGH)
        got = {s.id for s in exact.data}
        assert got <= sure | border and (sure <= got or len(got) == LONG), asker_id
        assert_same_pages(fast, exact.data, asker_id)
        for s in exact.data:
            for pair in s.matched:
                same = bool(set(pair.query_unit.codes) & set(pair.candidate_unit.codes))
                assert pair.relevant == (same or pair.similarity >= HIGH.min_similarity), (asker_id, pair)
                coded += same and pair.similarity < HIGH.min_similarity
    assert coded >= 10  # the rule was put to work


def test_listed_candidates_are_those_with_a_pair_at_or_above_min_similarity(world: World, runs: list[Run]) -> None:
    """Against an independent count: profiles passing the filter that have a unit pair >= min_similarity."""
    for run in runs:
        context = (run.side, run.asker_id, run.where)
        sure, border = expected_candidates(world, run.asker, run.asker_id, run.where)
        got = {s.id for s in run.brute.data}
        if len(sure | border) <= LONG:
            assert sure <= got <= sure | border, (*context, sure - got)
        else:
            assert len(got) == LONG, (*context, len(got))
        first = run.pages[(10, 0)]
        assert min(10, len(sure)) <= first.count <= min(10, len(sure | border)), context
        if not sure | border:
            assert first.reason and run.brute.reason, context


def test_any_province_spelling_filters_alike_and_unknown_places_are_invalid(world: World) -> None:
    enterprise = askers(world, ENTERPRISES)[0]
    canonical = world.ask(ENTERPRISES, enterprise, MatchFilter(province="Xinjiang"), limit=30)
    assert canonical.data
    for spelling in ("新疆", "xinjiang uygur autonomous region", "新疆维吾尔自治区"):
        assert world.ask(ENTERPRISES, enterprise, MatchFilter(province=spelling), limit=30) == canonical
    for where in (MatchFilter(country="Narnia"), MatchFilter(country="KZ", province="Xinjiang"),
                  MatchFilter(country="CN", province="Atlantis")):
        with pytest.raises(InvalidInput):
            world.ask(ENTERPRISES, enterprise, where)


# --- (c) explanations ---------------------------------------------------------------------------------------------


def check_suggestion(world: World, asker: SideSpec, asker_id: int, s: SuggestionPublic, where: MatchFilter) -> None:
    """Against the database: whose units the pairs name, their similarities, the score's arithmetic.

    Pairs are oriented from the talent gaps: each gap (the asker's, or the candidate's usable ones)
    with one specialty of the other side.
    """
    me = world.rows(asker)[asker_id]
    them = (world.enterprises if asker is COLLEGES else world.colleges)[s.id]
    mine = {u.id: u for u in me.units}
    theirs = {u.id: u for u in usable_units(them, where)}
    gaps = mine if asker is ENTERPRISES else theirs
    for pair in s.matched:
        assert pair.query_unit.id in mine, f"{pair.query_unit} is not a unit of {asker.label} {asker_id}"
        assert pair.candidate_unit.id in theirs, f"{pair.candidate_unit} is not a usable unit of {s.id}"
        q, c = mine[pair.query_unit.id], theirs[pair.candidate_unit.id]
        assert (pair.query_unit.name, pair.query_unit.amount) == (q.name, q.amount)
        assert (pair.candidate_unit.name, pair.candidate_unit.amount) == (c.name, c.amount)
        cosine = float(q.vector.astype(np.float64) @ c.vector.astype(np.float64))
        # similarity is reported rounded to 4 decimals (matching/explain.py)
        assert abs(pair.similarity - max(cosine, 0.0)) <= 5e-5 + 1e-6
        assert pair.relevant == (cosine >= CONFIG.min_similarity) or abs(cosine - CONFIG.min_similarity) < BORDER
    paired_gaps = sorted(p.query_unit.id if asker is ENTERPRISES else p.candidate_unit.id for p in s.matched)
    assert paired_gaps == sorted(gaps)  # every gap once
    # Catalogue and keywords recomputed the slow way (code strings, keyword sets) against the
    # vectorised scoring: headcount-weighted agreement of the relevant pairs, IDF overlap per pair.
    gap_pool, specialty_pool = world.live.pool(ENTERPRISES), world.live.pool(COLLEGES)
    by_gap = [(p.query_unit, p.candidate_unit) if asker is ENTERPRISES else (p.candidate_unit, p.query_unit)
              for p in s.matched]
    heads = [max(gap.amount, 1) for gap, _ in by_gap]
    agreement = [AGREEMENT[p.code_agreement] if p.relevant else 0.0 for p in s.matched]
    want = math.fsum(h * a for h, a in zip(heads, agreement, strict=True)) / math.fsum(heads)
    assert math.isclose(s.components["catalogue"].value, want, abs_tol=1e-9)
    for pair, (gap, specialty) in zip(s.matched, by_gap, strict=True):
        words = gap_pool.units[gap.id].words, specialty_pool.units[specialty.id].words
        assert abs(pair.keyword_overlap - gap_pool.stats.overlap(*words)) <= 5e-5 + 1e-9
    assert any(p.relevant for p in s.matched)

    weights = [c.weight for c in s.components.values()]
    assert set(s.components) == set(FEATURES)
    assert math.isclose(math.fsum(weights), 1.0, abs_tol=1e-12)
    for component in s.components.values():
        assert component.contribution == component.value * component.weight
        assert 0.0 <= component.value <= 1.0 + 1e-12
    assert abs(math.fsum(c.contribution for c in s.components.values()) - s.score) <= 1e-9
    assert 0.0 <= s.score <= 1.0
    if me.lat is not None and me.lon is not None and them.lat is not None and them.lon is not None:
        km = haversine_km(me.lat, me.lon, them.lat, them.lon)
        assert s.distance_km is not None and abs(s.distance_km - km) <= 0.05 + 1e-6
        assert math.isclose(s.components["distance"].value, 1 / (1 + km / CONFIG.distance_scale_km), rel_tol=1e-9)
    else:
        assert s.distance_km is None and s.components["distance"].value == 0.5
    # Modes and provinces from the database rows (scoring reads them from the pool's columns).
    if me.modes and them.modes:
        assert s.components["modes"].value == len(me.modes & them.modes) / len(me.modes)
    else:
        assert s.components["modes"].value == 0.5
    enterprise, college = (me, them) if asker is ENTERPRISES else (them, me)
    if enterprise.preferred:
        province = float(college.province in enterprise.preferred)
    elif college.province and (college.province, college.country) == (enterprise.province, enterprise.country):
        province = 1.0
    else:
        province = 0.5 if college.country == enterprise.country else 0.0
    assert s.components["provinces"].value == province

    assert s.reasons and all(r.strip() for r in s.reasons)
    first = s.matched[0]  # pairs come relevant first, most similar first
    # One reason per specialty, the best pair's first; tests/test_explanations.py checks its figures.
    assert first.relevant and first.candidate_unit.name in s.reasons[0]
    if asker is ENTERPRISES:
        assert s.reasons[0].startswith(first.candidate_unit.name)
    assert [p.similarity for p in s.matched if p.relevant] == sorted(
        (p.similarity for p in s.matched if p.relevant), reverse=True)


def test_explanations_check_out(world: World, runs: list[Run]) -> None:
    checked = 0
    for run in runs:
        for result in (run.brute, run.pages[(20, 20)]):
            assert [s.rank for s in result.data] == list(range(result.offset + 1, result.offset + 1 + len(result.data)))
            scores = [s.score for s in result.data]
            assert scores == sorted(scores, reverse=True)
            assert len({s.id for s in result.data}) == len(result.data)
        if run.filter_no in (0, 4, 6):
            for s in run.brute.data[:15]:
                check_suggestion(world, run.asker, run.asker_id, s, run.where)
                checked += 1
    assert checked >= 300


def test_a_view_of_fewer_profiles_than_the_index_holds_equals_brute_force(world: World) -> None:
    """Match lists look through a pool restricted to some colleges (matching/lists/candidates.py):
    retrieval must then search only their units, as for any filter."""
    pool = world.pool(COLLEGES)
    subset = sorted(pool.profiles)[::3]
    view = dataclasses.replace(pool, profiles={i: pool.profiles[i] for i in subset})
    view.invalidate()
    gap_stats = world.pool(ENTERPRISES).stats
    for asker_id in askers(world, ENTERPRISES)[:8]:
        query = profile_query(world.pool(ENTERPRISES), asker_id, is_enterprise=True)
        fast, exact = (suggest(view, query, MatchFilter(), 10, 0, CONFIG, scan, gap_stats=gap_stats)
                       for scan in (FAST, BRUTE))
        assert_same_pages(fast, exact.data, asker_id)
        assert all(s.id in set(subset) for s in fast.data)


def test_keyword_retrieval_sees_units_written_after_its_postings_were_built(
        tmp_path_factory: pytest.TempPathFactory, reference: Reference, encoder: Encoder) -> None:
    """A unit written after keyword postings were built is still fetched by its words (the fast
    path must not miss it), and the fast path still equals scoring everyone. On a private copy:
    the shared world stays as the database rows read for it."""
    engine = make_engine(f"sqlite:///{sample_copy(tmp_path_factory, reference, encoder, 'postings')}")
    with make_sessionmaker(engine)() as session:
        live = LiveIndex(Embedder(encoder, reference.catalogue), None)
        live.load(session)
        mine = World(session, live, reference, {}, {})
        mine.ask(ENTERPRISES, 1, exact_scan_max=FAST)  # builds the postings
        college = CollegeCreate.model_validate({
            "name": "Quillwort Carding Institute", "country": "CN", "province": "Xinjiang", "city": "Korla",
            "specialties": [{"name": "Quillwort carding and worsted spinning", "annual_graduates": 60,
                             "description": "Quillwort carding frames, worsted spinning, textile fibre testing"}]})
        made = create(session, COLLEGES, prepare(COLLEGES, college, reference), live)
        gap = EnterpriseCreate.model_validate({
            "name": "Quillwort Worsted Mill", "country": "CN", "province": "Xinjiang", "city": "Korla",
            "talent_gaps": [{"field": "Quillwort carding operators", "headcount": 12,
                             "description": "Run quillwort carding frames in our worsted spinning line"}]})
        mill = create(session, ENTERPRISES, prepare(ENTERPRISES, gap, reference), live)
        fast = mine.ask(ENTERPRISES, mill.id, limit=10, exact_scan_max=FAST)
        brute = mine.ask(ENTERPRISES, mill.id, limit=10, exact_scan_max=BRUTE)
        assert_same_pages(fast, brute.data, mill.id)
        ours = [s for s in fast.data if s.id == made.id]
        assert ours and "quillwort" in ours[0].matched[0].shared_keywords
    engine.dispose()


# --- (c2) retrieval by place, for approximate indexes ---------------------------------------------------------


def units_of_provinces(rows: dict[int, ProfileRow], provinces: set[str]) -> set[int]:
    return {u.id for r in rows.values() if r.province in provinces for u in r.units}


def test_units_in_are_the_units_of_the_profiles_in_those_provinces(world: World) -> None:
    pool = world.pool(COLLEGES)
    for provinces in ({"Xinjiang"}, {"Xinjiang", "Gansu", "Shaanxi"}, {"Nowhere Province"}, set()):
        got = pool.units_in(provinces)
        assert len(got) == len(set(got.tolist()))
        assert set(got.tolist()) == units_of_provinces(world.colleges, provinces), provinces
    assert len(units_of_provinces(world.colleges, {"Xinjiang"})) > 0


def test_units_in_follows_writes(tmp_path_factory: pytest.TempPathFactory, reference: Reference,
                                 encoder: Encoder) -> None:
    """The per-province lists are cached; a created or deleted profile shows at once."""
    engine = make_engine(f"sqlite:///{sample_copy(tmp_path_factory, reference, encoder, 'places')}")
    with make_sessionmaker(engine)() as session:
        live = LiveIndex(Embedder(encoder, reference.catalogue), None)
        live.load(session)
        pool = live.fresh_pool(session, COLLEGES)
        before = set(pool.units_in({"Xinjiang"}).tolist())
        body = CollegeCreate.model_validate({
            "name": "Bosten Lake Polytechnic", "country": "CN", "province": "Xinjiang", "city": "Korla",
            "specialties": [{"name": "Chemical process operation", "annual_graduates": 80}]})
        made = create(session, COLLEGES, prepare(COLLEGES, body, reference), live)
        mine = {u.id for u in COLLEGES.units_of(made)}
        assert set(live.fresh_pool(session, COLLEGES).units_in({"Xinjiang"}).tolist()) == before | mine
        delete(session, COLLEGES, made.id, live)
        assert set(live.fresh_pool(session, COLLEGES).units_in({"Xinjiang"}).tolist()) == before
    engine.dispose()


def test_place_candidates_are_each_gaps_most_similar_units_in_the_enterprises_provinces(world: World) -> None:
    pool, gaps = world.pool(COLLEGES), world.pool(ENTERPRISES)
    k, seen = 5, 0
    vectors = {u.id: u.vector for r in world.colleges.values() for u in r.units}
    for asker_id in sorted(world.enterprises)[::10]:
        row = world.enterprises[asker_id]
        places = row.preferred or ({row.province} if row.province else set())
        query = profile_query(gaps, asker_id, is_enterprise=True)
        got = place_candidates(pool, query, k)
        inside = sorted(units_of_provinces(world.colleges, places))
        assert set(got.tolist()) <= set(inside) and len(got) == len(set(got.tolist()))
        if not inside or not query.units:
            assert len(got) == 0
            continue
        seen += 1
        # Per gap: the k best similarities among the units returned are the k best of all inside
        # (compared as values: equal texts give equal vectors, so ids may tie).
        everything = query.vectors @ np.stack([vectors[u] for u in inside]).T
        returned = query.vectors @ np.stack([vectors[int(u)] for u in got]).T
        for q in range(len(query.units)):
            want = np.sort(everything[q])[::-1][:k]
            np.testing.assert_allclose(np.sort(returned[q])[::-1][:len(want)], want, atol=1e-5)
    assert seen >= 20
    college_query = profile_query(pool, sorted(world.colleges)[0], is_enterprise=False)
    assert len(place_candidates(gaps, college_query, k)) == 0  # enterprises' preferences decide; not a college's


def test_code_candidates_are_each_units_most_similar_units_sharing_its_codes(world: World) -> None:
    pool, gaps = world.pool(COLLEGES), world.pool(ENTERPRISES)
    k, seen = 3, 0
    indexed = pool.everything()[0].tolist()
    vectors = {u.id: u.vector for r in world.colleges.values() for u in r.units}
    allowed = np.zeros(len(pool.owner), dtype=bool)
    allowed[indexed[::2]] = True  # a filter: every other unit
    for asker_id in sorted(world.enterprises)[::5]:
        query = profile_query(gaps, asker_id, is_enterprise=True)
        for mask in (None, allowed):
            got = code_candidates(pool, query, k, mask)
            assert len(got) == len(set(got.tolist()))
            wanted: set[int] = set()
            for q, gap in enumerate(query.units):
                coded = [u for u in indexed if set(pool.units[u].match_codes) & set(gap.match_codes)
                         and (mask is None or mask[u])]
                wanted |= set(coded)
                if not coded:
                    continue
                seen += 1
                # the k best similarities among those returned are the k best of all the gap's coded units
                # (compared as values: equal texts give equal vectors, so ids may tie)
                everything = np.sort(query.vectors[q] @ np.stack([vectors[u] for u in coded]).T)[::-1][:k]
                mine = [u for u in got.tolist() if u in set(coded)]
                returned = np.sort(query.vectors[q] @ np.stack([vectors[u] for u in mine]).T)[::-1][:k]
                np.testing.assert_allclose(returned, everything, atol=1e-5)
            assert set(got.tolist()) <= wanted
            assert len(got) <= k * sum(bool(g.match_codes) for g in query.units)
    assert seen >= 40


def test_an_approximate_index_also_scores_the_colleges_in_the_enterprises_provinces(
        tmp_path_factory: pytest.TempPathFactory, reference: Reference, encoder: Encoder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With a first round of one unit per gap and no keyword retrieval, so that the sample's few
    thousand specialties do not all come back by similarity anyway."""
    monkeypatch.setattr(suggest_module, "FIRST_K", 1)
    config = RankingSettings(weights=Weights(keywords=0))
    engine = make_engine(f"sqlite:///{sample_copy(tmp_path_factory, reference, encoder, 'hnsw')}")
    with make_sessionmaker(engine)() as session:
        live = LiveIndex(Embedder(encoder, reference.catalogue), None, "HNSW32")
        live.load(session)
        pool, gaps = live.fresh_pool(session, COLLEGES), live.fresh_pool(session, ENTERPRISES)
        assert not pool.index.exact
        checked = missed = 0  # missed: colleges in its provinces that similarity alone would not fetch
        for asker_id in sorted(gaps.profiles)[::20]:
            query = profile_query(gaps, asker_id, is_enterprise=True)
            nearby = place_candidates(pool, query, PLACE_K)
            if not len(nearby):
                continue
            allowed = allowed_unit_ids(pool, None, None)
            scored = retrieve_and_score(pool, query, None, allowed, 1, config, FAST, gaps.stats)
            assert set(pool.owner[nearby].tolist()) <= set(scored.profile_ids.tolist()), asker_id
            checked += 1
            missed += len(set(pool.owner[nearby].tolist()) - set(pool.owner[pool.index.search(
                query.vectors, 4, None).ids.ravel()].tolist()))
        assert checked >= 10 and missed >= 10
    engine.dispose()


# --- (d) empty cases -----------------------------------------------------------------------------------------------


def test_enterprise_without_talent_gaps_gets_an_empty_list_with_a_reason(world: World) -> None:
    body = EnterpriseCreate.model_validate({"name": "Gapless Trading Co.", "country": "CN", "province": "Xinjiang",
                                            "city": "Korla", "talent_gaps": []})
    profile = create(world.session, ENTERPRISES, prepare(ENTERPRISES, body, world.reference), world.live)
    for scan in (FAST, BRUTE):
        result = world.ask(ENTERPRISES, profile.id, exact_scan_max=scan)
        assert result.data == [] and result.count == 0
        assert result.reason and "talent gaps" in result.reason


def test_filter_excluding_everything_gives_a_reason(world: World) -> None:
    enterprise = askers(world, ENTERPRISES)[1]
    college = askers(world, COLLEGES)[1]
    for asker, asker_id in ((ENTERPRISES, enterprise), (COLLEGES, college)):
        for where in (MatchFilter(country="FR"), MatchFilter(min_capacity=5000),
                      MatchFilter(country="TM", mode="joint_research", min_capacity=400),
                      MatchFilter(max_distance_km=0.001, province="Tibet")):
            for scan in (FAST, BRUTE):
                result = world.ask(asker, asker_id, where, exact_scan_max=scan)
                assert result.data == [] and result.count == 0, (asker_id, where)
                assert result.reason, where


def test_offset_past_the_end_gives_a_reason(world: World) -> None:
    enterprise = askers(world, ENTERPRISES)[2]
    result = world.ask(ENTERPRISES, enterprise, MatchFilter(province="Xinjiang"), limit=10, offset=5000)
    assert result.data == [] and result.reason


def test_empty_index(tmp_path: Path, reference: Reference, encoder: Encoder) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        live = LiveIndex(Embedder(encoder, reference.catalogue), None)
        live.load(session)
        vector = live.embedder.encode_texts(["dyeing technicians"])[0]
        for spec, is_enterprise in ((COLLEGES, True), (ENTERPRISES, False)):
            query = text_query(vector, "dyeing technicians", 5, is_enterprise, None, frozenset())
            for scan in (FAST, BRUTE):
                result = suggest(live.fresh_pool(session, spec), query, MatchFilter(), 10, 0, CONFIG, scan)
                assert result.data == [] and result.reason and "to match against" in result.reason
        body = EnterpriseCreate.model_validate({"name": "Lonely Dyeing Co.", "country": "CN", "city": "Korla",
                                                "talent_gaps": [{"field": "Dyeing technicians", "headcount": 4}]})
        profile = create(session, ENTERPRISES, prepare(ENTERPRISES, body, reference), live)
        query = profile_query(live.fresh_pool(session, ENTERPRISES), profile.id, is_enterprise=True)
        result = suggest(live.fresh_pool(session, COLLEGES), query, MatchFilter(province="Xinjiang"), 10, 0, CONFIG, FAST)
        assert result.data == [] and result.reason and "specialties" in result.reason
    engine.dispose()


def test_mode_overlap_from_bits_counts_shared_modes_and_treats_none_as_unknown() -> None:
    asked = frozenset({"internship", "order_class"})
    offered = np.array([0, mode_bits({"internship"}), mode_bits({"internship", "order_class", "employment"}),
                        mode_bits({"employment"})])
    assert mode_overlaps(asked, offered).tolist() == [0.5, 0.5, 1.0, 0.0]
    assert mode_overlaps(frozenset(), offered).tolist() == [0.5] * 4
