"""The development set of real cooperations (../shared/data/partnerships_dev.jsonl) as profiles a user
would enter, and its partnerships as labels.

Colleges keep their specialties (graduates a year unknown: 50 each, one figure for all); partners of
kind `enterprise` only (160 of 229 records: government bodies, associations and colleges are not what
the service suggests) become enterprises whose needs, as the page states them, are talent gaps
(headcount unknown: 10 each). Profiles are deduplicated by name and city; a `formal` tie weighs 1, a
`soft` one 0.5.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matching.geography import GeographyError, normalize_country, normalize_province
from matching.prepare import dedup_key

KINDS = {"higher vocational": "higher_vocational", "secondary vocational": "secondary_vocational",
         "technical school": "technical_school", "university": "university"}
TIE_WEIGHT = {"formal": 1.0, "soft": 0.5}


@dataclass
class DevSet:
    colleges: list[dict[str, Any]] = field(default_factory=list)
    enterprises: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[tuple[int, int, float]] = field(default_factory=list)  # (college index, enterprise index, weight)
    records: int = 0


def read_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _place(side: dict[str, Any]) -> dict[str, Any]:
    try:
        country = normalize_country(side.get("country") or "China")
    except GeographyError:
        country = "CN"
    out: dict[str, Any] = {"country": country}
    try:
        if side.get("province"):
            out["province"] = normalize_province(country, side["province"])
    except GeographyError:
        pass
    if side.get("city"):
        out["city"] = side["city"][:100]
    return out


def _text(value: str, limit: int = 200) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[:limit - 1] + "…"


def build(records: Iterable[dict[str, Any]], kinds: frozenset[str] = frozenset({"enterprise"})) -> DevSet:
    out = DevSet()
    college_at: dict[str, int] = {}
    enterprise_at: dict[str, int] = {}
    best: dict[tuple[int, int], float] = {}
    for r in records:
        out.records += 1
        c, p = r["college"], r["partner"]
        if p.get("kind") not in kinds:
            continue
        ckey = dedup_key(c["name"], c.get("city"))
        if ckey not in college_at:
            college_at[ckey] = len(out.colleges)
            out.colleges.append({"name": _text(c["name"]), "name_zh": c.get("name_zh") or None, **_place(c),
                                 "kind": KINDS.get(c.get("type", ""), "higher_vocational"), "specialties": []})
        college = out.colleges[college_at[ckey]]
        names = {s["name"].casefold() for s in college["specialties"]}
        for s in c.get("specialties") or []:
            if s.casefold() not in names and len(college["specialties"]) < 200:
                college["specialties"].append({"name": _text(s), "annual_graduates": 50})
                names.add(s.casefold())
        pkey = dedup_key(p["name"], p.get("city"))
        if pkey not in enterprise_at:
            enterprise_at[pkey] = len(out.enterprises)
            out.enterprises.append({"name": _text(p["name"]), "name_zh": p.get("name_zh") or None, **_place(p),
                                    "industry": _text(p.get("industry") or "", 100) or None, "talent_gaps": []})
        enterprise = out.enterprises[enterprise_at[pkey]]
        fields = {g["field"].casefold() for g in enterprise["talent_gaps"]}
        for need in p.get("needs") or []:
            if need.casefold() not in fields and len(enterprise["talent_gaps"]) < 200:
                enterprise["talent_gaps"].append({"field": _text(need), "headcount": 10})
                fields.add(need.casefold())
        key = (college_at[ckey], enterprise_at[pkey])
        best[key] = max(best.get(key, 0.0), TIE_WEIGHT.get(r.get("tie", "formal"), 1.0))
    for college in out.colleges:
        if not college["specialties"]:
            college["specialties"].append({"name": "general programmes", "annual_graduates": 50})
    for enterprise in out.enterprises:
        if not enterprise["talent_gaps"]:
            enterprise["talent_gaps"].append({"field": enterprise.get("industry") or "cooperation", "headcount": 10})
    out.pairs = sorted((c, e, w) for (c, e), w in best.items())
    return out


def load(path: Path, kinds: frozenset[str] = frozenset({"enterprise"})) -> DevSet:
    return build(read_records(path), kinds)
