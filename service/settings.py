"""Configuration from the environment (MATCH_*) and an optional .env file."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from embeddings.encoder import BACKENDS, DEFAULT_MODEL
from matching.ranking import RankingSettings, calibrated

REPO_DATA = Path(__file__).resolve().parent.parent / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MATCH_", env_file=".env", extra="ignore", env_nested_delimiter="__")

    home: Path = Field(Path(".matchmaker"), description="Where local state lives: database, admin key.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in `home`.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    data_dir: Path = Field(REPO_DATA, description="The catalogue and the sample data.")
    admin_key_file: Path | None = Field(None, description="Default: `home`/admin-key.")
    load_sample: bool = Field(True, description="Load data/sample into an empty database at start.")
    max_body_bytes: int = Field(1_048_576, ge=1_024, description="Largest request body (413 above).")
    max_import_bytes: int = Field(33_554_432, ge=1_024, description="Largest body for POST /import.")

    access_log: bool = Field(True, description="Log every request (uvicorn's access log on stderr); false spares "
                             "its cost on the event loop under load.")

    key_cache_seconds: float = Field(2.0, ge=0, le=300, description="How long a verified API key is trusted "
                                     "without asking the database again; a key revoked by another process (the "
                                     "CLI) stops working within this time. 0 asks on every request.")

    shedding: bool = Field(True, description="Answer 503 `overloaded` with Retry-After beyond the limits below, "
                           "instead of queueing requests into timeouts (service/shedding.py).")
    shed_heavy_limit: int = Field(2, ge=1, le=1024, description="Ranking and encoding requests (GET …/matches, "
                                  "POST /search, writes) running at once, per process.")
    shed_heavy_queue: int = Field(32, ge=0, le=100_000, description="More heavy requests that may wait for a place.")
    shed_light_limit: int = Field(4, ge=1, le=1024, description="Other requests (lists, profiles, reference data) "
                                  "running at once, per process; /health is never limited.")
    shed_light_queue: int = Field(64, ge=0, le=100_000, description="More light requests that may wait for a place.")
    shed_max_wait_seconds: float = Field(0.1, ge=0, le=60, description="How long a request may wait for a place "
                                         "before it is answered 503.")
    shed_retry_after_seconds: int = Field(1, ge=1, le=3600, description="The Retry-After of a 503 `overloaded`.")

    result_cache_size: int = Field(2048, ge=0, le=1_000_000, description="Pages of suggestions (matches, "
                                   "searches) and list pages kept per process, each kind, and served again while "
                                   "no data and no ranker changed (any process's write makes them stale at once); "
                                   "0 keeps none.")

    embedding_model: str = Field(DEFAULT_MODEL, description="The encoder: one of the bundled backends ("
                                 + ", ".join(sorted(BACKENDS)) + ") or a sentence-transformers name or path, "
                                 "loaded offline. Changing it re-embeds every unit at the next start.")
    embedding_batch_size: int = Field(64, ge=1, le=4096, description="Texts per model.encode call.")
    index_factory: str = Field("Flat", description="FAISS index_factory string; Flat is exact, e.g. "
                               "'IVF1024,Flat' or 'HNSW32' are approximate, for large collections.")
    index_nprobe: int = Field(16, ge=1, description="IVF cells probed per query (efSearch/4 for HNSW).")
    index_dir: Path | None = Field(None, description="Saved indexes and manifests; default: `home`/index.")
    faiss_threads: int = Field(1, ge=1, description="OpenMP threads for FAISS; 1 is fastest for single queries.")
    encode_threads: int = Field(1, ge=1, le=256, description="torch threads for encoding in the server; 1 is "
                                "fastest for one search text, and far faster when other work shares the cores.")
    exact_scan_max: int = Field(20_000, ge=0, description="Score every candidate when this few units pass the "
                                "filters; above it, retrieve from the index and deepen until exact.")
    match_list_sync_max: int = Field(300, ge=0, description="A match list (or round) over more talent gaps than "
                                     "this is built as a background job (202 and GET /jobs/{id}).")
    match_list_candidates: int = Field(50, ge=1, le=100, description="Suggestions asked per enterprise when "
                                       "building a match list: the candidate colleges its gaps are allocated to.")
    impressions: bool = Field(True, description="Log every page of suggestions served (an impression: the "
                              "query, and each candidate's rank, score and features) for training; false: none.")
    impression_retention_days: int = Field(180, ge=0, le=36_500, description="Impressions older than this are "
                                           "deleted (by the server every 6 hours, or `matchmaker impressions "
                                           "prune`); 0 keeps them all.")
    impression_buffer: int = Field(10_000, ge=1, le=1_000_000, description="Pages waiting to be written; when "
                                   "full, a page is served without being logged (impression_id null).")
    ranking: RankingSettings = Field(default_factory=RankingSettings,
                                     description="Weights and thresholds, e.g. MATCH_RANKING__WEIGHTS__DISTANCE=0.2")

    @model_validator(mode="after")
    def _thresholds_of_the_model(self) -> "Settings":
        # Similarities live on each model's own scale: the threshold follows the model unless set.
        self.ranking = calibrated(self.ranking, self.embedding_model)
        return self

    @property
    def index_path(self) -> Path:
        return self.index_dir or self.home / "index"

    @property
    def rankers_path(self) -> Path:
        return self.home / "rankers"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'matchmaker.db'}"

    @property
    def admin_key_path(self) -> Path:
        return self.admin_key_file or self.home / "admin-key"


@lru_cache
def get_settings() -> Settings:
    return Settings()
