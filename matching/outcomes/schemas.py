"""Request and response schemas of partnerships and feedback (public API: add fields, rename none)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from matching.outcomes.vocab import AskerSide, DismissReason, FeedbackAction, Tie
from matching.schemas import Clean, DbId, Input, IsoDate, Text
from matching.vocab import CooperationMode

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000,
                                       pattern=r"^https?://\S+$"), Clean]


class PartnershipCreate(Input):
    college_id: DbId
    enterprise_id: DbId
    modes: list[CooperationMode] = Field(default_factory=list, max_length=8,
                                         description="How they cooperate (the cooperation-mode vocabulary)")
    start_date: IsoDate | None = Field(None, description="When the cooperation began (YYYY-MM-DD), if known")
    source_url: Url | None = Field(None, description="Where the cooperation is reported (http or https)")
    note: Text | None = None
    tie: Tie = Field(Tie.FORMAL, description="formal (an agreement on record) or soft (reported cooperation)")


class PartnershipPublic(BaseModel):
    id: int
    college_id: int
    enterprise_id: int
    modes: list[str]
    start_date: IsoDate | None
    source_url: str | None
    note: str | None
    tie: str
    created_by: str
    created_at: datetime


class PartnershipsPublic(BaseModel):
    data: list[PartnershipPublic]
    count: int = Field(description="Partnerships that pass the filters, on all pages")


class FromEntriesBody(Input):
    """What the entries do not say about the cooperation; every created partnership gets it."""

    modes: list[CooperationMode] | None = Field(None, max_length=8, description="Default: the modes both "
                                                "profiles list")
    start_date: IsoDate | None = None
    tie: Tie = Tie.FORMAL
    note: Text | None = Field(None, description="Default: which list and entry it came from")


class EntryOutcome(BaseModel):
    entry_id: int
    partnership: PartnershipPublic | None
    status: str = Field(description="created, existing (the same pair and start date was already on "
                        "record), or skipped (see reason)")
    reason: str | None = None


class FromEntriesPublic(BaseModel):
    created: int
    existing: int
    skipped: int
    entries: list[EntryOutcome]


class FeedbackCreate(Input):
    action: FeedbackAction
    reason: DismissReason | None = Field(None, description="Required with dismissed: too_far, wrong_field, "
                                         "too_small, already_partner or other")
    note: Text | None = None
    impression_id: Annotated[int, Field(ge=1, le=2**53)] | None = Field(
        None, description="The impression_id of the page the suggestion was shown on")


class FeedbackPublic(BaseModel):
    id: int
    asker_side: AskerSide
    asker_id: int
    candidate_id: int
    action: FeedbackAction
    reason: DismissReason | None
    note: str | None
    impression_id: int | None
    created_by: str
    created_at: datetime


class FeedbacksPublic(BaseModel):
    data: list[FeedbackPublic]
    count: int = Field(description="Feedback that passes the filters, on all pages")
