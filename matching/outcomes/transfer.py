"""Partnerships in bulk, as JSON Lines (one `POST /partnerships` body a line) or CSV, all or nothing.

Every row is checked before any is written: its fields, that both profiles exist, and that it is no
duplicate of another row or of a partnership on record; each problem names its line.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.errors import Conflict, InvalidInput, Problem
from matching.models import College, Enterprise
from matching.outcomes import partnerships
from matching.outcomes.models import Partnership
from matching.outcomes.schemas import PartnershipCreate
from matching.pydantic_reasons import Phrase, PydanticReason
from matching.saying import Series, Term, Verbatim, say
from matching.schemas import ImportReport, ProblemPublic
from matching.transfer import FORMATS, parse_jsonl

COLUMNS = ("college_id", "enterprise_id", "modes", "start_date", "source_url", "note", "tie")
SIDE = "partnerships"


def parse(text: str, fmt: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    if fmt == "jsonl":
        return _parse_jsonl(text)
    if fmt == "csv":
        return _parse_csv(text)
    raise InvalidInput.of([Problem.of("format", say("problem.unknown_format", format=fmt, formats=Series(FORMATS)))])


def _parse_jsonl(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    records, problems = parse_jsonl(text)  # the profiles' reader: same lines, same problems
    return [(r.line, r.data) for r in records], problems


def _parse_csv(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], []
    except csv.Error as exc:
        return [], [Problem.of("", say("problem.malformed_csv", error=Phrase("csv", str(exc))), 1)]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown or not {"college_id", "enterprise_id"} <= set(header):
        reason = say("problem.unknown_columns", columns=Verbatim(str(unknown))) if unknown \
            else say("problem.header_needs_ids")
        return [], [Problem.of("header", say("problem.header", reason=reason, columns=Series(COLUMNS)), 1)]
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[Problem] = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem.of("", say("problem.malformed_csv", error=Phrase("csv", str(exc))),
                                       reader.line_num))
            break
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            problems.append(Problem.of("", say("problem.cells", cells=len(cells), columns=len(header)),
                                       reader.line_num))
            continue
        row: dict[str, Any] = {}
        for column, cell in zip(header, cells, strict=False):
            cell = cell.strip()
            if not cell:
                continue
            if column == "modes":
                row[column] = [m.strip() for m in cell.split(";") if m.strip()]
            elif column in ("college_id", "enterprise_id"):
                row[column] = int(cell) if cell.isdigit() else cell
            else:
                row[column] = cell
        rows.append((reader.line_num, row))
    return rows, problems


def _existing_ids(session: Session, model: type[College] | type[Enterprise], ids: set[int]) -> set[int]:
    found: set[int] = set()
    wanted = sorted(ids)
    for start in range(0, len(wanted), 500):
        found.update(session.scalars(select(model.id).where(model.id.in_(wanted[start:start + 500]))))
    return found


def check(session: Session, rows: list[tuple[int, dict[str, Any]]]) -> tuple[list[tuple[int, PartnershipCreate]],
                                                                           list[Problem]]:
    bodies: list[tuple[int, PartnershipCreate]] = []
    problems: list[Problem] = []
    for line, data in rows:
        try:
            bodies.append((line, PartnershipCreate.model_validate(data)))
        except ValidationError as exc:
            problems.extend(Problem.of(".".join(str(p) for p in err["loc"]) or "", PydanticReason.of(err), line)
                            for err in exc.errors())
    colleges = _existing_ids(session, College, {b.college_id for _, b in bodies})
    enterprises = _existing_ids(session, Enterprise, {b.enterprise_id for _, b in bodies})
    keys = {partnerships.pair_key(b.college_id, b.enterprise_id, b.start_date): line for line, b in bodies}
    wanted = list(keys)
    on_record: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        on_record.update(session.scalars(select(Partnership.pair_key).where(Partnership.pair_key.in_(chunk))))
    seen: dict[str, int] = {}
    good: list[tuple[int, PartnershipCreate]] = []
    for line, body in bodies:
        key = partnerships.pair_key(body.college_id, body.enterprise_id, body.start_date)
        row_problems = []
        if body.college_id not in colleges:
            row_problems.append(Problem.of("college_id", say("problem.missing", label=Term("college"),
                                                             id=body.college_id), line))
        if body.enterprise_id not in enterprises:
            row_problems.append(Problem.of("enterprise_id", say("problem.missing", label=Term("enterprise"),
                                                                id=body.enterprise_id), line))
        if key in seen:
            row_problems.append(Problem.of("start_date", say("problem.duplicate_line_pair", first=seen[key]), line))
        elif key in on_record:
            row_problems.append(Problem.of("start_date", say("problem.pair_on_record"), line))
        seen.setdefault(key, line)
        if row_problems:
            problems.extend(row_problems)
        else:
            good.append((line, body))
    return good, problems


def import_text(session: Session, text: str, fmt: str, who: str, *, partial: bool = False) -> ImportReport:
    rows, unreadable = parse(text, fmt)
    good, checked = check(session, rows)
    problems = sorted([*unreadable, *checked], key=lambda p: (p.line or 0, p.field))
    if problems and not partial:
        bad_lines = len({p.line for p in problems})
        raise InvalidInput.said(say("problem.bad_lines", count=bad_lines), problems)
    if not rows and not problems:
        raise InvalidInput.of([Problem.of("body", say("problem.empty_file", side=Term("partnerships")))])
    try:
        session.add_all([partnerships.build(body, who) for _, body in good])
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict.said(say("problem.raced_partnerships")) from exc
    total = len(rows) + len({p.line for p in unreadable})
    return ImportReport(side=SIDE, format=fmt, rows=total, created=len(good), rejected=total - len(good),
                        errors=[ProblemPublic(field=p.field, reason=p.reason, line=p.line) for p in problems])


def records(session: Session) -> Iterator[dict[str, Any]]:
    """Every partnership as an importable record, in id order."""
    for p in partnerships.all_of(session):
        yield {"college_id": p.college_id, "enterprise_id": p.enterprise_id, "modes": list(p.modes),
               "start_date": p.start_date.isoformat() if p.start_date else None, "source_url": p.source_url,
               "note": p.note, "tie": p.tie}


def to_jsonl(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    for item in items:
        yield json.dumps(item, ensure_ascii=False) + "\n"


def to_csv(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for item in items:
        writer.writerow([";".join(v) if isinstance(v := item.get(c), list) else ("" if v is None else str(v))
                         for c in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
