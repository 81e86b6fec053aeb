"""Typed dependencies for routes: state, settings, session, reference data, the caller.

Those that only read memory are `async`: FastAPI runs a plain `def` dependency in a worker
thread, and each such hop cost a request about half a millisecond (measured on the matches route).
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from matching.live import LiveIndex
from matching.ranking import RankingSettings
from matching.reference import Reference
from service.auth import Principal, authenticate
from service.background import JobRunner
from service.errors import ApiError
from service.settings import Settings, get_settings
from service.state import AppState


async def get_state(request: Request) -> AppState:
    state: AppState | None = getattr(request.app.state, "matchmaker", None)
    if state is None or not state.ready:
        raise ApiError(503, "the service is starting; try again in a moment", headers={"Retry-After": "5"})
    return state


StateDep = Annotated[AppState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(state: StateDep) -> AsyncIterator[Session]:
    # Opening a session takes no connection yet, and closing one returns it to the pool.
    with state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_reference(state: StateDep) -> Reference:
    return state.reference


ReferenceDep = Annotated[Reference, Depends(get_reference)]


def get_principal(
    session: SessionDep,
    authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
) -> Principal:
    return authenticate(session, authorization)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_live(state: StateDep) -> LiveIndex:
    if state.live is None:
        raise ApiError(503, "the index is loading; try again in a moment", headers={"Retry-After": "5"})
    return state.live


LiveDep = Annotated[LiveIndex, Depends(get_live)]


async def get_jobs(state: StateDep) -> JobRunner:
    if state.jobs is None:
        raise ApiError(503, "the job runner is starting; try again in a moment", headers={"Retry-After": "5"})
    return state.jobs


JobsDep = Annotated[JobRunner, Depends(get_jobs)]


async def get_ranking(settings: SettingsDep) -> RankingSettings:
    return settings.ranking


RankingDep = Annotated[RankingSettings, Depends(get_ranking)]
