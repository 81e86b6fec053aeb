"""The service's own outcomes as ranking rows: one group per asker, labels from what people did.

Labels, per (asker, candidate) pair:
- positive: a partnership on record (both directions: the enterprise asking for colleges and the
  college asking for enterprises; a soft tie weighs 0.5), a program manager's accepted match-list
  entry (the enterprise asking), feedback `shortlisted` (0.5) or `contacted` (1);
- negative: feedback `dismissed`, a rejected match-list entry;
- a partnership always wins over a later dismissal or rejection (it is what exists); otherwise the
  latest event decides;
- shown and never acted on: an implicit negative (y = 0), from the impressions.

Features are point-in-time: a labelled pair that was shown takes the feature vector logged with the
impression its feedback names, else the latest impression that showed it at or before the label;
unlabelled shown candidates take their latest logged vector. Nothing logged is ever recomputed. A
labelled pair never shown (e.g. a partnership imported from a file) gets its features computed now
by the service's scoring path, with the asker's own partnerships left out of the history (else
`partnered` would be the label); a group with no negative among its shown candidates (e.g. no
impression at all) gets every other candidate scored now, so its positives have negatives to be
compared with. The summary counts every source.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from matching.history import History
from matching.live import LiveIndex
from matching.live_history import pairs_of
from matching.outcomes import read
from matching.ranking import FEATURES, RankingSettings
from matching.sides import COLLEGES, ENTERPRISES
from matching.suggest import MatchFilter, profile_query, rank
from training.dev_eval import Rows

# Group ids: an enterprise asking is its id plus ENTERPRISE_GROUP, a college asking its id plus COLLEGE_GROUP
# (apart from the dev set's groups, which are below 2,000,000).
ENTERPRISE_GROUP, COLLEGE_GROUP = 2_000_000_000, 3_000_000_000
FEEDBACK_LABEL = {"shortlisted": 0.5, "contacted": 1.0, "dismissed": 0.0}
ASKER_OF_KIND = {"enterprise_matches": "enterprise", "college_matches": "college", "match_list": "enterprise"}
TIE_LABEL = {"formal": 1.0, "soft": 0.5}

Asker = tuple[str, int]  # (side: enterprise | college, profile id)


@dataclass
class Label:
    value: float  # > 0 positive (its weight), 0 negative
    source: str  # partnership | decision | feedback
    at: datetime | None
    impression_id: int | None = None
    from_partnership: bool = False


@dataclass
class OutcomeRows:
    rows: list[Rows]
    summary: dict[str, Any] = field(default_factory=dict)
    # per row group: which rows were logged (True) or computed now (False)
    logged: dict[int, np.ndarray] = field(default_factory=dict)


def group_of(asker: Asker) -> int:
    side, pid = asker
    return pid + (ENTERPRISE_GROUP if side == "enterprise" else COLLEGE_GROUP)


def labels_from(session: Session) -> tuple[dict[Asker, dict[int, Label]], Counter[str]]:
    """Every labelled (asker, candidate) pair with the event that decides it; counts per source."""
    events: list[tuple[Asker, int, Label]] = []
    counts: Counter[str] = Counter()
    for p in read.iter_partnerships(session):
        value = TIE_LABEL.get(p.tie, 1.0)
        counts["partnerships"] += 1
        events.append((("enterprise", p.enterprise_id), p.college_id,
                       Label(value, "partnership", p.created_at, from_partnership=True)))
        events.append((("college", p.college_id), p.enterprise_id,
                       Label(value, "partnership", p.created_at, from_partnership=True)))
    for d in read.iter_decisions(session):
        counts["decisions accepted" if d.accepted else "decisions rejected"] += 1
        events.append((("enterprise", d.enterprise_id), d.college_id,
                       Label(1.0 if d.accepted else 0.0, "decision", d.decided_at)))
    for f in read.iter_feedback(session):
        counts[f"feedback {f.action}"] += 1
        events.append(((f.asker_side, f.asker_id), f.candidate_id,
                       Label(FEEDBACK_LABEL.get(f.action, 0.0), "feedback", f.created_at, f.impression_id)))
    out: dict[Asker, dict[int, Label]] = {}
    for asker, candidate, label in sorted(events, key=lambda e: _time(e[2].at)):
        mine = out.setdefault(asker, {})
        held = mine.get(candidate)
        if held is not None and held.from_partnership and not label.from_partnership:
            continue  # a partnership that exists is not undone by a later dismissal
        if held is not None and held.from_partnership and label.from_partnership:
            label = label if label.value >= held.value else held  # several partnerships: the strongest tie
        mine[candidate] = label
    return out, counts


def _time(at: datetime | None) -> datetime:
    if at is None:
        return datetime.min.replace(tzinfo=UTC)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def shown_from(session: Session, counts: Counter[str]) -> dict[Asker, list[read.ImpressionRow]]:
    """Impressions per asker, oldest first; search pages (no asker) and other schemas are counted, not used."""
    out: dict[Asker, list[read.ImpressionRow]] = {}
    for imp in read.iter_impressions(session):
        counts["impressions"] += 1
        side = ASKER_OF_KIND.get(imp.kind)
        if side is None or imp.asker_id is None:
            counts["impressions without an asker (search)"] += 1
            continue
        if any(set(item.features) != set(FEATURES) for item in imp.items):
            counts["impressions of another feature schema"] += 1
            continue
        out.setdefault((side, imp.asker_id), []).append(imp)
    for impressions in out.values():
        impressions.sort(key=lambda i: (_time(i.served_at), i.id))
    return out


def logged_vector(impressions: list[read.ImpressionRow], candidate: int, label: Label | None) -> np.ndarray | None:
    """The point-in-time vector of a shown candidate (see the module's docstring), None when never shown."""
    def vector(imp: read.ImpressionRow) -> np.ndarray | None:
        for item in imp.items:
            if item.candidate_id == candidate:
                return np.array([item.features[f] for f in FEATURES], np.float64)
        return None

    if label is not None and label.impression_id is not None:
        named = next((i for i in impressions if i.id == label.impression_id), None)
        if named is not None and (v := vector(named)) is not None:
            return v
    for imp in reversed(impressions):
        if label is not None and label.at is not None and _time(imp.served_at) > _time(label.at):
            continue
        if (v := vector(imp)) is not None:
            return v
    return None


def build(session: Session, live: LiveIndex, config: RankingSettings) -> OutcomeRows:
    """Rows of every asker with at least one label (see the module's docstring); `live` holds the database's
    pools (for the pairs that must be scored now)."""
    labels, counts = labels_from(session)
    shown = shown_from(session, counts)
    pools = live.fresh_pools(session)
    colleges, enterprises = pools[COLLEGES.side], pools[ENTERPRISES.side]
    history = History.build(pairs_of((p.college_id, p.enterprise_id, p.tie) for p in read.iter_partnerships(session)),
                            colleges, enterprises)
    out = OutcomeRows([])
    sources: Counter[str] = Counter()
    for asker in sorted(set(labels) | set(shown)):
        side, asker_id = asker
        mine, impressions = labels.get(asker, {}), shown.get(asker, [])
        if not any(label.value > 0 for label in mine.values()):
            sources["groups without a positive (not used)"] += 1
            continue
        is_enterprise = side == "enterprise"
        asker_pool, other = (enterprises, colleges) if is_enterprise else (colleges, enterprises)
        if asker_id not in asker_pool.profiles:
            sources["groups whose asker is gone (not used)"] += 1
            continue
        candidates: list[int] = []
        vectors: list[np.ndarray] = []
        logged: list[bool] = []
        seen_ids = {item.candidate_id for imp in impressions for item in imp.items}
        for candidate in sorted(seen_ids | set(mine)):
            v = logged_vector(impressions, candidate, mine.get(candidate)) if candidate in seen_ids else None
            if v is not None:
                candidates.append(candidate)
                vectors.append(v)
                logged.append(True)
        present = set(candidates)
        need_now = {c for c in mine if c not in present and c in other.profiles}
        no_negative = not any(mine[c].value <= 0 if c in mine else True for c in present)
        if need_now or no_negative:
            now = _score_now(asker_pool, other, asker_id, is_enterprise, history, config,
                             gap_stats=enterprises.stats)
            wanted = (set(now) - present) if no_negative else need_now
            for candidate in sorted(wanted & set(now)):
                candidates.append(candidate)
                vectors.append(now[candidate])
                logged.append(False)
        y = np.array([mine[c].value if c in mine else 0.0 for c in candidates])
        if not (y > 0).any() or not (y <= 0).any():
            sources["groups without a negative (not used)"] += 1
            continue
        group = group_of(asker)
        for c, flag in zip(candidates, logged, strict=True):
            label = mine.get(c)
            kind = "unlabelled" if label is None else (
                f"{label.source} {'positive' if label.value > 0 else 'negative'}")
            sources[f"rows: {kind}, {'logged features' if flag else 'features computed now'}"] += 1
        out.rows.append(Rows(group, np.array(candidates, np.int64), np.vstack(vectors), y,
                             np.ones(len(candidates), bool)))
        out.logged[group] = np.array(logged, bool)
    out.summary = {"events": dict(sorted(counts.items())), "rows": dict(sorted(sources.items())),
                   "groups": len(out.rows), "positives": int(sum(int((r.y > 0).sum()) for r in out.rows)),
                   "negatives": int(sum(int((r.y <= 0).sum()) for r in out.rows))}
    return out


def _score_now(asker_pool: Any, other: Any, asker_id: int, is_enterprise: bool, history: History,
               config: RankingSettings, gap_stats: Any) -> dict[int, np.ndarray]:
    query = profile_query(asker_pool, asker_id, is_enterprise)
    own = history.without(enterprise_id=asker_id) if is_enterprise else history.without(college_id=asker_id)
    result = rank(other, query, MatchFilter(), 10**6, config, exact_scan_max=10**9, gap_stats=gap_stats, history=own)
    scored = result.scored
    if scored is None:
        return {}
    X = np.column_stack([scored.values[f] for f in FEATURES])
    return {int(pid): X[i] for i, pid in enumerate(scored.profile_ids)}


def positives(rows: Iterable[Rows]) -> int:
    return sum(int((r.y > 0).sum()) for r in rows)
