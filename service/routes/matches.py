"""Suggestions: colleges for an enterprise, enterprises for a college, either side for a text."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from matching.errors import NotFound
from matching.results import SuggestionsPublic
from matching.schemas import MAX_ID, Location, OptionalName, Text
from matching.sides import COLLEGES, ENTERPRISES, SideSpec
from matching.suggest import MatchFilter, profile_query, suggest, text_query
from matching.vocab import CooperationMode, Side
from service.auth import require_read
from service.cached import generation, suggestions_page
from service.deps import LiveDep, PrincipalDep, RankingDep, SessionDep, SettingsDep, StateDep
from service.language import WordingDep

router = APIRouter(tags=["matches"])
ProfileId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_LIMIT = 100


class MatchParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(10, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10_000)
    country: OptionalName | None = Field(None, description="Candidates in this country (ISO alpha-2 or name)")
    province: OptionalName | None = Field(None, description="Candidates in this province (any spelling)")
    max_distance_km: float | None = Field(None, gt=0, le=25_000, description="Candidates at most this far")
    min_capacity: int | None = Field(None, ge=0, le=5_000, description="Only units with at least this many "
                                     "graduates a year (specialties) or headcount (talent gaps) may match")
    mode: CooperationMode | None = Field(None, description="Candidates that list this cooperation mode")

    def where(self) -> MatchFilter:
        return MatchFilter(country=self.country, province=self.province, max_distance_km=self.max_distance_km,
                           min_capacity=self.min_capacity, mode=str(self.mode) if self.mode else None)


class SearchRequest(MatchParams):
    text: Annotated[Text, Field(min_length=1, description="What you look for, in your words")]
    side: Side = Field(description="Which side to search: colleges or enterprises")
    amount: int | None = Field(None, ge=1, le=5_000, description="Headcount you need (searching colleges) or "
                               "graduates you place (searching enterprises); default 1")
    near: Location | None = Field(None, description="Where you are: for distances and max_distance_km")
    modes: list[CooperationMode] = Field(default_factory=list, max_length=8, description="Modes you want")


def _matches(asker: SideSpec, other: SideSpec, profile_id: int, params: MatchParams, session: SessionDep,
             live: LiveDep, ranking: RankingDep, settings: SettingsDep, state: StateDep,
             wording: WordingDep) -> Response:
    pools = live.fresh_pools(session)
    asker_pool, pool = pools[asker.side], pools[other.side]
    if profile_id not in asker_pool.profiles:
        raise NotFound.missing(asker.label, profile_id)
    is_enterprise = asker is ENTERPRISES
    history = live.history(session)  # before the key: the key holds the history's signature
    key = ("matches", str(asker.side), profile_id, params.model_dump_json(), wording.lang, generation(state, live))

    def compute() -> SuggestionsPublic:
        query = profile_query(asker_pool, profile_id, is_enterprise=is_enterprise)
        return suggest(pool, query, params.where(), params.limit, params.offset, ranking, settings.exact_scan_max,
                       asker_label=asker.label, gap_stats=live.pool(ENTERPRISES).stats, history=history,
                       wording=wording)

    return suggestions_page(state, key, "enterprise_matches" if is_enterprise else "college_matches",
                            {"asker_id": profile_id, "filters": params.model_dump(mode="json", exclude_none=True)},
                            "enterprise" if is_enterprise else "college", profile_id, compute)


@router.get("/enterprises/{profile_id}/matches", response_model=SuggestionsPublic,
            summary="Colleges for an enterprise, ranked and explained")
def enterprise_matches(profile_id: ProfileId, params: Annotated[MatchParams, Query()], session: SessionDep,
                       live: LiveDep, ranking: RankingDep, settings: SettingsDep, state: StateDep,
                       who: PrincipalDep, wording: WordingDep) -> Response:
    require_read(who, Side.ENTERPRISES, profile_id)
    return _matches(ENTERPRISES, COLLEGES, profile_id, params, session, live, ranking, settings, state, wording)


@router.get("/colleges/{profile_id}/matches", response_model=SuggestionsPublic,
            summary="Enterprises for a college, ranked and explained")
def college_matches(profile_id: ProfileId, params: Annotated[MatchParams, Query()], session: SessionDep,
                    live: LiveDep, ranking: RankingDep, settings: SettingsDep, state: StateDep,
                    who: PrincipalDep, wording: WordingDep) -> Response:
    require_read(who, Side.COLLEGES, profile_id)
    return _matches(COLLEGES, ENTERPRISES, profile_id, params, session, live, ranking, settings, state, wording)


@router.post("/search", response_model=SuggestionsPublic, summary="Free text against either side")
def search(body: SearchRequest, session: SessionDep, live: LiveDep, ranking: RankingDep, settings: SettingsDep,
           state: StateDep, _: PrincipalDep, wording: WordingDep) -> Response:
    other = COLLEGES if body.side == Side.COLLEGES else ENTERPRISES
    pool = live.fresh_pools(session)[other.side]  # both: keyword statistics, history centroids
    history = live.history(session)  # before the key: the key holds the history's signature
    key = ("search", body.model_dump_json(), wording.lang, generation(state, live))

    def compute() -> SuggestionsPublic:
        vector = live.embedder.encode_texts([body.text])[0]
        query = text_query(vector, body.text, body.amount or 1, is_enterprise=other is COLLEGES,
                           location=(body.near.lat, body.near.lon) if body.near else None,
                           modes=frozenset(str(m) for m in body.modes), inferred=live.embedder.infer_codes(body.text))
        return suggest(pool, query, body.where(), body.limit, body.offset, ranking, settings.exact_scan_max,
                       asker_label="search", gap_stats=live.pool(ENTERPRISES).stats, history=history,
                       wording=wording)

    filters = body.model_dump(mode="json", exclude_none=True, exclude={"text", "side"})
    return suggestions_page(state, key, "search", {"text": body.text, "side": str(body.side), "filters": filters},
                            None, None, compute)
