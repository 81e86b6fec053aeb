"""Tables of match lists: the list, the demand it was built for, its entries, comments, audit, jobs.

A list is a record of a decision process, so it keeps copies of the names and numbers it was built
from and refers to profiles and units by plain ids (no foreign keys): editing or deleting a profile
later changes neither the list nor its report.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matching.models import Base, UtcDateTime, utcnow


class MatchList(Base):
    __tablename__ = "match_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    min_score: Mapped[float] = mapped_column(Float)
    max_colleges_per_gap: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # building, ready, failed, cancelled
    error: Mapped[str | None] = mapped_column(Text)
    # Allocation rounds done; also the version a round checks, so two rounds never both land.
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[str | None] = mapped_column(String(32))  # the latest job that built it
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class ListGap(Base):
    """One talent gap a list was built for: its headcount then, and its candidates at the last round."""

    __tablename__ = "match_list_gaps"
    __table_args__ = (UniqueConstraint("list_id", "gap_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("match_lists.id", ondelete="CASCADE"), index=True)
    gap_id: Mapped[int] = mapped_column(Integer)
    gap_name: Mapped[str] = mapped_column(String(200))
    enterprise_id: Mapped[int] = mapped_column(Integer)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    industry: Mapped[str | None] = mapped_column(String(200))
    headcount: Mapped[int] = mapped_column(Integer)
    # [{college_id, college_name, specialty_id, specialty_name, score, in_scope}], best first: what the
    # report's near-misses are drawn from (matching.lists.candidates.stored)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class MatchEntry(Base):
    __tablename__ = "match_entries"
    __table_args__ = (Index("ix_match_entries_specialty_status", "specialty_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("match_lists.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    gap_id: Mapped[int] = mapped_column(Integer)
    gap_name: Mapped[str] = mapped_column(String(200))
    enterprise_id: Mapped[int] = mapped_column(Integer, index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    enterprise_province: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(200))
    college_id: Mapped[int] = mapped_column(Integer, index=True)
    college_name: Mapped[str] = mapped_column(String(200))
    college_province: Mapped[str | None] = mapped_column(String(200))
    specialty_id: Mapped[int] = mapped_column(Integer)
    specialty_name: Mapped[str] = mapped_column(String(200))
    headcount: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)  # the suggestion, as /enterprises/{id}/matches
    status: Mapped[str] = mapped_column(String(16))  # proposed, accepted, rejected, withdrawn
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class EntryComment(Base):
    __tablename__ = "entry_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("match_entries.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AuditEntry(Base):
    """Every change to a list or its entries: who, when, what, and the state before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    who: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    list_id: Mapped[int | None] = mapped_column(Integer, index=True)
    entry_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Job(Base):
    """A background build: its progress lives here so any request, in any process, can read or cancel it."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # match_list, round
    status: Mapped[str] = mapped_column(String(16))  # queued, running, done, failed, cancelled
    match_list_id: Mapped[int | None] = mapped_column(Integer, index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
