"""/match-lists: capacity-aware lists of college ↔ talent gap entries, their review, report and export.

Program managers and admins create lists, decide and export; a college or enterprise key reads
lists and the entries that concern it, and nothing else of them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from matching.errors import Conflict, InvalidInput, Problem
from matching.geography import GeographyError, normalize_any_province
from matching.lists import audit, build, entries, export, review, scope, store
from matching.lists.build import run_job
from matching.lists.candidates import CandidatePools
from matching.lists.models import Job, MatchEntry, MatchList
from matching.lists.report import report
from matching.lists.schemas import (
    AuditsPublic,
    CommentBody,
    CommentPublic,
    EntriesPublic,
    EntryPublic,
    EntryStatus,
    MatchListCreate,
    MatchListPublic,
    MatchListsPublic,
    RejectBody,
    ReportPublic,
)
from matching.live import LiveIndex
from matching.outcomes.from_lists import from_entries
from matching.outcomes.impressions import FeatureRows
from matching.outcomes.schemas import FromEntriesBody, FromEntriesPublic
from matching.ranking import RankingSettings
from matching.saying import said_of, say
from matching.schemas import MAX_ID, OptionalName
from matching.sides import COLLEGES, ENTERPRISES
from matching.vocab import Role, Side
from service.auth import Principal, forbid, require_role
from service.background import JobRunner
from service.deps import JobsDep, LiveDep, PrincipalDep, RankingDep, SessionDep, SettingsDep, StateDep
from service.impressions import log_page
from service.language import WordingDep
from service.settings import Settings
from service.state import AppState

router = APIRouter(prefix="/match-lists", tags=["match lists"])
ListId = Annotated[int, Path(ge=1, le=MAX_ID)]
EntryId = Annotated[int, Path(ge=1, le=MAX_ID)]
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv"}


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class EntryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: EntryStatus | None = None
    college_id: int | None = Field(None, ge=1, le=MAX_ID)
    enterprise_id: int | None = Field(None, ge=1, le=MAX_ID)
    province: OptionalName | None = Field(None, description="The enterprise's or the college's (any spelling)")
    industry: OptionalName | None = None
    q: OptionalName | None = Field(None, description="In the enterprise, college, gap or specialty name")
    sort: Literal["score", "-score", "headcount", "-headcount", "college", "enterprise", "status"] = "-score"
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


def who_is(principal: Principal) -> str:
    return principal.name or f"key {principal.key_id}"


def require_manager(principal: Principal, what: str) -> None:
    require_role(principal, Role.PROGRAM_MANAGER, what=what)


@dataclass
class ListBuilder:
    """What building a new list or a new round needs, and the one rule for both: over
    `match_list_sync_max` gaps the work is a background job (202, Location: the job); otherwise it
    is done in this request (201)."""

    session: Session
    live: LiveIndex
    ranking: RankingSettings
    settings: Settings
    state: AppState
    runner: JobRunner

    @cached_property
    def pools(self) -> CandidatePools:
        # Built on first use, so that a caller without the role is refused before any work.
        live, settings = self.live, self.settings
        pools = live.fresh_pools(self.session)
        return CandidatePools(colleges=pools[COLLEGES.side], enterprises=pools[ENTERPRISES.side], config=self.ranking,
                              exact_scan_max=settings.exact_scan_max, limit=settings.match_list_candidates,
                              gap_stats=live.pool(ENTERPRISES).stats, on_page=self.log_page,
                              catalogue=self.state.reference.catalogue, history=live.history(self.session))

    def log_page(self, enterprise_id: int, items: FeatureRows) -> None:
        log_page(self.state, "match_list", {"asker_id": enterprise_id, "limit": self.settings.match_list_candidates},
                 "enterprise", enterprise_id, items)

    def run(self, gaps: int, response: Response, now: Callable[[], MatchList],
            later: Callable[[build.Hold], tuple[MatchList, Job]]) -> MatchList:
        if gaps <= self.settings.match_list_sync_max:
            return now()
        held: list[str] = []

        def hold(job_id: str) -> None:
            self.runner.hold(job_id)
            held.append(job_id)

        try:
            lst, job = later(hold)
        except BaseException:
            for job_id in held:  # the job was never committed
                self.runner.release(job_id)
            raise
        pools, sessions = self.pools, self.state.sessions
        self.runner.submit(job.id, lambda stop: run_job(sessions, pools, job.id, stop))
        response.status_code = 202
        response.headers["Location"] = f"/jobs/{job.id}"
        return lst


async def get_builder(session: SessionDep, live: LiveDep, ranking: RankingDep, settings: SettingsDep,
                      state: StateDep, runner: JobsDep) -> ListBuilder:
    return ListBuilder(session, live, ranking, settings, state, runner)


BuilderDep = Annotated[ListBuilder, Depends(get_builder)]
AS_JOB: dict[int | str, dict[str, Any]] = {
    202: {"model": MatchListPublic, "description": "Being built as a job (see Location)"}}


@router.post("", status_code=201, response_model=MatchListPublic,
             summary="Create a match list: candidates for every gap in scope, then an allocation of headcount",
             responses=AS_JOB)
def create(body: MatchListCreate, response: Response, builder: BuilderDep, who: PrincipalDep) -> MatchListPublic:
    require_manager(who, "create match lists")
    session = builder.session
    resolved = scope.resolve(session, body.scope)
    body = build.with_min_score(body, builder.ranking)
    lst = builder.run(len(resolved.gaps), response,
                      now=lambda: build.build_now(session, builder.pools, body, resolved, who_is(who)),
                      later=lambda hold: build.build_later(session, body, resolved, who_is(who), hold))
    return store.public(session, lst)


@router.get("", response_model=MatchListsPublic, summary="Match lists, newest first")
def list_(query: Annotated[ListQuery, Query()], session: SessionDep, _: PrincipalDep) -> MatchListsPublic:
    return store.page(session, query.limit, query.offset)


@router.get("/{list_id}", response_model=MatchListPublic, summary="A match list with its counts and demand")
def read(list_id: ListId, session: SessionDep, _: PrincipalDep) -> MatchListPublic:
    return store.public(session, store.get(session, list_id))


@router.post("/{list_id}/rounds", status_code=201, response_model=MatchListPublic,
             summary="Another round: allocate the unfilled demand to the capacity left",
             responses=AS_JOB)
def new_round(list_id: ListId, response: Response, builder: BuilderDep, who: PrincipalDep) -> MatchListPublic:
    require_manager(who, "build match lists")
    session = builder.session
    current = store.get(session, list_id)
    unfilled = build.unfilled_gaps(session, current) if current.status == "ready" else None
    if unfilled == 0:
        raise Conflict.said(say("problem.all_filled", id=list_id))
    # A list that is not ready goes the direct way, where round_now refuses it with a 409.
    lst = builder.run(unfilled or 0, response,
                      now=lambda: build.round_now(session, builder.pools, current, who_is(who)),
                      later=lambda hold: (current, build.round_later(session, current, who_is(who), hold)))
    return store.public(session, lst)


def _entry_filter(query: EntryQuery, who: Principal) -> entries.EntryFilter:
    college_id, enterprise_id = query.college_id, query.enterprise_id
    for side, asked in ((Side.COLLEGES, college_id), (Side.ENTERPRISES, enterprise_id)):
        own = who.own_id(side)
        if who.bound_to(side) and asked is not None and asked != own:
            raise forbid(f"read the entries of another {'college' if side == Side.COLLEGES else 'enterprise'}")
    college_id = who.own_id(Side.COLLEGES) or college_id
    enterprise_id = who.own_id(Side.ENTERPRISES) or enterprise_id
    province = None
    if query.province:
        try:
            province = normalize_any_province(query.province, prefer="CN")
        except GeographyError as exc:
            raise InvalidInput.of([Problem.of("province", said_of(exc))]) from exc
    return entries.EntryFilter(status=query.status, college_id=college_id, enterprise_id=enterprise_id,
                               province=province, industry=query.industry, q=query.q)


@router.get("/{list_id}/entries", response_model=EntriesPublic,
            summary="A list's entries (a college or enterprise key sees only its own)")
def list_entries(list_id: ListId, query: Annotated[EntryQuery, Query()], session: SessionDep,
                 who: PrincipalDep, wording: WordingDep) -> EntriesPublic:
    store.get(session, list_id)
    where = _entry_filter(query, who)
    return entries.page(session, list_id, where, query.sort, query.limit, query.offset, wording.lang)


@router.get("/{list_id}/entries/{entry_id}", response_model=EntryPublic, summary="One entry")
def read_entry(list_id: ListId, entry_id: EntryId, session: SessionDep, who: PrincipalDep,
               wording: WordingDep) -> EntryPublic:
    store.get(session, list_id)
    if who.bound_to(Side.COLLEGES) or who.bound_to(Side.ENTERPRISES):
        # Another's entry is a 403 whether or not it exists, so entry ids cannot be probed.
        entry = session.get(MatchEntry, entry_id)
        if entry is None or entry.list_id != list_id or (
                entry.college_id != who.own_id(Side.COLLEGES) and entry.enterprise_id != who.own_id(Side.ENTERPRISES)):
            raise forbid("read this entry")
    return entries.public(session, entries.get(session, list_id, entry_id), wording.lang)


def _decide(list_id: int, entry_id: int, action: review.Action, session: SessionDep, who: Principal,
            reason: str | None = None, lang: str = "en") -> EntryPublic:
    require_manager(who, "decide on entries")
    store.get(session, list_id)
    return entries.public(session, review.decide(session, list_id, entry_id, action, who_is(who), reason), lang)


@router.post("/{list_id}/entries/{entry_id}/accept", response_model=EntryPublic,
             summary="Accept a proposed entry (it then holds its headcount of the specialty's capacity)")
def accept(list_id: ListId, entry_id: EntryId, session: SessionDep, who: PrincipalDep,
           wording: WordingDep) -> EntryPublic:
    return _decide(list_id, entry_id, "accept", session, who, lang=wording.lang)


@router.post("/{list_id}/entries/{entry_id}/reject", response_model=EntryPublic,
             summary="Reject a proposed entry, saying why")
def reject(list_id: ListId, entry_id: EntryId, body: RejectBody, session: SessionDep,
           who: PrincipalDep, wording: WordingDep) -> EntryPublic:
    return _decide(list_id, entry_id, "reject", session, who, body.reason, wording.lang)


@router.post("/{list_id}/entries/{entry_id}/withdraw", response_model=EntryPublic,
             summary="Withdraw a proposed or accepted entry (its capacity is freed)")
def withdraw(list_id: ListId, entry_id: EntryId, session: SessionDep, who: PrincipalDep,
             wording: WordingDep) -> EntryPublic:
    return _decide(list_id, entry_id, "withdraw", session, who, lang=wording.lang)


@router.post("/{list_id}/entries/{entry_id}/comments", status_code=201, response_model=CommentPublic,
             summary="Comment on an entry")
def add_comment(list_id: ListId, entry_id: EntryId, body: CommentBody, session: SessionDep,
                who: PrincipalDep) -> CommentPublic:
    require_manager(who, "comment on entries")
    store.get(session, list_id)
    note = review.comment(session, list_id, entry_id, body.text, who_is(who))
    return CommentPublic(id=note.id, text=note.text, author=note.author, created_at=note.created_at)


@router.get("/{list_id}/report", response_model=ReportPublic,
            summary="Demand covered, unfilled gaps and why, utilisation per college, tables per province and industry")
def list_report(list_id: ListId, session: SessionDep, who: PrincipalDep) -> ReportPublic:
    require_manager(who, "read match list reports")
    return report(session, store.get(session, list_id))


@router.get("/{list_id}/audit", response_model=AuditsPublic, summary="Every change to the list, oldest first")
def list_audit(list_id: ListId, query: Annotated[ListQuery, Query()], session: SessionDep,
               who: PrincipalDep) -> AuditsPublic:
    require_manager(who, "read the audit log")
    store.get(session, list_id)
    return audit.of_list(session, list_id, query.limit, query.offset)


@router.get("/{list_id}/export", summary="The list's entries or its report, as JSON or CSV")
def export_list(list_id: ListId, session: SessionDep, who: PrincipalDep,
                format: Annotated[Literal["json", "csv"], Query()] = "json",
                part: Annotated[Literal["entries", "report"], Query()] = "entries") -> StreamingResponse:
    require_manager(who, "export match lists")
    lst = store.get(session, list_id)
    if part == "report":
        rep = report(session, lst)
        body = iter([export.report_json(rep)]) if format == "json" else export.report_csv(rep)
    else:
        rows = entries.public_many(session, entries.all_of(session, list_id))
        body = iter([export.entries_json(store.public(session, lst), rows)]) if format == "json" \
            else export.entries_csv(rows)
    headers = {"Content-Disposition": f'attachment; filename="match-list-{list_id}-{part}.{format}"'}
    return StreamingResponse(body, media_type=MEDIA_TYPES[format], headers=headers)


@router.post("/{list_id}/partnerships", response_model=FromEntriesPublic,
             summary="Turn the list's accepted entries into partnerships (again: reports them as existing)")
def list_partnerships(list_id: ListId, session: SessionDep, who: PrincipalDep,
                      body: FromEntriesBody | None = None) -> FromEntriesPublic:
    require_manager(who, "record partnerships from match lists")
    store.get(session, list_id)
    accepted = entries.all_of(session, list_id, entries.EntryFilter(status="accepted"))
    return from_entries(session, accepted, body or FromEntriesBody(), who_is(who))


@router.post("/{list_id}/entries/{entry_id}/partnership", response_model=FromEntriesPublic,
             summary="Turn one accepted entry into a partnership (409 when it is not accepted)")
def entry_partnership(list_id: ListId, entry_id: EntryId, session: SessionDep, who: PrincipalDep,
                      body: FromEntriesBody | None = None) -> FromEntriesPublic:
    require_manager(who, "record partnerships from match lists")
    store.get(session, list_id)
    return from_entries(session, [entries.get(session, list_id, entry_id)], body or FromEntriesBody(), who_is(who))
