"""Impression logging's cost on the matches endpoint: paired requests with logging on and off, in one process.

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_impressions                 # ~3 min after the DB build
    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_impressions --pairs 200     # shorter

The bundled sample (220 colleges, 440 enterprises) is loaded into a SQLite database cached under --work.
One app serves every request; each pair asks `GET /enterprises/{id}/matches` for the same enterprise twice,
once with the impression writer attached and once without (`state.impressions = None`), in random order,
straight into the ASGI app (benchmarks.bench_speed.AsgiClient: no TestClient thread bridge). So both arms share
caches, pools and load, and the paired difference is what logging adds to a request, background writes
included (the writer thread shares the same cores). Also timed: `service.impressions.log_page` alone on the
served pages, and the writer's throughput (pages written per second when flooded).

Target (issue 11): logging adds at most 1 ms to the p50.
"""

import argparse
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from benchmarks.bench_speed import AsgiClient, log, machine, source_state
from benchmarks.profiling import percentiles
from embeddings.encoder import load_encoder
from matching.outcomes.models import Impression
from matching.ranking import FEATURES
from matching.reference import Reference
from matching.results import FeatureMatrix, SuggestionsPublic
from service.app import create_app
from service.bootstrap import bootstrap
from service.impressions import items_of, log_page, page_items
from service.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/matchmaker-bench-impressions"))
    parser.add_argument("--pairs", type=int, default=600, help="paired requests per page size")
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--limit", type=int, action="append", help="page sizes (default 10 and 100)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    limits = args.limit or [10, 100]
    rng = random.Random(args.seed)
    log(f"machine: {machine()}")
    log(f"source: {source_state()}")

    settings = Settings(home=args.work, load_sample=True)
    started = time.perf_counter()
    boot = bootstrap(settings)
    log(f"database ready in {time.perf_counter() - started:.1f} s (sample loaded: {boot.loaded or 'cached'})")
    admin = {"Authorization": f"Bearer {settings.admin_key_path.read_text().strip()}"}
    encoder = load_encoder(settings.embedding_model, settings.embedding_batch_size)
    app = create_app(settings, Reference.load(settings.data_dir), encoder)
    with TestClient(app):  # runs the lifespan: indexes, the impression writer
        state = app.state.matchmaker
        writer = state.impressions
        assert writer is not None, "MATCH_IMPRESSIONS is off"
        client = AsgiClient(app)
        with state.sessions() as session:
            before = session.scalar(select(func.count()).select_from(Impression)) or 0
        enterprises = list(range(1, 441))
        path = "/enterprises/{id}/matches"
        for limit in limits:

            def ask(profile_id: int, on: bool, limit: int = limit) -> tuple[float, Any]:
                state.impressions = writer if on else None
                t0 = time.perf_counter()
                response = client.get(path.format(id=profile_id), params={"limit": limit}, headers=admin)
                elapsed = (time.perf_counter() - t0) * 1000
                if response.status_code != 200:
                    raise RuntimeError(response.text[:300])
                return elapsed, response.json()

            for i in range(args.warmup):
                ask(enterprises[i % len(enterprises)], i % 2 == 0)
            on_ms: list[float] = []
            off_ms: list[float] = []
            diffs: list[float] = []
            pages: list[SuggestionsPublic] = []
            for i in range(args.pairs):
                eid = rng.choice(enterprises)
                first_on = rng.random() < 0.5
                a, body_a = ask(eid, first_on)
                b, body_b = ask(eid, not first_on)
                on, off = (a, b) if first_on else (b, a)
                on_ms.append(on)
                off_ms.append(off)
                diffs.append(on - off)
                logged = body_a if first_on else body_b
                # An empty page (no college reaches the model's threshold) logs nothing.
                assert logged["impression_id"] is not None or writer.stats.dropped or not logged["data"]
                assert (body_b if first_on else body_a)["impression_id"] is None
                if i < 200:
                    pages.append(SuggestionsPublic.model_validate(logged))
            state.impressions = writer
            on50, on95 = percentiles(on_ms, 50, 95)
            off50, off95 = percentiles(off_ms, 50, 95)
            d50 = statistics.median(diffs)
            log(f"limit={limit}: {args.pairs} pairs; p50 on {on50:.3f} ms, off {off50:.3f} ms, "
                f"p50 difference {on50 - off50:+.3f} ms; median paired difference {d50:+.3f} ms; "
                f"p95 on {on95:.3f}, off {off95:.3f} ms; target +1 ms p50: "
                f"{'PASS' if on50 - off50 <= 1.0 else 'FAIL'}")
            # log_page alone: the serving path's share (handing over the page's items, taking an id, queueing).
            # The page is rebuilt from its JSON here, so its feature matrix is made outside the timer, as
            # suggest() makes it while scoring.
            cost: list[float] = []
            for page in pages * 3:
                page._features = FeatureMatrix(np.array([[s.components[f].value for f in FEATURES]
                                                         for s in page.data]))
                t0 = time.perf_counter()
                log_page(state, "enterprise_matches", {"asker_id": 0, "filters": {"limit": limit}}, "enterprise", 0,
                         page_items(page))
                cost.append((time.perf_counter() - t0) * 1e6)
            c50, c95 = percentiles(cost, 50, 95)
            log(f"limit={limit}: log_page alone p50 {c50:.1f} µs, p95 {c95:.1f} µs "
                f"({len(pages[0].data) if pages else 0} suggestions a page)")
        assert writer.flush(60)
        # Throughput: flood the writer with pages and time until all are written.
        flood = (pages or [])[:1] * 5000
        t0 = time.perf_counter()
        queued = sum(log_page(state, "search", {"text": "flood"}, None, None, items_of(p.data)) is not None
                     for p in flood)
        assert writer.flush(300)
        elapsed = time.perf_counter() - t0
        log(f"writer: {queued} pages of {len(flood[0].data) if flood else 0} queued in a burst (buffer "
            f"{settings.impression_buffer}), all written in {elapsed:.2f} s: {queued / elapsed:.0f} pages/s; "
            f"stats {writer.stats}")
        with state.sessions() as session:
            after = session.scalar(select(func.count()).select_from(Impression)) or 0
        log(f"impressions stored during the run: {after - before} (written {writer.stats.written}, "
            f"dropped {writer.stats.dropped}, failed {writer.stats.failed})")
        client.close()
    log(f"loadavg {os.getloadavg()}")


if __name__ == "__main__":
    main()
