"""Several serving processes on one database stay consistent: a write through one shows in the other's
reads, matches and searches, and so does a delete (each process keeps its own FAISS index and key
cache, and reloads a side when the database's version of it moved).

Real `matchmaker serve` processes with the real model, on a SQLite file (sharing one index
directory, as `serve --workers N` does) and on PostgreSQL (separate homes, as replicas on several
machines would), plus `serve --workers 2` itself on SQLite.
"""

from pathlib import Path
from typing import Any

import httpx

from matching import keys
from matching.db import make_engine, make_sessionmaker, upgrade
from tests import serving
from tests.conftest import college_body, enterprise_body


def _prepare(db_url: str, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A migrated database with an admin key saved where every process looks for it."""
    key_file = tmp_path / "admin-key"
    engine = make_engine(db_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        secret = keys.ensure_admin_key(session, key_file)
    engine.dispose()
    assert secret
    return key_file, {"Authorization": f"Bearer {secret}"}


def _env(db_url: str, key_file: Path, home: Path, index_dir: Path | None = None) -> dict[str, str]:
    env = {"MATCH_DATABASE_URL": db_url, "MATCH_HOME": str(home), "MATCH_ADMIN_KEY_FILE": str(key_file),
           "MATCH_LOAD_SAMPLE": "false"}
    if index_dir is not None:
        env["MATCH_INDEX_DIR"] = str(index_dir)
    return env


def _ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()["data"]]


def _search(client: httpx.Client) -> httpx.Response:
    return client.post("/search", json={"text": "数字化染整 dyeing and finishing technicians", "side": "colleges"})


def test_two_processes_on_one_database_see_each_others_writes(db_url: str, tmp_path: Path) -> None:
    database = db_url  # a migrated SQLite file, or a fresh PostgreSQL schema
    key_file, admin = _prepare(database, tmp_path)
    shared_index = tmp_path / "index" if database.startswith("sqlite") else None
    specs = [(_env(database, key_file, tmp_path / name, shared_index), tmp_path / f"{name}.log", ("--no-sample",))
             for name in ("a", "b")]
    with serving.processes(*specs) as (url_a, url_b), \
            httpx.Client(base_url=url_a, headers=admin, timeout=120) as a, \
            httpx.Client(base_url=url_b, headers=admin, timeout=120) as b:
        enterprise = a.post("/enterprises", json=enterprise_body())
        assert enterprise.status_code == 201, enterprise.text
        eid = enterprise.json()["id"]
        assert _ids(b.get(f"/enterprises/{eid}/matches")) == []  # no colleges yet, on either side

        first = a.post("/colleges", json=college_body())
        assert first.status_code == 201, first.text
        cid = first.json()["id"]
        # B never saw the write, yet its reads, its index (matches, search) and the reverse direction have it.
        assert b.get(f"/colleges/{cid}").json()["name"] == college_body()["name"]
        assert _ids(b.get(f"/enterprises/{eid}/matches")) == [cid]
        assert _ids(_search(b)) == [cid]
        assert _ids(b.get(f"/colleges/{cid}/matches")) == [eid]

        # A write through B shows in A, including the units' new ids and vectors.
        second = b.post("/colleges", json=college_body(name="Korla Dyeing Vocational School", city="Korla"))
        assert second.status_code == 201, second.text
        cid2 = second.json()["id"]
        assert sorted(_ids(a.get(f"/enterprises/{eid}/matches"))) == sorted([cid, cid2])

        # A replace through A that takes the dyeing specialty away changes what B matches on.
        other: dict[str, Any] = college_body(specialties=[{"name": "Hotel Management", "annual_graduates": 30}])
        assert a.put(f"/colleges/{cid}", json=other).status_code == 200
        matches_b = b.get(f"/enterprises/{eid}/matches").json()["data"]
        by_id = {m["id"]: m for m in matches_b}
        assert cid2 in by_id
        if cid in by_id:  # it may still pass as a weak candidate, but not on its old specialty
            assert all(p["candidate_unit"]["name"] == "Hotel Management" for p in by_id[cid]["matched"])

        # A delete through A: gone from B's reads, matches and search.
        assert a.delete(f"/colleges/{cid2}").status_code == 204
        assert b.get(f"/colleges/{cid2}").status_code == 404
        assert cid2 not in _ids(b.get(f"/enterprises/{eid}/matches"))
        assert cid2 not in _ids(_search(b))
        assert b.get("/colleges").json()["count"] == 1
        info_a, info_b = a.get("/info").json(), b.get("/info").json()
        assert info_a["index"]["colleges"]["version"] == info_b["index"]["colleges"]["version"]
        assert info_a["index"]["colleges"]["size"] == info_b["index"]["colleges"]["size"] == 1


def test_serve_with_two_workers_answers_consistently(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'workers.db'}"
    key_file, admin = _prepare(database, tmp_path)
    spec = (_env(database, key_file, tmp_path / "home"), tmp_path / "serve.log", ("--no-sample", "--workers", "2"))
    with serving.processes(spec) as (url,), httpx.Client(base_url=url, headers=admin, timeout=120) as client:
        eid = client.post("/enterprises", json=enterprise_body()).json()["id"]
        cid = client.post("/colleges", json=college_body()).json()["id"]
        # Each request may land on either worker (new connections spread over them): every answer agrees.
        for _ in range(12):
            with httpx.Client(base_url=url, headers=admin, timeout=120) as fresh:
                assert _ids(fresh.get(f"/enterprises/{eid}/matches")) == [cid]
        assert client.delete(f"/colleges/{cid}").status_code == 204
        for _ in range(12):
            with httpx.Client(base_url=url, headers=admin, timeout=120) as fresh:
                assert _ids(fresh.get(f"/enterprises/{eid}/matches")) == []
