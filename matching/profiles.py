"""Store, read, change, delete and list profiles with their units, one transaction each."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matching.errors import Conflict, InvalidInput, NotFound, Problem
from matching.geography import GeographyError, normalize_any_province, normalize_country, normalize_province
from matching.models import College, Enterprise, Specialty, utcnow
from matching.prepare import Prepared
from matching.saying import NOTHING, Term, said_of, say
from matching.schemas import Location, ProfilePublic
from matching.sides import Profile, SideSpec

if TYPE_CHECKING:
    from matching.live import LiveIndex

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class ProfileFilter:
    country: str | None = None
    province: str | None = None
    name_contains: str | None = None
    code: str | None = None  # colleges: has a specialty with this catalogue code
    industry: str | None = None  # enterprises: case-insensitive equality
    only_id: int | None = None  # a bound key's own profile


def get(session: Session, spec: SideSpec, profile_id: int) -> Profile:
    profile = session.scalar(
        select(spec.model)
        .where(spec.model.id == profile_id)
        .options(selectinload(getattr(spec.model, spec.units)))
    )
    if profile is None:
        raise NotFound.missing(spec.label, profile_id)
    return cast(Profile, profile)


def add(session: Session, spec: SideSpec, prepared: Prepared) -> Profile:
    """Stage a new profile in the session; the caller commits (bulk imports commit once)."""
    profile = spec.model(**prepared.values)
    setattr(profile, spec.units, [_new_unit(spec, i, u) for i, u in enumerate(prepared.units)])
    session.add(profile)
    return profile


def create(session: Session, spec: SideSpec, prepared: Prepared, live: "LiveIndex | None" = None) -> Profile:
    _check_duplicate(session, spec, prepared, own_id=None)
    profile = add(session, spec, prepared)
    _commit(session, spec, prepared, live, profile)
    return profile


def replace(session: Session, spec: SideSpec, profile: Profile, prepared: Prepared,
            live: "LiveIndex | None" = None) -> Profile:
    """PUT semantics: the profile becomes `prepared`; units keep their ids where they persist."""
    _check_duplicate(session, spec, prepared, own_id=profile.id)
    units = _reconcile(spec, spec.units_of(profile), prepared)
    for key, value in prepared.values.items():
        setattr(profile, key, value)
    setattr(profile, spec.units, units)
    profile.updated_at = utcnow()
    _commit(session, spec, prepared, live, profile)
    return profile


def delete(session: Session, spec: SideSpec, profile_id: int, live: "LiveIndex | None" = None) -> None:
    session.delete(get(session, spec, profile_id))
    if live is None:
        session.commit()
        return
    live.before_commit(session, spec, [])
    with live.committing(spec):
        session.commit()
        live.after_commit(session, spec, deleted=[profile_id])


def list_profiles(
    session: Session, spec: SideSpec, where: ProfileFilter, limit: int, offset: int
) -> tuple[list[Profile], int]:
    conditions = _conditions(spec, where)
    count = session.scalar(select(func.count()).select_from(spec.model).where(*conditions)) or 0
    rows = session.scalars(
        select(spec.model)
        .where(*conditions)
        .order_by(spec.model.id)
        .limit(min(limit, MAX_PAGE))
        .offset(offset)
        .options(selectinload(getattr(spec.model, spec.units)))
    )
    return cast(list[Profile], list(rows)), count


def to_public(spec: SideSpec, profile: Profile, warnings: list[str] | None = None) -> ProfilePublic:
    data = to_record(spec, profile, with_ids=True)
    data.update(
        id=profile.id,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
        warnings=warnings or [],
    )
    return spec.public.model_validate(data)


def to_record(spec: SideSpec, profile: Profile, *, with_ids: bool) -> dict[str, Any]:
    """The profile as a create/replace body: what export writes and PATCH merges into."""
    record: dict[str, Any] = {
        "name": profile.name,
        "name_zh": profile.name_zh,
        "country": profile.country,
        "province": profile.province,
        "city": profile.city,
        "location": None if profile.lat is None or profile.lon is None
        else Location(lat=profile.lat, lon=profile.lon).model_dump(),
        "description": profile.description,
        "cooperation_modes": list(profile.cooperation_modes),
    }
    record.update({name: _plain(getattr(profile, name)) for name in spec.profile_fields})
    record[spec.units] = [
        ({"id": unit.id} if with_ids else {})
        | {name: _plain(getattr(unit, name)) for name in spec.unit_fields}
        for unit in spec.units_of(profile)
    ]
    return record


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _new_unit(spec: SideSpec, position: int, values: dict[str, Any]) -> Any:
    return spec.unit_model(position=position, **values)


def _reconcile(spec: SideSpec, existing: list[Any], prepared: Prepared) -> list[Any]:
    by_id = {unit.id: unit for unit in existing}
    problems = [
        Problem.of(f"{spec.units}.{i}.id", say("problem.not_ours", unit=Term(spec.unit_label), id=unit_id,
                                               label=Term(spec.label)))
        for i, unit_id in enumerate(prepared.unit_ids)
        if unit_id is not None and unit_id not in by_id
    ]
    if problems:
        raise InvalidInput.of(problems)
    claimed = {unit_id for unit_id in prepared.unit_ids if unit_id is not None}
    # A client that resends the list without ids should not churn every unit's id: an unclaimed
    # unit with the same name is the same unit.
    free: dict[str, list[Any]] = {}
    for unit in existing:
        if unit.id not in claimed:
            free.setdefault(_name_key(getattr(unit, spec.unit_name)), []).append(unit)
    result = []
    for position, (unit_id, values) in enumerate(zip(prepared.unit_ids, prepared.units, strict=True)):
        same_name = free.get(_name_key(values[spec.unit_name]))
        unit = by_id[unit_id] if unit_id is not None else (same_name.pop(0) if same_name else None)
        if unit is None:
            unit = _new_unit(spec, position, values)
        else:
            for key, value in values.items():
                setattr(unit, key, value)
            unit.position = position
        result.append(unit)
    return result


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _check_duplicate(session: Session, spec: SideSpec, prepared: Prepared, own_id: int | None) -> None:
    other = session.scalar(select(spec.model.id).where(spec.model.dedup_key == prepared.dedup_key))
    if other is not None and other != own_id:
        raise _duplicate(spec, prepared, other)


def _duplicate(spec: SideSpec, prepared: Prepared, other: int | None) -> Conflict:
    city = prepared.values.get("city")
    where = say("problem.in_city", city=city) if city else NOTHING
    which = say("problem.which", label=Term(spec.label), id=other) if other is not None else NOTHING
    return Conflict.said(say("problem.duplicate_profile", label=Term(spec.label), name=prepared.name,
                             where=where, which=which))


def _commit(session: Session, spec: SideSpec, prepared: Prepared, live: "LiveIndex | None", profile: Profile) -> None:
    """Commit, with the profile's units embedded and the index told, when there is one."""
    try:
        if live is None:
            session.commit()
        else:
            live.before_commit(session, spec, [profile])
            with live.committing(spec):
                session.commit()
                live.after_commit(session, spec, [profile])
    except IntegrityError as exc:
        session.rollback()
        # Two writers raced past _check_duplicate and the unique dedup_key let only one through;
        # any other integrity error is a bug, not the client's duplicate.
        other = session.scalar(select(spec.model.id).where(spec.model.dedup_key == prepared.dedup_key))
        if other is None:
            raise
        raise _duplicate(spec, prepared, other) from exc


def _conditions(spec: SideSpec, where: ProfileFilter) -> list[ColumnElement[bool]]:
    model = spec.model
    conditions: list[ColumnElement[bool]] = []
    problems: list[Problem] = []
    country = None
    if where.country:
        try:
            country = normalize_country(where.country)
            conditions.append(model.country == country)
        except GeographyError as exc:
            problems.append(Problem.of("country", said_of(exc)))
    if where.province:
        try:
            if country:
                province = normalize_province(country, where.province)
            else:
                province = normalize_any_province(where.province)
        except GeographyError as exc:
            problems.append(Problem.of("province", said_of(exc)))
        else:
            conditions.append(model.province == province)
    if problems:
        raise InvalidInput.of(problems)
    if where.name_contains:
        pattern = f"%{_escape_like(where.name_contains.strip())}%"
        conditions.append(
            or_(model.name.ilike(pattern, escape="\\"), model.name_zh.ilike(pattern, escape="\\"))
        )
    if where.code and model is College:
        conditions.append(College.id.in_(select(Specialty.college_id).where(Specialty.code == where.code)))
    if where.industry and model is Enterprise:
        conditions.append(func.lower(Enterprise.industry) == where.industry.strip().casefold())
    if where.only_id is not None:
        conditions.append(model.id == where.only_id)
    return conditions


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
