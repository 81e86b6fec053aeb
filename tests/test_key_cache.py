"""Verified keys are cached for `key_cache_seconds`; revocations here clear the cache at once."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from embeddings.encoder import Encoder
from matching import keys
from matching.db import make_sessionmaker
from matching.reference import Reference
from matching.vocab import Role
from service.app import create_app
from service.auth import Principal, PrincipalCache
from service.settings import Settings
from tests.conftest import college_body


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_keeps_a_key_for_its_seconds_then_asks_again() -> None:
    clock = Clock()
    cache = PrincipalCache(2.0, max_entries=2, clock=clock)
    who = Principal(1, Role.ADMIN)
    cache.put("a", who)
    clock.now += 1.9
    assert cache.get("a") == who
    clock.now += 0.2
    assert cache.get("a") is None
    for digest in ("b", "c", "d"):
        cache.put(digest, who)
    assert cache.get("b") is None and cache.get("d") == who  # full at "d": it started again
    off = PrincipalCache(0.0)
    off.put("a", who)
    assert off.get("a") is None


@pytest.fixture
def cached(db_url: str, tmp_path: Path, reference: Reference, encoder: Encoder) -> Iterator[tuple[TestClient, Clock]]:
    settings = Settings(database_url=db_url, home=tmp_path / "home", load_sample=False, key_cache_seconds=5)
    app = create_app(settings, reference, encoder)
    with TestClient(app) as client:
        clock = Clock()
        app.state.matchmaker.principals.clock = clock
        yield client, clock


def test_a_key_revoked_by_another_process_stops_within_the_cache_time(
    cached: tuple[TestClient, Clock], engine: Engine
) -> None:
    client, clock = cached
    with make_sessionmaker(engine)() as session:
        key, secret = keys.create_key(session, Role.PROGRAM_MANAGER, name="PM")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/colleges", headers=headers).status_code == 200
    with make_sessionmaker(engine)() as session:  # as `matchmaker keys revoke` does, from outside
        keys.revoke(session, key.id)
    clock.now += 4.9
    assert client.get("/colleges", headers=headers).status_code == 200  # the documented window
    clock.now += 0.2
    response = client.get("/colleges", headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


def test_revoking_or_deleting_through_the_api_takes_effect_at_once(
    cached: tuple[TestClient, Clock], engine: Engine
) -> None:
    client, _ = cached
    with make_sessionmaker(engine)() as session:
        _, admin_secret = keys.create_key(session, Role.ADMIN)
        pm, pm_secret = keys.create_key(session, Role.PROGRAM_MANAGER)
    admin = {"Authorization": f"Bearer {admin_secret}"}
    college = client.post("/colleges", json=college_body(), headers=admin).json()
    with make_sessionmaker(engine)() as session:
        _, college_secret = keys.create_key(session, Role.COLLEGE, college_id=college["id"])
    bound = {"Authorization": f"Bearer {college_secret}"}
    for headers in ({"Authorization": f"Bearer {pm_secret}"}, bound):
        assert client.get("/enterprises", headers=headers).status_code == 200
    assert client.delete(f"/keys/{pm.id}", headers=admin).status_code == 200
    assert client.get("/enterprises", headers={"Authorization": f"Bearer {pm_secret}"}).status_code == 401
    assert client.delete(f"/colleges/{college['id']}", headers=admin).status_code == 204
    assert client.get("/enterprises", headers=bound).status_code == 401


def test_a_wrong_key_is_never_cached(cached: tuple[TestClient, Clock]) -> None:
    client, _ = cached
    for _ in range(2):
        assert client.get("/colleges", headers={"Authorization": "Bearer mk_wrong"}).status_code == 401
    assert not client.app.state.matchmaker.principals._entries  # type: ignore[attr-defined]
