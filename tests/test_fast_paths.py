"""Every fast path gives exactly what the computation it replaced gives (benchmarks/slow_paths.py).

On the whole sample, seeded: pages of suggestions compared as JSON bytes (results, ranks, scores,
components, matched pairs, reasons in both languages) and their feature matrices value for value,
with the fast paths and again with the slow ones patched back in; and the replaced functions
compared directly on seeded inputs.
"""

import random
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from sqlalchemy.orm import Session

import matching.ranking as ranking_module
import matching.suggest as suggest_module
from benchmarks import slow_paths
from embeddings.encoder import Encoder
from embeddings.index import VectorIndex, configure_threads
from matching.db import make_engine, make_sessionmaker
from matching.embedding import Embedder
from matching.keywords import KeywordStats, Vocabulary
from matching.live import LiveIndex
from matching.messages import ENGLISH, Wording
from matching.pool import Pool, ProfileCard, UnitCard
from matching.prepare import prepare
from matching.profiles import create, delete
from matching.ranking import Query, RankingSettings, Weights
from matching.reference import Reference
from matching.results import SuggestionsPublic
from matching.schemas import CollegeCreate
from matching.sides import COLLEGES, ENTERPRISES, SideSpec
from matching.suggest import MatchFilter, profile_query, suggest, text_query
from matching.word_rows import WordRows, exact_width
from tests.sampledb import sample_copy

FAST, BRUTE = 0, 10**9  # exact_scan_max: retrieve in rounds / score everyone
# A trained ranker's kind of weights: every feature counts, so every reason and component is put to work.
TRAINED = RankingSettings(weights=Weights(semantic=0.3, keywords=0.2, catalogue=0.1, capacity=0.05, distance=0.05,
                                          modes=0.02, provinces=0.03, reciprocity=0.05, lexical=0.1,
                                          name_mention=0.03, same_city=0.02, same_province=0.02, kind_level=0.02,
                                          collaborative=0.005, partnered=0.005))
CONFIGS = [RankingSettings(), RankingSettings(min_similarity=0.9), TRAINED]
FILTERS = [MatchFilter(), MatchFilter(province="Xinjiang"), MatchFilter(min_capacity=60, mode="internship")]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, reference: Reference, encoder: Encoder) -> Iterator[
        tuple[Session, LiveIndex]]:
    configure_threads(1)
    path: Path = sample_copy(tmp_path_factory, reference, encoder, "fast-paths")
    engine = make_engine(f"sqlite:///{path}")
    with make_sessionmaker(engine)() as session:
        index = LiveIndex(Embedder(encoder, reference.catalogue), None)
        index.load(session)
        yield session, index
    engine.dispose()


@contextmanager
def slow(calls: list[str]) -> Iterator[None]:
    """The slow computations in place of the fast ones; each call's name is appended to `calls`."""
    with ExitStack() as stack:
        for module, name, function in slow_paths.PATCHES:
            def counted(*args: Any, _name: str = name, _function: Callable[..., Any] = function) -> Any:
                calls.append(_name)
                return _function(*args)
            stack.enter_context(patch.object(module, name, counted))
        yield


def same_page(calls: list[str], *args: Any, **kwargs: Any) -> SuggestionsPublic:
    """suggest(*args, **kwargs) with the fast paths and with the slow ones: the same page."""
    fast = suggest(*args, **kwargs)
    with slow(calls):
        old = suggest(*args, **kwargs)
    assert fast.model_dump_json() == old.model_dump_json()
    assert fast._features == old._features
    assert [s._reasons_by_language for s in fast.data] == [s._reasons_by_language for s in old.data]
    return fast


def askers(pool: Pool, count: int, seed: int) -> list[int]:
    return sorted(random.Random(seed).sample(sorted(pool.profiles), count))


@pytest.mark.parametrize("asker", [ENTERPRISES, COLLEGES], ids=["enterprises", "colleges"])
def test_profile_pages_equal_the_slow_paths_byte_for_byte(live: tuple[Session, LiveIndex], asker: SideSpec,
                                                          reference: Reference) -> None:
    session, index = live
    other = COLLEGES if asker is ENTERPRISES else ENTERPRISES
    pools = index.fresh_pools(session)
    history = index.history(session)
    chinese = Wording("zh", reference.catalogue)
    calls: list[str] = []
    listed = 0
    for n, asker_id in enumerate(askers(pools[asker.side], 8, seed=12)):
        query = profile_query(pools[asker.side], asker_id, is_enterprise=asker is ENTERPRISES)
        for where in FILTERS:
            for config in CONFIGS:
                for scan, limit, offset in ((FAST, 10, 0), (FAST, 5, 12), (BRUTE, 10, 0)):
                    wording, also = (chinese, (ENGLISH,)) if n % 2 else (ENGLISH, (chinese,))
                    page = same_page(calls, pools[other.side], query, where, limit, offset, config, scan,
                                     asker_label=asker.label, gap_stats=pools[ENTERPRISES.side].stats,
                                     history=history, wording=wording, also=also)
                    listed += page.count
    assert listed >= 500  # pages with something on them were compared
    assert calls  # and the slow paths did run


def test_search_pages_equal_the_slow_paths_byte_for_byte(live: tuple[Session, LiveIndex]) -> None:
    session, index = live
    pools = index.fresh_pools(session)
    texts = ["dyeing technicians", "CNC machining operators for automotive parts", "招聘印染技术员40名，负责染色和后整理工艺",
             "медицинские сестры", "Mechatronics Technology 460301"]
    vectors = index.embedder.encode_texts(texts)
    calls: list[str] = []
    for text, vector in zip(texts, vectors, strict=True):
        for spec, is_enterprise in ((COLLEGES, True), (ENTERPRISES, False)):
            query = text_query(vector, text, 20, is_enterprise, (43.8, 87.6), frozenset({"internship"}),
                               index.embedder.infer_codes(text))
            for config in CONFIGS:
                for scan in (FAST, BRUTE):
                    same_page(calls, pools[spec.side], query, MatchFilter(), 10, 0, config, scan,
                              asker_label="search", gap_stats=pools[ENTERPRISES.side].stats)
    assert calls


@pytest.mark.parametrize("spec", [COLLEGES, ENTERPRISES], ids=["colleges", "enterprises"])
def test_unseen_stated_code_equals_the_scan(live: tuple[Session, LiveIndex], spec: SideSpec) -> None:
    """For seeded sets of seen units, including all of a code's holders but one, and after a write."""
    session, index = live
    pools = index.fresh_pools(session)
    pool = pools[spec.side]
    asker = pools[(ENTERPRISES if spec is COLLEGES else COLLEGES).side]
    rng = np.random.default_rng(5)
    units = pool.everything()[0]
    coded = 0
    for asker_id in askers(asker, 40, seed=3):
        query = profile_query(asker, asker_id, is_enterprise=spec is COLLEGES)
        stated = {c for u in query.units for c in u.codes}
        holders = np.flatnonzero(np.isin(pool.codes, [int(c) for c in stated]).any(axis=1) & (pool.owner >= 0))
        coded += len(holders) > 0
        cases = [units, units[rng.random(len(units)) < 0.5], holders, holders[1:], np.zeros(0, np.int64)]
        for seen in cases:
            assert suggest_module.unseen_stated_code(pool, query, seen) == slow_paths.unseen_stated_code(
                pool, query, seen), (asker_id, len(seen))
        if len(holders):
            assert not suggest_module.unseen_stated_code(pool, query, holders)
            assert suggest_module.unseen_stated_code(pool, query, holders[1:])
    assert coded >= 10


def test_code_holders_follow_writes(tmp_path_factory: pytest.TempPathFactory, reference: Reference,
                                    encoder: Encoder) -> None:
    """The code → holders index is cached; a created or deleted profile's units show in it at once."""
    engine = make_engine(f"sqlite:///{sample_copy(tmp_path_factory, reference, encoder, 'holders')}")
    with make_sessionmaker(engine)() as session:
        index = LiveIndex(Embedder(encoder, reference.catalogue), None)
        index.load(session)
        code = 460301  # Mechatronics Technology

        def holders() -> set[int]:
            got = index.fresh_pool(session, COLLEGES).code_holders([code])
            pool = index.pool(COLLEGES)
            assert set(got.tolist()) == set(np.flatnonzero((pool.codes == code).any(axis=1)
                                                           & (pool.owner >= 0)).tolist())
            return set(got.tolist())

        before = holders()
        body = CollegeCreate.model_validate({
            "name": "Bosten Lake Polytechnic", "country": "CN", "province": "Xinjiang", "city": "Korla",
            "specialties": [{"name": "Mechatronics", "code": str(code), "annual_graduates": 80}]})
        made = create(session, COLLEGES, prepare(COLLEGES, body, reference), index)
        mine = {u.id for u in COLLEGES.units_of(made)}
        assert holders() == before | mine
        delete(session, COLLEGES, made.id, index)
        assert holders() == before
    engine.dispose()


# --- the keyword features on seeded pools of every shape of word table -------------------------------------


def seeded_pool(rng: np.random.Generator, widest: int) -> tuple[Pool, KeywordStats]:
    """Colleges whose specialties have 0 to 40 words of a 600-word vocabulary, one with `widest` words
    (the table's width); and the gaps' statistics, over other texts of the same words."""
    vocabulary = Vocabulary()
    names = [f"w{i}" for i in range(600)]
    vocabulary.ids(names)
    pool = Pool(COLLEGES, VectorIndex(4), stats=KeywordStats(vocabulary))
    unit_id = 0
    for pid in range(1, 120):
        units = []
        for _ in range(int(rng.integers(1, 6))):
            unit_id += 1
            size = widest if unit_id == 7 else int(rng.integers(0, 41))
            words = frozenset(rng.choice(names, size=min(size, 600), replace=False).tolist())
            pool.units[unit_id] = UnitCard(unit_id, pid, f"s{unit_id}", (), int(rng.integers(1, 90)), None, words)
            units.append(unit_id)
        pool.profiles[pid] = ProfileCard(pid, f"College w{pid + 100}", None, "CN", None, None, None, None,
                                         frozenset(), frozenset(), tuple(units))
    pool.rebuild_columns()
    gaps = KeywordStats(vocabulary)
    gaps.add(frozenset(rng.choice(names, size=int(rng.integers(1, 30)), replace=False).tolist()) for _ in range(900))
    return pool, gaps


@pytest.mark.parametrize("widest", [8, 12, 40, 64, 100, 127, 128, 129, 150, 300, 599])
def test_keyword_features_equal_the_padded_table_bit_for_bit(widest: int) -> None:
    rng = np.random.default_rng(widest)
    pool, gaps = seeded_pool(rng, widest)
    assert pool.word_ids.shape[1] >= widest
    names = [f"w{i}" for i in range(600)] + ["unknown"]
    for trial in range(12):
        chosen = np.sort(rng.choice(sorted(pool.units), size=int(rng.integers(1, len(pool.units))), replace=False))
        owners = [pool.profiles[p] for p in np.unique(pool.owner[chosen]).tolist()]
        unit_ids = np.array([u for c in owners for u in c.units if u in set(chosen.tolist())], np.int64)
        group = np.searchsorted([c.id for c in owners], pool.owner[unit_ids])
        profile_ids = np.array([c.id for c in owners], np.int64)
        asker_words = [frozenset(rng.choice(names, size=int(rng.integers(0, 25)), replace=False).tolist())
                       for _ in range(int(rng.integers(1, 4)))]
        asker = ProfileCard(999, "Asker w301 w502 w140", None, "CN", None, None, None, None, frozenset(), frozenset(), ())
        for is_enterprise in (True, False):
            query = Query([UnitCard(i, 999, "u", (), 5, None, w) for i, w in enumerate(asker_words)],
                          np.zeros((len(asker_words), 4), np.float32), is_enterprise, asker if trial % 2 else None)
            rows = WordRows.of(pool.word_ids, pool.word_counts, unit_ids)
            for stats in (gaps, pool.stats):
                fast = ranking_module.keyword_overlaps(query, pool, unit_ids, stats, rows)
                assert np.array_equal(fast, slow_paths.keyword_overlaps(query, pool, unit_ids, stats))
                assert fast.any() or not any(asker_words)
            fast = ranking_module.lexical_relevance(query, pool, unit_ids, group, len(owners), rows)
            assert np.array_equal(fast, slow_paths.lexical_relevance(query, pool, unit_ids, group, len(owners)))
            fast = ranking_module.name_mentions(query, pool, profile_ids, unit_ids, group, rows)
            assert np.array_equal(fast, slow_paths.name_mentions(query, pool, profile_ids, unit_ids, group))


def test_exact_widths_sum_like_the_full_row() -> None:
    """The rule behind matching.word_rows, on rows of random magnitudes: NumPy's sums over the chosen width
    equal those over the full one, bit for bit, and a width cut to the words alone would not."""
    rng = np.random.default_rng(1)
    differs = 0
    for width in (8, 9, 16, 23, 64, 100, 128, 129, 200, 517):
        counts = rng.integers(0, min(width, 70) + 1, 2000)
        table = np.zeros((len(counts), width))
        for i, c in enumerate(counts.tolist()):
            table[i, :c] = rng.random(c) * rng.choice([1e-3, 1.0, 1e3], c)
        full = table.sum(axis=1)
        for i, c in enumerate(counts.tolist()):
            w = exact_width(width, c)
            assert w >= c and (w == width or w % 8 == 0)
            assert table[[i], :w].sum(axis=1)[0] == full[i], (width, c, w)
            differs += table[[i], :c].sum(axis=1)[0] != full[i]
    assert differs  # the rule is needed: plain cutting changes some sums
