"""What differs between the two sides, in one place, so the rest of the code handles both alike."""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from matching.models import College, Enterprise, Specialty, TalentGap
from matching.schemas import (
    CollegeCreate,
    CollegePublic,
    CollegeUpdate,
    EnterpriseCreate,
    EnterprisePublic,
    EnterpriseUpdate,
    ProfileIn,
    ProfilePublic,
    ProfileUpdate,
)
from matching.vocab import Side

Profile = College | Enterprise
Unit = Specialty | TalentGap


@dataclass(frozen=True, slots=True)
class SideSpec:
    side: Side
    label: str  # "college"
    model: type[College] | type[Enterprise]
    unit_model: type[Specialty] | type[TalentGap]
    units: str  # the relationship and JSON list name
    unit_label: str  # "specialty"
    unit_name: str  # the unit's human-readable name field: matched when an update gives no id
    unit_fields: tuple[str, ...]
    profile_fields: tuple[str, ...]  # side-specific profile columns beyond ProfileColumns
    create: type[ProfileIn]
    update: type[ProfileUpdate]
    public: type[ProfilePublic]

    def units_of(self, profile: Profile) -> list[Any]:
        return list(getattr(profile, self.units))

    def parse(self, data: Any) -> BaseModel:
        return self.create.model_validate(data)


COLLEGES = SideSpec(
    side=Side.COLLEGES,
    label="college",
    model=College,
    unit_model=Specialty,
    units="specialties",
    unit_label="specialty",
    unit_name="name",
    unit_fields=("name", "code", "description", "annual_graduates"),
    profile_fields=("kind",),
    create=CollegeCreate,
    update=CollegeUpdate,
    public=CollegePublic,
)

ENTERPRISES = SideSpec(
    side=Side.ENTERPRISES,
    label="enterprise",
    model=Enterprise,
    unit_model=TalentGap,
    units="talent_gaps",
    unit_label="talent gap",
    unit_name="field",
    unit_fields=("field", "description", "headcount", "level", "start_date", "codes"),
    profile_fields=("industry", "size", "preferred_provinces"),
    create=EnterpriseCreate,
    update=EnterpriseUpdate,
    public=EnterprisePublic,
)

SIDES = {COLLEGES.side: COLLEGES, ENTERPRISES.side: ENTERPRISES}
