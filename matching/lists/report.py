"""A list's report: demand covered, unfilled gaps and why, college utilisation, tables by province and industry.

Computed from the list's own rows (the demand it was built for, its entries, the candidates it saw),
so its numbers add up: every table sums to the totals, and `allocated` always counts proposed and
accepted entries.
"""

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.lists.build import ACTIVE, capacity_left
from matching.lists.entries import names_zh
from matching.lists.models import ListGap, MatchEntry, MatchList
from matching.lists.schemas import (
    CollegeUse,
    IndustryRow,
    MissReason,
    NearMiss,
    ProvinceRow,
    ReportDemand,
    ReportPublic,
    UnfilledGap,
)
from matching.models import College, Enterprise, Specialty

NEAR_MISSES = 3
UNKNOWN = "unknown"


def report(session: Session, lst: MatchList) -> ReportPublic:
    gaps = list(session.scalars(select(ListGap).where(ListGap.list_id == lst.id).order_by(ListGap.gap_id)))
    rows = list(session.scalars(select(MatchEntry).where(MatchEntry.list_id == lst.id).order_by(MatchEntry.id)))
    allocated: dict[int, int] = defaultdict(int)
    accepted: dict[int, int] = defaultdict(int)
    for e in rows:
        if e.status in ACTIVE:
            allocated[e.gap_id] += e.headcount
        if e.status == "accepted":
            accepted[e.gap_id] += e.headcount
    headcount = sum(g.headcount for g in gaps)
    total = sum(allocated[g.gap_id] for g in gaps)
    demand = ReportDemand(
        headcount=headcount, allocated=total, accepted=sum(accepted[g.gap_id] for g in gaps),
        coverage=_ratio(total, headcount), gaps=len(gaps),
        gaps_filled=sum(allocated[g.gap_id] >= g.headcount for g in gaps),
        gaps_partly_filled=sum(0 < allocated[g.gap_id] < g.headcount for g in gaps),
        gaps_unfilled=sum(allocated[g.gap_id] == 0 for g in gaps))
    free = capacity_left(session, lst.id) if any(allocated[g.gap_id] < g.headcount for g in gaps) else {}
    graduates = _graduates(session, {e.specialty_id for e in rows} | {
        c["specialty_id"] for g in gaps for c in g.candidates})
    by_gap: dict[int, list[MatchEntry]] = defaultdict(list)
    for e in rows:
        by_gap[e.gap_id].append(e)
    unfilled = [_unfilled(lst, g, allocated[g.gap_id], by_gap[g.gap_id], free, graduates) for g in gaps
                if allocated[g.gap_id] < g.headcount]
    unfilled.sort(key=lambda u: (-u.missing, u.gap_id))
    colleges = _colleges(rows, graduates)
    _name_in_chinese(session, unfilled, colleges)
    notes = []
    if lst.status != "ready":
        notes.append(f"The list is {lst.status}: it has no entries yet or was not built")
    elif not gaps:
        notes.append("No talent gap is in this list's scope")
    return ReportPublic(
        list_id=lst.id, name=lst.name, demand=demand, unfilled=unfilled, colleges=colleges,
        by_province=[ProvinceRow(province=k, headcount=h, allocated=a, coverage=_ratio(a, h))
                     for k, (h, a) in _by(gaps, allocated, lambda g: g.province).items()],
        by_industry=[IndustryRow(industry=k, headcount=h, allocated=a, coverage=_ratio(a, h))
                     for k, (h, a) in _by(gaps, allocated, lambda g: g.industry).items()],
        notes=notes)


def _name_in_chinese(session: Session, unfilled: list[UnfilledGap], colleges: list[CollegeUse]) -> None:
    """The profiles' Chinese names beside the names the list was built with (for a Chinese reader)."""
    enterprise_zh = names_zh(session, Enterprise, {u.enterprise_id for u in unfilled})
    college_zh = names_zh(session, College, {c.college_id for c in colleges} |
                          {m.college_id for u in unfilled for m in u.near_misses})
    for u in unfilled:
        u.enterprise_name_zh = enterprise_zh.get(u.enterprise_id)
        for m in u.near_misses:
            m.college_name_zh = college_zh.get(m.college_id)
    for c in colleges:
        c.name_zh = college_zh.get(c.college_id)


def _unfilled(lst: MatchList, gap: ListGap, allocated: int, mine: list[MatchEntry], free: dict[int, int],
              graduates: dict[int, int]) -> UnfilledGap:
    holding = {e.specialty_id for e in mine if e.status in ACTIVE}
    turned_down = {e.specialty_id: e for e in mine if e.status not in ACTIVE}
    cands = [c for c in gap.candidates if c["specialty_id"] not in holding]  # a holding specialty is no miss
    eligible = [c for c in gap.candidates if c["in_scope"] and c["score"] >= lst.min_score]
    reason: MissReason
    if any(c["specialty_id"] not in turned_down for c in eligible):
        reason = "capacity_used"
    elif eligible:
        reason = "rejected"
    elif any(not c["in_scope"] for c in cands):
        reason = "filtered_out"
    elif cands:
        reason = "below_min_score"
    else:
        reason = "no_candidates"
    near = [NearMiss(college_id=c["college_id"], college_name=c["college_name"], specialty_id=c["specialty_id"],
                     specialty_name=c["specialty_name"], score=c["score"],
                     why=_why(lst, c, turned_down.get(c["specialty_id"]), free, graduates))
            for c in cands[:NEAR_MISSES]]
    return UnfilledGap(gap_id=gap.gap_id, gap_name=gap.gap_name, enterprise_id=gap.enterprise_id,
                       enterprise_name=gap.enterprise_name, headcount=gap.headcount, allocated=allocated,
                       missing=gap.headcount - allocated, reason=reason, near_misses=near)


def _why(lst: MatchList, c: dict[str, Any], decided: MatchEntry | None, free: dict[int, int],
         graduates: dict[int, int]) -> str:
    if not c["in_scope"]:
        return f"not among the scope's colleges (score {c['score']:.2f})"
    if c["score"] < lst.min_score:
        return f"score {c['score']:.2f} is below the list's min_score {lst.min_score:.2f}"
    if decided is not None:
        return f"{decided.status} in review" + (f": {decided.reason}" if decided.reason else "")
    total = graduates.get(c["specialty_id"])
    if total is None:
        return "the specialty no longer exists"
    left = free.get(c["specialty_id"], 0)
    if left == 0:
        return (f"capacity used up: all {total:,} graduates a year of {c['specialty_name']} are allocated in this "
                "list or held by accepted entries of other lists")
    return (f"{left:,} of {total:,} graduates a year still free (freed by a decision, or the gap had its "
            f"{lst.max_colleges_per_gap} best colleges already): a new round can allocate them")


def _colleges(rows: list[MatchEntry], graduates: dict[int, int]) -> list[CollegeUse]:
    by_college: dict[int, list[MatchEntry]] = defaultdict(list)
    for e in rows:
        by_college[e.college_id].append(e)
    out = []
    for college_id, mine in by_college.items():
        capacity = sum(graduates.get(s, 0) for s in {e.specialty_id for e in mine})
        allocated = sum(e.headcount for e in mine if e.status in ACTIVE)
        out.append(CollegeUse(college_id=college_id, name=mine[0].college_name, province=mine[0].college_province,
                              capacity=capacity, allocated=allocated,
                              accepted=sum(e.headcount for e in mine if e.status == "accepted"),
                              utilisation=_ratio(allocated, capacity)))
    return sorted(out, key=lambda c: (-c.allocated, c.college_id))


def _by(gaps: list[ListGap], allocated: dict[int, int], key: Any) -> dict[str, tuple[int, int]]:
    table: dict[str, tuple[int, int]] = {}
    for g in gaps:
        name = key(g) or UNKNOWN
        h, a = table.get(name, (0, 0))
        table[name] = (h + g.headcount, a + allocated[g.gap_id])
    return dict(sorted(table.items()))


def _graduates(session: Session, specialty_ids: set[int]) -> dict[int, int]:
    ids = sorted(specialty_ids)
    out: dict[int, int] = {}
    for start in range(0, len(ids), 1000):
        out.update({sid: graduates for sid, graduates in session.execute(
            select(Specialty.id, Specialty.annual_graduates).where(Specialty.id.in_(ids[start:start + 1000])))})
    return out


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0
