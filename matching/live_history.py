"""The partnerships table as the serving path's `History`, rebuilt only when it or a pool changed.

Why a signature and not a hook on the partnership routes: partnerships also arrive by bulk import,
by the CLI of another process, and go when a profile is deleted (the foreign keys cascade), so the
only place that sees every change is the table itself. Per request that costs one aggregate query
(count, newest id, newest creation time: a row deleted and another inserted moves the last two even
when SQLite reuses the id); the History itself (a few arrays and one centroid per partnered profile)
is rebuilt only when that signature or either pool's version moves, since centroids follow the units.
"""

import threading
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.history import EMPTY, History
from matching.outcomes.models import Partnership
from matching.outcomes.vocab import Tie
from matching.pool import Pool

# A soft tie (reported, no agreement) counts half, as in training (training/devset.TIE_WEIGHT).
TIE_WEIGHT = {str(Tie.FORMAL): 1.0, str(Tie.SOFT): 0.5}


def pairs_of(rows: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, float]]:
    """(college id, enterprise id, tie) rows as History's (college id, enterprise id, weight)."""
    return [(c, e, TIE_WEIGHT.get(tie, 1.0)) for c, e, tie in rows]


def read_history(session: Session, colleges: Pool, enterprises: Pool) -> History:
    rows = session.execute(select(Partnership.college_id, Partnership.enterprise_id, Partnership.tie))
    return History.build(pairs_of((int(c), int(e), str(t)) for c, e, t in rows), colleges, enterprises)


class LiveHistory:
    """The current History for two pools; `fresh(session)` is called per request."""

    def __init__(self, colleges: Pool, enterprises: Pool) -> None:
        self.colleges = colleges
        self.enterprises = enterprises
        self.history: History = EMPTY
        self.builds = 0  # how many times it was rebuilt (tests and logs)
        self._key: tuple[object, ...] | None = None
        self._lock = threading.Lock()

    @property
    def signature(self) -> tuple[object, ...] | None:
        """What the current History was built from (cached answers that read it are keyed by it)."""
        return self._key

    def fresh(self, session: Session) -> History:
        count, newest_id, newest_at = session.execute(
            select(func.count(), func.max(Partnership.id), func.max(Partnership.created_at))).one()
        key = (count, newest_id, newest_at, self.colleges.version, self.enterprises.version)
        if key != self._key:
            with self._lock:
                if key != self._key:
                    self.history = read_history(session, self.colleges, self.enterprises) if count else EMPTY
                    self._key = key
                    self.builds += 1
        return self.history
