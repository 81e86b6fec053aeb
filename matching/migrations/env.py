"""Alembic environment: migrations run on the engine the caller hands over (see matching.db)."""

from alembic import context
from sqlalchemy import Engine

from matching.models import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through matching.db.upgrade or `matchmaker db upgrade`")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
