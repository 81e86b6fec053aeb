"""Keeps both sides' pools and indexes in step with the database, and on disk between runs.

Writes go: embed new or changed units → bump the side's index version → commit → apply to the
pool, all in the request that made the change. The index on disk carries a manifest; at start it
is used only if the manifest matches the database, else it is rebuilt from the stored vectors.

The saved files are derived data, so a process killed while saving must cost a rebuild, never a
wrong index: each file is replaced whole, the manifest (written last) holds their digests, and a
saved index that fails any check, or cannot be read at all, is rebuilt from the database.
"""

import fcntl
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, selectinload

from embeddings.files import digest, write_text_atomic
from embeddings.index import VectorIndex
from embeddings.texts import text_key
from matching.embedding import Embedder
from matching.history import History
from matching.keywords import KeywordStats
from matching.live_history import LiveHistory
from matching.models import Enterprise, IndexVersion, utcnow
from matching.pool import Pool, db_version, load_cards
from matching.progress import ProgressFactory, no_progress
from matching.sides import SIDES, Profile, SideSpec
from matching.vocab import Side

log = logging.getLogger("matchmaker.index")
_OURS = "index version bumped"  # session.info key: the version this transaction's bump made, per side
MANIFEST_FORMAT = 2  # 2: with the digests of the files it describes


@dataclass(frozen=True)
class Manifest:
    side: str
    model: str
    dimension: int
    factory: str
    unit_count: int
    version: int
    last_change: str | None
    files: dict[str, str] | None = None  # file name → SHA-256, as saved
    format: int = MANIFEST_FORMAT


class LiveIndex:
    def __init__(self, embedder: Embedder, directory: Path | None, factory: str = "Flat", nprobe: int = 16) -> None:
        self.embedder = embedder
        self.directory = directory
        self.factory = factory
        self.nprobe = nprobe
        dimension = embedder.encoder.dimension
        self.pools = {side: Pool(spec, VectorIndex(dimension, factory, nprobe), text_of=embedder.text_of,
                                   infer_codes=embedder.infer_codes)
                      for side, spec in SIDES.items()}
        self.rebuilt: dict[Side, str] = {}  # why each side was rebuilt at the last load, for logs and tests
        self.partners = LiveHistory(self.pools[Side.COLLEGES], self.pools[Side.ENTERPRISES])

    def pool(self, spec: SideSpec) -> Pool:
        return self.pools[spec.side]

    # --- writes ----------------------------------------------------------------------------------

    def before_commit(self, session: Session, spec: SideSpec, profiles: Sequence[Profile],
                      progress: ProgressFactory = no_progress) -> None:
        """Embed the units that changed and bump the side's version, inside the write's transaction."""
        units = [u for p in profiles for u in spec.units_of(p)]
        self.embedder.embed(units, progress)
        session.info[(_OURS, spec.side)] = bump(session, spec)

    @contextmanager
    def committing(self, spec: SideSpec) -> Iterator[None]:
        with self.pool(spec).lock:
            yield

    def after_commit(self, session: Session, spec: SideSpec, changed: Iterable[Profile] = (),
                     deleted: Iterable[int] = ()) -> None:
        pool = self.pool(spec)
        ours = session.info.pop((_OURS, spec.side), None)
        with pool.lock:
            for profile in changed:
                pool.apply(profile)
            for profile_id in deleted:
                pool.drop(profile_id)
            # The pool now holds the version our transaction made only if it held the one before: if another
            # process committed in between, its change is not in the pool, and taking the database's
            # current version would hide that for good. Then the version stays behind and the next
            # query reloads the side.
            if ours is None:
                pool.version = max(pool.version, db_version(session, spec))
            elif pool.version == ours - 1:
                pool.version = ours

    # --- reads -----------------------------------------------------------------------------------

    def fresh_pools(self, session: Session) -> dict[Side, Pool]:
        """Both pools, each reloaded first if another process changed it: one query for both versions."""
        versions: dict[str, int] = {side: version for side, version in
                                    session.execute(select(IndexVersion.side, IndexVersion.version))}
        for spec in SIDES.values():
            if versions.get(str(spec.side), 0) != self.pool(spec).version:
                self.fresh_pool(session, spec)  # checks again under the pool's lock
        return {side: self.pool(spec) for side, spec in SIDES.items()}

    def fresh_pool(self, session: Session, spec: SideSpec) -> Pool:
        """The pool, reloaded first if another process (e.g. a CLI import) changed the side."""
        pool = self.pool(spec)
        if db_version(session, spec) != pool.version:
            with pool.lock:
                if db_version(session, spec) != pool.version:
                    log.info("%s changed outside this process; reloading its index", spec.side)
                    self.load_side(session, spec, use_saved=False)
        return pool

    def history(self, session: Session) -> History:
        """The partnerships on record, for the collaborative and partnered features (call after the pools
        are fresh: centroids follow their units)."""
        return self.partners.fresh(session)

    # --- loading, rebuilding, saving -----------------------------------------------------------------

    def load(self, session: Session, progress: ProgressFactory = no_progress, use_saved: bool = True) -> None:
        for spec in SIDES.values():
            self.load_side(session, spec, progress, use_saved)

    def load_side(self, session: Session, spec: SideSpec, progress: ProgressFactory = no_progress,
                  use_saved: bool = True) -> None:
        missing = self._embed_missing(session, spec, progress)
        pool = self.pool(spec)
        with pool.lock:
            version = db_version(session, spec)
            profiles, units, ids, blobs = load_cards(session, spec, self.embedder.text_of, self.embedder.infer_codes)
            vectors = (np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1) if ids
                       else np.empty((0, self.embedder.encoder.dimension), np.float32))
            index = VectorIndex(self.embedder.encoder.dimension, self.factory, self.nprobe)
            id_array = np.array(ids, dtype=np.int64)
            reason = ("embedded units that had no vector of this model" if missing
                      else self._saved_mismatch(spec, version, len(ids)))
            if use_saved and reason is None:
                try:
                    index.load(str(self._path(spec)))
                    if set(index.unit_ids().tolist()) != set(ids):
                        raise ValueError("saved index holds other units")
                    index.fill_vectors(id_array, vectors)
                except Exception as exc:  # whatever a damaged file raises (EOFError, RuntimeError, …): rebuild
                    reason = f"saved index unusable: {type(exc).__name__}: {exc}"
                    index = VectorIndex(self.embedder.encoder.dimension, self.factory, self.nprobe)
            elif not use_saved:
                reason = reason or "reload requested"
            if reason is not None or not use_saved:
                with progress(f"Indexing {spec.side}", len(ids)) as advance:
                    index.build(id_array, vectors)
                    advance(len(ids))
            self.rebuilt[spec.side] = reason or ""
            pool.index, pool.profiles, pool.units, pool.version = index, profiles, units, version
            pool.stats = KeywordStats()
            pool.rebuild_columns()
            pool.invalidate()
            if reason is not None:
                self.save_side(session, spec)

    def save(self, session: Session) -> None:
        for spec in SIDES.values():
            self.save_side(session, spec)

    def save_side(self, session: Session, spec: SideSpec) -> None:
        if self.directory is None:
            return
        pool = self.pool(spec)
        self.directory.mkdir(parents=True, exist_ok=True)
        # Several server processes (`serve --workers N`) share the directory: one writes at a time, and a
        # process whose pool missed another's write leaves the files to the others (the next start would
        # otherwise load its old vectors under a manifest claiming the current version).
        with pool.lock, _file_lock(self.directory / f".{spec.side}.lock"):
            bind = session.get_bind()
            engine = bind if isinstance(bind, Engine) else bind.engine
            with engine.connect() as connection:  # now, not as of the session's snapshot
                current = connection.scalar(select(IndexVersion.version)
                                            .where(IndexVersion.side == str(spec.side))) or 0
            if current != pool.version:
                log.info("not saving the %s index: another process changed the side since it loaded", spec.side)
                return
            changed = session.scalar(select(IndexVersion.changed_at).where(IndexVersion.side == str(spec.side)))
            saved = pool.index.save(str(self._path(spec)))
            manifest = self.manifest(spec, changed, {path.name: digest(path) for path in saved})
            write_text_atomic(self._path(spec).with_suffix(".manifest.json"), json.dumps(asdict(manifest), indent=2))

    def manifest(self, spec: SideSpec, changed: datetime | None = None,
                 files: dict[str, str] | None = None) -> Manifest:
        pool = self.pool(spec)
        return Manifest(side=str(spec.side), model=self.embedder.model, dimension=self.embedder.encoder.dimension,
                        factory=self.factory, unit_count=len(pool.index), version=pool.version,
                        last_change=changed.isoformat() if changed else None, files=files)

    def reindex(self, session: Session, progress: ProgressFactory = no_progress, re_embed: bool = False) -> int:
        """Rebuild both indexes from the database; `re_embed` encodes every unit again."""
        count = 0
        for spec in SIDES.values():
            if re_embed:
                session.execute(update(spec.unit_model).values(embedding=None, embedding_key=None))
                session.commit()
            self.load_side(session, spec, progress, use_saved=False)
            count += len(self.pool(spec).index)
        return count

    # --- internals -------------------------------------------------------------------------------

    def _path(self, spec: SideSpec) -> Path:
        assert self.directory is not None
        return self.directory / str(spec.side)

    def _saved_mismatch(self, spec: SideSpec, version: int, unit_count: int) -> str | None:
        if self.directory is None:
            return "no index directory"
        path = self._path(spec).with_suffix(".manifest.json")
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            return "no saved index"
        expected = {"model": self.embedder.model, "dimension": self.embedder.encoder.dimension,
                    "factory": self.factory, "unit_count": unit_count, "version": version,
                    "format": MANIFEST_FORMAT}
        for key, value in expected.items():
            if saved.get(key) != value:
                return f"manifest {key} is {saved.get(key)!r}, expected {value!r}"
        # The files must be the ones this manifest was written for: a save killed between a file and
        # the manifest leaves a newer file beside an older manifest.
        files = saved.get("files")
        if not isinstance(files, dict) or not files:
            return "manifest lists no files"
        for name, sha in files.items():
            try:
                if digest(path.with_name(name)) != sha:
                    return f"{name} is not the file its manifest describes"
            except OSError as exc:
                return f"{name} unreadable: {exc}"
        return None

    def _embed_missing(self, session: Session, spec: SideSpec, progress: ProgressFactory, batch: int = 2000) -> int:
        """Units without a vector, or with one from another model or text, get one; in batches."""
        unit_model: Any = spec.unit_model
        # Only the columns a text is made of: loading 100,000 vectors to check their keys costs seconds.
        columns = [unit_model.id, unit_model.embedding_key, unit_model.embedding.is_(None).label("missing"),
                   *(getattr(unit_model, name) for name in spec.unit_fields)]
        query = select(*columns).order_by(unit_model.id)
        if spec.model is Enterprise:
            query = query.add_columns(Enterprise.industry).join(Enterprise, unit_model.enterprise_id == Enterprise.id)
        stale = [row.id for row in session.execute(query) if row.missing or row.embedding_key != self._key(row)]
        done = 0
        if not stale:
            return 0
        with progress(f"Embedding {spec.units}", len(stale)) as advance:
            for start in range(0, len(stale), batch):
                chunk = session.scalars(select(unit_model).where(unit_model.id.in_(stale[start:start + batch]))
                                        .options(selectinload(getattr(unit_model, spec.label)))).all()
                self.embedder.embed(chunk)
                bump(session, spec)
                session.commit()
                session.expunge_all()
                done += len(chunk)
                advance(len(chunk))
        return done

    def _key(self, unit: object) -> str:
        return text_key(self.embedder.model, self.embedder.text_of(unit))


def bump(session: Session, spec: SideSpec) -> int | None:
    """Bump the side's version in the caller's transaction; returns the new version (None: no row)."""
    version: int | None = session.execute(
        update(IndexVersion).where(IndexVersion.side == str(spec.side))
        .values(version=IndexVersion.version + 1, changed_at=utcnow()).returning(IndexVersion.version)
    ).scalar_one_or_none()
    return version


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def unit_count(session: Session, spec: SideSpec) -> int:
    return session.scalar(select(func.count()).select_from(spec.unit_model)) or 0


def load_profiles(session: Session, spec: SideSpec, ids: Sequence[int]) -> list[Profile]:
    rows = session.scalars(select(spec.model).where(spec.model.id.in_(ids))
                           .options(selectinload(getattr(spec.model, spec.units))))
    return list(rows)  # type: ignore[arg-type]
