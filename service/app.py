"""The FastAPI application: created by a factory, loaded in its lifespan, nothing at import."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from embeddings.encoder import Encoder, load_encoder, set_encode_threads
from embeddings.index import configure_threads
from matching.db import current_revision, head_revision, make_engine, make_sessionmaker
from matching.embedding import Embedder
from matching.keywords import warm_up
from matching.lists.build import abandon, reclaim
from matching.lists.leases import leases_for
from matching.live import LiveIndex
from matching.outcomes.impressions import ImpressionWriter
from matching.rankers import ActiveRanker, RankerStore
from matching.ranking import calibrated
from matching.reference import Reference
from matching.result_cache import ResultCache
from service import __version__, errors
from service.auth import PrincipalCache
from service.background import JobRunner
from service.language import LanguageChoice
from service.limits import BodySizeLimit
from service.progress import logged_progress
from service.routes import (
    catalogue,
    docs,
    feedback,
    health,
    jobs,
    keys,
    match_lists,
    matches,
    partnerships,
    profiles,
    transfer,
    ui,
)
from service.settings import Settings, get_settings
from service.shedding import HEAVY, LIGHT, Limit, LoadShedding
from service.state import AppState

log = logging.getLogger("matchmaker")

DESCRIPTION = """Matches vocational colleges (specialties and their graduates) with enterprises (talent
gaps and their headcounts) for industry–education cooperation.

Every endpoint but `/health` and `/docs` needs `Authorization: Bearer <API key>`. Errors share
one shape: `{"error": code, "detail": sentence, "fields": [{"field", "reason", "line"?}]}`."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # Every request that may run at once (the shedding limits) gets a connection without waiting for
    # another to be returned: 40 request threads on the default 5 + 10 queued for connections.
    engine = make_engine(settings.db_url, pool_size=settings.shed_heavy_limit + settings.shed_light_limit + 4)
    reference = app.state.preloaded_reference or await run_in_threadpool(Reference.load, settings.data_dir)
    state = AppState(settings=settings, engine=engine, sessions=make_sessionmaker(engine), reference=reference,
                     principals=PrincipalCache(settings.key_cache_seconds),
                     probe_engine=make_engine(settings.db_url, pool_size=1),
                     results=ResultCache(settings.result_cache_size), pages=ResultCache(settings.result_cache_size))
    app.state.matchmaker = state
    revision, head = await run_in_threadpool(current_revision, engine), head_revision()
    if revision != head:
        # Serving a schema we do not know would turn every request into a 500; stay not-ready.
        log.error("database schema is at %s, expected %s: run `matchmaker db upgrade`", revision, head)
    else:
        encoder = app.state.preloaded_encoder or await run_in_threadpool(
            load_encoder, settings.embedding_model, settings.embedding_batch_size)
        if encoder.name != settings.embedding_model:
            # A preloaded encoder (tests, tools) decides; thresholds follow the model actually used.
            settings = settings.model_copy(update={"embedding_model": encoder.name,
                                                   "ranking": calibrated(settings.ranking, encoder.name)})
            app.state.settings = state.settings = settings
        state.live = await run_in_threadpool(load_live, state, encoder)
        leases = leases_for(engine)
        # Jobs whose server was killed would say `running` for ever: fail them before serving.
        await run_in_threadpool(reclaim, state.sessions, leases)
        state.jobs = JobRunner(leases=leases)
        state.ranker = ActiveRanker(RankerStore(settings.rankers_path), settings.ranking)
        if state.ranker.error:
            log.error("ranker not loaded, serving the hand weights: %s", state.ranker.error)
        if settings.impressions:
            writer = ImpressionWriter(state.sessions, settings.impression_buffer, settings.impression_retention_days)
            await run_in_threadpool(writer.start)
            state.impressions = writer
        if app.state.freeze_heap:
            # What was loaded (both pools, the model, the catalogue: millions of objects) lives as long as
            # the process; left to the cyclic GC, each full collection walked all of it and stopped the
            # server for about a second under load (measured: p99 of 503s 1.1 s → 0.2 s). Frozen, those
            # objects are never scanned; what requests allocate is still collected. A side reloaded later
            # (another process's write) is young again and is scanned as before.
            gc.collect()
            gc.freeze()
        state.ready = True
    try:
        yield
    finally:
        state.ready = False
        if state.jobs is not None:
            # Running jobs stop between enterprises and are marked failed; queued ones never start.
            never = await run_in_threadpool(state.jobs.shutdown)
            await run_in_threadpool(abandon, state.sessions, never)
            await run_in_threadpool(state.jobs.close)
        if state.impressions is not None:
            await run_in_threadpool(state.impressions.stop)  # writes what is still queued
        if state.live is not None:
            with state.sessions() as session:
                await run_in_threadpool(state.live.save, session)
        engine.dispose()
        state.probe.shutdown(wait=False)
        if state.probe_engine is not None:
            state.probe_engine.dispose()


def load_live(state: AppState, encoder: Encoder) -> LiveIndex:
    """The model and both indexes: a saved index whose manifest matches, else rebuilt."""
    settings = state.settings
    configure_threads(settings.faiss_threads)
    set_encode_threads(encoder, settings.encode_threads)
    warm_up()  # the Chinese segmenter, so that a first Chinese request does not wait for its dictionary
    live = LiveIndex(Embedder(encoder, state.reference.catalogue), settings.index_path, settings.index_factory,
                     settings.index_nprobe)
    with state.sessions() as session:
        # Vectors of another model (or none) are encoded again here, e.g. after MATCH_EMBEDDING_MODEL changed.
        live.load(session, logged_progress)
    for side, reason in live.rebuilt.items():
        if reason:
            log.info("rebuilt the %s index: %s", side, reason)
    return live


def create_app(settings: Settings | None = None, reference: Reference | None = None,
               encoder: Encoder | None = None, freeze_heap: bool = False) -> FastAPI:
    """`reference` and `encoder` let tests and tools share what is already loaded (seconds each).

    `freeze_heap`: exempt what the start loaded from the cyclic GC (`gc.freeze`), for a serving process
    (`serving_app`); not for tests, whose many apps in one process would never be collected."""
    # FastAPI's /docs and /redoc load their scripts from a CDN; ours serve them from a package (routes/docs.py).
    app = FastAPI(title="matchmaker", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.preloaded_reference = reference
    app.state.preloaded_encoder = encoder
    app.state.freeze_heap = freeze_heap
    config = settings or get_settings()
    app.state.settings = config
    app.add_middleware(
        BodySizeLimit, default=config.max_body_bytes, overrides={"/import": config.max_import_bytes}
    )
    if config.shedding:
        # Nearly outermost (only the language choice runs before it): a refused request costs neither a body
        # read nor a thread.
        wait = config.shed_max_wait_seconds
        app.add_middleware(LoadShedding, retry_after=config.shed_retry_after_seconds, limits={
            HEAVY: Limit(config.shed_heavy_limit, config.shed_heavy_queue, wait),
            LIGHT: Limit(config.shed_light_limit, config.shed_light_queue, wait)})
    app.add_middleware(LanguageChoice)  # outermost: it takes `lang` out of the query before anything reads it
    errors.install(app)
    app.include_router(health.router)
    routers = (profiles.colleges, profiles.enterprises, matches.router, catalogue.router, transfer.router, keys.router,
               match_lists.router, jobs.router, partnerships.router, feedback.router)
    for router in routers:
        app.include_router(router, responses=errors.DOCUMENTED)
    ui.install(app)  # the reviewer page at /ui/, outside the OpenAPI document
    docs.install(app)  # /docs and /redoc, offline
    return app


def serving_app() -> FastAPI:
    """The factory of `matchmaker serve --workers N` (each worker process builds its own app)."""
    return create_app(freeze_heap=True)
