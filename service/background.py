"""The in-process runner of background jobs: one worker thread, owned by the app, stopped at exit.

One worker, because a job is CPU work (ranker queries) on a small machine that also serves
requests; more jobs queue. A job's state lives in the database (matching.lists.jobs); this only
runs the work and tells a running job, through an event, that it is to stop.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("matchmaker.jobs")


class JobRunner:
    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="matchmaker-job")
        self._events: dict[str, threading.Event] = {}
        self._started: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, job_id: str, work: Callable[[threading.Event], object]) -> Future[object]:
        """Run `work(stop)` on the worker; `stop` is set when the job is cancelled or the app stops."""
        stop = threading.Event()
        with self._lock:
            self._events[job_id] = stop

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
