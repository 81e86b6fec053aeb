"""/jobs: progress of background work (match lists built as jobs), and cancelling it."""

from typing import Annotated

from fastapi import APIRouter, Path

from matching.lists import jobs
from matching.lists.build import cancel_job
from matching.lists.schemas import JobPublic
from matching.vocab import Role
from service.auth import Principal, require_role
from service.deps import JobsDep, PrincipalDep, SessionDep

router = APIRouter(prefix="/jobs", tags=["jobs"])
JobId = Annotated[str, Path(min_length=1, max_length=64, description="The id a 202 response's Location names")]


def _require(who: Principal) -> None:
    require_role(who, Role.PROGRAM_MANAGER, what="see or cancel jobs")


@router.get("/{job_id}", response_model=JobPublic, summary="A job's status and progress (done, total, rate, ETA)")
def read(job_id: JobId, session: SessionDep, who: PrincipalDep) -> JobPublic:
    _require(who)
    return jobs.public(jobs.get(session, job_id))


@router.delete("/{job_id}", status_code=202, response_model=JobPublic,
               summary="Cancel a queued or running job (409 once it has ended); nothing it built is kept")
def cancel(job_id: JobId, session: SessionDep, runner: JobsDep, who: PrincipalDep) -> JobPublic:
    _require(who)
    job = cancel_job(session, job_id, who.name or f"key {who.key_id}")
    runner.cancel(job_id)  # a job running here stops at once; one elsewhere sees the status at its next step
    return jobs.public(job)
