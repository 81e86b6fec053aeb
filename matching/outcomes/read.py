"""Plain read functions for training: every outcome as frozen rows, in id order, read in batches.

`training/` builds its dataset from these and never touches the tables directly, so the tables may
change shape without the dataset builder noticing.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.lists.models import MatchEntry
from matching.outcomes.models import Impression, ImpressionItem, Partnership, SuggestionFeedback

BATCH = 500


@dataclass(frozen=True, slots=True)
class PartnershipRow:
    id: int
    college_id: int
    enterprise_id: int
    modes: tuple[str, ...]
    start_date: date | None
    source_url: str | None
    note: str | None
    tie: str  # formal | soft
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    id: int
    asker_side: str  # enterprise | college: who was shown the suggestion
    asker_id: int
    candidate_id: int
    action: str  # shortlisted | contacted | dismissed
    reason: str | None  # too_far | wrong_field | too_small | already_partner | other, with dismissed
    note: str | None
    impression_id: int | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ImpressionItemRow:
    rank: int
    candidate_id: int
    score: float
    features: Mapping[str, float]  # the values the ranker scored with, as served


@dataclass(frozen=True, slots=True)
class ImpressionRow:
    id: int
    served_at: datetime
    kind: str  # enterprise_matches | college_matches | search | match_list
    ranker_version: str
    query: Mapping[str, Any]
    asker_side: str | None
    asker_id: int | None
    items: tuple[ImpressionItemRow, ...]


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """A program manager's accept or reject of a match-list entry."""

    enterprise_id: int
    college_id: int
    accepted: bool
    decided_at: datetime | None


def iter_partnerships(session: Session) -> Iterator[PartnershipRow]:
    last = 0
    while rows := session.scalars(select(Partnership).where(Partnership.id > last).order_by(Partnership.id)
                                  .limit(BATCH)).all():
        for p in rows:
            yield PartnershipRow(p.id, p.college_id, p.enterprise_id, tuple(p.modes), p.start_date, p.source_url,
                                 p.note, p.tie, p.created_by, p.created_at)
        last = rows[-1].id


def iter_feedback(session: Session) -> Iterator[FeedbackRow]:
    last = 0
    while rows := session.scalars(select(SuggestionFeedback).where(SuggestionFeedback.id > last)
                                  .order_by(SuggestionFeedback.id).limit(BATCH)).all():
        for f in rows:
            yield FeedbackRow(f.id, f.asker_side, f.asker_id, f.candidate_id, f.action, f.reason, f.note,
                              f.impression_id, f.created_by, f.created_at)
        last = rows[-1].id


def iter_impressions(session: Session) -> Iterator[ImpressionRow]:
    last = -1
    while heads := session.scalars(select(Impression).where(Impression.id > last).order_by(Impression.id)
                                   .limit(BATCH)).all():
        items: dict[int, list[ImpressionItemRow]] = {h.id: [] for h in heads}
        for item in session.scalars(select(ImpressionItem).where(ImpressionItem.impression_id.in_(list(items)))
                                    .order_by(ImpressionItem.impression_id, ImpressionItem.rank)):
            items[item.impression_id].append(ImpressionItemRow(item.rank, item.candidate_id, item.score,
                                                               dict(item.features)))
        for h in heads:
            yield ImpressionRow(h.id, h.served_at, h.kind, h.ranker_version, dict(h.query), h.asker_side,
                                h.asker_id, tuple(items[h.id]))
        last = heads[-1].id


def iter_decisions(session: Session) -> Iterator[DecisionRow]:
    last = 0
    while rows := session.execute(
            select(MatchEntry.id, MatchEntry.enterprise_id, MatchEntry.college_id, MatchEntry.status,
                   MatchEntry.decided_at)
            .where(MatchEntry.id > last, MatchEntry.status.in_(("accepted", "rejected")))
            .order_by(MatchEntry.id).limit(BATCH)).all():
        for _, enterprise_id, college_id, status, decided_at in rows:
            yield DecisionRow(enterprise_id, college_id, status == "accepted", decided_at)
        last = rows[-1][0]
