"""Per-model similarity thresholds, derived from data by training/calibrate.py (thresholds.json)."""

import json
from pathlib import Path

THRESHOLDS_FILE = Path(__file__).resolve().parent / "thresholds.json"
# For a model no calibration covers (any other sentence-transformers model): the MiniLM value, the
# scale of the sentence-transformers family it was tuned on.
FALLBACK = 0.35


def min_similarity(model: str) -> float:
    """The calibrated threshold below which a unit pair of this model is not a match."""
    models = json.loads(THRESHOLDS_FILE.read_text(encoding="utf-8"))["models"]
    entry = models.get(model) or models.get(model.removeprefix("sentence-transformers/"))
    return float(entry["min_similarity"]) if entry else FALLBACK
