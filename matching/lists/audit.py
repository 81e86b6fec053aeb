"""The audit log: every change to a list or its entries, who made it, when, and what changed."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.lists.models import AuditEntry
from matching.lists.schemas import AuditPublic, AuditsPublic


def record(session: Session, who: str, action: str, list_id: int | None, entry_id: int | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """Stage an audit row in the caller's transaction: it lands with the change or not at all."""
    session.add(AuditEntry(who=who, action=action, list_id=list_id, entry_id=entry_id, before=before, after=after))


def of_list(session: Session, list_id: int, limit: int, offset: int) -> AuditsPublic:
    where = AuditEntry.list_id == list_id
    count = session.scalar(select(func.count()).select_from(AuditEntry).where(where)) or 0
    rows = session.scalars(select(AuditEntry).where(where).order_by(AuditEntry.id).limit(limit).offset(offset))
    return AuditsPublic(data=[AuditPublic.model_validate(r, from_attributes=True) for r in rows], count=count)
