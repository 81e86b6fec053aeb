"""Bulk import and export, as JSON Lines or CSV, for either side.

Import checks every row before it writes any, so a file either lands whole or not at all (unless
the caller asks for a partial import); each problem names its line. CSV has one row per unit
(specialty or talent gap) with the profile's columns repeated, the shape spreadsheet users keep;
rows with the same name and city form one profile.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matching.errors import Conflict, InvalidInput, Problem
from matching.prepare import Prepared, dedup_key, prepare
from matching.profiles import add, to_record
from matching.progress import Progress, ProgressFactory, no_progress
from matching.pydantic_reasons import Phrase, PydanticReason
from matching.reference import Reference
from matching.saying import Said, Series, Term, Verbatim, say
from matching.schemas import ImportReport, ProblemPublic
from matching.sides import Profile, SideSpec
from matching.vocab import Side

if TYPE_CHECKING:
    from matching.live import LiveIndex

FORMATS = ("jsonl", "csv")
BATCH = 200

PROFILE_COLUMNS = ("name", "name_zh", "country", "province", "city", "lat", "lon", "description",
                   "cooperation_modes")
SIDE_COLUMNS = {
    Side.COLLEGES: ("kind",),
    Side.ENTERPRISES: ("industry", "size", "preferred_provinces"),
}
# CSV column -> unit field. Prefixed so that a unit's "description" cannot clash with the profile's.
UNIT_COLUMNS = {
    Side.COLLEGES: {"specialty_name": "name", "specialty_code": "code",
                    "specialty_description": "description", "annual_graduates": "annual_graduates"},
    Side.ENTERPRISES: {"gap_field": "field", "gap_description": "description", "headcount": "headcount",
                       "level": "level", "start_date": "start_date", "gap_codes": "codes"},
}
LIST_CELLS = {"cooperation_modes", "preferred_provinces", "codes"}  # ";"-separated
INT_CELLS = {"annual_graduates", "headcount"}
FLOAT_CELLS = {"lat", "lon"}



@dataclass
class Record:
    line: int
    data: dict[str, Any]
    unit_lines: list[int] = field(default_factory=list)  # the line each unit came from

    def line_of(self, path: tuple[Any, ...], units: str) -> int:
        if len(path) >= 2 and path[0] == units and isinstance(path[1], int) and path[1] < len(self.unit_lines):
            return self.unit_lines[path[1]]
        return self.line


@dataclass
class Checked:
    records: int
    good: list[tuple[int, Prepared]]
    problems: list[Problem]
    warnings: list[Problem]


def csv_columns(spec: SideSpec) -> list[str]:
    return [*PROFILE_COLUMNS, *SIDE_COLUMNS[spec.side], *UNIT_COLUMNS[spec.side]]


# --- reading ---------------------------------------------------------------------------------


def parse(spec: SideSpec, text: str, fmt: str) -> tuple[list[Record], list[Problem]]:
    if fmt == "jsonl":
        return parse_jsonl(text)
    if fmt == "csv":
        return parse_csv(spec, text)
    raise InvalidInput.of([Problem.of("format", say("problem.unknown_format", format=fmt, formats=Series(FORMATS)))])


def parse_jsonl(text: str) -> tuple[list[Record], list[Problem]]:
    records: list[Record] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            said = say("problem.malformed_json", error=Phrase("json", exc.msg), column=exc.colno)
            problems.append(Problem.of("", said, number))
            continue
        if not isinstance(data, dict):
            problems.append(Problem.of("", say("problem.not_an_object"), number))
            continue
        records.append(Record(number, data))
    return records, problems


def parse_csv(spec: SideSpec, text: str) -> tuple[list[Record], list[Problem]]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    problems: list[Problem] = []
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], []
    except csv.Error as exc:
        return [], [Problem.of("", say("problem.malformed_csv", error=Phrase("csv", str(exc))), 1)]
    known = set(csv_columns(spec))
    unknown = [h for h in header if h not in known]
    if unknown or "name" not in header:
        reason = say("problem.unknown_columns", columns=Verbatim(str(unknown))) if unknown \
            else say("problem.no_name_column")
        said = say("problem.header", reason=reason, columns=Series(tuple(csv_columns(spec))))
        return [], [Problem.of("header", said, 1)]

    units_map = UNIT_COLUMNS[spec.side]
    profiles: dict[str, Record] = {}
    first_line: dict[str, dict[str, int]] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem.of("", say("problem.malformed_csv", error=Phrase("csv", str(exc))),
                                       reader.line_num))
            break
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            problems.append(Problem.of("", say("problem.cells", cells=len(cells), columns=len(header)), line))
            continue
        row = {h: c.strip() for h, c in zip(header, cells, strict=False) if c.strip()}
        values, unit, row_problems = _typed_row(row, units_map, line)
        if row_problems:
            problems.extend(row_problems)
            continue
        key = dedup_key(str(values.get("name", "")), values.get("city"))
        record = profiles.get(key)
        if record is None:
            record = profiles[key] = Record(line, {spec.units: []})
            first_line[key] = {}
        for name, value in values.items():
            seen = record.data.get(name)
            if seen is None:
                record.data[name] = value
                first_line[key][name] = line
            elif seen != value:
                problems.append(Problem.of(name, say("problem.cell_conflict", value=value, first=first_line[key][name],
                                                     label=Term(spec.label), seen=seen), line))
        if unit:
            record.data[spec.units].append(unit)
            record.unit_lines.append(line)
    for record in profiles.values():
        lat, lon = record.data.pop("lat", None), record.data.pop("lon", None)
        if lat is not None or lon is not None:
            record.data["location"] = {"lat": lat, "lon": lon}
    return list(profiles.values()), problems


def _typed_row(
    row: dict[str, str], units_map: dict[str, str], line: int
) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    unit: dict[str, Any] = {}
    problems: list[Problem] = []
    for column, cell in row.items():
        name = units_map.get(column, column)
        value: Any = cell
        try:
            if name in LIST_CELLS:
                value = [part.strip() for part in cell.split(";") if part.strip()]
            elif name in INT_CELLS:
                value = int(cell)
            elif name in FLOAT_CELLS:
                value = float(cell)
        except ValueError:
            kind = "problem.expected_whole" if name in INT_CELLS else "problem.expected_number"
            problems.append(Problem.of(column, Said(kind, (("cell", cell),)), line))
            continue
        (unit if column in units_map else values)[name] = value
    return values, unit, problems


# --- checking and writing --------------------------------------------------------------------


def check(session: Session, spec: SideSpec, records: list[Record], ref: Reference,
          progress: Progress | None = None) -> Checked:
    good: list[tuple[int, Prepared]] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=1):
        if progress and number % BATCH == 0:
            progress(BATCH)
        try:
            body = spec.parse(record.data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(err["loc"])
                field = ".".join(str(p) for p in loc)
                problems.append(Problem.of(field, PydanticReason.of(err), record.line_of(loc, spec.units)))
            continue
        try:
            prepared = prepare(spec, body, ref)  # type: ignore[arg-type]
        except InvalidInput as exc:
            for p in exc.problems:
                path = tuple(int(x) if x.isdigit() else x for x in p.field.split("."))
                problems.append(Problem(p.field, p.reason, record.line_of(path, spec.units), p.said))
            continue
        if prepared.dedup_key in seen:
            problems.append(Problem.of("name", say("problem.duplicate_line_profile", first=seen[prepared.dedup_key]),
                                       record.line))
            continue
        seen[prepared.dedup_key] = record.line
        warnings.extend(Problem("city", w, record.line) for w in prepared.warnings)
        good.append((record.line, prepared))

    if progress:
        progress(len(records) % BATCH)
    existing = _existing_keys(session, spec, [p.dedup_key for _, p in good])
    kept = []
    for line, prepared in good:
        if prepared.dedup_key in existing:
            problems.append(Problem.of("name", say("problem.exists_in_db", label=Term(spec.label),
                                                   id=existing[prepared.dedup_key]), line))
        else:
            kept.append((line, prepared))
    problems.sort(key=lambda p: (p.line or 0, p.field))
    return Checked(records=len(records), good=kept, problems=problems, warnings=warnings)


def _existing_keys(session: Session, spec: SideSpec, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        rows = session.execute(select(spec.model.dedup_key, spec.model.id).where(spec.model.dedup_key.in_(chunk)))
        found.update({key: profile_id for key, profile_id in rows})
    return found


def write(session: Session, spec: SideSpec, good: list[tuple[int, Prepared]],
          progress: Progress | None = None, live: "LiveIndex | None" = None,
          embed_progress: ProgressFactory = no_progress, commit: bool = True) -> int:
    """Write all prepared profiles in one transaction: all of them land, or none.

    With a live index, every unit is embedded before the commit, so no unit is ever stored
    without its vector, and the index takes the profiles right after. Without one, `commit=False`
    leaves the transaction open, for a caller that writes more in it (the sample's two sides).
    """
    if live is not None and not commit:
        raise ValueError("a live index is applied after its commit; commit=False needs live=None")
    added: list[Profile] = []
    try:
        for start in range(0, len(good), BATCH):
            batch = good[start:start + BATCH]
            for _, prepared in batch:
                added.append(add(session, spec, prepared))
            session.flush()
            if progress:
                progress(len(batch))
        if live is None:
            if commit:
                session.commit()
        else:
            live.before_commit(session, spec, added, embed_progress)
            with live.committing(spec):
                session.commit()
                live.after_commit(session, spec, added)
    except IntegrityError as exc:
        session.rollback()
        taken = _existing_keys(session, spec, [p.dedup_key for _, p in good])
        if not taken:
            raise  # not a duplicate: a bug, not the client's mistake
        lines = [line for line, p in good if p.dedup_key in taken]
        raise Conflict.said(say("problem.raced", count=len(taken), side=Term(spec.side)),
                            [Problem.of("name", say("problem.already_exists"), line) for line in lines]) from exc
    return len(good)


def import_text(session: Session, spec: SideSpec, text: str, fmt: str, ref: Reference, *,
                partial: bool = False, progress: ProgressFactory = no_progress,
                live: "LiveIndex | None" = None, commit: bool = True) -> ImportReport:
    records, unreadable = parse(spec, text, fmt)
    with progress(f"checking {spec.side}", len(records)) as advance:
        checked = check(session, spec, records, ref, advance)
    problems = sorted([*unreadable, *checked.problems], key=lambda p: (p.line or 0, p.field))
    if problems and not partial:
        bad_lines = len({p.line for p in problems})
        raise InvalidInput.said(say("problem.bad_lines", count=bad_lines), problems)
    if not records and not problems:
        raise InvalidInput.of([Problem.of("body", say("problem.empty_file", side=Term(spec.side)))])
    with progress(f"writing {spec.side}", len(checked.good)) as advance:
        created = write(session, spec, checked.good, advance, live, progress, commit)
    rows = len(records) + len({p.line for p in unreadable})
    return ImportReport(
        side=str(spec.side), format=fmt, rows=rows, created=created, rejected=rows - created,
        errors=[ProblemPublic(field=p.field, reason=p.reason, line=p.line) for p in problems],
        warnings=[ProblemPublic(field=p.field, reason=p.reason, line=p.line) for p in checked.warnings],
    )


# --- export ----------------------------------------------------------------------------------


def records(session: Session, spec: SideSpec) -> Iterator[dict[str, Any]]:
    """Every stored profile as an importable record, in id order, read in batches."""
    last = 0
    while True:
        batch = cast(list[Profile], list(session.scalars(
            select(spec.model).where(spec.model.id > last).order_by(spec.model.id).limit(BATCH)
            .options(selectinload(getattr(spec.model, spec.units)))
        )))
        if not batch:
            return
        for profile in batch:
            yield to_record(spec, profile, with_ids=False)
        last = batch[-1].id


def to_jsonl(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    for item in items:
        yield json.dumps(item, ensure_ascii=False, default=str) + "\n"


def to_csv(spec: SideSpec, items: Iterable[dict[str, Any]]) -> Iterator[str]:
    columns = csv_columns(spec)
    units_map = UNIT_COLUMNS[spec.side]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for item in items:
        location = item.get("location") or {}
        profile = {**item, "lat": location.get("lat"), "lon": location.get("lon")}
        for unit in item[spec.units] or [{}]:
            merged = profile | {column: unit.get(name) for column, name in units_map.items()}
            writer.writerow([_cell(merged.get(column)) for column in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)
