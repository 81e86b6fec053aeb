"""A list and its report as files: JSON as the API gives them, CSV flat for spreadsheets."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from matching.lists.schemas import EntryPublic, MatchListPublic, ReportPublic

ENTRY_COLUMNS = ("id", "list_id", "round", "status", "enterprise_id", "enterprise_name", "enterprise_province",
                 "industry", "gap_id", "gap_name", "college_id", "college_name", "college_province", "specialty_id",
                 "specialty_name", "headcount", "score", "decided_by", "decided_at", "reason", "comments", "reasons")
REPORT_COLUMNS = ("table", "key", "name", "province", "headcount", "allocated", "accepted", "missing", "capacity",
                  "coverage", "utilisation", "reason", "near_misses")
SEPARATOR = " | "


def entries_json(lst: MatchListPublic, entries: Iterable[EntryPublic]) -> str:
    return json.dumps({"list": lst.model_dump(mode="json"), "entries": [e.model_dump(mode="json") for e in entries]},
                      ensure_ascii=False, indent=1)


def report_json(report: ReportPublic) -> str:
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1)


def entries_csv(entries: Iterable[EntryPublic]) -> Iterator[str]:
    def row(e: EntryPublic) -> dict[str, Any]:
        data = e.model_dump(mode="json")
        data["comments"] = SEPARATOR.join(f"{c.author}: {c.text}" for c in e.comments)
        data["reasons"] = SEPARATOR.join(str(r) for r in e.explanation.get("reasons", []))
        return data

    return _csv(ENTRY_COLUMNS, (row(e) for e in entries))


def report_csv(report: ReportPublic) -> Iterator[str]:
    """One CSV for every table of the report; the `table` column says which a row belongs to."""
    d = report.demand
    rows: list[dict[str, Any]] = [{"table": "demand", "key": "total", "name": report.name, "headcount": d.headcount,
                                   "allocated": d.allocated, "accepted": d.accepted,
                                   "missing": d.headcount - d.allocated, "coverage": d.coverage}]
    rows += [{"table": "province", "key": p.province, "headcount": p.headcount, "allocated": p.allocated,
              "missing": p.headcount - p.allocated, "coverage": p.coverage} for p in report.by_province]
    rows += [{"table": "industry", "key": i.industry, "headcount": i.headcount, "allocated": i.allocated,
              "missing": i.headcount - i.allocated, "coverage": i.coverage} for i in report.by_industry]
    rows += [{"table": "college", "key": c.college_id, "name": c.name, "province": c.province,
              "allocated": c.allocated, "accepted": c.accepted, "capacity": c.capacity,
              "utilisation": c.utilisation} for c in report.colleges]
    rows += [{"table": "unfilled", "key": u.gap_id, "name": f"{u.enterprise_name}: {u.gap_name}",
              "headcount": u.headcount, "allocated": u.allocated, "missing": u.missing, "reason": u.reason,
              "near_misses": SEPARATOR.join(f"{m.college_name} / {m.specialty_name} ({m.score:.2f}): {m.why}"
                                            for m in u.near_misses)} for u in report.unfilled]
    return _csv(REPORT_COLUMNS, rows)


def _csv(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(value: Any) -> Any:
    return "" if value is None else value
