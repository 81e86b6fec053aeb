"""Impressions: every page of suggestions served, with each candidate's rank, score and features as
they were computed for that page (point-in-time: training never recomputes them later).

The serving path only hands a page to `ImpressionWriter.submit`, which gives it an id at once and
queues it; a thread writes queued pages in batches. When the queue is full (the database is slower than
the traffic), the page is not logged: the response then carries `impression_id: null` and the writer
counts it in `dropped`, so serving never waits for the log. Ids come from blocks reserved in the
database (`impression_id_blocks`), so several processes never give out the same id.
"""

import json
import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from matching.models import utcnow
from matching.outcomes.models import Impression, ImpressionIdBlock, ImpressionItem

log = logging.getLogger("matchmaker.impressions")

BLOCK = 1024  # ids per reserved block
BATCH = 200  # impressions per insert

# (candidate id, rank, score, {feature: value})
Item = tuple[int, int, float, Mapping[str, float]]


@dataclass(frozen=True)
class FeatureRows:
    """A page's items as the scoring path holds them: the serving path hands these over as they are (a few
    references, no per-item work) and the writer thread turns them into rows.

    Why: building a dict per suggestion and JSON per item on the request, and the writer's per-item
    Python while it holds the GIL, were what logging a page of 100 cost (+4–10 ms p50; benchmarks/RESULTS.md).
    """

    ids: Sequence[int]
    ranks: Sequence[int]
    scores: Sequence[float]
    names: Sequence[str]
    values: Any  # numpy array, len(ids) × len(names): the exact values scored

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, impression_id: int) -> list[tuple[int, int, int, float, str]]:
        """(impression id, rank, candidate id, score, features as JSON text), the JSON the same text
        json.dumps gives for {name: value} (a float's repr), made by one format string per row."""
        template = "{" + ", ".join(json.dumps(str(n)) + ": %r" for n in self.names) + "}"
        values = self.values.tolist()
        return [(impression_id, int(r), int(c), float(sc), _finite(template % tuple(v), v, self.names))
                for r, c, sc, v in zip(self.ranks, self.ids, self.scores, values, strict=True)]

    def items(self) -> list[Item]:
        names = [str(n) for n in self.names]
        return [(int(c), int(r), float(sc), dict(zip(names, v, strict=True)))
                for r, c, sc, v in zip(self.ranks, self.ids, self.scores, self.values.tolist(), strict=True)]


def _finite(text: str, values: Sequence[float], names: Sequence[str]) -> str:
    # %r of nan or inf is not JSON; features are in [0, 1], so this is the rare path.
    if "nan" in text or "inf" in text:
        return json.dumps({str(k): float(v) for k, v in zip(names, values, strict=True)})
    return text


@dataclass(frozen=True)
class Page:
    id: int
    served_at: datetime
    kind: str
    ranker_version: str
    query: dict[str, Any]
    asker_side: str | None
    asker_id: int | None
    items: Sequence[Item] | FeatureRows


def reserve_block(session: Session) -> range:
    block = ImpressionIdBlock()
    session.add(block)
    session.commit()
    return range(block.id * BLOCK, (block.id + 1) * BLOCK)


PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def write_pages(session: Session, pages: Sequence[Page]) -> None:
    """Insert pages and their items in one transaction.

    Items (ten to a hundred a page) go straight to the driver's executemany with their features already
    JSON text: through SQLAlchemy's typed insert the writer thread spent most of its time in per-row
    Python, holding the GIL the serving thread needs (measured: 83 pages of 100 items a second)."""
    heads = [{"id": p.id, "served_at": p.served_at, "kind": p.kind, "ranker_version": p.ranker_version,
              "query": p.query, "asker_side": p.asker_side, "asker_id": p.asker_id} for p in pages]
    if heads:
        session.execute(insert(Impression), heads)
    items = [row for p in pages for row in _rows(p)]
    if items:
        connection = session.connection()
        mark = PLACEHOLDERS.get(connection.dialect.paramstyle)
        if mark is None:  # a driver with another style: the portable (slower) way
            session.execute(insert(ImpressionItem), [
                {"impression_id": i, "rank": r, "candidate_id": c, "score": sc, "features": json.loads(f)}
                for i, r, c, sc, f in items])
        else:
            connection.exec_driver_sql(
                "INSERT INTO impression_items (impression_id, rank, candidate_id, score, features) "
                f"VALUES ({', '.join([mark] * 5)})", items)
    session.commit()


def _rows(page: Page) -> list[tuple[int, int, int, float, str]]:
    if isinstance(page.items, FeatureRows):
        return page.items.rows(page.id)
    return [(page.id, rank, candidate, float(score), json.dumps({str(k): float(v) for k, v in features.items()}))
            for candidate, rank, score, features in page.items]


def log_impression(session: Session, *, kind: str, ranker_version: str, query: dict[str, Any],
                   asker_side: str | None, asker_id: int | None, items: Sequence[Item] | FeatureRows) -> int:
    """Write one impression now and return its id (the writer below is the serving path's way; this
    one is for tools and tests). It takes a block of ids of its own, using one of them."""
    ids = reserve_block(session)
    page = Page(ids[0], utcnow(), kind, ranker_version, query, asker_side, asker_id, items)
    write_pages(session, [page])
    return page.id


def prune(session: Session, retention_days: int, now: datetime | None = None) -> int:
    """Delete impressions older than `retention_days` (their items go with them; feedback that named
    them keeps its row with `impression_id` null). 0 keeps everything. Returns how many were deleted."""
    if retention_days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    old = select(Impression.id).where(Impression.served_at < cutoff)
    ids = list(session.scalars(old))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        # Explicit for items: a backend without foreign-key cascades enabled still drops them.
        session.execute(delete(ImpressionItem).where(ImpressionItem.impression_id.in_(chunk)))
        session.execute(delete(Impression).where(Impression.id.in_(chunk)))
    session.commit()
    return len(ids)


@dataclass
class WriterStats:
    written: int = 0
    dropped: int = 0  # pages not logged because the queue was full
    failed: int = 0  # pages lost to a database error while writing
    pruned: int = 0


@dataclass
class ImpressionWriter:
    """A bounded queue of served pages and the one thread that writes them, in batches."""

    sessions: sessionmaker[Session]
    capacity: int = 10_000
    retention_days: int = 0
    prune_every_s: float = 6 * 3600
    linger_s: float = 0.2  # how often the writer looks at the queue (a page waits at most this long)
    clock: Callable[[], datetime] = utcnow
    stats: WriterStats = field(default_factory=WriterStats)

    def __post_init__(self) -> None:
        self._queue: queue.Queue[Page | None] = queue.Queue(self.capacity)
        self._ids: range = range(0)
        self._next = 0
        self._id_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._idle = threading.Condition()
        self._wake = threading.Event()  # set by flush and stop: write now rather than at the next poll

    def start(self) -> None:
        with self.sessions() as session:
            self._ids, self._next = reserve_block(session), 0
        self._thread = threading.Thread(target=self._run, name="impression-writer", daemon=True)
        self._thread.start()

    def _new_id(self) -> int:
        with self._id_lock:
            if self._next >= len(self._ids):
                # Once per BLOCK pages: a short insert on the serving path.
                with self.sessions() as session:
                    self._ids, self._next = reserve_block(session), 0
            self._next += 1
            return self._ids[self._next - 1]

    def submit(self, *, kind: str, ranker_version: str, query: dict[str, Any], asker_side: str | None,
               asker_id: int | None, items: Sequence[Item] | FeatureRows) -> int | None:
        """Queue a page; its id, or None when the queue is full (the page is then not logged)."""
        if self._thread is None:
            raise RuntimeError("the impression writer is not started")
        if self._queue.full():
            self.stats.dropped += 1
            return None
        page = Page(self._new_id(), self.clock(), kind, ranker_version, query, asker_side, asker_id, items)
        with self._idle:
            self._pending += 1
        try:
            self._queue.put_nowait(page)
        except queue.Full:
            with self._idle:
                self._pending -= 1
            self.stats.dropped += 1
            return None
        return page.id

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every page queued so far is written (e.g. before reading an impression back)."""
        self._wake.set()
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        last_prune: datetime | None = None
        stop = False
        while not stop:
            # The writer polls: it never waits on the queue itself, so a request queueing a page wakes no
            # thread. A woken thread asks for the GIL while the request still runs (serialising its
            # response), and on a busy host the request then waits for that thread to be scheduled: that
            # was most of the +3 ms p50 a page of 100 cost (benchmarks/RESULTS.md). Polling also gathers
            # the pages of several requests into one transaction.
            self._wake.wait(self.linger_s)
            self._wake.clear()
            pages: list[Page] = []
            while True:
                try:
                    page = self._queue.get_nowait()
                except queue.Empty:
                    break
                if page is None:
                    stop = True
                    break
                pages.append(page)
                if len(pages) >= BATCH:
                    self._write(pages)
                    pages = []
            if pages:
                self._write(pages)
            now = self.clock()
            if self.retention_days > 0 and (last_prune is None or (now - last_prune).total_seconds()
                                            >= self.prune_every_s):
                last_prune = now
                self._prune()

    def _write(self, pages: list[Page]) -> None:
        try:
            with self.sessions() as session:
                write_pages(session, pages)
            self.stats.written += len(pages)
        except Exception:  # the log must never take the service down; the loss is counted and logged
            self.stats.failed += len(pages)
            log.exception("could not write %d impressions", len(pages))
        finally:
            with self._idle:
                self._pending -= len(pages)
                self._idle.notify_all()

    def _prune(self) -> None:
        try:
            with self.sessions() as session:
                self.stats.pruned += prune(session, self.retention_days, self.clock())
        except Exception:
            log.exception("could not prune impressions")

    def stop(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop (the app's shutdown)."""
        if self._thread is None:
            return
        self._queue.put(None)  # blocks while full: everything queued before it is written first
        self._wake.set()
        self._thread.join(timeout)
        self._thread = None
