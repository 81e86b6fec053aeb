"""Versioned ranker models on disk, which one is active, and the switch a running service notices.

A model is a JSON file `$MATCH_HOME/rankers/<version>.json`: its feature schema, one weight per
feature (a linear model: every served score stays a sum of weight × value; optionally a second set,
`college_weights`, for a college asking), its metrics and a summary of the data it was trained on.
`active` names the model in use (absent: the hand weights); `activations` is the log `rollback` walks
back. The service stats `active` on each request and reloads when it changed, like matching/live.py
does for index versions: no restart.
"""

import json
import os
import re
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from matching.errors import Conflict, NotFound
from matching.ranking import FEATURE_SCHEMA, FEATURES, RANKER_VERSION, RankingSettings, Weights

VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
HAND = RANKER_VERSION  # the version string of the hand weights (no model file)


class SchemaMismatch(Conflict):
    """A model trained on another feature schema than this service computes."""


class RankerModel(BaseModel):
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
    feature_schema: str
    features: list[str]
    weights: dict[str, float]
    college_weights: dict[str, float] | None = Field(None, description="Weights when a college asks for "
                                                     "enterprises, for a model trained per direction (None: "
                                                     "`weights` both ways)")
    list_min_similarity: float | None = Field(None, ge=0, le=1, description="The listing threshold it was "
                                              "evaluated with (None: the service's min_similarity)")
    metrics: dict[str, Any] = Field(default_factory=dict)
    data_summary: dict[str, Any] = Field(default_factory=dict)
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def check_schema(self) -> None:
        if self.feature_schema != FEATURE_SCHEMA or self.features != list(FEATURES):
            raise SchemaMismatch(
                f"ranker {self.version} was trained on feature schema {self.feature_schema!r}, this service computes "
                f"{FEATURE_SCHEMA!r}: train it again with this version (`matchmaker train`)")

    def settings(self, base: RankingSettings) -> RankingSettings:
        """`base` with this model's weights (the thresholds stay the service's)."""
        self.check_schema()
        return base.model_copy(update={
            "weights": Weights(**self.weights),
            "college_weights": None if self.college_weights is None else Weights(**self.college_weights),
            "list_min_similarity": self.list_min_similarity})


class RankerStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def pointer(self) -> Path:
        return self.directory / "active"

    @property
    def log(self) -> Path:
        return self.directory / "activations"

    def path(self, version: str) -> Path:
        return self.directory / f"{version}.json"

    def save(self, model: RankerModel) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(model.version)
        if path.exists():
            raise Conflict(f"ranker {model.version} exists already")
        _write_atomic(path, model.model_dump_json(indent=2))
        return path

    def load(self, version: str) -> RankerModel:
        path = self.path(version)
        if not VERSION.fullmatch(version) or not path.is_file():
            raise NotFound(f"no ranker {version!r} in {self.directory}")
        return RankerModel.model_validate_json(path.read_text())

    def list(self) -> list[RankerModel]:
        if not self.directory.is_dir():
            return []
        models = [RankerModel.model_validate_json(p.read_text()) for p in sorted(self.directory.glob("*.json"))]
        return sorted(models, key=lambda m: (m.created_at, m.version))

    def active_version(self) -> str:
        return self.pointer.read_text().strip() if self.pointer.is_file() else HAND

    def activate(self, version: str) -> RankerModel | None:
        """Make `version` active (HAND: the hand weights); a model of another schema is refused."""
        model = None
        if version != HAND:
            model = self.load(version)
            model.check_schema()
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as log:
            log.write(version + "\n")
        _write_atomic(self.pointer, version + "\n")
        return model

    def rollback(self) -> str:
        """Back to the model active before the current one (the hand weights when none was)."""
        history = self.log.read_text().split() if self.log.is_file() else []
        if not history:
            raise Conflict("nothing to roll back: no ranker was ever activated")
        history.pop()
        previous = history[-1] if history else HAND
        _write_atomic(self.log, "".join(v + "\n" for v in history))
        _write_atomic(self.pointer, previous + "\n")
        return previous


class ActiveRanker:
    """What the service ranks with: the active model's weights, else the hand weights.

    `current()` is called per request: one stat of the pointer file; a changed pointer is read and
    the model loaded. A model of another schema is refused there too: the service keeps ranking
    with what it had and reports the refusal in `error` (shown in /info).
    """

    def __init__(self, store: RankerStore, base: RankingSettings) -> None:
        self.store = store
        self.base = base
        self.version = HAND
        self.model: RankerModel | None = None
        self.settings = base
        self.error: str | None = None
        self._seen: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self.current()

    def current(self) -> RankingSettings:
        try:
            stat = self.store.pointer.stat()
            seen: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            seen = None
        if seen != self._seen:
            with self._lock:
                if seen != self._seen:
                    self._switch(self.store.active_version())
                    self._seen = seen
        return self.settings

    def _switch(self, version: str) -> None:
        if version == HAND:
            self.version, self.model, self.settings, self.error = HAND, None, self.base, None
            return
        try:
            model = self.store.load(version)
            settings = model.settings(self.base)
        except (NotFound, Conflict, ValueError) as exc:
            self.error = str(exc)
            return
        self.version, self.model, self.settings, self.error = version, model, settings, None

    def describe(self) -> dict[str, Any]:
        self.current()
        out: dict[str, Any] = {"version": self.version, "trained": self.model is not None,
                               "feature_schema": FEATURE_SCHEMA, "weights": self.settings.weights.normalised()}
        if self.settings.college_weights is not None:
            out["college_weights"] = self.settings.college_weights.normalised()  # a college asking
        if self.model is not None:
            out["created_at"] = self.model.created_at
            out["metrics"] = self.model.metrics
        if self.error:
            out["refused"] = self.error
        return out


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def model_json(model: RankerModel) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(model.model_dump_json())
    return data
