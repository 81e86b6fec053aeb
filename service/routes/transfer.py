"""/import and /export: whole files of profiles or partnerships, JSON Lines or CSV."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from matching import transfer
from matching.outcomes import transfer as partnership_files
from matching.saying import say
from matching.schemas import ImportReport
from matching.sides import SIDES
from matching.vocab import FileSide, Role, Side
from service.auth import require_role, who_is
from service.deps import LiveDep, PrincipalDep, ReferenceDep, SessionDep
from service.errors import ApiError

router = APIRouter(tags=["transfer"])
Format = Literal["jsonl", "csv"]
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
FORMAT_OF_MEDIA = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
    "application/jsonlines": "jsonl",
    "text/csv": "csv",
}


def _format(request: Request, given: Format | None) -> str:
    if given:
        return given
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in FORMAT_OF_MEDIA:
        return FORMAT_OF_MEDIA[media]
    raise ApiError.said(415, say("error.say_format"))


@router.post("/import", response_model=ImportReport, status_code=201,
             summary="Import profiles or partnerships from JSON Lines or CSV (all rows or none, unless partial)")
async def import_(
    request: Request,
    side: Annotated[FileSide, Query(description="What the file holds: colleges, enterprises or partnerships")],
    session: SessionDep,
    ref: ReferenceDep,
    who: PrincipalDep,
    live: LiveDep,
    format: Annotated[Format | None, Query(description="Default: from Content-Type")] = None,
    partial: Annotated[bool, Query(description="Write the good rows and report the rest")] = False,
) -> ImportReport:
    if side == FileSide.PARTNERSHIPS:
        require_role(who, Role.PROGRAM_MANAGER, what="import partnerships")
    else:
        require_role(who, what="import profiles")
    fmt = _format(request, format)
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError.said(400, say("error.not_utf8", byte=exc.start), error="bad_encoding") from exc
    if side == FileSide.PARTNERSHIPS:
        return await run_in_threadpool(partnership_files.import_text, session, text, fmt, who_is(who),
                                       partial=partial)
    return await run_in_threadpool(
        transfer.import_text, session, SIDES[Side(side)], text, fmt, ref, partial=partial, live=live)


@router.get("/export", summary="Export all profiles of one side, or all partnerships, as JSON Lines or CSV")
def export(
    side: Annotated[FileSide, Query()],
    session: SessionDep,
    who: PrincipalDep,
    format: Annotated[Format, Query()] = "jsonl",
) -> StreamingResponse:
    require_role(who, Role.PROGRAM_MANAGER, what=f"export {side}")
    if side == FileSide.PARTNERSHIPS:
        rows = partnership_files.records(session)
        body = partnership_files.to_jsonl(rows) if format == "jsonl" else partnership_files.to_csv(rows)
    else:
        spec = SIDES[Side(side)]
        records = transfer.records(session, spec)
        body = transfer.to_jsonl(records) if format == "jsonl" else transfer.to_csv(spec, records)
    headers = {"Content-Disposition": f'attachment; filename="{side}.{format}"'}
    return StreamingResponse(body, media_type=MEDIA_TYPES[format], headers=headers)
