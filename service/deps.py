"""Typed dependencies for routes: state, settings, session, reference data, the caller.

Every one is `async`: FastAPI runs a plain `def` dependency in a worker thread, and each such hop
cost a request 0.5–2 ms (measured on the matches route). The caller's key is checked in memory
(`PrincipalCache`) and only goes to a worker thread, for the database, when it is not cached.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from matching.keys import hash_key
from matching.live import LiveIndex
from matching.ranking import RankingSettings
from matching.reference import Reference
from service.auth import Principal, bearer_secret, verified
from service.background import JobRunner
from service.errors import ApiError
from service.settings import Settings
from service.state import AppState


async def get_state(request: Request) -> AppState:
    state: AppState | None = getattr(request.app.state, "matchmaker", None)
    if state is None or not state.ready:
        raise ApiError(503, "the service is starting; try again in a moment", headers={"Retry-After": "5"},
                       message=("error.starting", {}))
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def get_app_settings(request: Request) -> Settings:
    # The settings the app was created with (`create_app(settings)` in tests, else `get_settings()`).
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_session(state: StateDep) -> AsyncIterator[Session]:
    # Opening a session takes no connection yet, and closing one returns it to the pool.
    with state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_reference(state: StateDep) -> Reference:
    return state.reference


ReferenceDep = Annotated[Reference, Depends(get_reference)]


async def get_principal(
    state: StateDep,
    authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
) -> Principal:
    secret = bearer_secret(authorization)
    digest = hash_key(secret)
    principal = state.principals.get(digest)
    if principal is None:
        principal = await run_in_threadpool(verified, state.sessions, secret)
        state.principals.put(digest, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_live(state: StateDep) -> LiveIndex:
    if state.live is None:
        raise ApiError(503, "the index is loading; try again in a moment", headers={"Retry-After": "5"},
                       message=("error.index_loading", {}))
    return state.live


LiveDep = Annotated[LiveIndex, Depends(get_live)]


async def get_jobs(state: StateDep) -> JobRunner:
    if state.jobs is None:
        raise ApiError(503, "the job runner is starting; try again in a moment", headers={"Retry-After": "5"},
                       message=("error.runner_starting", {}))
    return state.jobs


JobsDep = Annotated[JobRunner, Depends(get_jobs)]


async def get_ranking(state: StateDep) -> RankingSettings:
    # The active model's weights; a switch (`matchmaker ranker activate`) is noticed here, per request.
    return state.ranker.current() if state.ranker is not None else state.settings.ranking


RankingDep = Annotated[RankingSettings, Depends(get_ranking)]
