"""Which background jobs have a live owner: a lease per job that the system frees when its process dies.

A job row says `queued` or `running`, but only the process that took the job can finish it. If that
process is killed (kill -9, out of memory, a power cut) the row would say `running` for ever; a
starting server cannot simply fail every such row either, because another server process (uvicorn
`--workers`, or a replica on the same PostgreSQL) may be running it. So the owner holds a lease that
the operating system or the database releases when the owner dies, and a job whose lease anyone can
take has no owner:

- PostgreSQL: a session-level advisory lock, held on one connection the process keeps open; the
  server drops it when that connection ends, whichever way the process ended.
- SQLite (one machine): an exclusive `flock` on a file beside the database; the kernel drops it
  when the process's descriptor closes, kill -9 included.
"""

import contextlib
import fcntl
import hashlib
import os
import threading
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, text

# Advisory locks are per database, shared with anything else using them: keep ours in one class.
ADVISORY_CLASS = 0x6D6B  # "mk"


class Leases(Protocol):
    def take(self, job_id: str) -> bool:
        """Hold the job's lease; False if a live process holds it."""

    def release(self, job_id: str) -> None: ...

    def close(self) -> None: ...


def leases_for(engine: Engine) -> Leases:
    if engine.url.get_backend_name() == "postgresql":
        return AdvisoryLeases(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        return InProcessLeases()  # nobody else can see the database
    return FileLeases(Path(f"{database}-jobs"))


class InProcessLeases:
    def __init__(self) -> None:
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def take(self, job_id: str) -> bool:
        with self._lock:
            if job_id in self._held:
                return False
            self._held.add(job_id)
            return True

    def release(self, job_id: str) -> None:
        with self._lock:
            self._held.discard(job_id)

    def close(self) -> None:
        with self._lock:
            self._held.clear()


class FileLeases:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._fds: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, job_id: str) -> bool:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if job_id in self._fds:
                return False
            fd = os.open(self.directory / f"{job_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            self._fds[job_id] = fd
            return True

    def release(self, job_id: str) -> None:
        with self._lock:
            fd = self._fds.pop(job_id, None)
            if fd is None:
                return
            # Unlinked while still locked: a process that opens the name afterwards gets a new file.
            (self.directory / f"{job_id}.lock").unlink(missing_ok=True)
            os.close(fd)

    def close(self) -> None:
        for job_id in list(self._fds):
            self.release(job_id)


class AdvisoryLeases:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._held: set[str] = set()
        self._lock = threading.Lock()  # one connection, used by one thread at a time

    def _conn(self) -> Connection:
        if self._connection is None:
            self._connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def take(self, job_id: str) -> bool:
        with self._lock:
            if job_id in self._held:
                return False  # advisory locks nest within a session: answer for our own jobs here
            try:
                taken = self._try(job_id)
            except Exception:
                # The connection broke (a database restart), and our other leases went with it:
                # start a new session rather than fail the job.
                self._drop()
                taken = self._try(job_id)
            if taken:
                self._held.add(job_id)
            return taken

    def _try(self, job_id: str) -> bool:
        return bool(self._conn().scalar(text("SELECT pg_try_advisory_lock(:c, :k)"),
                                        {"c": ADVISORY_CLASS, "k": _key(job_id)}))

    def release(self, job_id: str) -> None:
        with self._lock:
            if job_id not in self._held:
                return
            self._held.discard(job_id)
            try:
                self._conn().execute(text("SELECT pg_advisory_unlock(:c, :k)"),
                                     {"c": ADVISORY_CLASS, "k": _key(job_id)})
            except Exception:
                self._drop()  # a broken session holds nothing any more

    def _drop(self) -> None:
        if self._connection is not None:
            # Invalidated, not closed: closing would hand the session, locks and all, back to the pool.
            with contextlib.suppress(Exception):
                self._connection.invalidate()
                self._connection.close()
            self._connection = None

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._held:
                # Let go now: a closed session's locks are dropped only when its backend has exited, after
                # close() returns (another process asking at once could still find them held; seen in tests).
                with contextlib.suppress(Exception):
                    self._connection.execute(text("SELECT pg_advisory_unlock_all()"))
            self._held.clear()
            self._drop()  # ends the session


def _key(job_id: str) -> int:
    """A signed 32-bit key from the job id: collisions among a few active jobs are negligible, and one
    would only make a starting server leave an orphan to a later start."""
    return int.from_bytes(hashlib.blake2b(job_id.encode(), digest_size=4).digest(), "big", signed=True)
