"""What explanations in the reader's language cost: `suggest()` on the sample, in one run.

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_explain              # ~2 min with a cached sample
    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_explain --askers 60 --repeats 3

The sample (data/sample) is imported and embedded once into --db (default
/tmp/matchmaker-bench/explain-sample.db; built when missing). Then, for the same enterprises and
colleges, `suggest()` (limit 10, no filters) is timed three ways, interleaved so that load on the
machine falls on all alike: English reasons; Chinese reasons; English plus the Chinese kept beside
them (what a match list asks for). Prints the median and p90 ms per call and the ratios to English.
"""

import argparse
import statistics
import time
from pathlib import Path

from embeddings.encoder import load_encoder
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.embedding import Embedder
from matching.live import LiveIndex
from matching.messages import Wording
from matching.ranking import RankingSettings
from matching.reference import Reference
from matching.sides import COLLEGES, ENTERPRISES
from matching.suggest import MatchFilter, profile_query, suggest
from matching.transfer import import_text
from service.settings import REPO_DATA


def build(path: Path, live: LiveIndex, reference: Reference) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        live.load(session)
        for spec in (COLLEGES, ENTERPRISES):
            text = (REPO_DATA / "sample" / f"{spec.side}.jsonl").read_text()
            import_text(session, spec, text, "jsonl", reference, live=live)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=Path("/tmp/matchmaker-bench/explain-sample.db"))
    parser.add_argument("--askers", type=int, default=100, help="enterprises and colleges each")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    reference = Reference.load(REPO_DATA)
    live = LiveIndex(Embedder(load_encoder(), reference.catalogue), None)
    if not args.db.exists():
        print(f"building {args.db} from the sample (embeds every unit once)…", flush=True)
        build(args.db, live, reference)
    engine = make_engine(f"sqlite:///{args.db}")
    with make_sessionmaker(engine)() as session:
        live.load(session)
    config = RankingSettings()
    english, chinese = Wording("en", reference.catalogue), Wording("zh", reference.catalogue)
    ways = {"en": (english, ()), "zh": (chinese, ()), "en + zh kept": (english, (chinese,))}
    times: dict[str, list[float]] = {w: [] for w in ways}
    stats = live.pool(ENTERPRISES).stats
    askers = [(ENTERPRISES, COLLEGES, p) for p in sorted(live.pool(ENTERPRISES).profiles)[:args.askers]]
    askers += [(COLLEGES, ENTERPRISES, p) for p in sorted(live.pool(COLLEGES).profiles)[:args.askers]]
    for _ in range(args.repeats):
        for asker, other, profile_id in askers:
            query = profile_query(live.pool(asker), profile_id, is_enterprise=asker is ENTERPRISES)
            for name, (wording, also) in ways.items():
                started = time.perf_counter()
                suggest(live.pool(other), query, MatchFilter(), 10, 0, config, gap_stats=stats, wording=wording,
                        also=also)
                times[name].append((time.perf_counter() - started) * 1000)
    base = statistics.median(times["en"])
    print(f"suggest(), limit 10, {len(askers)} askers × {args.repeats} (enterprises and colleges of the sample)")
    print(f"{'reasons':<14} {'p50 ms':>8} {'p90 ms':>8} {'p50 / en':>9}")
    for name, samples in times.items():
        p50, p90 = statistics.median(samples), statistics.quantiles(samples, n=10)[-1]
        print(f"{name:<14} {p50:>8.2f} {p90:>8.2f} {p50 / base:>9.2f}")


if __name__ == "__main__":
    main()
