"""The whole sample in a SQLite database, imported and embedded once per test run, for any test module.

The first xdist worker to ask builds it, the others wait for it; every caller gets a private copy.
"""

import fcntl
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from embeddings.encoder import Encoder
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.embedding import Embedder
from matching.live import LiveIndex
from matching.reference import Reference
from matching.sides import COLLEGES, ENTERPRISES
from matching.transfer import import_text
from service.settings import REPO_DATA

SAMPLE_DB = "suggest-sample.db"  # the name it is shared under within one run


def shared_file(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A file built once per test run: the first xdist worker to ask builds it, the others wait for it."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # one run's workers share it
    target = shared / name
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            partial = shared / f"{name}.partial"
            partial.unlink(missing_ok=True)
            build(partial)
            os.replace(partial, target)
    return target


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's backup API: a consistent copy whatever the journal mode."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def sample_copy(tmp_path_factory: pytest.TempPathFactory, reference: Reference, encoder: Encoder,
                folder: str) -> Path:
    """A private copy (in a new temporary `folder`) of a SQLite database holding the whole sample, embedded."""

    def build(path: Path) -> None:
        scratch = path.with_name(f"{path.name}.db")
        scratch.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{scratch}")
        upgrade(engine)
        live = LiveIndex(Embedder(encoder, reference.catalogue), None)
        with make_sessionmaker(engine)() as session:
            live.load(session)
            for spec in (COLLEGES, ENTERPRISES):
                text = (REPO_DATA / "sample" / f"{spec.side}.jsonl").read_text()
                report = import_text(session, spec, text, "jsonl", reference, live=live)
                assert report.created == report.rows and not report.errors
        engine.dispose()
        copy_sqlite(scratch, path)

    built = shared_file(tmp_path_factory, SAMPLE_DB, build)
    own = tmp_path_factory.mktemp(folder) / "sample.db"
    copy_sqlite(built, own)
    return own
