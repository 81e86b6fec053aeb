"""Retrieval variants at scale, paired: the same queries in alternating turns, in one process.

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_retrieval --model use-multilingual-v3 \\
        --variant current --variant uncapped-codes --turns 4

Loads bench_speed's cached database for the model (build it with bench_speed first, or it is
built here), indexes it twice (Flat: the exact reference; HNSW32 by default: the index timed),
then times the domain calls behind three routes, each variant in turn on the same queries:
  enterprise  GET /enterprises/{id}/matches  (live.fresh_pools, profile_query, suggest with history)
  college     GET /colleges/{id}/matches     (the same the other way)
  search      POST /search, side colleges    (the text encoded once beforehand, its codes inferred,
                                              text_query, suggest): the encoding is timed on its own
A variant is a set of module constants patched for its turns (VARIANTS); "current" patches nothing.
`before-perf` patches back the computations faster ones replaced (benchmarks/slow_paths.py): before and
after in one process. --keep-index keeps the built index under WORK/MODEL/index for later runs.
Per variant and case: p50 per turn, the median of those, the median number of units scored, and
recall@10 of its top 10 against Flat's exact answer under the current code (and whether Flat's
own answers change under the variant: the exact path must stay exact). --profile writes cProfile
output per case for the first variant.
"""

import argparse
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

import matching.suggest as suggest_module
from benchmarks import slow_paths
from benchmarks.bench_speed import cached_db, log, machine, make_workload, model_work, parse_args, recall_at_10
from benchmarks.profiling import percentiles, profiled, timed_calls
from embeddings.encoder import load_encoder
from embeddings.index import VectorIndex, configure_threads
from matching.db import make_engine, make_sessionmaker
from matching.embedding import Embedder
from matching.live import LiveIndex
from matching.live_history import LiveHistory
from matching.pool import Pool
from matching.ranking import Query
from matching.reference import Reference
from matching.sides import COLLEGES, ENTERPRISES, SideSpec
from matching.suggest import KEYWORD_BUDGET, MatchFilter, profile_query, suggest, text_query
from matching.vocab import Side
from service.settings import REPO_DATA, Settings


def uncapped_code_candidates(pool: Pool, query: Query, *_: Any) -> np.ndarray:
    """matching.suggest.code_candidates before it was capped (7241ba4): every unit of a query unit's
    codes, up to 2,000 per code in unit id order."""
    wanted = sorted({int(c) for unit in query.units for c in unit.match_codes if len(c) == 6 and c.isdigit()})
    if not wanted or not len(pool.codes):
        return np.zeros(0, np.int64)
    found = [np.flatnonzero((pool.codes == code).any(axis=1))[:KEYWORD_BUDGET] for code in wanted]
    units = np.unique(np.concatenate(found))
    out: np.ndarray = units[pool.owner[units] >= 0]
    return out


# name → (module, attribute, value) patched during its turns
VARIANTS: dict[str, list[tuple[Any, str, Any]]] = {
    "current": [],
    "uncapped-codes": [(suggest_module, "code_candidates", uncapped_code_candidates)],
    "codes-k8": [(suggest_module, "CODE_K", 8)],
    "codes-k32": [(suggest_module, "CODE_K", 32)],
    # the computations that faster ones replaced (benchmarks/slow_paths.py): before and after in one run
    "before-perf": slow_paths.PATCHES,
}
Call = Callable[[Any], list[int]]


def hnsw_copy(live: LiveIndex, factory: str, nprobe: int, directory: Path | None = None) -> LiveIndex:
    """The same pools over another index of the same vectors (loading the database twice costs minutes).

    `directory`: where the built structures are kept between runs (an HNSW build of 300,000 vectors
    takes minutes); one saved for other units is rebuilt."""
    out = LiveIndex(live.embedder, None, factory, nprobe)
    for side, pool in live.pools.items():
        ids = pool.index.unit_ids()
        index = VectorIndex(pool.index.dimension, factory, nprobe)
        path = directory / f"{side}-{factory}" if directory is not None else None
        try:
            if path is None:
                raise FileNotFoundError
            index.load(str(path))
            if not np.array_equal(index.unit_ids(), ids):
                raise ValueError("saved for other units")
            index.fill_vectors(ids, pool.index.vectors_of(ids))
        except (OSError, RuntimeError, ValueError):
            index = VectorIndex(pool.index.dimension, factory, nprobe).build(ids, pool.index.vectors_of(ids))
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                index.save(str(path))
        out.pools[side] = replace(pool, index=index, _all=None, _places={}, _derived={})
    out.partners = LiveHistory(out.pools[Side.COLLEGES], out.pools[Side.ENTERPRISES])
    return out


def matches_call(live: LiveIndex, sessions: sessionmaker[Session], settings: Settings, asker: SideSpec,
                 other: SideSpec) -> Call:
    """What service/routes/matches.py's _matches computes on a cache miss."""
    def call(profile_id: Any) -> list[int]:
        with sessions() as session:
            pools = live.fresh_pools(session)
            history = live.history(session)
            query = profile_query(pools[asker.side], int(profile_id), is_enterprise=asker is ENTERPRISES)
            result = suggest(pools[other.side], query, MatchFilter(), 10, 0, settings.ranking,
                             settings.exact_scan_max, asker_label=asker.label,
                             gap_stats=live.pool(ENTERPRISES).stats, history=history)
        return [s.id for s in result.data]
    return call


def search_call(live: LiveIndex, sessions: sessionmaker[Session], settings: Settings,
                vectors: dict[str, np.ndarray]) -> Call:
    """What service/routes/matches.py's search computes on a cache miss, the text's vector given."""
    def call(text: Any) -> list[int]:
        with sessions() as session:
            pool = live.fresh_pools(session)[COLLEGES.side]
            history = live.history(session)
            query = text_query(vectors[text], text, 1, is_enterprise=True, location=None, modes=frozenset(),
                               inferred=live.embedder.infer_codes(text))
            result = suggest(pool, query, MatchFilter(), 10, 0, settings.ranking, settings.exact_scan_max,
                             asker_label="search", gap_stats=live.pool(ENTERPRISES).stats, history=history)
        return [s.id for s in result.data]
    return call


def timed(items: Sequence[Any], call: Call, scored: list[int]) -> tuple[list[float], list[list[int]], list[int]]:
    """timed_calls over every item (no warm-up: each turn is warmed beforehand), and the units each scored
    (the patched scorer appends to `scored`; clearing and reading it is within the timing, a few µs)."""
    units: list[int] = []

    def counted(item: Any) -> list[int]:
        scored.clear()
        answer = call(item)
        units.append(max(scored, default=0))
        return answer

    times, answers, _ = timed_calls(items, 0, counted)
    return times, answers, units


def patched(name: str) -> Any:
    from contextlib import ExitStack

    stack = ExitStack()
    for module, attribute, value in VARIANTS[name]:
        stack.enter_context(patch.object(module, attribute, value))
    return stack


def main(argv: Sequence[str] | None = None) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variant", action="append", choices=sorted(VARIANTS), help="repeatable (default: all)")
    p.add_argument("--turns", type=int, default=4)
    p.add_argument("--queries", type=int, default=150, help="per case and turn")
    p.add_argument("--index", default="HNSW32")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--keep-index", action="store_true", help="keep the built index under WORK/MODEL/index "
                   "and load it in later runs")
    ours, rest = p.parse_known_args(argv)
    args = parse_args(rest)  # bench_speed's: --model, sizes, --work, --seed (the cached database's key)
    variants = ours.variant or list(VARIANTS)
    log(f"machine {machine()}; variants {variants}")
    ref = Reference.load(REPO_DATA)
    model = args.models[0]
    margs = model_work(args, model)
    encoder = load_encoder(model)
    meta = cached_db(margs, encoder, ref)
    engine = make_engine(f"sqlite:///{meta.path}")
    sessions = make_sessionmaker(engine)
    workload = make_workload(engine, ours.queries, 0, args.seed)
    settings = Settings(database_url=f"sqlite:///{meta.path}", load_sample=False, embedding_model=encoder.name)
    configure_threads(settings.faiss_threads)
    t = time.perf_counter()
    flat = LiveIndex(Embedder(encoder, ref.catalogue), None, "Flat", args.nprobe)
    with sessions() as session:
        flat.load(session)
    log(f"loaded {meta.path} in {time.perf_counter() - t:.0f} s; building {ours.index}")
    t = time.perf_counter()
    approx = hnsw_copy(flat, ours.index, args.nprobe, Path(margs.work) / "index" if ours.keep_index else None)
    log(f"{ours.index} built in {time.perf_counter() - t:.0f} s")
    texts = workload.search_texts[:ours.queries]
    t = time.perf_counter()
    vectors = {text: flat.embedder.encode_texts([text])[0] for text in texts}
    encode_ms = (time.perf_counter() - t) * 1000 / max(len(texts), 1)
    log(f"encoding one search text: {encode_ms:.1f} ms mean (timed apart from search below)")
    cases: dict[str, tuple[Sequence[Any], Callable[[LiveIndex], Call]]] = {
        "enterprise": (workload.enterprise_ids[:ours.queries],
                       lambda live: matches_call(live, sessions, settings, ENTERPRISES, COLLEGES)),
        "college": (workload.college_ids[:max(ours.queries // 3, 30)],
                    lambda live: matches_call(live, sessions, settings, COLLEGES, ENTERPRISES)),
        "search": (texts, lambda live: search_call(live, sessions, settings, vectors)),
    }
    scored: list[int] = []
    original_score: Any = suggest_module.score_profiles

    def counting_score(pool: Any, query: Any, candidates: Any, unit_ids: np.ndarray, *rest: Any) -> Any:
        scored.append(len(unit_ids))
        return original_score(pool, query, candidates, unit_ids, *rest)

    exact: dict[str, list[list[int]]] = {}
    with patch.object(suggest_module, "score_profiles", counting_score):
        for case, (items, make) in cases.items():
            call = make(flat)
            call(items[0])
            exact[case] = timed(items, call, scored)[1]
            for name in variants:
                if name != "current":
                    with patched(name):
                        same = timed(items, call, scored)[1] == exact[case]
                    log(f"[Flat] {case}: answers under {name} {'equal' if same else 'DIFFER FROM'} the current ones")
        results: dict[tuple[str, str], dict[str, Any]] = {}
        for turn in range(ours.turns):
            for name in variants if turn % 2 == 0 else variants[::-1]:
                with patched(name):
                    for case, (items, make) in cases.items():
                        call = make(approx)
                        call(items[0])
                        times, answers, units = timed(items, call, scored)
                        row = results.setdefault((name, case), {"p50": [], "p99": [], "units": [], "recall": None})
                        p50, p99 = percentiles(times, 50, 99)
                        row["p50"].append(p50)
                        row["p99"].append(p99)
                        row["units"].append(float(np.median(units)))
                        row["recall"] = recall_at_10(exact[case], answers)[0]
                        log(f"turn {turn} {name} {case}: p50 {row['p50'][-1]:.1f} ms, p99 {row['p99'][-1]:.1f}, "
                            f"median units scored {row['units'][-1]:.0f}, recall@10 {row['recall']:.3f}")
        if ours.profile:
            with patched(variants[0]):
                for case, (items, make) in cases.items():
                    path = Path(margs.work) / f"profile-retrieval-{variants[0]}-{case}.txt"
                    profiled(make(approx), items, path, cumulative=40, tottime=25)
                    log(f"profile of {case} under {variants[0]}: {path}")
    engine.dispose()
    print(f"\nmodel {model}, {ours.index}, {ours.turns} turns, encode one text {encode_ms:.1f} ms; load "
          + "/".join(f"{x:.1f}" for x in os.getloadavg()))
    print("| variant | case | p50 per turn ms | median p50 | median p99 | units scored | recall@10 |")
    print("|---|---|---|---:|---:|---:|---:|")
    for (name, case), row in results.items():
        print(f"| {name} | {case} | {', '.join(f'{x:.1f}' for x in row['p50'])} | {np.median(row['p50']):.1f} | "
              f"{np.median(row['p99']):.1f} | {np.median(row['units']):.0f} | {row['recall']:.3f} |")


if __name__ == "__main__":
    main()
