"""kill -9 in the middle of `matchmaker import` and of a background match-list job, then start again: nothing
half-written, the index agrees with the database, and the job that was running is failed with a reason.

Real processes (`python -m service.cli ...`), real model, real FAISS, on SQLite and PostgreSQL. The database
starts as a copy of the embedded sample (built once per run by tests/sampledb.py).
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, Integer, delete, func, insert, select, text

from embeddings.encoder import Encoder
from matching import profiles
from matching.db import make_engine, make_sessionmaker
from matching.embedding import Embedder
from matching.errors import DomainError
from matching.lists import build, jobs
from matching.lists.leases import leases_for
from matching.lists.models import Job, MatchEntry, MatchList
from matching.live import LiveIndex
from matching.models import Base, College, Enterprise, IndexVersion, Specialty, TalentGap
from matching.prepare import prepare
from matching.reference import Reference
from matching.sample import is_empty, load_sample
from matching.schemas import CollegeCreate
from matching.sides import COLLEGES
from tests.conftest import college_body
from tests.sampledb import sample_copy
from tests.serving import free_port

REPO = Path(__file__).resolve().parent.parent
PORT_ATTEMPTS = 3  # a port the kernel handed out can still be taken before the server binds it
READY_TIMEOUT_S = 120  # a start on a busy machine: torch, the model, the sample's two indexes
Json = dict[str, Any]


# --- the database and the processes ----------------------------------------------------------------------------


@pytest.fixture
def sample_db(db_url: str, tmp_path_factory: pytest.TempPathFactory, reference: Reference,
              encoder: Encoder) -> Iterator[Engine]:
    """The migrated empty database of `db_url`, filled with the embedded sample, row for row."""
    source = make_engine(f"sqlite:///{sample_copy(tmp_path_factory, reference, encoder, 'crash-sample')}")
    target = make_engine(db_url)
    tables = Base.metadata.sorted_tables
    with source.connect() as src, target.begin() as dst:
        for table in reversed(tables):
            dst.execute(delete(table))
        for table in tables:
            rows = [dict(r) for r in src.execute(select(table)).mappings()]
            if rows:
                dst.execute(insert(table), rows)
        if target.url.get_backend_name() == "postgresql":  # copied ids: move the sequences past them
            for table in tables:
                if "id" in table.c and isinstance(table.c.id.type, Integer):
                    dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                     f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))
    source.dispose()
    yield target
    target.dispose()


def environment(db_url: str, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCH_")}
    return env | {"MATCH_DATABASE_URL": db_url, "MATCH_HOME": str(home), "PYTHONPATH": str(REPO),
                  "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra}


def mark(log: Path, what: str) -> None:
    """A line in the processes' log, so that a failure's log tail shows how long each step took."""
    with log.open("a") as out:
        out.write(f"--- {time.strftime('%H:%M:%S')} {what}\n")


def cli(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    mark(log, " ".join(args))
    # Output to a file: a pipe nobody reads fills up and stops the process.
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "service.cli", *args], env=env, cwd=REPO,
                                stdout=out, stderr=subprocess.STDOUT)


def wait_until(what: str, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path,
               timeout: float = READY_TIMEOUT_S, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if process.poll() is not None:
            raise AssertionError(f"the process ended ({process.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        time.sleep(every)
    raise AssertionError(f"no {what} within {timeout} s:\n{log.read_text()[-3000:]}")


def kill9(process: subprocess.Popen[bytes], log: Path) -> None:
    assert process.poll() is None, "the process ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    mark(log, "killed")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    auth: dict[str, str]

    def get(self, path: str, **params: Any) -> Json:
        response = httpx.get(self.base + path, params=params, headers=self.auth, timeout=60)
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body


@contextmanager
def serving(env: dict[str, str], home: Path, log: Path) -> Iterator[Server]:
    """`matchmaker serve` on a port of the kernel's choice (tests.serving.free_port), ready and known to be ours.

    Other test processes start servers at the same time (the other database's variant on the other xdist
    worker, other checkouts on this machine), so a free port may be taken before the server binds it: ours
    then exits, and until it does the other server answers /health. "Ours" is a server that opens /info
    for this home's admin key, which no other server knows; a lost port is tried again on another.
    """
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port, written = free_port(), log.stat().st_size if log.exists() else 0
        process = cli(env, log, "serve", "--no-sample", "-q", "--port", str(port))
        base = f"http://127.0.0.1:{port}"

        def ours(base: str = base) -> bool:
            key = home / "admin-key"
            try:
                return key.exists() and httpx.get(f"{base}/info", timeout=5, headers={
                    "Authorization": f"Bearer {key.read_text().strip()}"}).status_code == 200
            except httpx.TransportError:
                return False

        try:
            try:
                wait_until("GET /info answering 200 for this home's admin key", ours, process, log, every=0.2)
            except AssertionError:
                if attempt < PORT_ATTEMPTS and process.poll() is not None and b"address already in use" in log.read_bytes()[written:]:
                    mark(log, f"port {port} was taken before the server bound it: another port")
                    continue
                raise
            mark(log, "ready")
            key = (home / "admin-key").read_text().strip()
            yield Server(process, base, {"Authorization": f"Bearer {key}"})
            return
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)  # a test that failed while the server was stopped
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        out = {str(m.__tablename__): c.scalar(select(func.count()).select_from(m)) or 0
               for m in (College, Specialty, Enterprise, TalentGap)}
        out["units without a vector"] = sum(c.scalar(select(func.count()).select_from(m).where(
            m.embedding.is_(None))) or 0 for m in (Specialty, TalentGap))
    return out


def versions(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {side: version for side, version in c.execute(select(IndexVersion.side, IndexVersion.version))}


def writer_active(engine: Engine) -> bool:
    """Has another connection begun writing (inserted rows it has not committed)?"""
    if engine.url.get_backend_name() == "sqlite":
        probe = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")  # the one write lock: refused while the import holds it
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc), exc
            return True
        finally:
            probe.close()
    with engine.connect() as c:
        held = c.scalar(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class t ON t.oid = l.relation "
            "WHERE t.relname = 'specialties' AND t.relnamespace = current_schema()::regnamespace "
            "AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"))
    return bool(held)


def check_index_agrees(server: Server, engine: Engine) -> None:
    """/info's index sizes are the database's unit counts, and every suggested unit exists, in the suggested profile."""
    info = server.get("/info")
    db = counts(engine)
    assert info["counts"] == {k: db[k] for k in ("colleges", "specialties", "enterprises", "talent_gaps")}
    assert info["index"]["colleges"]["size"] == db["specialties"]
    assert info["index"]["enterprises"]["size"] == db["talent_gaps"]
    with engine.connect() as c:
        specialty_college = dict(c.execute(select(Specialty.id, Specialty.college_id)).all())
        gap_enterprise = dict(c.execute(select(TalentGap.id, TalentGap.enterprise_id)).all())
    seen = 0
    for enterprise_id in (1, 2, 3, 57, 440):
        for suggestion in server.get(f"/enterprises/{enterprise_id}/matches", limit=20)["data"]:
            for pair in suggestion["matched"]:
                assert specialty_college[pair["candidate_unit"]["id"]] == suggestion["id"]
                assert gap_enterprise[pair["query_unit"]["id"]] == enterprise_id
                seen += 1
    for college_id in (1, 100, 220):
        for suggestion in server.get(f"/colleges/{college_id}/matches", limit=20)["data"]:
            for pair in suggestion["matched"]:
                assert specialty_college[pair["query_unit"]["id"]] == college_id
                assert gap_enterprise[pair["candidate_unit"]["id"]] == suggestion["id"]
                seen += 1
    assert seen > 50


def colleges_file(path: Path, n: int, bad: int = 0) -> Path:
    """n colleges of 3 specialties whose texts all differ (each one is encoded), and `bad` invalid ones."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(n + bad):
            graduates = -1 if i >= n else 40 + i % 50
            f.write(json.dumps({
                "name": f"Crash Test College {i}", "name_zh": f"崩溃测试学院{i}", "country": "CN",
                "province": "Xinjiang", "city": "Korla", "kind": "higher_vocational",
                "specialties": [{"name": f"{topic} line {i}", "annual_graduates": graduates,
                                 "description": f"{topic} for plant {i}, shift pattern {i * 7 + j}, batch {j}"}
                                for j, topic in enumerate(("Continuous dyeing", "Coal chemical process",
                                                           "Electrical automation"))],
            }, ensure_ascii=False) + "\n")
    return path


# --- import ------------------------------------------------------------------------------------------------------


def save_indexes(engine: Engine, home: Path, reference: Reference, encoder: Encoder) -> None:
    """Both indexes saved with their manifests, as a server that ran before leaves them (without a third process)."""
    live = LiveIndex(Embedder(encoder, reference.catalogue), home / "index")
    with make_sessionmaker(engine)() as session:
        live.load(session)
    assert all(reason == "no saved index" for reason in live.rebuilt.values())


def kill_import_midway(engine: Engine, env: dict[str, str], log: Path, source: Path, *flags: str) -> None:
    before, version = counts(engine), versions(engine)
    assert before["specialties"] > 1000 and before["units without a vector"] == 0
    importer = cli(env, log, "import", str(source), "-q", *flags)
    # Killed once it has inserted rows, while it embeds their 1,200 texts (seconds of work).
    wait_until("the import writing", lambda: writer_active(engine), importer, log, every=0.02)
    kill9(importer, log)
    after = counts(engine)
    whole = {**before, "colleges": before["colleges"] + 400, "specialties": before["specialties"] + 1200}
    assert after in (before, whole), after  # all or nothing, and never a unit without its vector
    assert after == before, "the kill was meant to land before the commit"
    assert versions(engine) == version


def test_import_killed_midway_writes_nothing_and_the_restarted_server_agrees(
        sample_db: Engine, db_url: str, tmp_path: Path, reference: Reference, encoder: Encoder) -> None:
    home, log = tmp_path / "home", tmp_path / "processes.log"
    env = environment(db_url, home)
    save_indexes(sample_db, home, reference, encoder)
    kill_import_midway(sample_db, env, log, colleges_file(tmp_path / "colleges.jsonl", 400))
    with serving(env, home, log) as server:
        check_index_agrees(server, sample_db)
        assert server.get("/colleges", name="Crash Test College")["count"] == 0


def test_partial_import_killed_midway_writes_no_profile(sample_db: Engine, db_url: str, tmp_path: Path) -> None:
    """--partial writes the good rows, but still in one transaction: killed, none of them, and no lone units."""
    log = tmp_path / "processes.log"
    source = colleges_file(tmp_path / "colleges.jsonl", 400, bad=3)
    kill_import_midway(sample_db, environment(db_url, tmp_path / "home"), log, source, "--partial")


# --- a background job ----------------------------------------------------------------------------------------------


def test_server_killed_during_a_match_list_job_fails_the_job_at_restart(
        sample_db: Engine, db_url: str, tmp_path: Path) -> None:
    home, log = tmp_path / "home", tmp_path / "processes.log"
    # Every list of more than one gap is a job; 100 candidates per enterprise makes it last seconds.
    env = environment(db_url, home, MATCH_MATCH_LIST_SYNC_MAX="1", MATCH_MATCH_LIST_CANDIDATES="100")
    with serving(env, home, log) as server:
        response = httpx.post(f"{server.base}/match-lists", json={"name": "Everyone 2027", "scope": {}},
                              headers=server.auth, timeout=60)
        assert response.status_code == 202, response.text
        lst = response.json()
        job_id = lst["job_id"]

        assert server.get(f"/jobs/{job_id}")["status"] in ("queued", "running")

        def frozen_midway() -> bool:
            """Stop the server, then read the job as committed: a stopped process commits nothing more, so
            what is read is what the kill will leave (no race between seeing "midway" and the kill)."""
            server.process.send_signal(signal.SIGSTOP)
            with sample_db.connect() as c:
                status, done, total = c.execute(select(Job.status, Job.done, Job.total).where(Job.id == job_id)).one()
            assert status in ("queued", "running"), f"the job ended before the kill: {status} {done}/{total}"
            if status == "running" and 0 < done < total:
                mark(log, f"stopped with the job at {done}/{total}")
                return True
            server.process.send_signal(signal.SIGCONT)
            return False

        wait_until("the job halfway", frozen_midway, server.process, log, timeout=120, every=0.05)
        kill9(server.process, log)  # SIGKILL ends a stopped process too

    with make_sessionmaker(sample_db)() as session:  # as the kill left it
        job = session.get(Job, job_id)
        assert job is not None and job.status == "running"
        assert session.scalar(select(func.count()).select_from(MatchEntry)) == 0

    with serving(env, home, log) as server:
        job_public = server.get(f"/jobs/{job_id}")
        assert job_public["status"] == "failed" and "stopped" in job_public["error"], job_public
        failed = server.get(f"/match-lists/{lst['id']}")
        assert failed["status"] == "failed" and failed["counts"]["entries"] == 0, failed
        assert "stopped" in failed["error"]
        audit = server.get(f"/match-lists/{lst['id']}/audit")["data"]
        assert [a["action"] for a in audit] == ["create", "fail"]
        check_index_agrees(server, sample_db)

        # The restarted server runs jobs again.
        small = httpx.post(f"{server.base}/match-lists", headers=server.auth, timeout=60,
                           json={"name": "Korla only", "scope": {"enterprise_ids": [1, 2, 3]}})
        assert small.status_code == 202, small.text
        wait_until("the new job done", lambda: server.get(f"/jobs/{small.json()['job_id']}")["status"] == "done",
                   server.process, log, timeout=60, every=0.1)
    with sample_db.connect() as c:
        lists = dict(c.execute(select(MatchList.id, MatchList.status)).all())
        per_list = dict(c.execute(select(MatchEntry.list_id, func.count()).group_by(MatchEntry.list_id)).all())
    assert lists == {lst["id"]: "failed", small.json()["id"]: "ready"}
    assert set(per_list) == {small.json()["id"]}  # nothing of the killed job's list


# --- whose job is it -------------------------------------------------------------------------------------------------


def test_a_starting_server_fails_only_the_jobs_nobody_holds(engine: Engine) -> None:
    """Two processes' worth of leases on one database: a live owner's job is left alone, a dead one's is failed."""
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        owned, orphan = MatchList(name="owned", scope={}, min_score=0.3, max_colleges_per_gap=3, status="building",
                                  rounds=0, created_by="t"), \
            MatchList(name="orphan", scope={}, min_score=0.3, max_colleges_per_gap=3, status="building",
                      rounds=1, created_by="t")
        session.add_all([owned, orphan])
        session.flush()
        alive, dead = leases_for(engine), leases_for(engine)
        live_job = jobs.create(session, "match_list", owned.id, 5, hold=alive.take)
        dead_job = jobs.create(session, "round", orphan.id, 5, hold=dead.take)
        session.commit()
        live_id, dead_id = live_job.id, dead_job.id
    dead.close()  # its process ended: the system let go of its leases

    starting = leases_for(engine)
    try:
        assert build.reclaim(sessions, starting) == [dead_id]
        with sessions() as session:
            assert session.get(Job, live_id).status == "queued"  # type: ignore[union-attr]
            failed = session.get(Job, dead_id)
            assert failed is not None and failed.status == "failed" and "stopped" in (failed.error or "")
            assert session.get(MatchList, orphan.id).status == "ready"  # type: ignore[union-attr]  # a round: as it was
        alive.close()
        assert build.reclaim(sessions, starting) == [live_id]
        with sessions() as session:
            assert session.get(MatchList, owned.id).status == "failed"  # type: ignore[union-attr]
        assert build.reclaim(sessions, starting) == []
    finally:
        starting.close()
        alive.close()



# --- two writers, one index ------------------------------------------------------------------------------------------


def test_a_change_committed_between_our_commit_and_its_index_update_is_not_lost(
        engine: Engine, reference: Reference, encoder: Encoder) -> None:
    """Server A commits a college; before A updates its index, another process (B) commits one too. A must
    not take the database's version as its own (its pool lacks B's college): its next read reloads."""
    embedder = Embedder(encoder, reference.catalogue)
    a, b = LiveIndex(embedder, None), LiveIndex(embedder, None)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        a.load(session)
        b.load(session)
    with sessions() as sa, sessions() as sb:
        mine = profiles.add(sa, COLLEGES, prepare(COLLEGES, CollegeCreate.model_validate(college_body()), reference))
        sa.flush()
        a.before_commit(sa, COLLEGES, [mine])
        with a.committing(COLLEGES):
            sa.commit()
            other = profiles.create(sb, COLLEGES, prepare(COLLEGES, CollegeCreate.model_validate(
                college_body(name="Elsewhere College", city="Aksu")), reference), b)
            a.after_commit(sa, COLLEGES, [mine])
        ids = {mine.id, other.id}
    with sessions() as session:
        pool = a.fresh_pools(session)[COLLEGES.side]
        assert set(pool.profiles) == ids
        assert len(pool.index) == 2 * len(college_body()["specialties"])


# --- the sample of a first start ---------------------------------------------------------------------------------


def test_a_first_start_interrupted_between_the_sample_sides_loads_the_sample_again(
        engine: Engine, reference: Reference, tmp_path: Path) -> None:
    """Both sides land in one transaction: colleges left alone would make the next start skip the enterprises."""
    data = tmp_path / "data"
    (data / "sample").mkdir(parents=True)
    colleges = (REPO / "data" / "sample" / "colleges.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    (data / "sample" / "colleges.jsonl").write_text("\n".join(colleges) + "\n", encoding="utf-8")
    (data / "sample" / "enterprises.jsonl").write_text('{"name": "half a line', encoding="utf-8")  # cut off
    with make_sessionmaker(engine)() as session:
        with pytest.raises(DomainError):
            load_sample(session, reference, data)
        assert is_empty(session)
