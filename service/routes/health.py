"""/health (open) and /info (any key)."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Engine, func, select, text

from matching.db import backend, current_revision
from matching.models import College, Enterprise, Specialty, TalentGap
from matching.ranking import list_min_score
from service import __version__
from service.deps import LiveDep, PrincipalDep, RankingDep, SessionDep, StateDep
from service.errors import ApiError
from service.impressions import ranker_version

router = APIRouter(tags=["service"])
PROBE_SECONDS = 2.0


@router.get("/health", summary="Liveness and readiness (503 until ready)")
async def health(request: Request) -> dict[str, str]:
    # Answerable under any load: not in the request thread pool (busy serving), on its own thread and
    # connection (the app's pool may be checked out), and bounded in time.
    state = getattr(request.app.state, "matchmaker", None)
    if state is None or not state.ready:
        raise ApiError(503, "the service is starting", headers={"Retry-After": "5"},
                       message=("error.not_started", {}))
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(state.probe, _ping, state.probe_engine), PROBE_SECONDS)
    except Exception as exc:  # any driver error, or none in time, means the same thing to a load balancer
        raise ApiError(503, "the database does not answer", headers={"Retry-After": "5"},
                       message=("error.database_down", {})) from exc
    return {"status": "ok"}


def _ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@router.get("/info", summary="Version, database, model, indexes, ranker and counts")
def info(state: StateDep, session: SessionDep, live: LiveDep, ranking: RankingDep, _: PrincipalDep) -> dict[str, Any]:
    def count(model: Any) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    return {
        "version": __version__,
        "database": backend(state.engine),
        "schema_revision": current_revision(state.engine),
        "catalogue_size": len(state.reference.catalogue),
        "counts": {
            "colleges": count(College),
            "specialties": count(Specialty),
            "enterprises": count(Enterprise),
            "talent_gaps": count(TalentGap),
        },
        "model": live.embedder.model,
        "dimension": live.embedder.encoder.dimension,
        "index": {
            str(side): {"size": len(pool.index), "factory": pool.index.factory, "in_use": pool.index.in_use,
                        "version": pool.version}
            for side, pool in live.pools.items()
        },
        "impressions": _impressions(state),
        "ranker": (state.ranker.describe() if state.ranker is not None else
                   {"version": ranker_version(state), "weights": ranking.weights.normalised()})
        | {"min_similarity": ranking.min_similarity, "distance_scale_km": ranking.distance_scale_km,
           "match_list_min_score": list_min_score(ranking)},
    }


def _impressions(state: StateDep) -> dict[str, Any]:
    writer = state.impressions
    if writer is None:
        return {"logging": False}
    stats = writer.stats
    return {"logging": True, "retention_days": writer.retention_days, "written": stats.written,
            "dropped": stats.dropped, "failed": stats.failed, "pruned": stats.pruned}
