"""Partnerships: cooperations that exist, declared by either side or imported, and from match lists.

A partnership is one college, one enterprise and a start date: the same pair with the same start date
(or both without one) is a duplicate (Conflict), enforced by a unique key so it holds under races.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.errors import Conflict, InvalidInput, NotFound, Problem
from matching.models import College, Enterprise
from matching.outcomes.models import Partnership
from matching.outcomes.schemas import PartnershipCreate, PartnershipPublic, PartnershipsPublic
from matching.saying import NOTHING, Term, say


def pair_key(college_id: int, enterprise_id: int, start_date: date | None) -> str:
    return f"{college_id}:{enterprise_id}:{start_date.isoformat() if start_date else '-'}"


@dataclass(frozen=True)
class PartnershipFilter:
    college_id: int | None = None
    enterprise_id: int | None = None


def public(p: Partnership) -> PartnershipPublic:
    return PartnershipPublic(id=p.id, college_id=p.college_id, enterprise_id=p.enterprise_id, modes=list(p.modes),
                             start_date=p.start_date, source_url=p.source_url, note=p.note, tie=p.tie,
                             created_by=p.created_by, created_at=p.created_at)


def missing_profiles(session: Session, college_id: int, enterprise_id: int) -> list[Problem]:
    problems = []
    if session.get(College, college_id) is None:
        problems.append(Problem.of("college_id", say("problem.missing", label=Term("college"), id=college_id)))
    if session.get(Enterprise, enterprise_id) is None:
        problems.append(Problem.of("enterprise_id", say("problem.missing", label=Term("enterprise"),
                                                        id=enterprise_id)))
    return problems


def find(session: Session, college_id: int, enterprise_id: int, start_date: date | None) -> Partnership | None:
    return session.scalar(select(Partnership).where(
        Partnership.pair_key == pair_key(college_id, enterprise_id, start_date)))


def build(body: PartnershipCreate, who: str) -> Partnership:
    return Partnership(college_id=body.college_id, enterprise_id=body.enterprise_id,
                       modes=[str(m) for m in dict.fromkeys(body.modes)], start_date=body.start_date,
                       source_url=body.source_url, note=body.note, tie=str(body.tie),
                       pair_key=pair_key(body.college_id, body.enterprise_id, body.start_date), created_by=who)


def _duplicate(body: PartnershipCreate, existing: Partnership | None) -> Conflict:
    when = say("problem.starting", date=str(body.start_date)) if body.start_date else say("problem.no_start")
    which = say("problem.which", label=Term("partnership"), id=existing.id) if existing else NOTHING
    return Conflict.said(say("problem.duplicate_partnership", college=body.college_id, enterprise=body.enterprise_id,
                             when=when, which=which),
                         [Problem.of("start_date", say("problem.same_pair_on_record"))])


def create(session: Session, body: PartnershipCreate, who: str) -> Partnership:
    problems = missing_profiles(session, body.college_id, body.enterprise_id)
    if problems:
        raise InvalidInput.of(problems)
    existing = find(session, body.college_id, body.enterprise_id, body.start_date)
    if existing is not None:
        raise _duplicate(body, existing)
    partnership = build(body, who)
    session.add(partnership)
    try:
        session.commit()
    except IntegrityError as exc:  # another writer stored the same pair meanwhile
        session.rollback()
        if find(session, body.college_id, body.enterprise_id, body.start_date) is None:
            raise
        raise _duplicate(body, None) from exc
    return partnership


def get(session: Session, partnership_id: int) -> Partnership:
    partnership = session.get(Partnership, partnership_id)
    if partnership is None:
        raise NotFound.missing("partnership", partnership_id)
    return partnership


def delete(session: Session, partnership: Partnership) -> None:
    session.delete(partnership)
    session.commit()


def _conditions(where: PartnershipFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.college_id is not None:
        conditions.append(Partnership.college_id == where.college_id)
    if where.enterprise_id is not None:
        conditions.append(Partnership.enterprise_id == where.enterprise_id)
    return conditions


def page(session: Session, where: PartnershipFilter, limit: int, offset: int) -> PartnershipsPublic:
    conditions = _conditions(where)
    count = session.scalar(select(func.count()).select_from(Partnership).where(*conditions)) or 0
    rows = session.scalars(select(Partnership).where(*conditions).order_by(Partnership.id).limit(limit)
                           .offset(offset))
    return PartnershipsPublic(data=[public(p) for p in rows], count=count)


def all_of(session: Session, batch: int = 500) -> Iterator[Partnership]:
    last = 0
    while True:
        rows: Sequence[Partnership] = session.scalars(
            select(Partnership).where(Partnership.id > last).order_by(Partnership.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
