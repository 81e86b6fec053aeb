"""Tables of outcomes (migration 0004): partnerships, suggestion feedback, impressions and their items.

Feedback and impressions refer to profiles by plain ids, like match lists: they are records of what
happened, and stay when a profile is edited or deleted. A partnership is about two profiles that exist,
so it has foreign keys and goes with either of them.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.models import Base, UtcDateTime, utcnow

# 64-bit on PostgreSQL; SQLite's INTEGER is already 64-bit.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Partnership(Base):
    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("colleges.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_date: Mapped[date | None] = mapped_column(Date)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    note: Mapped[str | None] = mapped_column(Text)
    tie: Mapped[str] = mapped_column(String(8), default="formal")
    # "college:enterprise:start date or -": unique, so the duplicate rule holds under races and for a
    # missing start date too (a unique constraint over a NULL column would let duplicates in).
    pair_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Impression(Base):
    """One page of suggestions as it was served. Ids are given by the writer (see impressions.IdBlocks),
    so a response can carry its impression's id before the row is written."""

    __tablename__ = "impressions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    served_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    ranker_version: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    asker_side: Mapped[str | None] = mapped_column(String(16))
    asker_id: Mapped[int | None] = mapped_column(Integer)

    items: Mapped[list["ImpressionItem"]] = relationship(order_by="ImpressionItem.rank", passive_deletes=True,
                                                        lazy="raise")


class ImpressionItem(Base):
    __tablename__ = "impression_items"

    impression_id: Mapped[int] = mapped_column(BigId, ForeignKey("impressions.id", ondelete="CASCADE"),
                                               primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    features: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)


class ImpressionIdBlock(Base):
    """A portable sequence (SQLite has none): each row reserves ids [id × BLOCK, (id + 1) × BLOCK) for
    one writer, so processes never hand out the same impression id."""

    __tablename__ = "impression_id_blocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reserved_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SuggestionFeedback(Base):
    __tablename__ = "suggestion_feedback"
    __table_args__ = (Index("ix_suggestion_feedback_asker", "asker_side", "asker_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asker_side: Mapped[str] = mapped_column(String(16))
    asker_id: Mapped[int] = mapped_column(Integer)
    candidate_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    impression_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("impressions.id", ondelete="SET NULL"),
                                                      index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
