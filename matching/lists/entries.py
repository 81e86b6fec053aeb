"""A list's entries: filtered, sorted and paged, in their public shape with comments."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from matching.errors import NotFound
from matching.lists.models import EntryComment, MatchEntry
from matching.lists.schemas import CommentPublic, EntriesPublic, EntryPublic
from matching.models import College, Enterprise
from matching.results import REASONS_BY_LANGUAGE

SORTS: dict[str, tuple[Any, ...]] = {
    "score": (MatchEntry.score,), "-score": (MatchEntry.score.desc(),),
    "headcount": (MatchEntry.headcount,), "-headcount": (MatchEntry.headcount.desc(),),
    "college": (MatchEntry.college_name,), "enterprise": (MatchEntry.enterprise_name,),
    "status": (MatchEntry.status,),
}


@dataclass(frozen=True, slots=True)
class EntryFilter:
    status: str | None = None
    college_id: int | None = None
    enterprise_id: int | None = None
    province: str | None = None  # either side's, canonical
    industry: str | None = None
    q: str | None = None  # in any of the names


def get(session: Session, list_id: int, entry_id: int) -> MatchEntry:
    entry = session.get(MatchEntry, entry_id)
    if entry is None or entry.list_id != list_id:
        raise NotFound(f"entry {entry_id} does not exist in match list {list_id}",
                       message=("error.entry_not_found", {"id": entry_id, "list_id": list_id}))
    return entry


def all_of(session: Session, list_id: int, where: EntryFilter = EntryFilter()) -> list[MatchEntry]:
    return list(session.scalars(select(MatchEntry).where(*_conditions(list_id, where)).order_by(MatchEntry.id)))


def page(session: Session, list_id: int, where: EntryFilter, sort: str, limit: int, offset: int,
         lang: str = "en") -> EntriesPublic:
    conditions = _conditions(list_id, where)
    total = session.scalar(select(func.count()).select_from(MatchEntry).where(*conditions)) or 0
    rows = list(session.scalars(select(MatchEntry).where(*conditions).order_by(*SORTS[sort], MatchEntry.id)
                                .limit(limit).offset(offset)))
    data = public_many(session, rows, lang)
    return EntriesPublic(data=data, count=len(data), total=total)


def public(session: Session, entry: MatchEntry, lang: str = "en") -> EntryPublic:
    return public_many(session, [entry], lang)[0]


def in_language(explanation: dict[str, Any], lang: str) -> dict[str, Any]:
    """The stored explanation with its reasons in `lang` where it keeps them (lists built before
    reasons were kept in several languages have English only)."""
    out = {k: v for k, v in explanation.items() if k != REASONS_BY_LANGUAGE}
    translated = (explanation.get(REASONS_BY_LANGUAGE) or {}).get(lang)
    if translated:
        out["reasons"] = translated
    return out


def public_many(session: Session, entries: list[MatchEntry], lang: str = "en") -> list[EntryPublic]:
    comments: dict[int, list[CommentPublic]] = {}
    ids = [e.id for e in entries]
    for c in session.scalars(select(EntryComment).where(EntryComment.entry_id.in_(ids)).order_by(EntryComment.id)):
        comments.setdefault(c.entry_id, []).append(
            CommentPublic(id=c.id, text=c.text, author=c.author, created_at=c.created_at))
    enterprise_zh = names_zh(session, Enterprise, {e.enterprise_id for e in entries})
    college_zh = names_zh(session, College, {e.college_id for e in entries})
    return [EntryPublic(
        id=e.id, list_id=e.list_id, round=e.round, enterprise_id=e.enterprise_id, enterprise_name=e.enterprise_name,
        enterprise_name_zh=enterprise_zh.get(e.enterprise_id), enterprise_province=e.enterprise_province,
        industry=e.industry, gap_id=e.gap_id, gap_name=e.gap_name, college_id=e.college_id,
        college_name=e.college_name, college_name_zh=college_zh.get(e.college_id), college_province=e.college_province,
        specialty_id=e.specialty_id, specialty_name=e.specialty_name, headcount=e.headcount, score=e.score,
        explanation=in_language(e.explanation, lang), status=e.status, decided_by=e.decided_by,
        decided_at=e.decided_at, reason=e.reason, comments=comments.get(e.id, []),
    ) for e in entries]


def names_zh(session: Session, model: type[College] | type[Enterprise], ids: set[int]) -> dict[int, str]:
    """The profiles' Chinese names, read now (an entry keeps the name it was built with; `name_zh` is for
    showing a Chinese reader, so the current one is right), one query per side and page."""
    if not ids:
        return {}
    rows = session.execute(select(model.id, model.name_zh).where(model.id.in_(ids), model.name_zh.is_not(None)))
    return {int(pid): str(name) for pid, name in rows}


def _conditions(list_id: int, where: EntryFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [MatchEntry.list_id == list_id]
    if where.status:
        conditions.append(MatchEntry.status == where.status)
    if where.college_id is not None:
        conditions.append(MatchEntry.college_id == where.college_id)
    if where.enterprise_id is not None:
        conditions.append(MatchEntry.enterprise_id == where.enterprise_id)
    if where.province:
        conditions.append(or_(MatchEntry.enterprise_province == where.province,
                              MatchEntry.college_province == where.province))
    if where.industry:
        conditions.append(func.lower(MatchEntry.industry) == where.industry.strip().casefold())
    if where.q and where.q.strip():
        pattern = "%" + where.q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in (
            MatchEntry.enterprise_name, MatchEntry.college_name, MatchEntry.gap_name, MatchEntry.specialty_name))))
    return conditions
