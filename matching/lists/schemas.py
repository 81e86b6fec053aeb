"""Request and response shapes of match lists, their entries, reports and jobs (public API: rename nothing)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from matching.rounding import Rounded
from matching.schemas import Clean, Code, Country, DbId, Input, Name

ListStatus = Literal["building", "ready", "failed", "cancelled"]
EntryStatus = Literal["proposed", "accepted", "rejected", "withdrawn"]
JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
JobKind = Literal["match_list", "round"]
MissReason = Literal["below_min_score", "capacity_used", "filtered_out", "no_candidates", "rejected"]
MAX_SCOPE_IDS = 10_000
MAX_SCOPE_NAMES = 200
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), Clean]
CommentText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), Clean]
Score = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


class Scope(Input):
    """Which talent gaps a list is for (AND across fields, OR within one), and which colleges may fill them."""

    provinces: list[Name] = Field(default_factory=list, max_length=MAX_SCOPE_NAMES,
                                  description="Enterprises in these provinces (any spelling)")
    countries: list[Country] = Field(default_factory=list, max_length=MAX_SCOPE_NAMES,
                                     description="Enterprises in these countries (ISO alpha-2 or name)")
    industries: list[Name] = Field(default_factory=list, max_length=MAX_SCOPE_NAMES,
                                   description="Enterprises in these industries (case-insensitive)")
    codes: list[Code] = Field(default_factory=list, max_length=MAX_SCOPE_NAMES,
                              description="Talent gaps asking for one of these catalogue codes")
    enterprise_ids: list[DbId] = Field(default_factory=list, max_length=MAX_SCOPE_IDS)
    college_ids: list[DbId] = Field(default_factory=list, max_length=MAX_SCOPE_IDS,
                                    description="Only these colleges may fill the gaps (default: any)")

    _dedupe = field_validator("provinces", "countries", "industries", "codes", "enterprise_ids",
                              "college_ids")(_unique)


class MatchListCreate(Input):
    name: Name
    scope: Scope = Field(default_factory=Scope)
    min_score: Score | None = Field(None, description="Only suggestions scoring at least this are allocated; default: "
                                    "derived per model from data (the embedding model and the active ranker's "
                                    "weights; GET /info shows it as ranker.match_list_min_score)")
    max_colleges_per_gap: int = Field(3, ge=1, le=20, strict=True,
                                      description="Each gap is allocated among at most this many colleges")


class RejectBody(Input):
    reason: Reason = Field(description="Why the entry is rejected (required)")


class CommentBody(Input):
    text: CommentText


class Counts(BaseModel):
    entries: int
    proposed: int
    accepted: int
    rejected: int
    withdrawn: int


class ListDemand(BaseModel):
    headcount: int = Field(description="Headcount of the gaps in scope")
    allocated: int = Field(description="Headcount of proposed and accepted entries")
    coverage: float = Field(description="allocated / headcount (0 when there is no demand)")


class MatchListPublic(BaseModel):
    id: int
    name: str
    scope: dict[str, Any]
    min_score: float
    max_colleges_per_gap: int
    status: ListStatus
    error: str | None = Field(description="Why the last build or round failed")
    created_at: datetime
    created_by: str
    rounds: int = Field(description="Allocation rounds done (1 after the first build)")
    job_id: str | None
    counts: Counts
    demand: ListDemand


class MatchListsPublic(BaseModel):
    data: list[MatchListPublic]
    count: int


class CommentPublic(BaseModel):
    id: int
    text: str
    author: str
    created_at: datetime


class EntryPublic(BaseModel):
    id: int
    list_id: int
    round: int
    enterprise_id: int
    enterprise_name: str
    enterprise_name_zh: str | None = Field(description="The enterprise's Chinese name, if it has one (shown to a "
                                           "reader who asked for Chinese)")
    enterprise_province: str | None
    industry: str | None
    gap_id: int
    gap_name: str
    college_id: int
    college_name: str
    college_name_zh: str | None = Field(description="The college's Chinese name, if it has one")
    college_province: str | None
    specialty_id: int
    specialty_name: str
    headcount: int = Field(description="Headcount allocated to this specialty for this gap")
    score: Rounded = Field(description="The suggestion's score (4 decimals)")
    explanation: dict[str, Any] = Field(description="The suggestion, as GET /enterprises/{id}/matches gives it")
    status: EntryStatus
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    comments: list[CommentPublic]


class EntriesPublic(BaseModel):
    data: list[EntryPublic]
    count: int = Field(description="Entries on this page")
    total: int = Field(description="Entries matching the filters")


class NearMiss(BaseModel):
    college_id: int
    college_name: str
    college_name_zh: str | None = Field(None, description="The college's Chinese name, if it has one")
    specialty_id: int
    specialty_name: str
    score: Rounded = Field(description="The suggestion's score (4 decimals)")
    why: str


class UnfilledGap(BaseModel):
    gap_id: int
    gap_name: str
    enterprise_id: int
    enterprise_name: str
    enterprise_name_zh: str | None = Field(None, description="The enterprise's Chinese name, if it has one")
    headcount: int
    allocated: int
    missing: int
    reason: MissReason
    near_misses: list[NearMiss]


class ReportDemand(BaseModel):
    headcount: int
    allocated: int
    accepted: int
    coverage: float
    gaps: int
    gaps_filled: int
    gaps_partly_filled: int
    gaps_unfilled: int


class CollegeUse(BaseModel):
    college_id: int
    name: str
    name_zh: str | None = Field(None, description="The college's Chinese name, if it has one")
    province: str | None
    capacity: int = Field(description="Graduates a year of its specialties in this list's entries")
    allocated: int
    accepted: int
    utilisation: float = Field(description="allocated / capacity")


class ProvinceRow(BaseModel):
    province: str
    headcount: int
    allocated: int
    coverage: float


class IndustryRow(BaseModel):
    industry: str
    headcount: int
    allocated: int
    coverage: float


class ReportPublic(BaseModel):
    list_id: int
    name: str
    demand: ReportDemand
    unfilled: list[UnfilledGap]
    colleges: list[CollegeUse]
    by_province: list[ProvinceRow]
    by_industry: list[IndustryRow]
    notes: list[str] = Field(default_factory=list, description="What a reader should know, e.g. an empty scope")


class Progress(BaseModel):
    done: int
    total: int
    rate: float | None = Field(description="Items a second so far")
    eta_seconds: float | None


class JobPublic(BaseModel):
    id: str
    kind: JobKind
    status: JobStatus
    progress: Progress
    match_list_id: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class AuditPublic(BaseModel):
    id: int
    at: datetime
    who: str
    action: str
    list_id: int | None
    entry_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditsPublic(BaseModel):
    data: list[AuditPublic]
    count: int
