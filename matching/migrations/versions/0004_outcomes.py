"""outcomes: partnerships, suggestion feedback, impressions and their items

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 09:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "partnerships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("college_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("modes", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tie", sa.String(length=8), nullable=False),
        sa.Column("pair_key", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["college_id"], ["colleges.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pair_key"),
    )
    with op.batch_alter_table("partnerships") as batch:
        batch.create_index("ix_partnerships_college_id", ["college_id"], unique=False)
        batch.create_index("ix_partnerships_enterprise_id", ["enterprise_id"], unique=False)
    op.create_table(
        "impressions",
        sa.Column("id", BigId, autoincrement=False, nullable=False),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ranker_version", sa.String(length=100), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("asker_side", sa.String(length=16), nullable=True),
        sa.Column("asker_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("impressions") as batch:
        batch.create_index("ix_impressions_served_at", ["served_at"], unique=False)
    op.create_table(
        "impression_items",
        sa.Column("impression_id", BigId, nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["impression_id"], ["impressions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("impression_id", "rank"),
    )
    op.create_table(
        "impression_id_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "suggestion_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asker_side", sa.String(length=16), nullable=False),
        sa.Column("asker_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("impression_id", BigId, nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["impression_id"], ["impressions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("suggestion_feedback") as batch:
        batch.create_index("ix_suggestion_feedback_asker", ["asker_side", "asker_id"], unique=False)
        batch.create_index("ix_suggestion_feedback_impression_id", ["impression_id"], unique=False)


def downgrade() -> None:
    op.drop_table("suggestion_feedback")
    op.drop_table("impression_id_blocks")
    op.drop_table("impression_items")
    op.drop_table("impressions")
    op.drop_table("partnerships")
