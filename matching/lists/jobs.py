"""Background jobs as rows: status and progress any request can read, and cancelling by a status change.

Every change of status is a conditional UPDATE, so a job that is cancelled while it finishes either
lands whole or not at all, whichever commits first; nothing checks and then writes.
"""

import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from matching.errors import Conflict, NotFound
from matching.lists.models import Job
from matching.lists.schemas import JobPublic, Progress
from matching.models import utcnow
from matching.saying import Term, say

ACTIVE = ("queued", "running")
JOB_ID = re.compile(r"[0-9a-f]{32}")
PROGRESS_EVERY_S = 0.25  # progress is written at most this often; cancels are seen at once in-process


class Cancelled(Exception):
    """Raised inside a job's work when it has been cancelled; the work stops and writes nothing."""


def create(session: Session, kind: str, match_list_id: int | None, total: int,
           hold: Callable[[str], object] = lambda job_id: None) -> Job:
    """Stage a queued job in the caller's transaction; `hold(job_id)` takes its lease before anyone can see it."""
    job = Job(id=uuid.uuid4().hex, kind=kind, status="queued", match_list_id=match_list_id, done=0, total=total)
    hold(job.id)
    session.add(job)
    return job


def get(session: Session, job_id: str) -> Job:
    # Ids are uuid4 hex: anything else cannot exist, and never reaches the database (NUL, odd bytes).
    job = session.get(Job, job_id) if JOB_ID.fullmatch(job_id) else None
    if job is None:
        raise NotFound.missing("job", job_id)
    return job


def start(session: Session, job_id: str) -> None:
    moved = _move(session, job_id, ("queued",), status="running", started_at=utcnow())
    session.commit()
    if not moved:
        raise Cancelled


def finish(session: Session, job_id: str, done: int) -> None:
    """Mark the job done inside the transaction that writes its result; Cancelled if it was cancelled first."""
    if not _move(session, job_id, ("running",), status="done", done=done, finished_at=utcnow()):
        raise Cancelled


def fail(session: Session, job_id: str, error: str) -> bool:
    """In the caller's transaction; False if the job had already ended (e.g. was cancelled)."""
    return _move(session, job_id, ACTIVE, status="failed", error=error[:4000], finished_at=utcnow())


def cancel(session: Session, job_id: str) -> Job:
    """Cancel a queued or running job, in the caller's transaction; a 409 once it has ended."""
    job = get(session, job_id)
    if not _move(session, job_id, ACTIVE, status="cancelled", finished_at=utcnow()):
        session.rollback()
        job = get(session, job_id)
        raise Conflict.said(say("problem.job_ended", id=job_id, status=Term(job.status)))
    return job


def _move(session: Session, job_id: str, states: tuple[str, ...], **values: object) -> bool:
    result = session.execute(update(Job).where(Job.id == job_id, Job.status.in_(states)).values(**values)
                             .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0) == 1)


class Tracker:
    """A job's `advance(n)`: counts, writes progress now and then, and stops the work once cancelled."""

    def __init__(self, session: Session, job_id: str, cancelled: threading.Event | None = None) -> None:
        self.session = session
        self.job_id = job_id
        self.cancelled = cancelled or threading.Event()
        self.done = 0
        self._written = time.monotonic()

    def __call__(self, n: int) -> None:
        self.done += n
        if self.cancelled.is_set():
            raise Cancelled
        if time.monotonic() - self._written >= PROGRESS_EVERY_S:
            self.write()

    def write(self) -> None:
        # A cancel from another process shows here: the job is no longer running.
        moved = _move(self.session, self.job_id, ("running",), done=self.done)
        self.session.commit()
        self._written = time.monotonic()
        if not moved:
            raise Cancelled


def public(job: Job, now: Callable[[], datetime] = utcnow) -> JobPublic:
    rate = eta = None
    if job.started_at is not None:
        elapsed = ((job.finished_at or now()) - job.started_at).total_seconds()
        if elapsed > 0 and job.done > 0:
            rate = job.done / elapsed
            eta = 0.0 if job.status != "running" else max(job.total - job.done, 0) / rate
    return JobPublic(id=job.id, kind=job.kind, status=job.status,
                     progress=Progress(done=job.done, total=job.total, rate=rate, eta_seconds=eta),
                     match_list_id=job.match_list_id, error=job.error, created_at=job.created_at,
                     finished_at=job.finished_at)
