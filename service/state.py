"""What the app loads at start and shares between requests."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matching.live import LiveIndex
from matching.outcomes.impressions import ImpressionWriter
from matching.rankers import ActiveRanker
from matching.reference import Reference
from matching.result_cache import ResultCache
from service.auth import PrincipalCache
from service.background import JobRunner
from service.settings import Settings

if TYPE_CHECKING:
    from service.cached import CachedPage


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    reference: Reference
    principals: PrincipalCache
    live: LiveIndex | None = None  # the model and both indexes; None until loaded
    ready: bool = False
    jobs: JobRunner | None = None  # background jobs (match lists); created in the app's lifespan
    ranker: ActiveRanker | None = None  # the active ranker model (or the hand weights); loaded in the lifespan
    impressions: ImpressionWriter | None = None  # None when MATCH_IMPRESSIONS=false or not yet started
    probe_engine: Engine | None = None  # /health's own connection, apart from the requests' pool
    # Answers of read requests by what they depend on (service/cached.py); size 0 until the lifespan sizes them.
    results: "ResultCache[CachedPage]" = field(default_factory=lambda: ResultCache(0))  # pages of suggestions
    pages: ResultCache[bytes] = field(default_factory=lambda: ResultCache(0))  # list pages
    probe: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="matchmaker-health"))
