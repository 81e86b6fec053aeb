"""/partnerships: cooperations that exist. A college or enterprise key sees and declares its own;
program managers and admins all of them."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from matching.outcomes import partnerships
from matching.outcomes.models import Partnership
from matching.outcomes.partnerships import PartnershipFilter
from matching.outcomes.schemas import PartnershipCreate, PartnershipPublic, PartnershipsPublic
from matching.schemas import MAX_ID
from matching.vocab import Side
from service.auth import Principal, forbid, who_is
from service.deps import PrincipalDep, SessionDep

router = APIRouter(prefix="/partnerships", tags=["outcomes"])
PartnershipId = Annotated[int, Path(ge=1, le=MAX_ID)]


class PartnershipQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    college_id: int | None = Field(None, ge=1, le=MAX_ID)
    enterprise_id: int | None = Field(None, ge=1, le=MAX_ID)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


def is_own(who: Principal, college_id: int, enterprise_id: int) -> bool:
    """A bound key's partnerships are those of its profile; unbound keys (admins, managers) have all."""
    if who.bound_to(Side.COLLEGES):
        return who.own_id(Side.COLLEGES) == college_id
    if who.bound_to(Side.ENTERPRISES):
        return who.own_id(Side.ENTERPRISES) == enterprise_id
    return True


def _own(session: SessionDep, partnership_id: int, who: Principal, what: str) -> Partnership:
    if who.bound_to(Side.COLLEGES) or who.bound_to(Side.ENTERPRISES):
        # Another's partnership is a 403 whether or not it exists, so ids cannot be probed.
        found = session.get(Partnership, partnership_id)
        if found is None or not is_own(who, found.college_id, found.enterprise_id):
            raise forbid(what)
        return found
    return partnerships.get(session, partnership_id)


@router.post("", status_code=201, response_model=PartnershipPublic,
             summary="Declare a cooperation that exists (409 for the same pair and start date)")
def create(body: PartnershipCreate, session: SessionDep, who: PrincipalDep) -> PartnershipPublic:
    if not is_own(who, body.college_id, body.enterprise_id):
        raise forbid("declare partnerships of another college or enterprise")
    return partnerships.public(partnerships.create(session, body, who_is(who)))


@router.get("", response_model=PartnershipsPublic, summary="Partnerships, oldest first (a bound key: its own)")
def list_(query: Annotated[PartnershipQuery, Query()], session: SessionDep, who: PrincipalDep) -> PartnershipsPublic:
    college_id, enterprise_id = query.college_id, query.enterprise_id
    for side, asked in ((Side.COLLEGES, college_id), (Side.ENTERPRISES, enterprise_id)):
        if who.bound_to(side) and asked is not None and asked != who.own_id(side):
            raise forbid("read the partnerships of another college or enterprise")
    where = PartnershipFilter(college_id=who.own_id(Side.COLLEGES) or college_id,
                              enterprise_id=who.own_id(Side.ENTERPRISES) or enterprise_id)
    return partnerships.page(session, where, query.limit, query.offset)


@router.get("/{partnership_id}", response_model=PartnershipPublic, summary="One partnership")
def read(partnership_id: PartnershipId, session: SessionDep, who: PrincipalDep) -> PartnershipPublic:
    return partnerships.public(_own(session, partnership_id, who, "read this partnership"))


@router.delete("/{partnership_id}", status_code=204, summary="Delete a partnership (a bound key: its own)")
def delete(partnership_id: PartnershipId, session: SessionDep, who: PrincipalDep) -> Response:
    partnerships.delete(session, _own(session, partnership_id, who, "delete this partnership"))
    return Response(status_code=204)
