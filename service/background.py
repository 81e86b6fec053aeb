"""The in-process runner of background jobs: one worker thread, owned by the app, stopped at exit.

One worker, because a job is CPU work (ranker queries) on a small machine that also serves
requests; more jobs queue. A job's state lives in the database (matching.lists.jobs); this only
runs the work and tells a running job, through an event, that it is to stop. It also holds each of
its jobs' lease (matching.lists.leases) from before the job is committed until the job ends, so that
another process can tell this one's jobs from those of a process that died.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from matching.lists.leases import InProcessLeases, Leases

log = logging.getLogger("matchmaker.jobs")


class JobRunner:
    def __init__(self, workers: int = 1, leases: Leases | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="matchmaker-job")
        self._events: dict[str, threading.Event] = {}
        self._started: set[str] = set()
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self.leases = leases or InProcessLeases()

    def hold(self, job_id: str) -> None:
        """Take a new job's lease, before the job is committed: no other process may then take it for an orphan."""
        if not self.leases.take(job_id):
            log.warning("job %s: its lease is held elsewhere (a key collision); it runs without one", job_id)
            return
        with self._lock:
            self._held.add(job_id)

    def release(self, job_id: str) -> None:
        with self._lock:
            if job_id not in self._held:
                return
            self._held.discard(job_id)
        self.leases.release(job_id)

    def submit(self, job_id: str, work: Callable[[threading.Event], object]) -> Future[object]:
        """Run `work(stop)` on the worker; `stop` is set when the job is cancelled or the app stops."""
        stop = threading.Event()
        with self._lock:
            self._events[job_id] = stop
            held = job_id in self._held
        if not held:
            self.hold(job_id)

        def run() -> object:
            with self._lock:
                self._started.add(job_id)
            try:
                return work(stop)
            except Exception:  # the work records its own failure; this only keeps the worker alive
                log.exception("job %s raised", job_id)
                return None
            finally:
                with self._lock:
                    self._events.pop(job_id, None)
                    self._started.discard(job_id)
                self.release(job_id)  # after the job's last write: it has ended in the database

        return self._pool.submit(run)

    def cancel(self, job_id: str) -> None:
        with self._lock:
            stop = self._events.get(job_id)
        if stop is not None:
            stop.set()

    def shutdown(self) -> list[str]:
        """Stop running jobs, drop queued ones, wait for the worker; returns the ids of jobs never started."""
        with self._lock:
            never = [j for j in self._events if j not in self._started]
            for stop in self._events.values():
                stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        return never

    def close(self) -> None:
        """After `shutdown` and after the jobs that never started were failed: give up every lease."""
        with self._lock:
            self._held.clear()
        self.leases.close()
