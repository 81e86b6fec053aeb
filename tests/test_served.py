"""The served recipe (training/served.py): a weight vector per direction, each with its own share of the two
sets and no history features, judged on outer dev folds and on held-out sets as a fresh service serves it."""

import json
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import Encoder
from matching.rankers import RankerStore
from matching.ranking import FEATURES, RankingSettings, calibrated
from matching.reference import Reference
from training import devset
from training.dev_eval import DIRECTIONS, dev_rows, fit
from training.evaluate import semantic_only
from training.joint import as_devset, load_part
from training.labelled_pairs import generate_labelled
from training.outcome_rows import COLLEGE_GROUP, ENTERPRISE_GROUP
from training.paired import PairedDifference
from training.served import (
    HISTORY,
    SERVED,
    Recipe,
    choose_per_direction,
    direction_of,
    evaluate_recipe,
    fit_recipe,
    served_settings,
    tune,
    without,
)
from training.train import SYNTHETIC_GROUP, train


def test_direction_of_every_kind_of_group() -> None:
    assert direction_of(5) == direction_of(5 + SYNTHETIC_GROUP) == direction_of(ENTERPRISE_GROUP + 7) == DIRECTIONS[0]
    assert direction_of(1_000_005) == direction_of(1_000_005 + SYNTHETIC_GROUP) == DIRECTIONS[1]
    assert direction_of(COLLEGE_GROUP + 7) == DIRECTIONS[1]


def test_recipe_per_direction_and_its_report(encoder: Encoder, reference: Reference, tmp_path: Path) -> None:
    config = calibrated(RankingSettings(), encoder.name)
    parts = []
    for name, seed in (("dev", 11), ("synthetic", 13), ("held out", 17)):
        (tmp_path / name).mkdir()
        labelled = generate_labelled(n_pairs=24, n_distractor_colleges=10, n_distractor_enterprises=10, seed=seed)
        parts.append(load_part(name, as_devset(labelled), encoder, reference, tmp_path / name))
    dev, synthetic, held_out = parts
    real, other = dev_rows(dev.dev, dev.pools, config), dev_rows(synthetic.dev, synthetic.pools, config)
    for r in other:
        r.query += SYNTHETIC_GROUP
    for r in real:  # history as a service with partnerships would have it: the recipe must not use it
        r.X[:, FEATURES.index("collaborative")] = np.random.default_rng(r.query).random(len(r.y))
    recipe = Recipe(alpha=1e-4, synthetic_share={DIRECTIONS[0]: 0.0, DIRECTIONS[1]: 0.5})
    weights = fit_recipe(real, other, recipe)
    # the same without the synthetic set's group offset: two sets' queries of the same id are still apart
    for r in other:
        r.query -= SYNTHETIC_GROUP
    again = fit_recipe(real, other, recipe)
    assert all(np.allclose(again[d], weights[d], atol=1e-12) for d in DIRECTIONS)
    for coef in weights.values():
        assert abs(coef.sum() - 1) < 1e-9 and all(coef[FEATURES.index(f)] == 0 for f in HISTORY)
    # share 0: enterprise -> colleges is the real set's model of that direction alone
    alone = fit(without([r for r in real if direction_of(r.query) == DIRECTIONS[0]], HISTORY), 1e-4).coef_
    assert np.allclose(weights[DIRECTIONS[0]], alone, atol=1e-9)
    assert not np.allclose(weights[DIRECTIONS[0]], weights[DIRECTIONS[1]], atol=1e-3)
    served = served_settings(config, weights)
    assert served.listing_similarity == 0.0
    for is_enterprise, direction in ((True, DIRECTIONS[0]), (False, DIRECTIONS[1])):
        normalised = served.weights_for(is_enterprise).normalised()
        assert np.allclose([normalised[f] for f in FEATURES], weights[direction])
        # training.evaluate's "semantic feature only" variant is that for both askers
        assert semantic_only(served).weights_for(is_enterprise).normalised()["semantic"] == 1.0

    report = evaluate_recipe(dev, synthetic, [held_out], config, recipe, folds=2)
    rows = report.rows()
    assert [(r["set"].split(",")[0], r["direction"], r["against"]) for r in rows] == [
        ("dev", d, "BM25") for d in DIRECTIONS] + [("synthetic", d, "hand weights") for d in DIRECTIONS]
    askers = {DIRECTIONS[0]: {e for _, e, _ in dev.dev.pairs}, DIRECTIONS[1]: {c for c, _, _ in dev.dev.pairs}}
    held_askers = {DIRECTIONS[0]: {e for _, e, _ in held_out.dev.pairs},
                   DIRECTIONS[1]: {c for c, _, _ in held_out.dev.pairs}}
    for row in rows:  # every asker of a direction once: the dev set's over its folds, the held-out set's
        expected = askers if row["set"].startswith("dev") else held_askers
        assert row["queries"] == len(expected[row["direction"]])
        assert row["ci95"][0] <= row["difference"] <= row["ci95"][1]
        assert 0 <= row["recall@10"] <= 1 and row["fold sd"] is not None
    for comparison in list(report.dev.values()) + list(report.synthetic.values()):
        assert len(comparison.per_fold) == 2
    for direction in DIRECTIONS:
        assert abs(sum(report.weights[direction].values()) - 1) < 1e-3
        assert report.weights[direction]["collaborative"] == report.weights[direction]["partnered"] == 0
    assert len(report.table().splitlines()) == 2 + 4

    grid = tune(dev, synthetic, [held_out], config, alphas=(1e-4,), shares=(0.0, 0.5), folds=2, inner=2)
    assert [(r["alpha"], r["share"]) for r in grid] == [(1e-4, 0.0), (1e-4, 0.5)]
    for setting in grid:
        for d in DIRECTIONS:
            ci = setting[d]["tuning sets vs hand"]
            assert ci.queries == len(held_askers[d]) and ci.low <= ci.mean <= ci.high
            assert -1 <= setting[d]["dev inner margin over BM25"] <= 1


def test_choose_per_direction_takes_the_best_tuning_margin_above_the_dev_floor() -> None:
    def cell(dev: float, tuning: float) -> dict[str, object]:
        return {"dev inner margin over BM25": dev, "tuning sets vs hand": PairedDifference(tuning, tuning, tuning, 9)}

    e, c = DIRECTIONS
    grid = [{"alpha": 1e-5, "share": 0.5, e: cell(0.20, -0.02), c: cell(0.11, 0.05)},
            {"alpha": 1e-5, "share": 0.8, e: cell(0.13, 0.01), c: cell(0.13, -0.01)},
            {"alpha": 1e-4, "share": 0.9, e: cell(0.05, 0.04), c: cell(0.12, -0.03)}]
    # enterprise -> colleges: 0.9 has the best tuning margin but misses the dev floor; college -> enterprises:
    # 0.5's margin is best but its dev margin is below 0.12
    assert choose_per_direction(grid) == {e: (1e-5, 0.8), c: (1e-5, 0.8)}
    assert choose_per_direction(grid, dev_floor=0.10) == {e: (1e-5, 0.8), c: (1e-5, 0.5)}
    # tuning margins closer than 0.001 are a tie: the larger dev margin wins
    grid.append({"alpha": 1e-5, "share": 0.9, e: cell(0.125, 0.0104), c: cell(0.12, -0.0096)})
    assert choose_per_direction(grid) == {e: (1e-5, 0.8), c: (1e-5, 0.8)}


DEV = Path("/work/shared/data/partnerships_dev.jsonl")


@pytest.mark.skipif(not DEV.exists(), reason="the dev set is not on this machine")
def test_train_with_the_dev_set_and_a_labelled_set_writes_the_recipe(encoder: Encoder, reference: Reference,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in devset.read_records(DEV)[:60]))
    labelled = generate_labelled(n_pairs=20, n_distractor_colleges=10, n_distractor_enterprises=10, seed=11)
    store = RankerStore(tmp_path / "rankers")
    model = train(store, encoder, reference, path, folds=2, version="both-1",
                  config=calibrated(RankingSettings(), encoder.name), synthetic=labelled, synthetic_seed=11)
    assert store.load("both-1") == model and model.college_weights is not None
    assert model.list_min_similarity == 0.0 and model.metrics["alpha"] == SERVED.alpha
    held = {(r["direction"], r["method"]) for r in model.metrics["held_out"]}
    # the served recipe's outer dev folds are its "trained" rows (what `ranker list` shows); the dev-only
    # model of training.dev_eval keeps its figures under another name
    assert {d for d, m in held if m == "trained"} == {f"dev, outer folds: {d}" for d in DIRECTIONS}
    assert {(d, "trained on the dev set alone") for d in DIRECTIONS} <= held
    for r in model.metrics["held_out"]:
        if r["method"] == "trained":
            assert r["difference"] == pytest.approx(r["recall@10"] - r["BM25"])
            assert r["difference ci95"][0] <= r["difference"] <= r["difference ci95"][1]
