"""Bilingual queries against the sample, per embedding model, side by side; and each model's speed.

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_multilingual [--models multilingual-e5-small all-MiniLM-L6-v2]
        [--queries benchmarks/multilingual_tuning.jsonl]

Quality. benchmarks/multilingual_queries.jsonl holds realistic HR needs, each written in Chinese,
English and Russian and labelled with the catalogue codes that satisfy it. Each text is sent to
`POST /search` (side colleges, amount 10) against the bundled sample, imported with that model.
A suggested college is a hit when one of its specialties carries a labelled code, so the figures
do not depend on the sample's wording: hit@1 (the first college is a hit) and P@5 (share of hits
among the first five), per language. `--queries` reads another set of the same format, such as
benchmarks/multilingual_tuning.jsonl, the needs the thresholds are calibrated on (training/calibrate.py):
figures on that set are not a test of the calibration, the reported set's are.

Speed, in the same run for every model: loading the model, encoding one search text (p50 of 100),
importing the whole sample (validation, embedding, indexing: what the first `make run` does after
install), `POST /search` and `GET /enterprises/{id}/matches` through the app (p50 / p95).

The host is shared and noisy: compare figures from one run; the load averages are printed.
"""

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from embeddings.encoder import BACKENDS, E5, MINILM, load_encoder, set_encode_threads
from matching import keys
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.embedding import Embedder
from matching.live import LiveIndex
from matching.models import Specialty
from matching.reference import Reference
from matching.sides import COLLEGES, ENTERPRISES
from matching.transfer import import_text
from matching.vocab import Role
from service.app import create_app
from service.settings import REPO_DATA, Settings

QUERIES = Path(__file__).with_name("multilingual_queries.jsonl")
LANGUAGES = ("zh", "en", "ru")


@dataclass
class ModelRun:
    model: str
    dimension: int = 0
    min_similarity: float = 0.0
    load_s: float = 0.0
    ingest_s: float = 0.0
    encode_one_ms: float = 0.0
    search_ms: tuple[float, float] = (0.0, 0.0)
    matches_ms: tuple[float, float] = (0.0, 0.0)
    hit1: dict[str, float] = field(default_factory=dict)
    p5: dict[str, float] = field(default_factory=dict)
    misses: dict[str, list[str]] = field(default_factory=dict)


def load_queries(path: Path = QUERIES) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_model(model: str, reference: Reference, queries: list[dict[str, object]], work: Path,
              threshold: float | None = None) -> ModelRun:
    out = ModelRun(model)
    started = time.perf_counter()
    encoder = load_encoder(model)
    out.load_s = time.perf_counter() - started
    out.dimension = encoder.dimension
    set_encode_threads(encoder, 1)  # as the server does
    encoder.encode(["warm up"])
    one = []
    for i in range(100):
        t = time.perf_counter()
        encoder.encode([f"招聘印染技术员{i}名，负责染色和后整理工艺"])
        one.append((time.perf_counter() - t) * 1000)
    out.encode_one_ms = statistics.median(one)

    db = work / f"{model.replace('/', '_')}.db"
    url = f"sqlite:///{db}"
    fresh = not db.exists()
    engine = make_engine(url)
    started = time.perf_counter()
    if fresh:
        upgrade(engine)
        live = LiveIndex(Embedder(encoder, reference.catalogue), None)
        with make_sessionmaker(engine)() as session:
            live.load(session)
            for spec in (COLLEGES, ENTERPRISES):
                text = (REPO_DATA / "sample" / f"{spec.side}.jsonl").read_text(encoding="utf-8")
                report = import_text(session, spec, text, "jsonl", reference, live=live)
                assert report.created == report.rows and not report.errors, report.errors[:3]
    out.ingest_s = time.perf_counter() - started if fresh else float("nan")
    with make_sessionmaker(engine)() as session:
        codes_of: dict[int, set[str]] = {}
        for college_id, code in session.execute(select(Specialty.college_id, Specialty.code)):
            codes_of.setdefault(college_id, set()).add(code or "")
        _, secret = keys.create_key(session, Role.ADMIN)
    engine.dispose()

    settings = Settings(database_url=url, home=work / f"home-{model.replace('/', '_')}", load_sample=False,
                        embedding_model=model)
    if threshold is not None:
        settings.ranking = settings.ranking.model_copy(update={"min_similarity": threshold})
    out.min_similarity = settings.ranking.min_similarity
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(settings, reference, encoder)) as client:
        latencies = []
        for lang in LANGUAGES:
            hits1, p5s, misses = [], [], []
            for q in queries:
                wanted = set(q["codes"])  # type: ignore[call-overload]
                t = time.perf_counter()
                response = client.post("/search", json={"text": q[lang], "side": "colleges", "amount": 10,
                                                        "limit": 5}, headers=headers)
                latencies.append((time.perf_counter() - t) * 1000)
                response.raise_for_status()
                ids = [s["id"] for s in response.json()["data"]]
                hit = [bool(codes_of.get(i, set()) & wanted) for i in ids]
                hits1.append(float(bool(hit) and hit[0]))
                p5s.append(sum(hit) / 5)
                if not (hit and hit[0]):
                    misses.append(str(q[lang]))
            out.hit1[lang] = statistics.mean(hits1)
            out.p5[lang] = statistics.mean(p5s)
            out.misses[lang] = misses
        out.search_ms = (statistics.median(latencies), pct(latencies, 0.95))
        matches = []
        for enterprise_id in range(1, 101):
            t = time.perf_counter()
            client.get(f"/enterprises/{enterprise_id}/matches", headers=headers).raise_for_status()
            matches.append((time.perf_counter() - t) * 1000)
        out.matches_ms = (statistics.median(matches), pct(matches, 0.95))
    return out


def report(runs: list[ModelRun], queries: int) -> str:
    lines = [f"{queries} needs × {len(LANGUAGES)} languages; hit@1 / P@5 per language (POST /search, colleges)", "",
             "| model | dim | min_similarity | " + " | ".join(f"{lang} hit@1 | {lang} P@5" for lang in LANGUAGES)
             + " |", "|---|---|---|" + "---|---|" * len(LANGUAGES)]
    for r in runs:
        lines.append(f"| {r.model} | {r.dimension} | {r.min_similarity:.3f} | "
                     + " | ".join(f"{r.hit1[lang]:.3f} | {r.p5[lang]:.3f}" for lang in LANGUAGES) + " |")
    lines += ["", "| model | load s | encode one text p50 ms | sample ingest s | POST /search p50 / p95 ms | "
              "GET /enterprises/{id}/matches p50 / p95 ms |", "|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r.model} | {r.load_s:.1f} | {r.encode_one_ms:.1f} | {r.ingest_s:.1f} | "
                     f"{r.search_ms[0]:.1f} / {r.search_ms[1]:.1f} | {r.matches_ms[0]:.1f} / {r.matches_ms[1]:.1f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=[E5, MINILM], choices=sorted(BACKENDS))
    parser.add_argument("--misses", action="store_true", help="List the needs whose first college missed.")
    parser.add_argument("--work", type=Path, help="Keep the imported databases here and reuse them (no ingest "
                        "figure then); default: a temporary directory.")
    parser.add_argument("--min-similarity", type=float, help="Override every model's calibrated threshold.")
    parser.add_argument("--queries", type=Path, default=QUERIES, help="The needs to send (default: the reported set, "
                        "%(default)s).")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    reference = Reference.load(REPO_DATA)
    queries = load_queries(args.queries)
    print(f"queries: {args.queries}")
    print(f"host: {platform.node()}, {os.cpu_count()} cores, load {os.getloadavg()}, "
          f"python {platform.python_version()}", flush=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-multilingual-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for model in args.models:
            runs.append(run_model(model, reference, queries, work, args.min_similarity))
            print(f"{model}: done, load {os.getloadavg()}", flush=True)
            print(report(runs[-1:], len(queries)), flush=True)
    print("\nAll models, one run:\n" + report(runs, len(queries)))
    if args.misses:
        for r in runs:
            for lang in LANGUAGES:
                print(f"\n{r.model} {lang} misses: " + "; ".join(r.misses[lang]))


if __name__ == "__main__":
    main()
