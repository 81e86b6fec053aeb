"""The trained ranker: estimator contract, contributions, the model store, switch and rollback on a live
app, schema refusal, and grouped folds that never leak a query."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GroupKFold

from embeddings.encoder import Encoder
from matching.errors import Conflict
from matching.rankers import HAND, ActiveRanker, RankerModel, RankerStore, SchemaMismatch
from matching.ranking import FEATURE_SCHEMA, FEATURES, Weights
from matching.reference import Reference
from service.app import create_app
from service.settings import Settings
from tests.conftest import college_body, enterprise_body
from training import devset
from training.dev_eval import DIRECTIONS, evaluate_dev, import_devset
from training.ranker import PairwiseLinearRanker

DEV = Path("/work/shared/data/partnerships_dev.jsonl")


def _planted(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """40 queries of 30 candidates; the partner is the row with the highest 2·x0 + x3 (x1, x2 noise)."""
    rng = np.random.default_rng(seed)
    X = rng.random((40 * 30, 4))
    groups = np.repeat(np.arange(40), 30)
    y = np.zeros(len(X))
    for g in range(40):
        rows = np.flatnonzero(groups == g)
        y[rows[np.argmax(2 * X[rows, 0] + X[rows, 3])]] = 1.0
    return X, y, groups


def test_estimator_contract_and_learning() -> None:
    X, y, groups = _planted()
    est = PairwiseLinearRanker(alpha=1e-4)
    assert clone(est).get_params() == est.get_params() == {"alpha": 1e-4, "max_pairs_per_query": 2000,
                                                           "random_state": 0}
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert est.fit(X, y, groups) is est
    assert est.coef_.min() >= 0 and abs(est.coef_.sum() - 1) < 1e-12 and est.n_features_in_ == 4
    # the planted features outweigh the noise, x0 the most
    assert est.coef_[0] > est.coef_[3] > max(est.coef_[1], est.coef_[2])
    assert np.allclose(est.contributions(X).sum(axis=1), est.predict(X))
    with pytest.raises(ValueError):
        est.predict(X[:, :3])  # another number of features


def test_sample_weight_balances_sets_that_disagree() -> None:
    # Two "worlds": in the first the partner maximises x0, in the second x3 (as dev and synthetic disagree).
    X, y, groups = _planted()
    rng = np.random.default_rng(1)
    X2 = rng.random(X.shape)
    y2 = np.zeros(len(X2))
    for g in range(40):
        rows = np.flatnonzero(groups == g)
        y2[rows[np.argmax(X2[rows, 3])]] = 1.0
    both_X, both_y, both_g = np.vstack([X, X2]), np.concatenate([y, y2]), np.concatenate([groups, groups + 40])
    only_first = np.concatenate([np.ones(len(y)), np.zeros(len(y2))])
    first = PairwiseLinearRanker(alpha=1e-4).fit(both_X, both_y, both_g, sample_weight=only_first).coef_
    assert np.allclose(first, PairwiseLinearRanker(alpha=1e-4).fit(X, y, groups).coef_, atol=1e-6)
    second = PairwiseLinearRanker(alpha=1e-4).fit(both_X, both_y, both_g, sample_weight=1 - only_first).coef_
    assert second[3] > second[0]  # the weight follows the set that counts
    with pytest.raises(ValueError, match="sample_weight"):
        PairwiseLinearRanker().fit(X, y, groups, sample_weight=-np.ones(len(y)))


def test_a_feature_that_never_differs_within_a_pair_weighs_nothing() -> None:
    # x1 is the same for every candidate of a query (as `collaborative` is 0 everywhere without history):
    # no evidence either way, so weight 0, not whatever the optimiser started from.
    X, y, groups = _planted()
    X[:, 1] = groups % 3
    coef = PairwiseLinearRanker(alpha=1e-7).fit(X, y, groups).coef_  # a weak penalty barely pulls it down
    assert coef[1] == 0.0 and coef[0] > coef[3] > 0 and abs(coef.sum() - 1) < 1e-12


def _model(version: str, weights: dict[str, float] | None = None, schema: str = FEATURE_SCHEMA) -> RankerModel:
    return RankerModel(version=version, feature_schema=schema, features=list(FEATURES),
                       weights=weights or {f: 1.0 for f in FEATURES})


def test_store_activates_rolls_back_and_refuses_another_schema(tmp_path: Path) -> None:
    store = RankerStore(tmp_path)
    store.save(_model("a"))
    store.save(_model("b"))
    store.save(_model("old", schema="features-0:semantic"))
    with pytest.raises(Conflict):
        store.save(_model("a"))
    assert store.active_version() == HAND
    store.activate("a")
    store.activate("b")
    assert store.active_version() == "b"
    with pytest.raises(SchemaMismatch, match="feature schema"):
        store.activate("old")
    assert store.active_version() == "b"  # a refused model changes nothing
    assert store.rollback() == "a" and store.rollback() == HAND
    with pytest.raises(Conflict):
        store.rollback()
    # a pointer written by hand to a model of another schema: the service keeps what it had and says why
    base = Settings().ranking
    active = ActiveRanker(store, base)
    (tmp_path / "active").write_text("old\n")
    assert active.current() is base and active.version == HAND and "feature schema" in (active.error or "")


def _scores_add_up(page: dict[str, Any], weights: dict[str, float]) -> None:
    for s in page["data"]:
        assert abs(sum(c["contribution"] for c in s["components"].values()) - s["score"]) < 1e-9
        for name, c in s["components"].items():
            assert abs(c["weight"] - weights[name]) <= 5e-5  # served to 4 decimals


def _empty_service(tmp_path: Path) -> tuple[Settings, dict[str, str], RankerStore]:
    """Settings of an empty service in tmp_path, an admin's headers for it, and its model store."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", home=tmp_path / "home", load_sample=False)
    from matching.db import make_engine, make_sessionmaker, upgrade
    from matching.keys import create_key
    from matching.vocab import Role

    engine = make_engine(settings.db_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        _, secret = create_key(session, Role.ADMIN)
    engine.dispose()
    return settings, {"Authorization": f"Bearer {secret}"}, RankerStore(settings.rankers_path)


def test_switch_and_rollback_on_a_running_app(tmp_path: Path, reference: Reference, encoder: Encoder) -> None:
    settings, admin, store = _empty_service(tmp_path)
    # a model that weighs place alone: the order of two equally fitting colleges flips towards the near one
    place = {f: 0.0 for f in FEATURES} | {"same_city": 1.0, "semantic": 0.01}
    store.save(_model("place", place))
    with TestClient(create_app(settings, reference, encoder)) as client:
        near = client.post("/colleges", json=college_body(name="Near College", city="Korla"), headers=admin).json()
        far = client.post("/colleges", json=college_body(name="Far College", city="Urumqi", province="Xinjiang"),
                          headers=admin).json()
        ent = client.post("/enterprises", json=enterprise_body(), headers=admin).json()
        url = f"/enterprises/{ent['id']}/matches"
        hand = client.get(url, headers=admin).json()
        assert client.get("/info", headers=admin).json()["ranker"]["version"] == HAND
        store.activate("place")
        info = client.get("/info", headers=admin).json()["ranker"]
        assert info["version"] == "place" and info["trained"] is True
        switched = client.get(url, headers=admin).json()
        total = sum(place.values())
        _scores_add_up(switched, {f: w / total for f, w in place.items()})
        assert switched["data"][0]["id"] == near["id"]
        assert switched["data"][0]["components"]["same_city"]["value"] == 1.0
        assert "In the same city" in switched["data"][0]["reasons"]
        by_id = {s["id"]: s["components"] for s in switched["data"]}
        for c in by_id.values():  # both Xinjiang; a higher vocational college for 40 technicians and 12 unlevelled
            assert c["same_province"]["value"] == 1.0
            assert abs(c["kind_level"]["value"] - (40 * 1.0 + 12 * 0.5) / 52) <= 5e-5  # 4 decimals
            assert c["partnered"]["value"] == c["collaborative"]["value"] == 0.0  # no partnership declared
        assert by_id[far["id"]]["same_city"]["value"] == 0.0
        assert all("In the same city" not in r for s in hand["data"] for r in s["reasons"])  # weight 0: silent
        assert {s["id"] for s in switched["data"]} == {near["id"], far["id"]}
        assert [s["score"] for s in switched["data"]] != [s["score"] for s in hand["data"]]
        store.rollback()
        assert client.get("/info", headers=admin).json()["ranker"]["version"] == HAND
        back = client.get(url, headers=admin).json()
        # every page served is a new impression; all else is the hand weights' page again
        assert back.pop("impression_id") != hand.pop("impression_id")
        assert back == hand


def test_a_model_per_direction_serves_each_asker_its_weights(tmp_path: Path, reference: Reference,
                                                             encoder: Encoder) -> None:
    settings, admin, store = _empty_service(tmp_path)
    # enterprises asking rank by place, colleges asking by the text alone
    place = {f: 0.0 for f in FEATURES} | {"same_city": 1.0, "semantic": 0.01}
    text = {f: 0.0 for f in FEATURES} | {"semantic": 0.5, "keywords": 0.5}
    store.save(RankerModel(version="both", feature_schema=FEATURE_SCHEMA, features=list(FEATURES), weights=place,
                           college_weights=text, list_min_similarity=0.0))
    store.activate("both")
    with TestClient(create_app(settings, reference, encoder)) as client:
        college = client.post("/colleges", json=college_body(), headers=admin).json()
        client.post("/colleges", json=college_body(name="Far College", city="Urumqi"), headers=admin)
        ent = client.post("/enterprises", json=enterprise_body(), headers=admin).json()
        client.post("/enterprises", json=enterprise_body(name="Far Dyeing Co", city="Urumqi"), headers=admin)
        info = client.get("/info", headers=admin).json()["ranker"]
        assert info["weights"]["same_city"] > 0.99 and info["college_weights"] == pytest.approx(text)
        for url, weights in ((f"/enterprises/{ent['id']}/matches", {f: w / 1.01 for f, w in place.items()}),
                             (f"/colleges/{college['id']}/matches", text)):
            page = client.get(url, headers=admin).json()
            assert len(page["data"]) == 2
            _scores_add_up(page, weights)
        near_first = client.get(f"/enterprises/{ent['id']}/matches", headers=admin).json()["data"]
        assert [s["components"]["same_city"]["value"] for s in near_first] == [1.0, 0.0]
    # a model without college_weights (written before them) ranks both directions with `weights`
    single = RankerModel.model_validate_json(_model("single").model_dump_json(exclude={"college_weights"}))
    ranking = single.settings(settings.ranking)
    assert single.college_weights is None and ranking.weights_for(False) == ranking.weights_for(True) == Weights(
        **single.weights)


@pytest.mark.skipif(not DEV.exists(), reason="the dev set is not on this machine")
def test_grouped_folds_never_leak_a_query(tmp_path: Path, reference: Reference, encoder: Encoder) -> None:
    records = devset.read_records(DEV)[:60]
    dev = devset.build(records)
    pools = import_devset(dev, encoder, reference, tmp_path)
    evaluation = evaluate_dev(dev, pools, encoder, folds=3)
    for direction in DIRECTIONS:
        tests = evaluation.test_queries[direction]
        trains = evaluation.train_queries[direction]
        for train, test in zip(trains, tests, strict=True):
            assert not set(train) & set(test)
        assert sorted(q for t in tests for q in t) == sorted({q for t in tests for q in t})  # each query once
    methods = {r["method"] for r in evaluation.summary()}
    assert methods == {"trained", "hand weights", "hand weights, every candidate", "BM25 (bm25s)",
                       "dense (one vector per profile)"}
    for weights in evaluation.weights[DIRECTIONS[0]]:
        assert abs(sum(weights.values()) - 1) < 1e-9 and min(weights.values()) >= 0
    assert json.dumps(evaluation.summary())  # plain data for the artifact


def test_group_kfold_is_what_splits() -> None:
    # a direct check of the splitter's contract the evaluation relies on
    groups = np.repeat(np.arange(12), 3)
    for train, test in GroupKFold(n_splits=4).split(groups, groups=groups):
        assert not set(groups[train]) & set(groups[test])
