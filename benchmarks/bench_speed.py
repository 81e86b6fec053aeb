"""Speed benchmark: match latency at 100,000 specialties × 200,000 talent gaps, and ingest throughput.

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_speed            # full run (~40 min + ~13 min DB build)
    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_speed --quick    # small smoke run (~5 min)
    ... -m benchmarks.bench_speed --model use-multilingual-v3 all-MiniLM-L6-v2   # models side by side

Each model (--model, several allowed) gets its own cached database and scratch directory under
--work/MODEL; the figures are printed per model and then side by side.

1. Latency. A synthetic database (training.sample_data.generate, scaled) is bulk-inserted with
   SQLAlchemy Core and cached under --work (default /tmp/matchmaker-bench). Every unit gets its
   vector and embedding_key exactly as matching/embedding.py stores them, so LiveIndex.load has
   nothing to re-embed. Each *distinct* unit text is encoded once with the real model, up to
   --encode-cap texts or --encode-budget seconds; the remaining distinct texts get the vector of
   a random encoded text of the same catalogue code (or gap field / specialty name when there is
   no code) plus Gaussian noise (--noise per dimension), renormalised. Then, for each FAISS
   factory (--factory, repeatable; Flat first, as the exact reference), the app is started with
   TestClient (its lifespan builds the index) and timed per request:
     GET /enterprises/{id}/matches   through the app (a real admin API key) and as the domain call
                                     (live.fresh_pool for both sides + suggest, own Session); through
                                     the app twice: "asgi" sends each request straight into the ASGI
                                     app from an event loop in the benchmark's thread, as a server's
                                     loop calls it; "app" through TestClient, which adds its own
                                     bridge to the loop in another thread (about 1 ms a request here)
     GET /colleges/{id}/matches      through the app (for information)
     POST /search                    through the app (both ways), the text encoded by the real model
     GET /enterprises/{id}/matches?province=Xinjiang / ?max_distance_km=500   through the app
   Approximate factories report recall@10 of the suggested profile ids against Flat's.
2. Ingest. A few thousand new units are imported as profiles with matching.transfer.import_text
   (live=...) into a fresh SQLite database, between two timings of raw model.encode on exactly
   the same texts (Embedder.text_of). Time spent inside Encoder.encode during the import is
   measured too, so the import's overhead splits into "encoding through the project's Encoder"
   and "everything else"; with --profile, or when the ratio misses its target, the import is run
   again under cProfile with a stub encoder to show where the non-encoding time goes.

The host is shared and noisy: compare figures from one run, and read the load averages printed.
"""

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import anyio.to_thread
import faiss
import httpx
import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.profiling import MIN_TIMED, percentiles, profiled, timed_calls
from embeddings.encoder import DEFAULT_MODEL, Encoder, Progress, load_encoder
from embeddings.index import VectorIndex, configure_threads
from embeddings.texts import text_key
from matching import keys
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.embedding import Embedder
from matching.geography import normalize_any_province, normalize_country, normalize_province
from matching.live import LiveIndex
from matching.models import Base, Enterprise, Specialty, TalentGap
from matching.prepare import dedup_key
from matching.reference import Reference
from matching.sides import COLLEGES, ENTERPRISES, SideSpec
from matching.suggest import MatchFilter, profile_query, suggest
from matching.transfer import import_text
from matching.vocab import Role
from service.app import create_app
from service.settings import REPO_DATA, Settings
from training.sample_data import SEED, generate, to_jsonl

Record = dict[str, Any]
Vector = np.ndarray[Any, np.dtype[np.float32]]

TARGET_MATCH_P50_MS = 10.0
TARGET_MATCH_P99_MS = 30.0
TARGET_SEARCH_P50_MS = 30.0
TARGET_INGEST_RATIO = 0.8
# Averages of training.sample_data at scale (9.02 specialties a college, 2.37 gaps an enterprise), a
# little low so that one generate() call overshoots and the lists are trimmed to the target.
SPECIALTIES_PER_COLLEGE = 8.9
GAPS_PER_ENTERPRISE = 2.33
DB_FORMAT = 1  # bump when the cached database's contents change meaning


def log(message: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"[{stamp} load {load}] {message}", flush=True)


def rss_mb() -> dict[str, float]:
    """Current and peak resident memory of this process (MiB)."""
    out = {"rss_mb": 0.0, "peak_rss_mb": 0.0}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss_mb"] = int(line.split()[1]) / 1024
        elif line.startswith("VmHWM:"):
            out["peak_rss_mb"] = int(line.split()[1]) / 1024
    return out


def source_state() -> dict[str, str]:
    """Digest and mtime of the code under test: it changes while others work, and no VCS is asked."""
    import hashlib

    root = Path(__file__).resolve().parent.parent
    files = sorted(p for d in ("matching", "embeddings", "service") for p in (root / d).rglob("*.py")
                   if "migrations" not in p.parts)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    newest = max(files, key=lambda p: p.stat().st_mtime)
    stamp = datetime.fromtimestamp(newest.stat().st_mtime, UTC).isoformat(timespec="seconds")
    return {"sha256": digest.hexdigest()[:16], "newest_file": f"{newest.relative_to(root)} ({stamp})"}


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    versions = {name: package_version(name) for name in
                ("torch", "faiss-cpu", "sentence-transformers", "numpy", "SQLAlchemy", "fastapi")}
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        **versions,
        "kernel": platform.release(),
    }


# --- statistics ------------------------------------------------------------------------------------


@dataclass
class Latency:
    factory: str
    case: str
    via: str  # "asgi" / "app" (the full request, straight or through TestClient), "domain" (fresh_pool + suggest)
    n: int
    p50: float
    p95: float
    p99: float
    mean: float
    first_ms: float  # the first warm-up call: pays lazily built state (Pool.everything)
    target_p50: float | None = None
    target_p99: float | None = None
    recall_at_10: float | None = None  # vs the Flat factory, same queries
    recall_queries: int = 0

    def verdict(self) -> str:
        if self.target_p50 is None and self.target_p99 is None:
            return "info"
        ok = (self.target_p50 is None or self.p50 <= self.target_p50) and (
            self.target_p99 is None or self.p99 <= self.target_p99)
        return "PASS" if ok else "FAIL"


def summarize(samples_ms: Sequence[float]) -> tuple[float, float, float, float]:
    p50, p95, p99 = percentiles(samples_ms, 50, 95, 99)
    return p50, p95, p99, float(np.mean(samples_ms))


def recall_at_10(reference: Sequence[Sequence[int]], other: Sequence[Sequence[int]]) -> tuple[float | None, int]:
    """Mean |top10 ∩ exact top10| / |exact top10| over queries whose exact top 10 is not empty.

    Both lists answer the same queries in the same order; a case cut short compares the common prefix.
    """
    scores = [len(set(a[:10]) & set(b[:10])) / len(a[:10]) for a, b in zip(reference, other, strict=False) if a]
    return (float(np.mean(scores)) if scores else None), len(scores)


# --- the cached large database ----------------------------------------------------------------------


@dataclass
class DbMeta:
    format: int
    path: str
    seed: int
    colleges: int
    specialties: int
    enterprises: int
    talent_gaps: int
    distinct_texts: int
    encoded_texts: int
    proxied_texts: int
    encode_cap: int
    encode_budget_s: float
    encode_s: float
    encode_texts_per_s: float
    noise: float
    generate_s: float
    insert_s: float
    build_s: float
    model: str
    built_at: str
    # Units whose embedding_key was recomputed because Embedder.text_of changed after the build: their
    # vectors stay those of the text at build time (or proxies), so LiveIndex.load re-embeds nothing.
    rekeyed_units: int = 0
    rekeyed_at: str | None = None


class Places:
    """Country, province and coordinates as matching.prepare derives them, cached per place."""

    def __init__(self, ref: Reference) -> None:
        self.ref = ref
        self._places: dict[tuple[str, str | None, str | None], tuple[str, str | None, float | None, float | None]] = {}
        self._preferred: dict[tuple[str, str], str] = {}

    def resolve(self, country: str, province: str | None,
                city: str | None) -> tuple[str, str | None, float | None, float | None]:
        key = (country, province, city)
        if key not in self._places:
            code = normalize_country(country)
            prov = normalize_province(code, province) if province else None
            lat = lon = None
            if city:
                place = self.ref.gazetteer.geocode(city, code, prov)
                if place is not None:
                    lat, lon = round(place.lat, 5), round(place.lon, 5)
                    prov = prov or place.province
            self._places[key] = (code, prov, lat, lon)
        return self._places[key]

    def preferred(self, names: Sequence[str], country: str) -> list[str]:
        out = []
        for name in names:
            if (name, country) not in self._preferred:
                self._preferred[(name, country)] = normalize_any_province(name, country)
            out.append(self._preferred[(name, country)])
        return list(dict.fromkeys(out))


def _trim(records: list[Record], units: str, target: int) -> list[Record]:
    total = 0
    for i, record in enumerate(records):
        total += len(record[units])
        if total >= target:
            return records[:i + 1]
    return records


def _specialty_unit(s: Record, ref: Reference) -> SimpleNamespace:
    name = s.get("name")
    if not name and s.get("code"):
        entry = ref.catalogue.get(s["code"])
        name = entry.name_en if entry else s["code"]
    return SimpleNamespace(name=name, code=s.get("code"), description=s.get("description") or None,
                           annual_graduates=s["annual_graduates"])


def _gap_unit(g: Record, industry: str | None) -> SimpleNamespace:
    # `industry` is the enterprise's: Embedder.text_of may use it (it does since 13:36 on 2026-11-21)
    return SimpleNamespace(field=g["field"], codes=list(g.get("codes") or []), description=g.get("description") or None,
                           headcount=g["headcount"], level=g.get("level"), start_date=g.get("start_date"),
                           industry=industry)


def _group(unit: SimpleNamespace) -> str:
    """What a proxied text borrows its vector from: a text of the same code, else the same name/field."""
    if hasattr(unit, "annual_graduates"):
        return f"s:{unit.code}" if unit.code else f"s-name:{unit.name}"
    return f"g:{unit.codes[0]}" if unit.codes else f"g-field:{unit.field}"


def encode_distinct(encoder: Encoder, units: Sequence[SimpleNamespace], embedder: Embedder, cap: int,
                    budget_s: float, noise: float, seed: int) -> tuple[dict[str, Vector], dict[str, Any]]:
    """One vector per distinct unit text: encoded (up to cap / budget) or proxied, see the module doc."""
    texts: dict[str, str] = {}  # text -> group (first unit's)
    for unit in units:
        texts.setdefault(embedder.text_of(unit), _group(unit))
    distinct = list(texts)
    rng = random.Random(seed)
    rng.shuffle(distinct)
    # One text per group first, so every group has an encoded text to borrow from; then the rest.
    first_of: dict[str, str] = {}  # group -> its first text in shuffled order
    for t in distinct:
        first_of.setdefault(texts[t], t)
    reps = list(first_of.values())
    rep_set = set(reps)
    rest = [t for t in distinct if t not in rep_set]
    chosen_reps = sorted(reps[:cap], key=len)
    chosen_rest = sorted(rest[:max(0, cap - len(chosen_reps))], key=len)
    chosen = chosen_reps + chosen_rest
    log(f"{len(units):,} units, {len(distinct):,} distinct texts in {len(first_of):,} groups; "
        f"encoding up to {len(chosen):,} (budget {budget_s:.0f} s)")
    vectors: dict[str, Vector] = {}
    started = time.perf_counter()
    chunk = 1024
    for start in range(0, len(chosen), chunk):
        if time.perf_counter() - started > budget_s:
            log(f"encode budget reached after {len(vectors):,} texts")
            break
        batch = chosen[start:start + chunk]
        out = encoder.encode(batch)
        for t, v in zip(batch, np.asarray(out, dtype=np.float32), strict=True):
            vectors[t] = v
        done = len(vectors)
        rate = done / (time.perf_counter() - started)
        log(f"  encoded {done:,}/{len(chosen):,} ({rate:.0f} texts/s)")
    encode_s = time.perf_counter() - started
    encoded = list(vectors)
    by_group: dict[str, list[str]] = {}
    for t in encoded:
        by_group.setdefault(texts[t], []).append(t)
    by_side: dict[str, list[str]] = {}
    for t in encoded:
        by_side.setdefault(texts[t][0], []).append(t)
    todo = [t for t in distinct if t not in vectors]
    np_rng = np.random.default_rng(seed)
    for start in range(0, len(todo), 20_000):
        part = todo[start:start + 20_000]
        bases = np.stack([vectors[rng.choice(by_group.get(texts[t]) or by_side[texts[t][0]])] for t in part])
        noisy = bases + np_rng.normal(0.0, noise, bases.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        for t, v in zip(part, noisy.astype(np.float32), strict=True):
            vectors[t] = v
    info = {"distinct_texts": len(distinct), "encoded_texts": len(encoded), "proxied_texts": len(todo),
            "encode_s": encode_s, "encode_texts_per_s": len(encoded) / encode_s if encode_s else 0.0}
    return vectors, info


def build_db(path: Path, n_specialties: int, n_gaps: int, seed: int, cap: int, budget_s: float, noise: float,
             encoder: Encoder, ref: Reference) -> DbMeta:
    started = time.perf_counter()
    n_colleges = math.ceil(n_specialties / SPECIALTIES_PER_COLLEGE)
    n_enterprises = math.ceil(n_gaps / GAPS_PER_ENTERPRISE)
    log(f"generating {n_colleges:,} colleges and {n_enterprises:,} enterprises (seed {seed})")
    t = time.perf_counter()
    colleges, enterprises = generate(n_colleges, n_enterprises, seed)
    colleges = _trim(colleges, "specialties", n_specialties)
    enterprises = _trim(enterprises, "talent_gaps", n_gaps)
    generate_s = time.perf_counter() - t
    spec_units = [[_specialty_unit(s, ref) for s in c["specialties"]] for c in colleges]
    gap_units = [[_gap_unit(g, e.get("industry")) for g in e["talent_gaps"]] for e in enterprises]
    n_spec, n_gap = sum(map(len, spec_units)), sum(map(len, gap_units))
    log(f"generated {len(colleges):,} colleges / {n_spec:,} specialties, {len(enterprises):,} enterprises / "
        f"{n_gap:,} gaps in {generate_s:.0f} s")

    embedder = Embedder(encoder, ref.catalogue)
    vectors, info = encode_distinct(encoder, [u for us in spec_units + gap_units for u in us], embedder, cap,
                                    budget_s, noise, seed)

    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    upgrade(engine)
    tables = Base.metadata.tables
    places = Places(ref)
    now = datetime.now(UTC)
    t = time.perf_counter()

    def blob(unit: SimpleNamespace) -> tuple[bytes, str]:
        unit_text = embedder.text_of(unit)
        return vectors[unit_text].astype("<f4").tobytes(), text_key(embedder.model, unit_text)

    def profile_row(pid: int, r: Record) -> Record:
        country, province, lat, lon = places.resolve(r["country"], r.get("province"), r.get("city"))
        return {"id": pid, "name": r["name"], "name_zh": r.get("name_zh"), "country": country,
                "province": province, "city": r.get("city"), "lat": lat, "lon": lon,
                "description": r.get("description"), "cooperation_modes": list(r.get("cooperation_modes") or []),
                "dedup_key": dedup_key(r["name"], r.get("city")), "created_at": now, "updated_at": now}

    with engine.connect() as conn:
        conn.execute(text("PRAGMA synchronous=OFF"))
        unit_id = 0
        for start in range(0, len(colleges), 2000):
            rows, units = [], []
            for pid, c in enumerate(colleges[start:start + 2000], start=start + 1):
                rows.append(profile_row(pid, c) | {"kind": c["kind"]})
                for pos, u in enumerate(spec_units[pid - 1]):
                    unit_id += 1
                    emb, key = blob(u)
                    units.append({"id": unit_id, "college_id": pid, "position": pos, "name": u.name, "code": u.code,
                                  "description": u.description, "annual_graduates": u.annual_graduates,
                                  "embedding": emb, "embedding_key": key})
            conn.execute(insert(tables["colleges"]), rows)
            conn.execute(insert(tables["specialties"]), units)
        unit_id = 0
        for start in range(0, len(enterprises), 4000):
            rows, units = [], []
            for pid, e in enumerate(enterprises[start:start + 4000], start=start + 1):
                row = profile_row(pid, e)
                row |= {"industry": e.get("industry"), "size": e.get("size"),
                        "preferred_provinces": places.preferred(e.get("preferred_provinces") or [], row["country"])}
                rows.append(row)
                for pos, u in enumerate(gap_units[pid - 1]):
                    unit_id += 1
                    emb, key = blob(u)
                    units.append({"id": unit_id, "enterprise_id": pid, "position": pos, "field": u.field,
                                  "description": u.description, "headcount": u.headcount, "level": u.level,
                                  "start_date": date.fromisoformat(u.start_date) if u.start_date else None,
                                  "codes": u.codes, "embedding": emb, "embedding_key": key})
            conn.execute(insert(tables["enterprises"]), rows)
            conn.execute(insert(tables["talent_gaps"]), units)
        conn.commit()
    engine.dispose()
    insert_s = time.perf_counter() - t
    with sqlite3.connect(tmp) as raw:  # fold the WAL in, so the cached file stands alone
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tmp.rename(path)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    meta = DbMeta(format=DB_FORMAT, path=str(path), seed=seed, colleges=len(colleges), specialties=n_spec,
                  enterprises=len(enterprises), talent_gaps=n_gap, encode_cap=cap, encode_budget_s=budget_s,
                  noise=noise, generate_s=generate_s, insert_s=insert_s, build_s=time.perf_counter() - started,
                  model=encoder.name, built_at=datetime.now(UTC).isoformat(timespec="seconds"), **info)
    log(f"database built in {meta.build_s:.0f} s (insert {insert_s:.0f} s): {path}")
    return meta


def cached_db(args: argparse.Namespace, encoder: Encoder, ref: Reference) -> DbMeta:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    name = (f"db-f{DB_FORMAT}-s{args.specialties}-g{args.gaps}-seed{args.seed}-cap{args.encode_cap}"
            f"-noise{args.noise}-{encoder.name.replace('/', '_')}")
    path, meta_path = work / f"{name}.sqlite", work / f"{name}.json"
    if path.exists() and meta_path.exists() and not args.rebuild:
        meta = DbMeta(**json.loads(meta_path.read_text()))
        log(f"using cached database {path} (built {meta.built_at})")
        rekeyed = rekey(path, Embedder(encoder, ref.catalogue))
        if rekeyed:
            meta.rekeyed_units += rekeyed
            meta.rekeyed_at = datetime.now(UTC).isoformat(timespec="seconds")
            meta_path.write_text(json.dumps(asdict(meta), indent=2))
        return meta
    path.unlink(missing_ok=True)
    meta = build_db(path, args.specialties, args.gaps, args.seed, args.encode_cap, args.encode_budget, args.noise,
                    encoder, ref)
    meta_path.write_text(json.dumps(asdict(meta), indent=2))
    return meta


def rekey(path: Path, embedder: Embedder) -> int:
    """Point every unit's embedding_key at its text under the current Embedder.text_of; returns how many changed."""
    engine = make_engine(f"sqlite:///{path}")
    changed = 0
    with engine.connect() as conn:
        spec_rows = conn.execute(select(Specialty.id, Specialty.name, Specialty.code, Specialty.description,
                                        Specialty.annual_graduates, Specialty.embedding_key)).all()
        gap_rows = conn.execute(select(TalentGap.id, TalentGap.field, TalentGap.codes, TalentGap.description,
                                       TalentGap.level, TalentGap.embedding_key, Enterprise.industry)
                                .join(Enterprise, TalentGap.enterprise_id == Enterprise.id)).all()
        for table, rows in (("specialties", spec_rows), ("talent_gaps", gap_rows)):
            updates = []
            for row in rows:
                key = text_key(embedder.model, embedder.text_of(SimpleNamespace(**row._asdict())))
                if key != row.embedding_key:
                    updates.append({"unit_id": row.id, "key": key})
            if updates:
                conn.execute(text(f"UPDATE {table} SET embedding_key = :key WHERE id = :unit_id"), updates)
                log(f"re-keyed {len(updates):,} {table}: the unit text changed since the database was built "
                    "(vectors kept)")
            changed += len(updates)
        conn.commit()
    engine.dispose()
    return changed


# --- latency ---------------------------------------------------------------------------------------


@dataclass
class Workload:
    enterprise_ids: list[int]
    located_enterprise_ids: list[int]
    college_ids: list[int]
    search_texts: list[str]
    warmup: int
    headers: dict[str, str]


def make_workload(engine: Engine, queries: int, warmup: int, seed: int) -> Workload:
    rng = random.Random(seed)
    n = queries + warmup
    with make_sessionmaker(engine)() as session:
        enterprise_ids = list(session.scalars(select(Enterprise.id).order_by(Enterprise.id)))
        located = list(session.scalars(select(Enterprise.id).where(Enterprise.lat.is_not(None))
                                       .order_by(Enterprise.id)))
        college_ids = list(session.scalars(select(Specialty.college_id).distinct().order_by(Specialty.college_id)))
        gap_ids = rng.sample(range(1, (session.scalar(select(func.max(TalentGap.id))) or 0) + 1), n)
        gaps = {g.id: g for g in session.scalars(select(TalentGap).where(TalentGap.id.in_(gap_ids)))}
        search_texts = [f"{gaps[i].field}. {gaps[i].description or ''}".strip() for i in gap_ids if i in gaps]
        _, secret = keys.create_key(session, Role.ADMIN, name="bench_speed")
    return Workload(enterprise_ids=rng.sample(enterprise_ids, n), located_enterprise_ids=rng.sample(located, n),
                    college_ids=rng.sample(college_ids, n), search_texts=search_texts, warmup=warmup,
                    headers={"Authorization": f"Bearer {secret}"})


class AsgiClient:
    """Requests straight into the ASGI app from an event loop in this thread: the path a server's
    own loop takes (uvicorn calls the app the same way), without TestClient's thread bridge."""

    def __init__(self, app: FastAPI) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")

    def get(self, path: str, params: Any = None, headers: Any = None) -> httpx.Response:
        return self.loop.run_until_complete(self.client.get(path, params=params, headers=headers))

    def post(self, path: str, json: Any = None, headers: Any = None) -> httpx.Response:
        return self.loop.run_until_complete(self.client.post(path, json=json, headers=headers))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


def app_get(client: TestClient | AsgiClient, headers: dict[str, str], path: str,
            params: dict[str, str | float] | None = None) -> Callable[[Any], list[int]]:
    def call(profile_id: Any) -> list[int]:
        response = client.get(path.format(id=profile_id), params=params, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{path} {profile_id}: {response.status_code} {response.text[:300]}")
        return [s["id"] for s in response.json()["data"]]
    return call


def app_search(client: TestClient | AsgiClient, headers: dict[str, str]) -> Callable[[Any], list[int]]:
    def call(query: Any) -> list[int]:
        response = client.post("/search", json={"text": query, "side": "colleges", "amount": 10}, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"/search: {response.status_code} {response.text[:300]}")
        return [s["id"] for s in response.json()["data"]]
    return call


def domain_matches(live: LiveIndex, sessions: sessionmaker[Session], settings: Settings, asker: SideSpec,
                   other: SideSpec, where: MatchFilter) -> Callable[[Any], list[int]]:
    def call(profile_id: Any) -> list[int]:
        with sessions() as session:
            asker_pool = live.fresh_pool(session, asker)
            pool = live.fresh_pool(session, other)
            query = profile_query(asker_pool, int(profile_id), is_enterprise=asker is ENTERPRISES)
            # as service/routes/matches.py calls it (newer code passes the gaps' keyword statistics)
            stats = getattr(live.pool(ENTERPRISES), "stats", None)
            extra: dict[str, Any] = {"gap_stats": stats} if stats is not None else {}
            result = suggest(pool, query, where, 10, 0, settings.ranking, settings.exact_scan_max,
                             asker_label=asker.label, **extra)
        return [s.id for s in result.data]
    return call


@dataclass
class FactoryRun:
    factory: str
    startup_s: float
    builds: list[dict[str, Any]]
    memory_before: dict[str, float]
    memory_after_start: dict[str, float]
    upsert_one_ms: dict[str, float] = field(default_factory=dict)
    app_worker_omp_threads: int = 0  # FAISS' OpenMP threads in the thread pool that runs sync routes
    latencies: list[Latency] = field(default_factory=list)


def run_factory(factory: str, db_url: str, workload: Workload, encoder: Encoder, ref: Reference,
                args: argparse.Namespace, exact: dict[str, list[list[int]]] | None) -> tuple[FactoryRun,
                                                                                          dict[str, list[list[int]]]]:
    home = Path(tempfile.mkdtemp(prefix="home-", dir=args.work))
    overrides: dict[str, Any] = {}
    if args.exact_scan_max is not None:
        overrides["exact_scan_max"] = args.exact_scan_max
    # No result cache: the cases ask for the same profiles through several clients, and each must compute.
    # embedding_model: the domain cases read settings.ranking, whose threshold is the model's own.
    settings = Settings(database_url=db_url, home=home, load_sample=False, index_factory=factory,
                        index_nprobe=args.nprobe, result_cache_size=0, embedding_model=encoder.name, **overrides)
    builds: list[dict[str, Any]] = []
    original_build = VectorIndex.build

    def timed_build(self: VectorIndex, ids: np.ndarray[Any, Any], vectors: np.ndarray[Any, Any]) -> VectorIndex:
        t = time.perf_counter()
        out = original_build(self, ids, vectors)
        builds.append({"vectors": len(ids), "seconds": round(time.perf_counter() - t, 2), "in_use": self.in_use})
        return out

    gc.collect()
    memory_before = rss_mb()
    log(f"[{factory}] starting the app (its lifespan loads and indexes {db_url.rsplit('/', 1)[-1]})")
    # As `matchmaker serve` runs it: what the start loaded is exempt from the cyclic GC (service/app.py); else
    # a collection in a timed call walks millions of cards and vectors' owners. Unfrozen at shutdown, so the
    # next factory's or model's start does not keep this one's objects.
    app: FastAPI = create_app(settings, ref, encoder, freeze_heap=not args.no_freeze)
    client = TestClient(app)
    t = time.perf_counter()
    with patch.object(VectorIndex, "build", timed_build):
        client.__enter__()
    startup_s = time.perf_counter() - t
    run = FactoryRun(factory=factory, startup_s=startup_s, builds=builds, memory_before=memory_before,
                     memory_after_start=rss_mb())
    log(f"[{factory}] ready in {startup_s:.1f} s; builds {builds}; memory {run.memory_after_start}")
    results: dict[str, list[list[int]]] = {}
    omp_default = faiss.omp_get_max_threads()
    try:
        state = app.state.matchmaker
        if not state.ready or state.live is None:
            raise RuntimeError("the app did not become ready (is the database migrated?)")
        live: LiveIndex = state.live
        portal: Any = getattr(client, "portal", None)
        if portal is not None:
            run.app_worker_omp_threads = int(portal.call(anyio.to_thread.run_sync, faiss.omp_get_max_threads))
            log(f"[{factory}] a route's worker thread runs FAISS with {run.app_worker_omp_threads} OpenMP threads")
        h, w = workload.headers, workload.warmup
        match_targets = {"target_p50": TARGET_MATCH_P50_MS, "target_p99": TARGET_MATCH_P99_MS}
        domain = domain_matches(live, state.sessions, settings, ENTERPRISES, COLLEGES, MatchFilter())
        asgi = AsgiClient(app)

        def configure_here() -> None:
            # configure_threads ran in the lifespan's worker thread; FAISS' OpenMP thread count is per thread.
            configure_threads(settings.faiss_threads)

        Case = tuple[str, str, Sequence[Any], Callable[[Any], list[int]], dict[str, float], Callable[[], None] | None]
        cases: list[Case] = [
            ("GET /enterprises/{id}/matches", f"domain, caller's OpenMP threads = {omp_default} (not configured)",
             workload.enterprise_ids, domain, match_targets, None),
            ("GET /enterprises/{id}/matches", "domain", workload.enterprise_ids, domain, match_targets, configure_here),
            ("GET /enterprises/{id}/matches", "asgi", workload.enterprise_ids,
             app_get(asgi, h, "/enterprises/{id}/matches"), match_targets, None),
            ("GET /enterprises/{id}/matches", "app", workload.enterprise_ids,
             app_get(client, h, "/enterprises/{id}/matches"), match_targets, None),
            ("GET /colleges/{id}/matches", "app", workload.college_ids,
             app_get(client, h, "/colleges/{id}/matches"), {}, None),
            ("POST /search (colleges)", "asgi", workload.search_texts, app_search(asgi, h),
             {"target_p50": TARGET_SEARCH_P50_MS}, None),
            ("POST /search (colleges)", "app", workload.search_texts, app_search(client, h),
             {"target_p50": TARGET_SEARCH_P50_MS}, None),
            ("GET /enterprises/{id}/matches?province=Xinjiang", "app", workload.enterprise_ids,
             app_get(client, h, "/enterprises/{id}/matches", {"province": "Xinjiang"}), match_targets, None),
            ("GET /enterprises/{id}/matches?max_distance_km=500", "app", workload.located_enterprise_ids,
             app_get(client, h, "/enterprises/{id}/matches", {"max_distance_km": 500}), match_targets, None),
        ]
        for case, via, items, call, targets, setup in cases:
            if setup is not None:
                setup()
            samples, ids, first = timed_calls(items, w, call, args.case_budget)
            p50, p95, p99, mean = summarize(samples)
            key = f"{case} [{via}]"
            results[key] = ids
            recall, recall_n = recall_at_10(exact[key], ids) if exact and key in exact else (None, 0)
            lat = Latency(factory=factory, case=case, via=via, n=len(samples), p50=p50, p95=p95, p99=p99, mean=mean,
                          first_ms=first, recall_at_10=recall, recall_queries=recall_n, **targets)
            run.latencies.append(lat)
            log(f"[{factory}] {key}: p50 {p50:.1f} p95 {p95:.1f} p99 {p99:.1f} ms (first {first:.0f} ms)"
                + (f", recall@10 {recall:.3f} over {recall_n}" if recall is not None else ""))
        # The text encoding inside POST /search, alone: one text per call, as the route does.
        samples, _, first = timed_calls(
            workload.search_texts, w, lambda q: [len(live.embedder.encode_texts([q]))], args.case_budget)
        p50, p95, p99, mean = summarize(samples)
        run.latencies.append(Latency(factory=factory, case="encode one search text (Encoder.encode)", via="domain",
                                     n=len(samples), p50=p50, p95=p95, p99=p99, mean=mean, first_ms=first))
        log(f"[{factory}] encode one text: p50 {p50:.1f} p95 {p95:.1f} p99 {p99:.1f} ms")
        asgi.close()
        run.upsert_one_ms = upsert_probe(live)
        log(f"[{factory}] upsert of one unit into the loaded index: {run.upsert_one_ms}")
    finally:
        faiss.omp_set_num_threads(omp_default)  # the next factory's first case runs unconfigured again
        t = time.perf_counter()
        client.__exit__(None, None, None)
        gc.unfreeze()
        log(f"[{factory}] shut down in {time.perf_counter() - t:.1f} s (saves the index)")
        shutil.rmtree(home, ignore_errors=True)
        del client, app
        gc.collect()
    return run, results


def upsert_probe(live: LiveIndex, repeats: int = 5) -> dict[str, float]:
    """What one changed unit costs the in-memory index (the write path calls this per profile).

    Runs last: the probe units are removed again but leave dead slots behind.
    """
    out: dict[str, float] = {}
    for spec in (COLLEGES, ENTERPRISES):
        index = live.pools[spec.side].index
        if len(index) == 0:
            continue
        base_id = int(index.unit_ids().max()) + 1_000_000
        vector = index.vectors_of([int(index.unit_ids()[0])])
        times = []
        for r in range(repeats):
            t = time.perf_counter()
            index.upsert([base_id + r], vector)
            times.append((time.perf_counter() - t) * 1000)
        index.remove(base_id + r for r in range(repeats))
        out[str(spec.side)] = round(float(np.median(times)), 1)
    return out


# --- ingest ----------------------------------------------------------------------------------------


class TimedEncoder(Encoder):
    """The real encoder, counting the time spent in Encoder.encode (as the write path calls it)."""

    def __init__(self, inner: Encoder) -> None:
        super().__init__(inner.name, inner.dimension, inner.batch_size)
        self.inner = inner
        self.seconds = 0.0
        self.texts = 0

    def _encode(self, texts: list[str]) -> np.ndarray[Any, Any]:
        return self.inner.encode(texts)

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray[Any, Any]:
        t = time.perf_counter()
        out = self.inner.encode(texts, progress)
        self.seconds += time.perf_counter() - t
        self.texts += len(texts)
        return out


class StubEncoder(Encoder):
    """Random unit vectors instantly: isolates everything in an import but the model."""

    def __init__(self, inner: Encoder) -> None:
        super().__init__(inner.name, inner.dimension, inner.batch_size)

    def _encode(self, texts: list[str]) -> np.ndarray[Any, Any]:
        return self.encode(texts)

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray[Any, Any]:
        rng = np.random.default_rng(len(texts))
        out = rng.normal(size=(len(texts), self.dimension)).astype(np.float32)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        if progress:
            progress(len(texts))
        return out


@dataclass
class IngestRun:
    colleges: int
    specialties: int
    enterprises: int
    talent_gaps: int
    units: int
    import_s: float
    import_encode_s: float  # inside Encoder.encode during the import
    raw_encode_s: list[float]  # model.encode(texts, batch_size=64): before and after the import
    import_units_per_s: float
    raw_units_per_s: float
    ratio: float
    encoder_units_per_s: float  # the project's Encoder.encode, inside the import
    other_s: float  # import time not in Encoder.encode: checks, ORM, flushes, index
    profile_top: str = ""
    profile_stub_s: float = 0.0

    def verdict(self) -> str:
        return "PASS" if self.ratio >= TARGET_INGEST_RATIO else "FAIL"


def fresh_db(path: Path) -> Engine:
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def do_import(engine: Engine, encoder: Encoder, ref: Reference, colleges: list[Record],
              enterprises: list[Record]) -> float:
    live = LiveIndex(Embedder(encoder, ref.catalogue), None)
    with make_sessionmaker(engine)() as session:
        live.load(session)
        t = time.perf_counter()
        import_text(session, COLLEGES, "".join(to_jsonl(colleges)), "jsonl", ref, live=live)
        import_text(session, ENTERPRISES, "".join(to_jsonl(enterprises)), "jsonl", ref, live=live)
        return time.perf_counter() - t


def run_ingest(args: argparse.Namespace, encoder: Encoder, ref: Reference) -> IngestRun:
    per_side = args.ingest_units // 2
    colleges, enterprises = generate(math.ceil(per_side / SPECIALTIES_PER_COLLEGE),
                                     math.ceil(per_side / GAPS_PER_ENTERPRISE), args.seed + 1)
    colleges = _trim(colleges, "specialties", per_side)
    enterprises = _trim(enterprises, "talent_gaps", per_side)
    embedder = Embedder(encoder, ref.catalogue)
    texts = ([embedder.text_of(_specialty_unit(s, ref)) for c in colleges for s in c["specialties"]]
             + [embedder.text_of(_gap_unit(g, e.get("industry"))) for e in enterprises for g in e["talent_gaps"]])
    n_spec = sum(len(c["specialties"]) for c in colleges)
    log(f"ingest: {len(colleges)} colleges / {n_spec} specialties, {len(enterprises)} enterprises / "
        f"{len(texts) - n_spec} gaps = {len(texts)} units ({len(set(texts))} distinct texts)")
    encoder.encode(texts[:128])  # warm-up

    def raw() -> float:
        t = time.perf_counter()
        encoder.encode(texts)
        return time.perf_counter() - t

    raw_s = [raw()]
    log(f"ingest: raw model.encode {len(texts) / raw_s[0]:.1f} units/s")
    work = Path(args.work)
    timed = TimedEncoder(encoder)
    engine = fresh_db(work / "ingest.sqlite")
    import_s = do_import(engine, timed, ref, colleges, enterprises)
    with make_sessionmaker(engine)() as session:
        stored = ([embedder.text_of(u) for u in session.scalars(select(Specialty).order_by(Specialty.id))]
                  + [embedder.text_of(u) for u in session.scalars(select(TalentGap).order_by(TalentGap.id))])
        missing = session.scalar(select(func.count()).select_from(Specialty).where(Specialty.embedding.is_(None)))
    engine.dispose()
    if sorted(stored) != sorted(texts) or missing:
        raise RuntimeError("the import stored other texts than the ones timed with model.encode")
    log(f"ingest: import {len(texts) / import_s:.1f} units/s ({import_s:.1f} s, {timed.seconds:.1f} s in "
        f"Encoder.encode)")
    raw_s.append(raw())
    log(f"ingest: raw model.encode again {len(texts) / raw_s[1]:.1f} units/s")
    raw_rate = len(texts) / float(np.mean(raw_s))
    run = IngestRun(colleges=len(colleges), specialties=n_spec, enterprises=len(enterprises),
                    talent_gaps=len(texts) - n_spec, units=len(texts), import_s=import_s,
                    import_encode_s=timed.seconds, raw_encode_s=raw_s, import_units_per_s=len(texts) / import_s,
                    raw_units_per_s=raw_rate, ratio=(len(texts) / import_s) / raw_rate,
                    encoder_units_per_s=len(texts) / timed.seconds if timed.seconds else 0.0,
                    other_s=import_s - timed.seconds)
    if args.profile or run.ratio < TARGET_INGEST_RATIO:
        run.profile_stub_s, run.profile_top = profile_import(work, encoder, ref, colleges, enterprises)
    return run


def profile_import(work: Path, encoder: Encoder, ref: Reference, colleges: list[Record],
                   enterprises: list[Record]) -> tuple[float, str]:
    """The same import under cProfile, with a stub encoder: where the non-encoding time goes."""
    engine = fresh_db(work / "ingest-profile.sqlite")
    stub = StubEncoder(encoder)
    stub_engine = fresh_db(work / "ingest-stub.sqlite")
    unprofiled = do_import(stub_engine, stub, ref, colleges, enterprises)
    stub_engine.dispose()
    profile = profiled(lambda target: do_import(target, stub, ref, colleges, enterprises), [engine],
                       work / "ingest-profile.txt", cumulative=35)
    engine.dispose()
    log(f"ingest: with a stub encoder the import takes {unprofiled:.2f} s; profile in {work / 'ingest-profile.txt'}")
    return unprofiled, profile


# --- diagnosis: where a match query's time goes ------------------------------------------------------


def diagnose(args: argparse.Namespace, encoder: Encoder, ref: Reference, meta: DbMeta) -> dict[str, Any]:
    """Per factory, outside the app: retrieval rounds and scored units per query, then cProfile.

    Counts come from wrapping VectorIndex.search and matching.suggest.score_profiles (benchmark only).
    """
    import matching.suggest as suggest_module

    engine = make_engine(f"sqlite:///{meta.path}")
    sessions = make_sessionmaker(engine)
    workload = make_workload(engine, args.queries, 0, args.seed)
    settings = Settings(database_url=f"sqlite:///{meta.path}", load_sample=False, embedding_model=encoder.name,
                        **({"exact_scan_max": args.exact_scan_max} if args.exact_scan_max is not None else {}))
    configure_threads(settings.faiss_threads)
    out: dict[str, Any] = {}
    searches: list[tuple[int, int, int]] = []  # (query rows, k, allowed or -1)
    scored: list[int] = []
    original_search = VectorIndex.search
    original_score: Any = suggest_module.score_profiles

    def counting_search(self: VectorIndex, queries: np.ndarray[Any, Any], k: int,
                        allowed: np.ndarray[Any, Any] | None = None) -> Any:
        searches.append((len(queries), k, -1 if allowed is None else len(allowed)))
        return original_search(self, queries, k, allowed)

    def counting_score(pool: Any, query: Any, candidates: Any, unit_ids: np.ndarray[Any, Any], *rest: Any) -> Any:
        scored.append(len(unit_ids))
        return original_score(pool, query, candidates, unit_ids, *rest)

    exact_answers: dict[str, list[list[int]]] = {}
    for factory in args.factory:
        live = LiveIndex(Embedder(encoder, ref.catalogue), None, factory, args.nprobe)
        t = time.perf_counter()
        with sessions() as session:
            live.load(session)
        log(f"[diagnose {factory}] loaded in {time.perf_counter() - t:.1f} s")
        report_rows = []
        for label, where, ids in (("unfiltered", MatchFilter(), workload.enterprise_ids),
                                  ("province=Xinjiang", MatchFilter(province="Xinjiang"), workload.enterprise_ids),
                                  ("max_distance_km=500", MatchFilter(max_distance_km=500),
                                   workload.located_enterprise_ids)):
            call = domain_matches(live, sessions, settings, ENTERPRISES, COLLEGES, where)
            call(ids[0])  # builds Pool.everything()
            per_query: list[tuple[int, int, int, float]] = []
            answers: list[list[int]] = []
            with patch.object(VectorIndex, "search", counting_search), \
                    patch.object(suggest_module, "score_profiles", counting_score):
                for profile_id in ids[:args.queries]:
                    searches.clear()
                    scored.clear()
                    t = time.perf_counter()
                    answers.append(call(profile_id))
                    per_query.append((len(searches), max((k for _, k, _ in searches), default=0),
                                      max(scored, default=0), (time.perf_counter() - t) * 1000))
            rounds = np.array([q[0] for q in per_query])
            max_scored = np.array([q[2] for q in per_query])
            ms = np.array([q[3] for q in per_query])
            allowed_total = len(live.pools[COLLEGES.side].index)
            row = {"case": label, "queries": len(per_query), "mean_search_calls": float(rounds.mean()),
                   "max_search_calls": int(rounds.max()), "max_k": int(max(q[1] for q in per_query)),
                   "queries_scoring_over_half_of_all_units": int((max_scored > allowed_total // 2).sum()),
                   "median_units_scored": float(np.median(max_scored)), "p50_ms": float(np.median(ms)),
                   "p50_ms_if_one_round": float(np.median(ms[rounds <= 1])) if (rounds <= 1).any() else None,
                   "p50_ms_if_deepened": float(np.median(ms[rounds > 1])) if (rounds > 1).any() else None}
            if factory == "Flat":
                exact_answers[label] = answers
            elif label in exact_answers:
                row["recall_at_10"] = recall_at_10(exact_answers[label], answers)[0]
            if label == "unfiltered":
                row["retrieval_depth"] = depth_experiment(live, call, ids[:args.queries], exact_answers.get(label))
            report_rows.append(row)
            log(f"[diagnose {factory}] {row}")
            path = Path(args.work) / f"profile-{factory.replace(',', '_')}-{label.replace('=', '')}.txt"
            profiled(call, ids[:args.queries], path)
            row["profile"] = str(path)
        out[factory] = report_rows
        del live
        gc.collect()
    engine.dispose()
    return out


def depth_experiment(live: LiveIndex, call: Callable[[Any], list[int]], ids: Sequence[int],
                     exact: list[list[int]] | None) -> list[dict[str, Any]]:
    """Recall@10 and latency when suggest stops after ONE retrieval of FIRST_K units per query unit (as it
    does for approximate indexes), for several FIRST_K. On Flat this isolates the stopping rule from the
    approximate search: its retrieval is exact."""
    import matching.suggest as suggest_module

    index = live.pools[COLLEGES.side].index
    rows = []
    saved = index.in_use
    try:
        if index.in_use == "Flat":
            index.in_use = "Flat, approximate stopping rule"  # VectorIndex.exact is False: one round only
        for first_k in (64, 256, 1024, 4096):
            with patch.object(suggest_module, "FIRST_K", first_k):
                times, answers = [], []
                for profile_id in ids:
                    t = time.perf_counter()
                    answers.append(call(profile_id))
                    times.append((time.perf_counter() - t) * 1000)
            recall = recall_at_10(exact, answers)[0] if exact is not None else None
            rows.append({"first_k": first_k, "p50_ms": float(np.median(times)), "recall_at_10": recall})
            log(f"  one round, FIRST_K {first_k}: p50 {rows[-1]['p50_ms']:.1f} ms, recall@10 {recall}")
    finally:
        index.in_use = saved
    return rows


# --- report ----------------------------------------------------------------------------------------


def report(info: dict[str, Any]) -> str:
    lines = ["| endpoint | via | index | n | p50 ms | p95 ms | p99 ms | first ms | recall@10 vs Flat | target |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for run in info.get("factories", []):
        for lat in run["latencies"]:
            target = []
            if lat["target_p50"] is not None:
                target.append(f"p50 ≤ {lat['target_p50']:.0f}")
            if lat["target_p99"] is not None:
                target.append(f"p99 ≤ {lat['target_p99']:.0f}")
            verdict = Latency(**lat).verdict()
            recall = f"{lat['recall_at_10']:.3f}" if lat["recall_at_10"] is not None else "–"
            lines.append(f"| {lat['case']} | {lat['via']} | {lat['factory']} | {lat['n']} | {lat['p50']:.1f} | "
                         f"{lat['p95']:.1f} | {lat['p99']:.1f} | {lat['first_ms']:.0f} | {recall} | "
                         f"{verdict}{' (' + ', '.join(target) + ')' if target else ''} |")
    lines += ["", "| index | startup s | index builds (vectors: s) | RSS before → after start MiB | "
              "upsert 1 unit ms |", "|---|---:|---|---|---|"]
    for run in info.get("factories", []):
        builds = ", ".join(f"{b['vectors']:,}: {b['seconds']:.1f}" + (f" ({b['in_use']})" if b["in_use"] !=
                                                                        run["factory"] else "")
                           for b in run["builds"])
        lines.append(f"| {run['factory']} | {run['startup_s']:.1f} | {builds} | "
                     f"{run['memory_before']['rss_mb']:.0f} → {run['memory_after_start']['rss_mb']:.0f} | "
                     f"{run['upsert_one_ms']} |")
    ingest = info.get("ingest")
    if ingest:
        run = IngestRun(**ingest)
        lines += ["", "| ingest | units | seconds | units/s |", "|---|---:|---:|---:|",
                  f"| raw `model.encode(texts, batch_size=64)` (mean of before/after) | {run.units} | "
                  f"{np.mean(run.raw_encode_s):.1f} | {run.raw_units_per_s:.1f} |",
                  f"| `import_text(..., live=live)` | {run.units} | {run.import_s:.1f} | "
                  f"{run.import_units_per_s:.1f} |",
                  f"| of which in `Encoder.encode` | {run.units} | {run.import_encode_s:.1f} | "
                  f"{run.encoder_units_per_s:.1f} |",
                  f"| of which everything else | | {run.other_s:.1f} | |",
                  f"| ratio import / raw | | | **{run.ratio:.2f}** ({run.verdict()}, target ≥ "
                  f"{TARGET_INGEST_RATIO}) |"]
    return "\n".join(lines)


def side_by_side(models: dict[str, dict[str, Any]]) -> str:
    """One row per endpoint, via and index; per model its p50 / p99 (recall@10) and verdict."""
    names = list(models)
    rows: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    for name in names:
        for run in models[name].get("factories", []):
            for lat in run["latencies"]:
                rows.setdefault((lat["case"], lat["via"], lat["factory"]), {})[name] = lat
    lines = ["| endpoint | via | index | target | " + " | ".join(names) + " |",
             "|---|---|---|---|" + "---|" * len(names)]
    for (case, via, factory), by_model in rows.items():
        first = next(iter(by_model.values()))
        target = ", ".join(f"{k} ≤ {first[f'target_{k}']:.0f}" for k in ("p50", "p99")
                           if first[f"target_{k}"] is not None) or "info"
        cells = []
        for name in names:
            lat = by_model.get(name)
            if lat is None:
                cells.append("–")
                continue
            recall = f" ({lat['recall_at_10']:.3f})" if lat["recall_at_10"] is not None else ""
            verdict = Latency(**lat).verdict()
            cells.append(f"{lat['p50']:.1f} / {lat['p99']:.1f}{recall}" + ("" if verdict == "info" else f" {verdict}"))
        lines.append(f"| {case} | {via} | {factory} | {target} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, few queries: checks the benchmark runs")
    p.add_argument("--specialties", type=int, help="specialties in the latency database (default 100,000)")
    p.add_argument("--gaps", type=int, help="talent gaps in the latency database (default 200,000)")
    p.add_argument("--factory", action="append", help="FAISS factory, repeatable (default Flat, HNSW32, "
                   "IVF1024,Flat); Flat should come first: it is the exact reference for recall")
    p.add_argument("--nprobe", type=int, default=16, help="IVF cells probed (HNSW efSearch = max(64, 4 × this))")
    p.add_argument("--queries", type=int, help="timed queries per case (default 300)")
    p.add_argument("--warmup", type=int, help="untimed queries before each case (default 30)")
    p.add_argument("--case-budget", type=float, default=180.0, help="seconds of timed queries per case before "
                   f"a slow case stops (after at least {MIN_TIMED}); warm-up gets a tenth of it")
    p.add_argument("--exact-scan-max", type=int, help="Settings.exact_scan_max (default: the Settings default)")
    p.add_argument("--encode-cap", type=int, help="distinct texts encoded for the database (default 30,000)")
    p.add_argument("--encode-budget", type=float, help="seconds for that encoding (default 600)")
    p.add_argument("--noise", type=float, default=0.02, help="per-dimension sigma of proxied vectors")
    p.add_argument("--ingest-units", type=int, help="units imported in the ingest test (default 3,000)")
    p.add_argument("--model", "--models", dest="models", nargs="+", default=[DEFAULT_MODEL],
                   help=f"embedding models, one run each on its own cached database, reported side by side "
                   f"(default {DEFAULT_MODEL})")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--work", default="/tmp/matchmaker-bench", help="cache and scratch directory")
    p.add_argument("--rebuild", action="store_true", help="rebuild the cached database")
    p.add_argument("--skip-latency", action="store_true")
    p.add_argument("--skip-ingest", action="store_true")
    p.add_argument("--no-freeze", action="store_true", help="leave the loaded heap to the cyclic GC (the server "
                   "freezes it after its start; tests do not)")
    p.add_argument("--profile", action="store_true", help="profile the import even when it meets its target")
    p.add_argument("--diagnose", action="store_true", help="instead of timing: count retrieval rounds and "
                   "scored units per match query, and cProfile --queries of them per factory (outside the app)")
    p.add_argument("--json", help="write every figure here (default: WORK/results[-quick].json)")
    args = p.parse_args(argv)
    full = {"specialties": 100_000, "gaps": 200_000, "factory": ["Flat", "HNSW32", "IVF1024,Flat"], "queries": 300,
            "warmup": 30, "encode_cap": 30_000, "encode_budget": 600.0, "ingest_units": 3_000}
    quick = {"specialties": 3_000, "gaps": 6_000, "factory": ["Flat", "HNSW32", "IVF64,Flat"], "queries": 60,
             "warmup": 10, "encode_cap": 1_500, "encode_budget": 300.0, "ingest_units": 300,
             "exact_scan_max": 1_000}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def model_work(args: argparse.Namespace, model: str) -> argparse.Namespace:
    """`args` for one model: its own work directory under --work (cached database, profiles, scratch)."""
    out = argparse.Namespace(**vars(args))
    out.model = model
    out.work = str(Path(args.work) / model.replace("/", "_"))
    Path(out.work).mkdir(parents=True, exist_ok=True)
    return out


def run_model(args: argparse.Namespace, ref: Reference, save: Callable[[], None], info: dict[str, Any]) -> None:
    """Every measurement for one model into `info` (its entry of the run's "models")."""
    encoder = load_encoder(args.model)
    info["encoder"] = {"name": encoder.name, "dimension": encoder.dimension}
    if not args.skip_latency:
        meta = cached_db(args, encoder, ref)
        info["database"] = asdict(meta)
        db_url = f"sqlite:///{meta.path}"
        engine = make_engine(db_url)
        workload = make_workload(engine, args.queries, args.warmup, args.seed)
        engine.dispose()
        info["factories"] = []
        exact: dict[str, list[list[int]]] | None = None
        for factory in args.factory:
            run, results = run_factory(factory, db_url, workload, encoder, ref, args, exact)
            if factory == "Flat":
                exact = results
            info["factories"].append(asdict(run))
            save()
    if not args.skip_ingest:
        info["ingest"] = asdict(run_ingest(args, encoder, ref))
        save()
    del encoder
    gc.collect()


def main(argv: Sequence[str] | None = None) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = parse_args(argv)
    started = time.perf_counter()
    info: dict[str, Any] = {"command": " ".join([Path(sys.executable).name, "-m", "benchmarks.bench_speed",
                                                 *sys.argv[1:]]),
                            "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                            "load_at_start": os.getloadavg(), "args": vars(args),
                            "source": source_state(), "models": {}}
    log(f"machine: {info['machine']}; code under test: {info['source']}; models {args.models}")
    ref = Reference.load(REPO_DATA)
    json_path = Path(args.json or Path(args.work) / f"results{'-quick' if args.quick else ''}.json")
    json_path.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        json_path.write_text(json.dumps(info, indent=2, default=str))

    if args.diagnose:
        for model in args.models:
            margs = model_work(args, model)
            encoder = load_encoder(model)
            info["models"][model] = {"diagnose": diagnose(margs, encoder, ref, cached_db(margs, encoder, ref))}
            del encoder
        Path(args.work, "diagnose.json").write_text(json.dumps(info, indent=2, default=str))
        print(json.dumps({m: v["diagnose"] for m, v in info["models"].items()}, indent=2))
        return
    for model in args.models:
        log(f"=== model {model} ===")
        info["models"][model] = {}
        run_model(model_work(args, model), ref, save, info["models"][model])
    info["load_at_end"] = os.getloadavg()
    info["source_at_end"] = source_state()
    if info["source_at_end"] != info["source"]:
        log(f"WARNING: the code under test changed during the run: {info['source']} -> {info['source_at_end']} "
            "(this process kept the modules it imported at start)")
    info["memory_end"] = rss_mb()
    info["total_s"] = time.perf_counter() - started
    save()
    for model, per_model in info["models"].items():
        print(f"\n## {model}\n")
        print(report(per_model))
        ingest = per_model.get("ingest")
        if ingest and ingest["profile_top"]:
            print("\nImport with a stub encoder, under cProfile (top by cumulative time):\n")
            print("\n".join(ingest["profile_top"].splitlines()[:60]))
    if len(info["models"]) > 1:
        print("\n## Side by side (p50 / p99 ms, recall@10 against Flat in brackets)\n")
        print(side_by_side(info["models"]))
    print(f"\nall figures: {json_path}; total {info['total_s']:.0f} s")


if __name__ == "__main__":
    main()
