"""Per-model thresholds derived from data: unit-pair similarity (training/calibrate.py, thresholds.json) and
the match lists' default min_score (training/calibrate_lists.py, list_scores.json)."""

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

THRESHOLDS_FILE = Path(__file__).resolve().parent / "thresholds.json"
LIST_SCORES_FILE = Path(__file__).resolve().parent / "list_scores.json"
# For a model no calibration covers (any other sentence-transformers model): the MiniLM value, the
# scale of the sentence-transformers family it was tuned on.
FALLBACK = 0.35
FALLBACK_MIN_SCORE = 0.3  # likewise: the value match lists were tuned with (MiniLM, hand weights)


def min_similarity(model: str) -> float:
    """The calibrated threshold below which a unit pair of this model is not a match."""
    models = json.loads(THRESHOLDS_FILE.read_text(encoding="utf-8"))["models"]
    entry = models.get(model) or models.get(model.removeprefix("sentence-transformers/"))
    return float(entry["min_similarity"]) if entry else FALLBACK


def reached_by(best: np.ndarray, share: float) -> float:
    """The highest value (rounded down to 0.001, as served) that at least `share` of `best` reach."""
    if not len(best):
        raise ValueError("no values to take a share of")
    k = max(1, int(np.ceil(share * len(best) - 1e-9)))
    return float(np.floor(np.sort(best)[::-1][k - 1] * 1000) / 1000)


@lru_cache(maxsize=1)
def _list_scores() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(LIST_SCORES_FILE.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=64)
def _min_score(model: str, weights: tuple[tuple[str, float], ...]) -> float:
    data = _list_scores()
    entry = data["models"].get(model) or data["models"].get(model.removeprefix("sentence-transformers/"))
    if not entry or not entry["pairs"]:
        return FALLBACK_MIN_SCORE
    given = dict(weights)
    total = sum(given.values()) or 1.0
    w = np.array([given.get(f, 0.0) / total for f in data["features"]])
    return reached_by(np.asarray(entry["pairs"], np.float64) @ w, float(data["share"]))


def min_score(model: str, weights: Mapping[str, float]) -> float:
    """A match list's default min_score for this embedding model and these ranker weights: the highest
    score that the calibrated share of the model's usable true pairs reach when scored with `weights`
    (the pairs' feature vectors are stored: a trained ranker's default needs no calibration of its own)."""
    return _min_score(model, tuple(sorted((str(k), float(v)) for k, v in weights.items())))


def list_score_features() -> Sequence[str]:
    """The features the stored pairs were computed with (a test checks they are the service's)."""
    return tuple(_list_scores()["features"])
