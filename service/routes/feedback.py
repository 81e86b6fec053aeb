"""Feedback on suggestions: the asker marks one shortlisted, contacted or dismissed (with a reason).
An enterprise or college key gives and reads feedback on its own profile's suggestions only."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from matching.outcomes import feedback
from matching.outcomes.feedback import FeedbackFilter
from matching.outcomes.schemas import FeedbackCreate, FeedbackPublic, FeedbacksPublic
from matching.outcomes.vocab import AskerSide, FeedbackAction
from matching.schemas import MAX_ID
from matching.vocab import Role, Side
from service.auth import Principal, forbid, who_is
from service.deps import PrincipalDep, SessionDep, StateDep

router = APIRouter(tags=["outcomes"])
ProfileId = Annotated[int, Path(ge=1, le=MAX_ID)]
SIDE_OF = {AskerSide.ENTERPRISE: Side.ENTERPRISES, AskerSide.COLLEGE: Side.COLLEGES}


class FeedbackQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asker_side: AskerSide | None = Field(None, description="enterprise or college: who was shown the suggestion")
    asker_id: int | None = Field(None, ge=1, le=MAX_ID)
    candidate_id: int | None = Field(None, ge=1, le=MAX_ID)
    action: FeedbackAction | None = None
    impression_id: int | None = Field(None, ge=1, le=2**53)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


def require_asker(who: Principal, side: AskerSide, asker_id: int) -> None:
    if who.role in (Role.ADMIN, Role.PROGRAM_MANAGER):
        return
    if who.own_id(SIDE_OF[side]) != asker_id:
        raise forbid(f"give feedback on the suggestions of another {side} or another side")


def _give(side: AskerSide, asker_id: int, candidate_id: int, body: FeedbackCreate, session: SessionDep,
          state: StateDep, who: Principal) -> FeedbackPublic:
    require_asker(who, side, asker_id)
    if body.impression_id is not None and state.impressions is not None:
        state.impressions.flush()  # the page may still be in the writer's queue
    return feedback.public(feedback.create(session, side, asker_id, candidate_id, body, who_is(who)))


@router.post("/enterprises/{profile_id}/matches/{candidate_id}/feedback", status_code=201,
             response_model=FeedbackPublic, summary="Feedback on a college suggested to an enterprise")
def enterprise_feedback(profile_id: ProfileId, candidate_id: ProfileId, body: FeedbackCreate, session: SessionDep,
                        state: StateDep, who: PrincipalDep) -> FeedbackPublic:
    return _give(AskerSide.ENTERPRISE, profile_id, candidate_id, body, session, state, who)


@router.post("/colleges/{profile_id}/matches/{candidate_id}/feedback", status_code=201,
             response_model=FeedbackPublic, summary="Feedback on an enterprise suggested to a college")
def college_feedback(profile_id: ProfileId, candidate_id: ProfileId, body: FeedbackCreate, session: SessionDep,
                     state: StateDep, who: PrincipalDep) -> FeedbackPublic:
    return _give(AskerSide.COLLEGE, profile_id, candidate_id, body, session, state, who)


@router.get("/feedback", response_model=FeedbacksPublic, summary="Feedback on suggestions (a bound key: its own)")
def list_(query: Annotated[FeedbackQuery, Query()], session: SessionDep, who: PrincipalDep) -> FeedbacksPublic:
    side, asker_id = query.asker_side, query.asker_id
    for own_side, bound in ((AskerSide.ENTERPRISE, Side.ENTERPRISES), (AskerSide.COLLEGE, Side.COLLEGES)):
        if who.bound_to(bound):
            if (side is not None and side != own_side) or (asker_id is not None and asker_id != who.own_id(bound)):
                raise forbid("read the feedback of another college or enterprise")
            side, asker_id = own_side, who.own_id(bound)
    where = FeedbackFilter(asker_side=side, asker_id=asker_id, candidate_id=query.candidate_id, action=query.action,
                           impression_id=query.impression_id)
    return feedback.page(session, where, query.limit, query.offset)
