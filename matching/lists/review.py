"""Reviewing entries: proposed → accepted / rejected / withdrawn, with who, when, why, and comments.

A decision is one conditional UPDATE (… WHERE status = the status it was read in): of two decisions
racing on one entry exactly one changes a row, and the other is a 409. Accepting then re-counts, with
the specialty's row locked, what accepted entries of every list hold, so capacity is never
over-promised however many accepts race.
"""

from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matching.errors import Conflict
from matching.lists import entries
from matching.lists.audit import record
from matching.lists.models import EntryComment, MatchEntry
from matching.models import Specialty, utcnow
from matching.saying import say

Action = Literal["accept", "reject", "withdraw"]
FROM: dict[Action, tuple[str, ...]] = {
    "accept": ("proposed",), "reject": ("proposed",), "withdraw": ("proposed", "accepted"),
}
TO: dict[Action, str] = {"accept": "accepted", "reject": "rejected", "withdraw": "withdrawn"}


def decide(session: Session, list_id: int, entry_id: int, action: Action, who: str,
           reason: str | None = None) -> MatchEntry:
    entry = entries.get(session, list_id, entry_id)
    before = entry.status
    if before not in FROM[action]:
        raise Conflict(_not_now(entry_id, before, action), message=("error.not_now", {
            "id": entry_id, "status": before, "allowed": " or ".join(FROM[action]), "action": action}))
    changed = session.execute(
        update(MatchEntry).where(MatchEntry.id == entry_id, MatchEntry.status == before)
        .values(status=TO[action], decided_by=who, decided_at=utcnow(), reason=reason)
        .execution_options(synchronize_session=False))
    if getattr(changed, "rowcount", 0) != 1:
        session.rollback()
        now = session.scalar(select(MatchEntry.status).where(MatchEntry.id == entry_id))
        raise Conflict(f"entry {entry_id} was decided by someone else meanwhile (it is {now} now)",
                       message=("error.decided_meanwhile", {"id": entry_id, "status": str(now)}))
    if action == "accept":
        _check_capacity(session, entry)
    record(session, who, action, list_id, entry_id, before={"status": before},
           after={"status": TO[action]} | ({"reason": reason} if reason else {}))
    session.commit()
    session.refresh(entry)
    return entry


def comment(session: Session, list_id: int, entry_id: int, text: str, who: str) -> EntryComment:
    entries.get(session, list_id, entry_id)
    note = EntryComment(entry_id=entry_id, text=text, author=who)
    session.add(note)
    session.flush()
    record(session, who, "comment", list_id, entry_id, after={"comment_id": note.id, "text": text})
    session.commit()
    return note


def _check_capacity(session: Session, entry: MatchEntry) -> None:
    # The row lock serialises accepts on one specialty on PostgreSQL; SQLite has one writer at a time anyway.
    graduates = session.scalar(select(Specialty.annual_graduates).where(Specialty.id == entry.specialty_id)
                               .with_for_update())
    if graduates is None:
        session.rollback()
        raise Conflict.said(say("problem.specialty_gone", id=entry.specialty_id, name=entry.specialty_name))
    held = session.scalar(select(func.coalesce(func.sum(MatchEntry.headcount), 0))
                          .where(MatchEntry.specialty_id == entry.specialty_id, MatchEntry.status == "accepted")) or 0
    if held > graduates:
        session.rollback()
        raise Conflict.said(say("problem.over_capacity", id=entry.id, held=held, name=entry.specialty_name,
                                graduates=graduates))


def _not_now(entry_id: int, status: str, action: Action) -> str:
    allowed = " or ".join(FROM[action])
    return f"entry {entry_id} is {status}; only a {allowed} entry can be {TO[action]}"
