"""Feedback on suggestions: the asker (an enterprise's HR, a college's office, or someone for them)
marks a suggestion shortlisted, contacted or dismissed, with a reason when dismissed."""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from matching.errors import InvalidInput, NotFound, Problem
from matching.models import College, Enterprise
from matching.outcomes.models import Impression, ImpressionItem, SuggestionFeedback
from matching.outcomes.schemas import FeedbackCreate, FeedbackPublic, FeedbacksPublic
from matching.outcomes.vocab import AskerSide, FeedbackAction
from matching.saying import Alternatives, Term, say

REASONS = "too_far, wrong_field, too_small, already_partner or other"
LABELS: dict[type[College] | type[Enterprise], str] = {College: "college", Enterprise: "enterprise"}
# Which kinds of impression show which asker's suggestions.
KINDS = {AskerSide.ENTERPRISE: {"enterprise_matches", "match_list"}, AskerSide.COLLEGE: {"college_matches"}}


@dataclass(frozen=True)
class FeedbackFilter:
    asker_side: AskerSide | None = None
    asker_id: int | None = None
    candidate_id: int | None = None
    action: FeedbackAction | None = None
    impression_id: int | None = None


def public(f: SuggestionFeedback) -> FeedbackPublic:
    return FeedbackPublic(id=f.id, asker_side=AskerSide(f.asker_side), asker_id=f.asker_id,
                          candidate_id=f.candidate_id, action=FeedbackAction(f.action), reason=f.reason, note=f.note,
                          impression_id=f.impression_id, created_by=f.created_by, created_at=f.created_at)


def _models(side: AskerSide) -> tuple[type[College] | type[Enterprise], type[College] | type[Enterprise]]:
    return (Enterprise, College) if side == AskerSide.ENTERPRISE else (College, Enterprise)


def check(session: Session, side: AskerSide, asker_id: int, candidate_id: int, body: FeedbackCreate) -> None:
    """404 for an unknown asker or candidate; 422 for a reason that does not go with the action, or
    an impression that did not show this candidate to this asker."""
    asker_model, candidate_model = _models(side)
    if session.get(asker_model, asker_id) is None:
        raise NotFound.missing(LABELS[asker_model], asker_id)
    if session.get(candidate_model, candidate_id) is None:
        raise NotFound.missing(LABELS[candidate_model], candidate_id)
    problems: list[Problem] = []
    if body.action == FeedbackAction.DISMISSED and body.reason is None:
        problems.append(Problem.of("reason", say("problem.needs_reason", reasons=Alternatives(
            tuple(REASONS.replace(" or ", ", ").split(", ")), quote=False))))
    if body.action != FeedbackAction.DISMISSED and body.reason is not None:
        problems.append(Problem.of("reason", say("problem.reason_only_dismissed", action=f"{body.action}")))
    if body.impression_id is not None:
        impression = session.get(Impression, body.impression_id)
        if impression is None:
            problems.append(Problem.of("impression_id", say("problem.missing", label=Term("impression"),
                                                            id=body.impression_id)))
        elif impression.asker_side != side or impression.asker_id != asker_id or impression.kind not in KINDS[side]:
            problems.append(Problem.of("impression_id", say(
                "problem.impression_not_ours", id=body.impression_id,
                label=Term("enterprise" if side == AskerSide.ENTERPRISE else "college"))))
        elif session.scalar(select(func.count()).select_from(ImpressionItem).where(
                ImpressionItem.impression_id == impression.id, ImpressionItem.candidate_id == candidate_id)) == 0:
            problems.append(Problem.of("impression_id", say("problem.impression_not_shown", id=body.impression_id,
                                                            candidate=candidate_id)))
    if problems:
        raise InvalidInput.of(problems)


def create(session: Session, side: AskerSide, asker_id: int, candidate_id: int, body: FeedbackCreate,
           who: str) -> SuggestionFeedback:
    check(session, side, asker_id, candidate_id, body)
    row = SuggestionFeedback(asker_side=str(side), asker_id=asker_id, candidate_id=candidate_id,
                             action=str(body.action), reason=str(body.reason) if body.reason else None,
                             note=body.note, impression_id=body.impression_id, created_by=who)
    session.add(row)
    session.commit()
    return row


def page(session: Session, where: FeedbackFilter, limit: int, offset: int) -> FeedbacksPublic:
    conditions: list[ColumnElement[bool]] = []
    if where.asker_side is not None:
        conditions.append(SuggestionFeedback.asker_side == str(where.asker_side))
    if where.asker_id is not None:
        conditions.append(SuggestionFeedback.asker_id == where.asker_id)
    if where.candidate_id is not None:
        conditions.append(SuggestionFeedback.candidate_id == where.candidate_id)
    if where.action is not None:
        conditions.append(SuggestionFeedback.action == str(where.action))
    if where.impression_id is not None:
        conditions.append(SuggestionFeedback.impression_id == where.impression_id)
    count = session.scalar(select(func.count()).select_from(SuggestionFeedback).where(*conditions)) or 0
    rows = session.scalars(select(SuggestionFeedback).where(*conditions).order_by(SuggestionFeedback.id)
                           .limit(limit).offset(offset))
    return FeedbacksPublic(data=[public(f) for f in rows], count=count)
