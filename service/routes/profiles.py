"""/colleges and /enterprises: one router factory, since the two sides differ only in data."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from matching import profiles
from matching.pool import db_version
from matching.prepare import prepare
from matching.profiles import MAX_PAGE, ProfileFilter
from matching.schemas import (
    MAX_ID,
    Code,
    CollegeCreate,
    CollegesPublic,
    CollegeUpdate,
    EnterpriseCreate,
    EnterprisesPublic,
    EnterpriseUpdate,
    OptionalName,
    ProfileIn,
    ProfileUpdate,
)
from matching.sides import COLLEGES, ENTERPRISES, SideSpec
from service.auth import require_edit, require_read, require_role
from service.cached import cached_bytes
from service.deps import LiveDep, PrincipalDep, ReferenceDep, SessionDep, StateDep

ProfileId = Annotated[int, Path(ge=1, le=MAX_ID)]
PLACE_FIELDS = {"country", "province", "city"}


class ProfileQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=10_000_000)
    country: OptionalName | None = Field(None, description="ISO alpha-2, e.g. CN")
    province: OptionalName | None = Field(None, description="Any spelling: Xinjiang, 新疆, Xinjiang Uygur AR")
    name: OptionalName | None = Field(None, description="Name (English or Chinese) contains")


class CollegeQuery(ProfileQuery):
    code: Code | None = Field(None, description="Has a specialty with this code")


class EnterpriseQuery(ProfileQuery):
    industry: OptionalName | None = Field(None, description="Industry, case-insensitive")


def _filter(query: ProfileQuery, only_id: int | None) -> ProfileFilter:
    return ProfileFilter(
        country=query.country,
        province=query.province,
        name_contains=query.name,
        code=getattr(query, "code", None),
        industry=getattr(query, "industry", None),
        only_id=only_id,
    )


def profile_router(
    spec: SideSpec,
    create_body: type[ProfileIn],
    update_body: type[ProfileUpdate],
    query_model: type[ProfileQuery],
    many: type[BaseModel],
) -> APIRouter:
    router = APIRouter(prefix=f"/{spec.side}", tags=[str(spec.side)])
    label = spec.label
    # FastAPI reads these annotations at runtime; mypy cannot follow a type held in a variable.
    Create: Any = create_body
    Update: Any = update_body
    Query_: Any = Annotated[query_model, Query()]

    @router.post("", status_code=201, response_model=spec.public, summary=f"Create a {label}")
    def create(body: Create, session: SessionDep, ref: ReferenceDep, who: PrincipalDep, live: LiveDep) -> Any:
        require_role(who, what=f"create {spec.side}")
        prepared = prepare(spec, body, ref)
        return profiles.to_public(spec, profiles.create(session, spec, prepared, live), prepared.warnings)

    @router.get("", response_model=many, summary=f"List {spec.side}")
    def list_(query: Query_, session: SessionDep, who: PrincipalDep, state: StateDep) -> Response:
        own = who.own_id(spec.side)

        def compute() -> bytes:
            items, count = profiles.list_profiles(session, spec, _filter(query, own), query.limit, query.offset)
            # Validated once here: returning the dict made FastAPI validate every profile a second time
            # (a third of this route's time under load, measured with py-spy).
            return many(data=[profiles.to_public(spec, p) for p in items], count=count).model_dump_json().encode()

        # The side's index version changes with every write to its profiles, by any process (matching/live.py).
        return cached_bytes(state, ("list", str(spec.side), query.model_dump_json(), own,
                                    db_version(session, spec)), compute)

    @router.get("/{profile_id}", response_model=spec.public, summary=f"Read a {label}")
    def read(profile_id: ProfileId, session: SessionDep, who: PrincipalDep) -> Any:
        require_read(who, spec.side, profile_id)
        return profiles.to_public(spec, profiles.get(session, spec, profile_id))

    @router.put("/{profile_id}", response_model=spec.public, summary=f"Replace a {label}")
    def replace(
        profile_id: ProfileId, body: Create, session: SessionDep, ref: ReferenceDep, who: PrincipalDep, live: LiveDep
    ) -> Any:
        require_edit(who, spec.side, profile_id)
        profile = profiles.get(session, spec, profile_id)
        prepared = prepare(spec, body, ref)
        return profiles.to_public(spec, profiles.replace(session, spec, profile, prepared, live), prepared.warnings)

    @router.patch("/{profile_id}", response_model=spec.public, summary=f"Change some fields of a {label}")
    def patch(
        profile_id: ProfileId, body: Update, session: SessionDep, ref: ReferenceDep, who: PrincipalDep, live: LiveDep
    ) -> Any:
        require_edit(who, spec.side, profile_id)
        profile = profiles.get(session, spec, profile_id)
        changes = body.model_dump(exclude_unset=True)
        merged = profiles.to_record(spec, profile, with_ids=True) | changes
        if PLACE_FIELDS & changes.keys() and "location" not in changes:
            merged["location"] = None  # moved: geocode the new place rather than keep the old point
        prepared = prepare(spec, spec.parse(merged), ref)  # type: ignore[arg-type]
        return profiles.to_public(spec, profiles.replace(session, spec, profile, prepared, live), prepared.warnings)

    @router.delete("/{profile_id}", status_code=204, summary=f"Delete a {label} and its units")
    def delete(profile_id: ProfileId, session: SessionDep, who: PrincipalDep, live: LiveDep,
               state: StateDep) -> Response:
        require_role(who, what=f"delete {spec.side}")
        profiles.delete(session, spec, profile_id, live)
        state.principals.clear()  # keys bound to the profile went with it (ON DELETE CASCADE)
        return Response(status_code=204)

    return router


colleges = profile_router(COLLEGES, CollegeCreate, CollegeUpdate, CollegeQuery, CollegesPublic)
enterprises = profile_router(ENTERPRISES, EnterpriseCreate, EnterpriseUpdate, EnterpriseQuery, EnterprisesPublic)
