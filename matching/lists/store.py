"""Reading match lists: one, a page of them, and their public shape with counts and demand."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.errors import NotFound
from matching.lists.models import ListGap, MatchEntry, MatchList
from matching.lists.schemas import Counts, ListDemand, MatchListPublic, MatchListsPublic

STATUSES = ("proposed", "accepted", "rejected", "withdrawn")


def get(session: Session, list_id: int) -> MatchList:
    lst = session.get(MatchList, list_id)
    if lst is None:
        raise NotFound.missing("match list", list_id)
    return lst


def page(session: Session, limit: int, offset: int) -> MatchListsPublic:
    count = session.scalar(select(func.count()).select_from(MatchList)) or 0
    lists = list(session.scalars(select(MatchList).order_by(MatchList.id.desc()).limit(limit).offset(offset)))
    return MatchListsPublic(data=public_many(session, lists), count=count)


def public(session: Session, lst: MatchList) -> MatchListPublic:
    return public_many(session, [lst])[0]


def public_many(session: Session, lists: list[MatchList]) -> list[MatchListPublic]:
    ids = [lst.id for lst in lists]
    by_status: dict[int, dict[str, tuple[int, int]]] = {}
    for list_id, status, entries, headcount in session.execute(
            select(MatchEntry.list_id, MatchEntry.status, func.count(), func.sum(MatchEntry.headcount))
            .where(MatchEntry.list_id.in_(ids)).group_by(MatchEntry.list_id, MatchEntry.status)):
        by_status.setdefault(list_id, {})[status] = (int(entries), int(headcount or 0))
    demand = {list_id: int(n or 0) for list_id, n in session.execute(
        select(ListGap.list_id, func.sum(ListGap.headcount)).where(ListGap.list_id.in_(ids)).group_by(ListGap.list_id))}
    out = []
    for lst in lists:
        stats = by_status.get(lst.id, {})
        n = {s: stats.get(s, (0, 0))[0] for s in STATUSES}
        headcount = int(demand.get(lst.id) or 0)
        allocated = stats.get("proposed", (0, 0))[1] + stats.get("accepted", (0, 0))[1]
        out.append(MatchListPublic(
            id=lst.id, name=lst.name, scope=lst.scope, min_score=lst.min_score,
            max_colleges_per_gap=lst.max_colleges_per_gap, status=lst.status,
            error=lst.error, created_at=lst.created_at, created_by=lst.created_by, rounds=lst.rounds,
            job_id=lst.job_id, counts=Counts(entries=sum(n.values()), **n),
            demand=ListDemand(headcount=headcount, allocated=allocated,
                              coverage=allocated / headcount if headcount else 0.0)))
    return out
