"""Match lists' default min_score is derived per model from data (training/calibrate_lists.py), as
min_similarity is: per embedding model from the committed calibration, per ranker from its weights."""

import json

import numpy as np
import pytest

from embeddings.encoder import E5, MINILM, USE
from embeddings.thresholds import FALLBACK_MIN_SCORE, LIST_SCORES_FILE, list_score_features, min_score, reached_by
from matching.rankers import RankerModel
from matching.ranking import FEATURE_SCHEMA, FEATURES, RankingSettings, Weights, calibrated, list_min_score
from training.calibrate_lists import REFERENCE_MIN_SCORE, REFERENCE_MODEL

DATA = json.loads(LIST_SCORES_FILE.read_text(encoding="utf-8"))
HAND = RankingSettings().weights.normalised()


def test_the_stored_pairs_are_scored_with_the_features_the_service_computes() -> None:
    assert tuple(list_score_features()) == FEATURES  # a new feature schema: run `python -m training.calibrate_lists`
    assert set(DATA["models"]) == {E5, MINILM, USE}
    for entry in DATA["models"].values():
        pairs = np.asarray(entry["pairs"])
        assert pairs.shape == (entry["usable_pairs"], len(FEATURES)) and 100 <= len(pairs) <= entry["true_pairs"]


@pytest.mark.parametrize("model", [E5, MINILM, USE])
def test_each_models_default_keeps_the_references_share_of_true_pairs(model: str) -> None:
    scores = np.asarray(DATA["models"][model]["pairs"]) @ np.array([HAND[f] for f in FEATURES])
    reference = np.asarray(DATA["models"][REFERENCE_MODEL]["pairs"]) @ np.array([HAND[f] for f in FEATURES])
    share = float((reference >= REFERENCE_MIN_SCORE).mean())
    assert DATA["share"] == pytest.approx(share)
    threshold = min_score(model, HAND)
    assert threshold == DATA["models"][model]["min_score"]
    assert (scores >= threshold).mean() >= share  # the share reaches it ...
    assert (scores >= threshold + 0.001).mean() < share  # ... and not a higher one (to the 0.001 served)
    if model == REFERENCE_MODEL:  # the reference keeps exactly the pairs 0.3 kept
        assert np.array_equal(scores >= threshold, scores >= REFERENCE_MIN_SCORE)


def test_the_scales_differ_so_the_defaults_do() -> None:
    defaults = {model: min_score(model, HAND) for model in (E5, MINILM, USE)}
    assert len(set(defaults.values())) == 3, defaults
    assert min_score("some/other-sentence-transformer", HAND) == FALLBACK_MIN_SCORE


def test_a_trained_rankers_weights_get_their_own_default_from_the_same_pairs() -> None:
    weights = {f: (1.0 if f in ("semantic", "same_province") else 0.0) for f in FEATURES}
    model = RankerModel(version="t", feature_schema=FEATURE_SCHEMA, features=list(FEATURES), weights=weights)
    base = calibrated(RankingSettings(), USE)
    served = model.settings(base)  # what the service ranks with once the model is active
    pairs = np.asarray(DATA["models"][USE]["pairs"])
    expected = reached_by(pairs @ np.array([weights[f] / 2 for f in FEATURES]), DATA["share"])
    assert list_min_score(served) == expected != list_min_score(base) == min_score(USE, HAND)


def test_the_operator_may_set_it() -> None:
    assert list_min_score(calibrated(RankingSettings(match_list_min_score=0.45), USE)) == 0.45
    assert list_min_score(RankingSettings()) == FALLBACK_MIN_SCORE  # never calibrated: the reference value
    assert list_min_score(calibrated(RankingSettings(min_similarity=0.2), E5)) == min_score(E5, HAND)
    assert Weights().normalised() == HAND
