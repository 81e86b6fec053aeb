"""What `matchmaker serve` does before it listens: migrate, seed an empty database, admin key."""

from dataclasses import dataclass

from matching import keys
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.progress import ProgressFactory, no_progress
from matching.reference import Reference
from matching.sample import is_empty, load_sample
from service.settings import Settings


@dataclass(frozen=True, slots=True)
class Bootstrap:
    loaded: dict[str, int]  # profiles the sample added per side; empty when none were loaded
    new_admin_key: str | None  # the secret when one was created; None when the saved one works


def bootstrap(settings: Settings, *, sample: bool = True, progress: ProgressFactory = no_progress) -> Bootstrap:
    engine = make_engine(settings.db_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            loaded = {}
            if sample and settings.load_sample and is_empty(session):
                loaded = load_sample(session, Reference.load(settings.data_dir), settings.data_dir, progress)
            secret = keys.ensure_admin_key(session, settings.admin_key_path)
    finally:
        engine.dispose()
    return Bootstrap(loaded=loaded, new_admin_key=secret)
