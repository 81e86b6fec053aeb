"""Turn a validated request body into database values: normalise places, geocode, check codes.

Everything that can reject input happens here, before any write, and every problem is reported
at once with its field path, so a client fixes a profile in one round trip.
"""

import hashlib
from dataclasses import dataclass, field
from typing import Any

from matching.errors import InvalidInput, Problem
from matching.geography import GeographyError, normalize_any_province, normalize_country, normalize_province
from matching.reference import Reference
from matching.saying import said_of, say
from matching.schemas import CollegeCreate, EnterpriseCreate, ProfileIn, SpecialtyIn, TalentGapIn
from matching.sides import SideSpec


@dataclass
class Prepared:
    values: dict[str, Any]  # profile columns
    units: list[dict[str, Any]]  # unit columns, in order
    unit_ids: list[int | None]  # ids the client gave to keep units on update
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.values["name"])

    @property
    def dedup_key(self) -> str:
        return str(self.values["dedup_key"])


def dedup_key(name: str, city: str | None) -> str:
    """Same name and city, ignoring case and spacing. Hashed: casefolding can lengthen text
    ("ß" becomes "ss"), and a fixed width keeps the unique index small on every backend."""
    folded = f"{' '.join(name.split()).casefold()}|{' '.join((city or '').split()).casefold()}"
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def prepare(spec: SideSpec, body: ProfileIn, ref: Reference) -> Prepared:
    problems: list[Problem] = []
    warnings: list[str] = []
    values: dict[str, Any] = {
        "name": body.name,
        "name_zh": body.name_zh or None,
        "city": body.city or None,
        "description": body.description or None,
        "cooperation_modes": [str(m) for m in body.cooperation_modes],
    }
    country = _place(problems, "country", normalize_country, body.country)
    values["country"] = country or body.country
    values["province"] = None
    if body.province and country:
        values["province"] = _place(problems, "province", normalize_province, country, body.province)

    values["lat"], values["lon"] = (body.location.lat, body.location.lon) if body.location else (None, None)
    if body.location is None and values["city"] and country and not problems:
        place = ref.gazetteer.geocode(values["city"], country, values["province"])
        if place is None:
            warnings.append(
                f"city '{values['city']}' was not found in the offline gazetteer for {country}; "
                "location left empty (send location {lat, lon} to set it)"
            )
        else:
            values["lat"], values["lon"] = round(place.lat, 5), round(place.lon, 5)
            if values["province"] and place.province and place.province != values["province"]:
                warnings.append(
                    f"'{values['city']}' was found in {place.province}, not in {values['province']}; "
                    "check the province, or send location {lat, lon}"
                )
            values["province"] = values["province"] or place.province

    values["dedup_key"] = dedup_key(body.name, values["city"])
    if isinstance(body, CollegeCreate):
        values["kind"] = str(body.kind)
        units = [_specialty(problems, i, s, ref) for i, s in enumerate(body.specialties)]
        ids = [s.id for s in body.specialties]
    elif isinstance(body, EnterpriseCreate):
        values["industry"] = body.industry or None
        values["size"] = str(body.size) if body.size else None
        preferred = [
            _place(problems, f"preferred_provinces.{i}", normalize_any_province, p, country or "") or p
            for i, p in enumerate(body.preferred_provinces)
        ]
        values["preferred_provinces"] = list(dict.fromkeys(preferred))
        units = [_gap(problems, i, g, ref) for i, g in enumerate(body.talent_gaps)]
        ids = [g.id for g in body.talent_gaps]
    else:  # pragma: no cover - SideSpec only hands over the two bodies above
        raise TypeError(f"not a profile body for {spec.label}: {type(body).__name__}")

    seen: set[int] = set()
    for i, unit_id in enumerate(ids):
        if unit_id is not None and unit_id in seen:
            problems.append(Problem.of(f"{spec.units}.{i}.id", say("problem.id_twice", id=unit_id)))
        seen.add(unit_id or 0)
    if problems:
        raise InvalidInput.of(problems)
    return Prepared(values=values, units=units, unit_ids=ids, warnings=warnings)


def _place(problems: list[Problem], path: str, normalise: Any, *args: str) -> str | None:
    try:
        return str(normalise(*args))
    except GeographyError as exc:
        problems.append(Problem.of(path, said_of(exc)))
        return None


def _specialty(problems: list[Problem], i: int, s: SpecialtyIn, ref: Reference) -> dict[str, Any]:
    name = s.name
    if s.code is not None:
        entry = ref.catalogue.get(s.code)
        if entry is None:
            problems.append(Problem.of(f"specialties.{i}.code", say("problem.unknown_code", code=s.code)))
        elif name is None:
            name = entry.name_en
    return {
        "name": name or s.code,
        "code": s.code,
        "description": s.description or None,
        "annual_graduates": s.annual_graduates,
    }


def _gap(problems: list[Problem], i: int, g: TalentGapIn, ref: Reference) -> dict[str, Any]:
    for j, code in enumerate(g.codes):
        if code not in ref.catalogue:
            problems.append(Problem.of(f"talent_gaps.{i}.codes.{j}", say("problem.unknown_code", code=code)))
    return {
        "field": g.field,
        "description": g.description or None,
        "headcount": g.headcount,
        "level": str(g.level) if g.level else None,
        "start_date": g.start_date,
        "codes": list(g.codes),
    }
