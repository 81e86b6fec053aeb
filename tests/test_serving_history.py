"""Serving reads the partnerships table: `partnered` and `collaborative` follow what is declared, at once."""

from typing import Any

from fastapi.testclient import TestClient

from embeddings.encoder import Encoder
from matching.ranking import RankingSettings, Weights
from matching.reference import Reference
from service.app import create_app
from service.settings import Settings
from tests.conftest import college_body, enterprise_body
from tests.test_match_lists_api import ok

Json = dict[str, Any]
Headers = dict[str, str]


def components_of(client: TestClient, path: str, candidate: int, headers: Headers) -> tuple[Json, float]:
    page = ok(client.get(path, headers=headers))
    for s in page["data"]:
        if s["id"] == candidate:
            # The contract that holds whatever the history: contributions add up to the score shown.
            assert abs(sum(c["contribution"] for c in s["components"].values()) - s["score"]) < 1e-9
            return {name: c["value"] for name, c in s["components"].items()}, s["score"]
    raise AssertionError(f"candidate {candidate} not on {path}")


def test_declared_partnerships_feed_partnered_and_collaborative(
    settings: Settings, reference: Reference, encoder: Encoder, admin: Headers
) -> None:
    # Weights that count the history, as a trained model may: the score must move with it.
    weighted = settings.model_copy(update={"ranking": RankingSettings(
        weights=Weights(partnered=0.2, collaborative=0.1), min_similarity=settings.ranking.min_similarity)})
    with TestClient(create_app(weighted, reference, encoder)) as client:
        college = ok(client.post("/colleges", json=college_body(), headers=admin), 201)
        enterprise = ok(client.post("/enterprises", json=enterprise_body(), headers=admin), 201)
        # A second dyeing firm, much like the first, without partnerships of its own.
        twin = ok(client.post("/enterprises", json=enterprise_body(
            name="Korla Cotton Dyeing Works", name_zh="库尔勒棉纺印染厂"), headers=admin), 201)
        mine = f"/enterprises/{enterprise['id']}/matches"
        theirs = f"/enterprises/{twin['id']}/matches"
        before, score_before = components_of(client, mine, college["id"], admin)
        twin_before, _ = components_of(client, theirs, college["id"], admin)
        assert before["partnered"] == 0 and before["collaborative"] == 0 and twin_before["collaborative"] == 0

        declared = ok(client.post("/partnerships", json={
            "college_id": college["id"], "enterprise_id": enterprise["id"], "tie": "formal"}, headers=admin), 201)
        after, score_after = components_of(client, mine, college["id"], admin)
        assert after["partnered"] == 1.0  # a formal tie weighs 1
        assert score_after > score_before
        # The twin's candidate partners with a profile like the twin: collaborative evidence, not a partnership.
        twin_after, _ = components_of(client, theirs, college["id"], admin)
        assert twin_after["partnered"] == 0 and twin_after["collaborative"] > 0.5
        # The other direction reads the same history.
        back, _ = components_of(client, f"/colleges/{college['id']}/matches", enterprise["id"], admin)
        assert back["partnered"] == 1.0

        # Deleting it is seen by the next request; a soft tie weighs half.
        assert client.delete(f"/partnerships/{declared['id']}", headers=admin).status_code == 204
        gone, score_gone = components_of(client, mine, college["id"], admin)
        assert gone["partnered"] == 0 and gone["collaborative"] == 0 and abs(score_gone - score_before) < 1e-4
        ok(client.post("/partnerships", json={
            "college_id": college["id"], "enterprise_id": enterprise["id"], "tie": "soft"}, headers=admin), 201)
        soft, _ = components_of(client, mine, college["id"], admin)
        assert soft["partnered"] == 0.5

        live = client.app.state.matchmaker.live  # type: ignore[attr-defined]
        builds = live.partners.builds
        components_of(client, mine, college["id"], admin)
        assert live.partners.builds == builds  # nothing changed: the History is reused, not rebuilt
