"""Configuration from the environment (MATCH_*) and an optional .env file."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_DATA = Path(__file__).resolve().parent.parent / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MATCH_", env_file=".env", extra="ignore")

    home: Path = Field(Path(".matchmaker"), description="Where local state lives: database, admin key.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in `home`.")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    data_dir: Path = Field(REPO_DATA, description="The catalogue and the sample data.")
    admin_key_file: Path | None = Field(None, description="Default: `home`/admin-key.")
    load_sample: bool = Field(True, description="Load data/sample into an empty database at start.")
    max_body_bytes: int = Field(1_048_576, ge=1_024, description="Largest request body (413 above).")
    max_import_bytes: int = Field(33_554_432, ge=1_024, description="Largest body for POST /import.")

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'matchmaker.db'}"

    @property
    def admin_key_path(self) -> Path:
        return self.admin_key_file or self.home / "admin-key"


@lru_cache
def get_settings() -> Settings:
    return Settings()
