"""Building a list and its later rounds: demand → candidates → allocation → entries, written at once.

A build is planned first (ranker queries and the allocation; nothing written) and then written in one
transaction: a list is never seen half-built. The same plan serves a request that builds at once and
a background job; a job reads everything it needs from the database, so it depends on no request.
"""

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from matching.allocation import allocate, usable_edges
from matching.errors import Conflict, DomainError
from matching.lists import jobs
from matching.lists.audit import record
from matching.lists.candidates import CandidatePools, Gathered, gather
from matching.lists.leases import Leases
from matching.lists.models import Job, ListGap, MatchEntry, MatchList
from matching.lists.schemas import MatchListCreate, Scope
from matching.lists.scope import Demand, Resolved, resolve
from matching.models import Specialty
from matching.progress import Progress, ProgressFactory, no_progress
from matching.ranking import RankingSettings, list_min_score
from matching.saying import Term, say

log = logging.getLogger("matchmaker.lists")
ACTIVE = ("proposed", "accepted")  # entries that hold what they were allocated
CHUNK = 1000  # ids per IN list


@dataclass(frozen=True)
class Plan:
    round: int
    demand: dict[int, Demand]  # gap id → the gap (snapshot)
    gathered: Gathered
    allocation: dict[tuple[int, int], int]  # (gap id, specialty id) → headcount


@dataclass(frozen=True)
class Work:
    """What one round allocates: the wanted headcount per gap against the capacity left."""

    round: int
    demand: list[Demand]
    wanted: dict[int, int]  # gap id → headcount still to allocate
    college_ids: frozenset[int] | None
    excluded: frozenset[tuple[int, int]]  # (gap, specialty) pairs reviewers turned down

    @property
    def enterprises(self) -> int:
        return len({d.enterprise_id for d in self.demand if self.wanted.get(d.gap_id, 0) > 0})


# --- planning ---------------------------------------------------------------------------------------------


def plan(session: Session, pools: CandidatePools, lst: MatchList, work: Work,
         advance: Progress = lambda n: None) -> Plan:
    capacity = capacity_left(session, None if work.round == 1 else lst.id)
    todo = [d for d in work.demand if work.wanted.get(d.gap_id, 0) > 0]
    gathered = gather(pools, todo, work.college_ids, lst.min_score, work.excluded,
                      usable=lambda edges: usable_edges(work.wanted, capacity, edges, lst.max_colleges_per_gap),
                      advance=advance)
    allocation = allocate(work.wanted, capacity, gathered.edges(lst.min_score, work.excluded),
                          lst.max_colleges_per_gap)
    return Plan(work.round, {d.gap_id: d for d in work.demand}, gathered, allocation)


def capacity_left(session: Session, list_id: int | None) -> dict[int, int]:
    """Graduates a year still free per specialty: less what accepted entries of other lists hold and, for
    a later round of list `list_id`, what its own proposed and accepted entries hold."""
    held = MatchEntry.status == "accepted"
    if list_id is not None:
        held = or_(and_(held, MatchEntry.list_id != list_id),
                   and_(MatchEntry.list_id == list_id, MatchEntry.status.in_(ACTIVE)))
    taken = {sid: int(n or 0) for sid, n in session.execute(
        select(MatchEntry.specialty_id, func.sum(MatchEntry.headcount)).where(held).group_by(MatchEntry.specialty_id))}
    return {sid: max(0, graduates - taken.get(sid, 0))
            for sid, graduates in session.execute(select(Specialty.id, Specialty.annual_graduates))}


def first_work(resolved: Resolved) -> Work:
    return Work(1, resolved.gaps, {d.gap_id: d.headcount for d in resolved.gaps}, resolved.college_ids, frozenset())


def next_work(session: Session, lst: MatchList) -> Work:
    """The unfilled demand of a list: each gap's headcount less what its active entries hold."""
    gaps = list(session.scalars(select(ListGap).where(ListGap.list_id == lst.id).order_by(ListGap.gap_id)))
    entries = session.execute(select(MatchEntry.gap_id, MatchEntry.specialty_id, MatchEntry.headcount,
                                     MatchEntry.status).where(MatchEntry.list_id == lst.id)).all()
    allocated: dict[int, int] = {}
    for gap_id, _, headcount, status in entries:
        if status in ACTIVE:
            allocated[gap_id] = allocated.get(gap_id, 0) + headcount
    excluded = frozenset((g, s) for g, s, _, status in entries if status not in ACTIVE)
    demand = [Demand(g.gap_id, g.gap_name, g.enterprise_id, g.enterprise_name, g.province, g.country, g.industry,
                     g.headcount) for g in gaps]
    wanted = {d.gap_id: d.headcount - allocated.get(d.gap_id, 0) for d in demand}
    college_ids = lst.scope.get("college_ids") or None
    return Work(lst.rounds + 1, demand, {g: w for g, w in wanted.items() if w > 0},
                frozenset(college_ids) if college_ids else None, excluded)


# --- writing ----------------------------------------------------------------------------------------------


def write(session: Session, lst: MatchList, result: Plan) -> list[MatchEntry]:
    """Stage the plan's entries, and the gaps' demand and candidates, in the caller's transaction."""
    existing = {g.gap_id: g for g in session.scalars(select(ListGap).where(ListGap.list_id == lst.id))}
    for gap_id, d in sorted(result.demand.items()):
        stored = result.gathered.stored(gap_id, lst.min_score)
        gap = existing.get(gap_id)
        if gap is None:
            session.add(ListGap(list_id=lst.id, gap_id=gap_id, gap_name=d.gap_name, enterprise_id=d.enterprise_id,
                                enterprise_name=d.enterprise_name, province=d.province, country=d.country,
                                industry=d.industry, headcount=d.headcount, candidates=stored))
        elif gap_id in result.gathered.asked:
            gap.candidates = stored  # candidates as this round saw them
    entries = []
    for (gap_id, specialty_id), headcount in sorted(result.allocation.items()):
        d = result.demand[gap_id]
        c = next(c for c in result.gathered.by_gap[gap_id] if c.specialty_id == specialty_id and c.in_scope)
        entries.append(MatchEntry(
            list_id=lst.id, round=result.round, gap_id=gap_id, gap_name=d.gap_name, enterprise_id=d.enterprise_id,
            enterprise_name=d.enterprise_name, enterprise_province=d.province, industry=d.industry,
            college_id=c.college_id, college_name=c.college_name, college_province=c.college_province,
            specialty_id=specialty_id, specialty_name=c.specialty_name, headcount=headcount, score=c.score,
            explanation=result.gathered.explanations[(d.enterprise_id, c.college_id)], status="proposed"))
    session.add_all(entries)
    return entries


def with_min_score(body: MatchListCreate, config: RankingSettings) -> MatchListCreate:
    """`body` with its min_score, or the default derived for the model and weights `config` ranks with (a
    list keeps the value it was built with: its later rounds use the same)."""
    if body.min_score is not None:
        return body
    return body.model_copy(update={"min_score": list_min_score(config)})


def new_list(body: MatchListCreate, resolved: Resolved, who: str, status: str) -> MatchList:
    if body.min_score is None:
        raise ValueError("a list's min_score is resolved before it is made (with_min_score)")
    return MatchList(name=body.name, scope=resolved.scope, min_score=body.min_score,
                     max_colleges_per_gap=body.max_colleges_per_gap, status=status, rounds=0, created_by=who)


def build_now(session: Session, pools: CandidatePools, body: MatchListCreate, resolved: Resolved, who: str,
              progress: ProgressFactory = no_progress) -> MatchList:
    """Create and build a list in this request: planned first, then written in one transaction (SQLite
    has one writer at a time, so no write lock is held while the ranker works). `body`'s min_score is resolved
    (with_min_score)."""
    lst = new_list(body, resolved, who, "building")
    work = first_work(resolved)
    with progress("Ranking candidates", work.enterprises) as advance:
        result = plan(session, pools, lst, work, advance)
    session.add(lst)
    session.flush()
    record(session, who, "create", lst.id, after={"name": lst.name, "scope": lst.scope})
    entries = write(session, lst, result)
    lst.status, lst.rounds = "ready", 1
    record(session, who, "build", lst.id, after=_summary(result, entries))
    session.commit()
    return lst


Hold = Callable[[str], object]


def build_later(session: Session, body: MatchListCreate, resolved: Resolved, who: str,
                hold: Hold = lambda job_id: None) -> tuple[MatchList, Job]:
    """Create a list in status `building` with a queued job to build it; the caller runs the job (and
    `hold` takes the job's lease before it is committed). `body`'s min_score is resolved (with_min_score)."""
    lst = new_list(body, resolved, who, "building")
    session.add(lst)
    session.flush()
    job = jobs.create(session, "match_list", lst.id, first_work(resolved).enterprises, hold)
    lst.job_id = job.id
    record(session, who, "create", lst.id, after={"name": lst.name, "scope": lst.scope, "job_id": job.id})
    session.commit()
    return lst, job


def round_now(session: Session, pools: CandidatePools, lst: MatchList, who: str) -> MatchList:
    _check_round(lst)
    work = next_work(session, lst)
    seen = lst.rounds
    result = plan(session, pools, lst, work)
    if not _bump_round(session, lst.id, seen, ("ready",), work.round):
        session.rollback()
        raise Conflict.said(say("problem.list_changed", id=lst.id))
    entries = write(session, lst, result)
    record(session, who, "round", lst.id, after=_summary(result, entries))
    session.commit()
    session.refresh(lst)
    return lst


def round_later(session: Session, lst: MatchList, who: str, hold: Hold = lambda job_id: None) -> Job:
    _check_round(lst)
    work = next_work(session, lst)
    moved = session.execute(update(MatchList).where(MatchList.id == lst.id, MatchList.status == "ready",
                                                    MatchList.rounds == lst.rounds)
                            .values(status="building").execution_options(synchronize_session=False))
    if getattr(moved, "rowcount", 0) != 1:
        session.rollback()
        raise Conflict.said(say("problem.list_busy", id=lst.id))
    job = jobs.create(session, "round", lst.id, work.enterprises, hold)
    session.execute(update(MatchList).where(MatchList.id == lst.id).values(job_id=job.id)
                    .execution_options(synchronize_session=False))
    record(session, who, "round_requested", lst.id, after={"round": work.round, "job_id": job.id})
    session.commit()
    session.refresh(lst)
    return job


def unfilled_gaps(session: Session, lst: MatchList) -> int:
    return len(next_work(session, lst).wanted)


def _check_round(lst: MatchList) -> None:
    if lst.status != "ready":
        raise Conflict.said(say("problem.list_not_ready", id=lst.id, status=Term(lst.status)))


def _bump_round(session: Session, list_id: int, seen: int, states: tuple[str, ...], new: int) -> bool:
    moved = session.execute(update(MatchList).where(MatchList.id == list_id, MatchList.rounds == seen,
                                                    MatchList.status.in_(states))
                            .values(rounds=new, status="ready", error=None)
                            .execution_options(synchronize_session=False))
    return bool(getattr(moved, "rowcount", 0) == 1)


def _summary(result: Plan, entries: Iterable[MatchEntry]) -> dict[str, int]:
    made = list(entries)
    return {"round": result.round, "entries": len(made), "allocated": sum(e.headcount for e in made),
            "gaps": len(result.demand)}


# --- jobs ---------------------------------------------------------------------------------------------------


def run_job(sessions: sessionmaker[Session], pools: CandidatePools, job_id: str,
            cancelled: threading.Event | None = None) -> str:
    """Do a queued job to the end; returns its final status. Never raises: a failure is the job's status."""
    with sessions() as session:
        try:
            jobs.start(session, job_id)
            job = jobs.get(session, job_id)
            lst = session.get(MatchList, job.match_list_id)
            if lst is None:
                raise DomainError(f"match list {job.match_list_id} no longer exists")
            if job.kind == "match_list":
                work = first_work(resolve(session, Scope.model_validate(lst.scope)))
            else:
                work = next_work(session, lst)
            tracker = jobs.Tracker(session, job_id, cancelled)
            session.execute(update(Job).where(Job.id == job_id).values(total=work.enterprises)
                            .execution_options(synchronize_session=False))
            session.commit()
            result = plan(session, pools, lst, work, tracker)
            tracker.write()
            seen = lst.rounds
            entries = write(session, lst, result)
            if not _bump_round(session, lst.id, seen, ("building",), work.round):
                raise jobs.Cancelled
            jobs.finish(session, job_id, tracker.done)
            record(session, f"job {job_id}", "build" if job.kind == "match_list" else "round", lst.id,
                   after=_summary(result, entries))
            session.commit()
            return "done"
        except jobs.Cancelled:
            session.rollback()
            # Cancelled in the database: nothing to do. Stopped by the app shutting down: the job is
            # still running in the database, and fails, so that nobody waits for it.
            _fail(session, job_id, DomainError("the server stopped before the job finished; start it again"))
            return "cancelled"
        except Exception as exc:
            session.rollback()
            if not isinstance(exc, DomainError):
                log.exception("job %s failed", job_id)
            _fail(session, job_id, exc)
            return "failed"


def _fail(session: Session, job_id: str, exc: Exception) -> None:
    error = exc.detail if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
    job = session.get(Job, job_id)
    if job is None or not jobs.fail(session, job_id, error):
        session.rollback()
        return
    if job.match_list_id is not None:
        # A failed first build leaves no list to use; a failed round leaves the list as it was.
        status = "failed" if job.kind == "match_list" else "ready"
        session.execute(update(MatchList).where(MatchList.id == job.match_list_id)
                        .values(status=status, error=error[:4000]).execution_options(synchronize_session=False))
        record(session, f"job {job_id}", "fail", job.match_list_id, after={"status": status, "error": error[:4000]})
    session.commit()


ORPHANED = ("the server running this job stopped (it was killed or crashed) before the job finished; "
            "nothing of it was written: start it again")


def reclaim(sessions: sessionmaker[Session], leases: Leases) -> list[str]:
    """Fail the jobs that say queued or running but that no live process owns (their owner was killed),
    so nobody waits for them and their list is usable again; returns their ids. Safe beside other
    server processes on the same database: their jobs' leases are held, so theirs are left alone."""
    with sessions() as session:
        active = list(session.scalars(select(Job.id).where(Job.status.in_(jobs.ACTIVE)).order_by(Job.created_at)))
    reclaimed = []
    for job_id in active:
        if not leases.take(job_id):
            continue
        try:
            with sessions() as session:
                _fail(session, job_id, DomainError(ORPHANED))
            reclaimed.append(job_id)
        finally:
            leases.release(job_id)
    if reclaimed:
        log.warning("marked %d job(s) failed whose server had stopped: %s", len(reclaimed), ", ".join(reclaimed))
    return reclaimed


def abandon(sessions: sessionmaker[Session], job_ids: Iterable[str]) -> None:
    """Fail jobs that will never run (queued when the app stopped)."""
    with sessions() as session:
        for job_id in job_ids:
            _fail(session, job_id, DomainError("the server stopped before the job started; start it again"))


def cancel_job(session: Session, job_id: str, who: str) -> Job:
    """Cancel a queued or running job; its list is `cancelled` (a first build) or back to `ready` (a round)."""
    job = jobs.cancel(session, job_id)
    if job.match_list_id is not None:
        status = "cancelled" if job.kind == "match_list" else "ready"
        session.execute(update(MatchList).where(MatchList.id == job.match_list_id, MatchList.status == "building")
                        .values(status=status).execution_options(synchronize_session=False))
        record(session, who, "cancel", job.match_list_id, after={"job_id": job_id, "status": status})
    session.commit()
    session.refresh(job)
    return job
