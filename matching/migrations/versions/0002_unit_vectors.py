"""unit vectors and index versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 13:20:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNIT_TABLES = ("specialties", "talent_gaps")


def upgrade() -> None:
    for table in UNIT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("embedding", sa.LargeBinary(), nullable=True))
            batch.add_column(sa.Column("embedding_key", sa.String(length=64), nullable=True))
    versions = op.create_table(
        "index_versions",
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("side"),
    )
    op.bulk_insert(versions, [{"side": "colleges", "version": 0}, {"side": "enterprises", "version": 0}])


def downgrade() -> None:
    op.drop_table("index_versions")
    for table in UNIT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("embedding_key")
            batch.drop_column("embedding")
