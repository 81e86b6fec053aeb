"""`matchmaker train` on the service's own outcomes: which events become positives and negatives, logged
feature vectors used as logged (point-in-time), counts per source, and a clear refusal with too little data."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from embeddings.encoder import Encoder
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.embedding import Embedder
from matching.history import History
from matching.live import LiveIndex
from matching.outcomes import read
from matching.rankers import RankerStore
from matching.ranking import FEATURES
from matching.reference import Reference
from matching.vocab import Side
from service.cli import app
from service.settings import Settings
from tests.conftest import college_body
from tests.test_cli import runner
from tests.test_match_lists_api import XINJIANG, all_entries, create_list, decide, ok, seed
from training import outcome_rows
from training.labelled_pairs import generate_labelled
from training.outcome_rows import COLLEGE_GROUP, ENTERPRISE_GROUP
from training.served import SERVED
from training.train import NotEnoughData, train

Json = dict[str, Any]


def logged_features(engine: Engine, impression_id: int, candidate: int) -> np.ndarray:
    with make_sessionmaker(engine)() as session:
        for imp in read.iter_impressions(session):
            if imp.id == impression_id:
                item = next(i for i in imp.items if i.candidate_id == candidate)
                return np.array([item.features[f] for f in FEATURES])
    raise AssertionError(f"impression {impression_id} not stored")


def loaded(engine: Engine, encoder: Encoder, reference: Reference) -> LiveIndex:
    live = LiveIndex(Embedder(encoder, reference.catalogue), None)
    with make_sessionmaker(engine)() as session:
        live.load(session)
    return live


def test_outcomes_become_labelled_rows_with_logged_features(
    client: TestClient, admin: dict[str, str], engine: Engine, db_url: str, encoder: Encoder,
    reference: Reference, settings: Settings, tmp_path: Path,
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the dataset builder reads through the same SQLAlchemy code on both; tested on SQLite")
    w = seed(client, admin)
    c, e = w.colleges, w.enterprises
    writer = client.app.state.matchmaker.impressions  # type: ignore[attr-defined]
    # Tarim's HR is shown colleges, shortlists Korla and dismisses Aksu, naming the page.
    tarim = f"/enterprises/{e['tarim']['id']}"
    page = ok(client.get(f"{tarim}/matches", headers=admin))
    shown = {s["id"] for s in page["data"]}
    assert {c["korla"]["id"], c["aksu"]["id"]} <= shown
    ok(client.post(f"{tarim}/matches/{c['korla']['id']}/feedback",
                   json={"action": "shortlisted", "impression_id": page["impression_id"]}, headers=admin), 201)
    ok(client.post(f"{tarim}/matches/{c['aksu']['id']}/feedback",
                   json={"action": "dismissed", "reason": "too_far", "impression_id": page["impression_id"]},
                   headers=admin), 201)
    assert writer.flush()
    logged_korla = logged_features(engine, page["impression_id"], c["korla"]["id"])
    # Korla changes after it was shown: training must keep what was served, not recompute it.
    ok(client.put(f"/colleges/{c['korla']['id']}", json=college_body(
        city="Kashgar", specialties=[{"name": "Elderly care", "annual_graduates": 10}],
        cooperation_modes=["employment"]), headers=admin))
    # A partnership declared, its pair never shown to the college asking (features computed now).
    ok(client.post("/partnerships", json={"college_id": c["urumqi"]["id"], "enterprise_id": e["zibo"]["id"],
                                          "tie": "soft"}, headers=admin), 201)
    # A program manager's match list: one accepted entry, one rejected (its build logged match_list pages).
    lst = create_list(w, XINJIANG)
    first, second = all_entries(w, lst["id"])[:2]
    decide(w, lst["id"], first["id"], "accept")
    decide(w, lst["id"], second["id"], "reject", reason="too far for internships")
    assert writer.flush()

    live = loaded(engine, encoder, reference)
    with make_sessionmaker(engine)() as session:
        data = outcome_rows.build(session, live, settings.ranking)
    groups = {r.query: r for r in data.rows}
    tarim_rows = groups[e["tarim"]["id"] + ENTERPRISE_GROUP]
    label = dict(zip(tarim_rows.candidates.tolist(), tarim_rows.y.tolist(), strict=True))
    assert label[c["korla"]["id"]] > 0 and label[c["aksu"]["id"]] == 0
    korla = tarim_rows.candidates.tolist().index(c["korla"]["id"])
    assert data.logged[tarim_rows.query][korla]
    np.testing.assert_array_equal(tarim_rows.X[korla], logged_korla)  # as logged, to the bit
    enterprises, colleges = live.pools[Side.ENTERPRISES], live.pools[Side.COLLEGES]
    now = outcome_rows._score_now(enterprises, colleges, e["tarim"]["id"], True, History(), settings.ranking,
                                  enterprises.stats)
    assert not np.allclose(now[c["korla"]["id"]], logged_korla)  # ... which differs from today's features
    # The partnership: a positive (soft: 0.5) for the college asking, scored now with every candidate.
    urumqi_rows = groups[c["urumqi"]["id"] + COLLEGE_GROUP]
    at = urumqi_rows.candidates.tolist().index(e["zibo"]["id"])
    assert urumqi_rows.y[at] == 0.5 and not data.logged[urumqi_rows.query].any()
    assert urumqi_rows.X[at][FEATURES.index("partnered")] == 0  # the label is not a feature
    # The manager's decisions, for the enterprise asking.
    accepted = groups[first["enterprise_id"] + ENTERPRISE_GROUP]
    decided = dict(zip(accepted.candidates.tolist(), accepted.y.tolist(), strict=True))
    assert decided[first["college_id"]] == 1.0
    events = data.summary["events"]
    assert events["partnerships"] == 1 and events["decisions accepted"] == 1 and events["decisions rejected"] == 1
    assert events["feedback shortlisted"] == 1 and events["feedback dismissed"] == 1
    assert events["impressions"] >= 2
    rows = data.summary["rows"]
    assert rows["rows: feedback positive, logged features"] == 1
    # Tarim–Aksu was dismissed, then rejected in the list: one negative, decided by the later event.
    assert (second["enterprise_id"], second["college_id"]) == (e["tarim"]["id"], c["aksu"]["id"])
    assert rows["rows: decision negative, logged features"] == 1
    assert rows["rows: decision positive, logged features"] == 1
    assert rows["rows: partnership positive, features computed now"] >= 1

    # Training on them writes a model whose summary counts each source.
    store = RankerStore(tmp_path / "rankers")
    with make_sessionmaker(engine)() as session:
        model = train(store, encoder, reference, session=session, live=live, folds=2, version="outcomes-1",
                      config=settings.ranking)
    assert store.load("outcomes-1").data_summary["outcomes"] == data.summary
    assert {r["method"] for r in model.metrics["held_out"] if r["direction"] == "outcomes (both)"} == {
        "trained", "hand weights"}
    assert abs(sum(model.weights.values()) - 1) < 1e-9
    # Beside a (small) synthetic labelled set, the two worlds weighing the same: counted, and it moves the weights.
    labelled = generate_labelled(n_pairs=20, n_distractor_colleges=10, n_distractor_enterprises=10, seed=11)
    with make_sessionmaker(engine)() as session:
        both = train(store, encoder, reference, session=session, live=live, folds=2, version="outcomes-2",
                     config=settings.ranking, synthetic=labelled, synthetic_seed=11)
    assert both.data_summary["synthetic"] | {"queries": 0} == {
        "seed": 11, "colleges": 26, "enterprises": 24, "pairs": 20, "queries": 0,
        "share": SERVED.synthetic_share, "dropped": ["collaborative", "partnered"], "alpha": SERVED.alpha}
    assert both.data_summary["synthetic"]["queries"] > 20  # both directions
    # One weight vector per asking side (training/served.py), neither weighing the history features.
    assert both.college_weights is not None and both.college_weights != both.weights != model.weights
    for weights in (both.weights, both.college_weights):
        assert abs(sum(weights.values()) - 1) < 1e-9 and weights["collaborative"] == weights["partnered"] == 0
    with make_sessionmaker(engine)() as session, pytest.raises(NotEnoughData, match="not enough outcomes"):
        train(store, encoder, reference, session=session, live=live, folds=len(data.rows) + 1)


def test_train_with_too_little_data_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.settings import get_settings

    monkeypatch.setenv("MATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MATCH_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        upgrade(make_engine(get_settings().db_url))
        result = runner.invoke(app, ["train"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "not enough outcomes to train" in result.output and "--dev-set" in result.output
    assert "Traceback" not in result.output and result.exception is not None and isinstance(
        result.exception, SystemExit)
