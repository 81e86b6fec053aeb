"""Shared fixtures: real SQLite and PostgreSQL databases, reference data loaded once, a live app."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from embeddings.encoder import E5, MINILM, Encoder, load_encoder
from matching import keys
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.reference import Reference
from matching.vocab import Role
from service.app import create_app
from service.settings import REPO_DATA, Settings

POSTGRES_URL = os.environ.get("MATCH_TEST_POSTGRES_URL")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="MATCH_TEST_POSTGRES_URL is not set (no PostgreSQL to use)"),
        ],
    ),
]


@pytest.fixture(scope="session")
def reference() -> Reference:
    return Reference.load(REPO_DATA)


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The real embedding model, loaded once per test session (per xdist worker)."""
    return load_encoder()


@pytest.fixture(scope="session")
def minilm() -> Encoder:
    """The English model, still selectable (MATCH_EMBEDDING_MODEL=all-MiniLM-L6-v2)."""
    return load_encoder(MINILM)


@pytest.fixture(scope="session")
def e5() -> Encoder:
    """multilingual-e5-small: 384-d, so a switch from the default (512-d) changes the dimension."""
    return load_encoder(E5)


def _postgres_url(schema: str) -> str:
    assert POSTGRES_URL
    url = make_url(POSTGRES_URL)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each backend: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    assert POSTGRES_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"  # one schema per test: xdist workers never collide
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _postgres_url(schema)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_sessionmaker(engine)() as session:
        yield session


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, home=tmp_path / "home", load_sample=False)


@pytest.fixture
def client(settings: Settings, reference: Reference, encoder: Encoder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, reference, encoder)) as client:
        yield client


@pytest.fixture
def make_key(engine: Engine) -> Any:
    def make(role: Role, college_id: int | None = None, enterprise_id: int | None = None) -> dict[str, str]:
        with make_sessionmaker(engine)() as session:
            _, secret = keys.create_key(session, role, college_id=college_id, enterprise_id=enterprise_id)
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def admin(make_key: Any) -> dict[str, str]:
    headers: dict[str, str] = make_key(Role.ADMIN)
    return headers


def college_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Bayingolin Vocational and Technical College",
        "name_zh": "巴音郭楞职业技术学院",
        "kind": "higher_vocational",
        "country": "CN",
        "province": "Xinjiang Uygur Autonomous Region",
        "city": "Korla",
        "description": "Textile, chemical and agricultural specialties for southern Xinjiang.",
        "specialties": [
            {"code": "480405", "annual_graduates": 120, "description": "Continuous dyeing lines"},
            {"name": "Applied Chemical Technology", "code": "470201", "annual_graduates": 80},
            {"name": "Cotton processing", "annual_graduates": 45},
        ],
        "cooperation_modes": ["order_class", "internship"],
    }
    body.update(changes)
    return body


def enterprise_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Tarim Textile Dyeing Co., Ltd.",
        "name_zh": "塔里木纺织印染有限公司",
        "industry": "Dyeing and Finishing",
        "country": "CN",
        "province": "Xinjiang",
        "city": "Korla",
        "size": "medium",
        "description": "Cotton yarn dyeing and fabric finishing.",
        "talent_gaps": [
            {"field": "Dyeing technicians", "headcount": 40, "level": "technician",
             "start_date": "2027-09-01", "codes": ["480405"],
             "description": "Operate continuous dyeing ranges; colour matching."},
            {"field": "Chemical process operators", "headcount": 12, "codes": []},
        ],
        "cooperation_modes": ["order_class", "internship", "employment"],
        "preferred_provinces": ["新疆"],
    }
    body.update(changes)
    return body
