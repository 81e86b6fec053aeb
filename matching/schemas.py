"""Request and response schemas: the JSON contract clients rely on.

Field names here are public API: add fields freely, rename none. Counts are strict integers so
that "40" or true is a type error rather than a silent coercion.
"""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)

from matching.messages import render
from matching.vocab import CollegeKind, CooperationMode, EnterpriseSize, GapLevel, Role

# Documented bounds (README "Limits"): beyond them a number is a typo, not a plan.
MAX_ANNUAL_GRADUATES = 5_000
MAX_HEADCOUNT = 5_000
MAX_UNITS = 200
MAX_CODES_PER_GAP = 10
MAX_NAME = 200
MAX_TEXT = 4_000



def _no_nul(value: str) -> str:
    # A NUL byte is never meant in text, and PostgreSQL cannot store one in a text column.
    if "\x00" in value:
        raise ValueError(render("en", "value.nul"))
    return value


Clean = AfterValidator(_no_nul)
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME), Clean]
OptionalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NAME), Clean]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT), Clean]
Code = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]
Country = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60), Clean]
Graduates = Annotated[int, Strict(), Field(ge=0, le=MAX_ANNUAL_GRADUATES)]
Headcount = Annotated[int, Strict(), Field(ge=1, le=MAX_HEADCOUNT)]
Degrees = Annotated[float, Strict()]
MAX_ID = 2**31 - 1  # the databases' INTEGER keys
DbId = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]


def _iso_date_only(value: Any) -> Any:
    # pydantic's lax date also takes numbers as Unix timestamps; a headcount typed into the date
    # column should be an error, not 1970.
    if isinstance(value, (int, float, bool)):
        raise ValueError(render("en", "value.date_only"))
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Location(Input):
    lat: Annotated[Degrees, Field(ge=-90, le=90)]
    lon: Annotated[Degrees, Field(ge=-180, le=180)]


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def _reject_null(value: Any) -> Any:
    if value is None:
        raise ValueError(render("en", "value.not_null"))
    return value


# --- units -----------------------------------------------------------------------------------


class SpecialtyIn(Input):
    id: DbId | None = Field(None, description="Give an existing specialty's id to keep it on update.")
    name: Name | None = Field(None, description="Defaults to the catalogue's name for `code`.")
    code: Code | None = Field(None, description="6-digit code from the national catalogue.")
    description: Text | None = None
    annual_graduates: Graduates = Field(description=f"Graduates a year, 0..{MAX_ANNUAL_GRADUATES}.")

    @model_validator(mode="after")
    def _name_or_code(self) -> "SpecialtyIn":
        if self.name is None and self.code is None:
            raise ValueError(render("en", "value.name_or_code"))
        return self


class SpecialtyPublic(BaseModel):
    id: int
    name: str
    code: str | None
    description: str | None
    annual_graduates: int


class TalentGapIn(Input):
    id: DbId | None = Field(None, description="Give an existing gap's id to keep it on update.")
    field: Name = Field(description="The job or skill field, as HR would name it.")
    description: Text | None = None
    headcount: Headcount = Field(description=f"People wanted, 1..{MAX_HEADCOUNT}.")
    level: GapLevel | None = None
    start_date: IsoDate | None = None
    codes: list[Code] = Field(default_factory=list, max_length=MAX_CODES_PER_GAP)

    _dedupe_codes = field_validator("codes")(_unique)


class TalentGapPublic(BaseModel):
    id: int
    field: str
    description: str | None
    headcount: int
    level: GapLevel | None
    start_date: date | None
    codes: list[str]


# --- profiles --------------------------------------------------------------------------------


class ProfileIn(Input):
    """What both sides share."""

    name: Name
    name_zh: OptionalName | None = None
    country: Country = Field(description="ISO 3166 alpha-2 code, e.g. CN, KZ, UZ.")
    province: OptionalName | None = None
    city: OptionalName | None = None
    location: Location | None = Field(None, description="Geocoded from the city when omitted.")
    description: Text | None = None
    cooperation_modes: list[CooperationMode] = Field(default_factory=list)

    _dedupe_modes = field_validator("cooperation_modes")(_unique)


class CollegeCreate(ProfileIn):
    kind: CollegeKind = CollegeKind.HIGHER_VOCATIONAL
    specialties: list[SpecialtyIn] = Field(default_factory=list, max_length=MAX_UNITS)


class EnterpriseCreate(ProfileIn):
    industry: OptionalName | None = None
    size: EnterpriseSize | None = None
    talent_gaps: list[TalentGapIn] = Field(default_factory=list, max_length=MAX_UNITS)
    preferred_provinces: list[Name] = Field(default_factory=list, max_length=40)


class ProfileUpdate(Input):
    """PATCH bodies: only the fields sent change. Lists, when sent, replace the stored list."""

    name: Name | None = None
    name_zh: OptionalName | None = None
    country: Country | None = None
    province: OptionalName | None = None
    city: OptionalName | None = None
    location: Location | None = None
    description: Text | None = None
    cooperation_modes: list[CooperationMode] | None = None

    _not_null = field_validator("name", "country", "cooperation_modes")(_reject_null)


class CollegeUpdate(ProfileUpdate):
    kind: CollegeKind | None = None
    specialties: list[SpecialtyIn] | None = Field(None, max_length=MAX_UNITS)

    _not_null_here = field_validator("kind", "specialties")(_reject_null)


class EnterpriseUpdate(ProfileUpdate):
    industry: OptionalName | None = None
    size: EnterpriseSize | None = None
    talent_gaps: list[TalentGapIn] | None = Field(None, max_length=MAX_UNITS)
    preferred_provinces: list[Name] | None = Field(None, max_length=40)

    _not_null_here = field_validator("talent_gaps", "preferred_provinces")(_reject_null)


class ProfilePublic(BaseModel):
    id: int
    name: str
    name_zh: str | None
    country: str
    province: str | None
    city: str | None
    location: Location | None
    description: str | None
    cooperation_modes: list[CooperationMode]
    created_at: datetime
    updated_at: datetime
    warnings: list[str] = Field(default_factory=list, description="Things stored but worth a look.")


class CollegePublic(ProfilePublic):
    kind: CollegeKind
    specialties: list[SpecialtyPublic]


class EnterprisePublic(ProfilePublic):
    industry: str | None
    size: EnterpriseSize | None
    talent_gaps: list[TalentGapPublic]
    preferred_provinces: list[str]


class CollegesPublic(BaseModel):
    data: list[CollegePublic]
    count: int


class EnterprisesPublic(BaseModel):
    data: list[EnterprisePublic]
    count: int


# --- API keys --------------------------------------------------------------------------------


class KeyCreate(Input):
    role: Role
    college_id: DbId | None = None
    enterprise_id: DbId | None = None
    name: OptionalName | None = Field(None, description="Who holds the key, e.g. 'HR, Korla Textile'.")


class KeyPublic(BaseModel):
    id: int
    role: Role
    college_id: int | None
    enterprise_id: int | None
    name: str | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyPublic):
    key: str = Field(description="The secret. Shown once; only its hash is stored.")


class KeysPublic(BaseModel):
    data: list[KeyPublic]
    count: int


# --- bulk transfer and errors ----------------------------------------------------------------


class ProblemPublic(BaseModel):
    field: str
    reason: str
    line: int | None = None


class ImportReport(BaseModel):
    side: str
    format: str
    rows: int = Field(description="Profiles read from the file.")
    created: int
    rejected: int
    errors: list[ProblemPublic]
    warnings: list[ProblemPublic] = Field(default_factory=list)


class ErrorPublic(BaseModel):
    """The one shape of every API error."""

    error: str = Field(description="A stable machine-readable code, e.g. validation_error.")
    detail: str = Field(description="A sentence for people.")
    fields: list[ProblemPublic] = Field(default_factory=list)
