"""Which talent gaps a list is for, and which colleges may fill them: a scope checked and resolved."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from matching.errors import InvalidInput, Problem
from matching.geography import GeographyError, normalize_any_province, normalize_country
from matching.lists.schemas import Scope
from matching.models import College, Enterprise, TalentGap
from matching.saying import Term, said_of, say


@dataclass(frozen=True, slots=True)
class Demand:
    """One talent gap in scope, as it stood when the list was built."""

    gap_id: int
    gap_name: str
    enterprise_id: int
    enterprise_name: str
    province: str | None
    country: str
    industry: str | None
    headcount: int


@dataclass(frozen=True, slots=True)
class Resolved:
    scope: dict[str, Any]  # as stored with the list: places in their canonical spelling
    gaps: list[Demand]  # by gap id
    college_ids: frozenset[int] | None  # None: any college


def resolve(session: Session, scope: Scope) -> Resolved:
    """The gaps in scope; unknown places and ids are a 422 naming each."""
    problems: list[Problem] = []
    countries: list[str] = []
    for i, value in enumerate(scope.countries):
        try:
            countries.append(normalize_country(value))
        except GeographyError as exc:
            problems.append(Problem.of(f"scope.countries.{i}", said_of(exc)))
    provinces: list[str] = []
    for i, value in enumerate(scope.provinces):
        try:
            # CN first: most provinces named are Chinese, and an unknown name is a typo, not a new region.
            provinces.append(normalize_any_province(value, prefer="CN"))
        except GeographyError as exc:
            problems.append(Problem.of(f"scope.provinces.{i}", said_of(exc)))
    problems += _unknown_ids(session, Enterprise, scope.enterprise_ids, "scope.enterprise_ids", "enterprise")
    problems += _unknown_ids(session, College, scope.college_ids, "scope.college_ids", "college")
    if problems:
        raise InvalidInput.of(problems)

    conditions: list[ColumnElement[bool]] = []
    if countries:
        conditions.append(Enterprise.country.in_(countries))
    if provinces:
        conditions.append(Enterprise.province.in_(provinces))
    if scope.industries:
        conditions.append(func.lower(Enterprise.industry).in_([i.casefold() for i in scope.industries]))
    if scope.enterprise_ids:
        conditions.append(Enterprise.id.in_(scope.enterprise_ids))
    rows = session.execute(
        select(TalentGap.id, TalentGap.field, TalentGap.codes, TalentGap.headcount, Enterprise.id, Enterprise.name,
               Enterprise.province, Enterprise.country, Enterprise.industry)
        .join(Enterprise, TalentGap.enterprise_id == Enterprise.id).where(*conditions).order_by(TalentGap.id)
    ).all()
    codes = set(scope.codes)
    gaps = [Demand(gap_id, name, eid, ename, province, country, industry, headcount)
            for gap_id, name, gap_codes, headcount, eid, ename, province, country, industry in rows
            if not codes or codes & set(gap_codes or ())]
    stored = scope.model_dump() | {"countries": countries, "provinces": provinces}
    return Resolved(stored, gaps, frozenset(scope.college_ids) if scope.college_ids else None)


def _unknown_ids(session: Session, model: type[College] | type[Enterprise], ids: list[int], field: str,
                 label: str) -> list[Problem]:
    if not ids:
        return []
    known: set[int] = set()
    for start in range(0, len(ids), 1000):  # bounded IN lists
        known.update(session.scalars(select(model.id).where(model.id.in_(ids[start:start + 1000]))))
    return [Problem.of(f"{field}.{i}", say("problem.missing", label=Term(label), id=value))
            for i, value in enumerate(ids) if value not in known]
