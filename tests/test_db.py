"""Schema migrations and transactional writes, on SQLite and PostgreSQL."""

import threading
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching import profiles
from matching.db import current_revision, head_revision, upgrade
from matching.errors import Conflict
from matching.models import College, Specialty
from matching.prepare import prepare
from matching.reference import Reference
from matching.schemas import CollegeCreate
from matching.sides import COLLEGES
from tests.conftest import college_body


def test_migrations_reach_head_and_go_back_down(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert {"colleges", "specialties", "enterprises", "talent_gaps", "api_keys"} <= set(inspect(engine).get_table_names())
    from alembic import command

    from matching.db import alembic_config
    command.downgrade(alembic_config(engine), "base")
    assert "colleges" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_profile_and_its_units_are_stored_together_or_not_at_all(session: Session, reference: Reference) -> None:
    prepared = prepare(COLLEGES, CollegeCreate.model_validate(college_body()), reference)
    prepared.units[2]["annual_graduates"] = None  # slips past validation; the database refuses it
    with pytest.raises(IntegrityError):
        profiles.create(session, COLLEGES, prepared)
    session.rollback()
    assert (count(session, College), count(session, Specialty)) == (0, 0)


def test_racing_duplicates_store_one(engine: Engine, reference: Reference) -> None:
    from matching.db import make_sessionmaker
    sessions = make_sessionmaker(engine)
    results: list[str] = []
    barrier = threading.Barrier(4)

    def create() -> None:
        prepared = prepare(COLLEGES, CollegeCreate.model_validate(college_body()), reference)
        with sessions() as session:
            barrier.wait()
            try:
                profiles.create(session, COLLEGES, prepared)
                results.append("created")
            except Conflict:
                results.append("conflict")

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict"] * 3 + ["created"]
    with sessions() as session:
        assert count(session, College) == 1 and count(session, Specialty) == 3
