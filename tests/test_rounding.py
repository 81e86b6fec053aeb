"""Scores and their parts carry 4 decimals in responses, and the contributions still add up to the score shown.

On the embedded sample, through the real app: both matches endpoints, search and a match list's entries
and near misses. Rounding is at serialisation only, so the order and the exact values used to rank are
unchanged: each response is compared with the same suggestions computed in memory.
"""

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from embeddings.encoder import Encoder
from matching import keys
from matching.db import make_engine, make_sessionmaker
from matching.reference import Reference
from matching.rounding import parts_of
from matching.suggest import MatchFilter, profile_query, suggest
from matching.vocab import Role
from service.app import create_app
from service.settings import Settings
from tests.sampledb import sample_copy

FIVE_DECIMALS = re.compile(r"\d\.\d{5,}")
ROUNDED_KEYS = {"score", "value", "weight", "contribution", "similarity", "keyword_overlap", "asker_view",
                "candidate_view", "combined", "coverage"}


@given(st.lists(st.floats(0, 1), min_size=1, max_size=12), st.floats(-1e-9, 1e-9))
def test_parts_add_up_to_the_rounded_total(parts: list[float], clamp: float) -> None:
    """`clamp`: a score clamped into [0, 1] differs from the sum of its parts by float noise at most."""
    for total in (math.fsum(parts), max(0.0, math.fsum(parts) + clamp)):
        rounded = parts_of(parts, total)
        assert all(round(r * 10_000) == pytest.approx(r * 10_000, abs=1e-6) for r in rounded)  # whole 1e-4 units
        assert math.fsum(rounded) == pytest.approx(round(total, 4), abs=1e-9)
        assert all(abs(r - p) <= 2e-4 + 1e-12 for r, p in zip(rounded, parts, strict=True))
        if total == math.fsum(parts):
            assert all(abs(r - p) <= 1e-4 + 1e-12 for r, p in zip(rounded, parts, strict=True))


def test_parts_of_known_case() -> None:
    # 0.33335 × 3 = 1.00005: each alone rounds to 0.3334 (sum 1.0002); together they must make 1.0001
    assert parts_of([0.33335, 0.33335, 0.33335], 1.00005) == [0.3334, 0.3334, 0.3333]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory, reference: Reference, encoder: Encoder
           ) -> Iterator[tuple[TestClient, dict[str, str]]]:
    db = sample_copy(tmp_path_factory, reference, encoder, "rounding")
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        _, secret = keys.create_key(session, Role.ADMIN)
    engine.dispose()
    settings = Settings(database_url=url, home=db.parent / "home", load_sample=False)
    with TestClient(create_app(settings, reference, encoder)) as client:
        yield client, {"Authorization": f"Bearer {secret}"}


def floats(data: Any, key: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from floats(v, k)
    elif isinstance(data, list):
        for v in data:
            yield from floats(v, key)
    elif isinstance(data, float):
        yield key, data


def check_suggestions(body: dict[str, Any]) -> None:
    assert body["data"], body
    for key, value in floats(body):
        if key in ROUNDED_KEYS:
            assert round(value, 4) == value, (key, value)
    for s in body["data"]:
        parts = s["components"].values()
        assert abs(math.fsum(c["contribution"] for c in parts) - s["score"]) <= 1e-9
        for c in parts:
            assert abs(c["value"] * c["weight"] - c["contribution"]) <= 2e-4


def test_matches_and_search_are_rounded_and_add_up(sample: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = sample
    for path in ("/enterprises/1/matches?limit=20", "/colleges/1/matches?limit=20"):
        response = client.get(path, headers=auth)
        assert response.status_code == 200
        assert not FIVE_DECIMALS.search(response.text), path
        check_suggestions(response.json())
    found = client.post("/search", headers=auth, json={"text": "化工操作工 chemical process operators",
                                                        "side": "colleges", "amount": 20})
    assert found.status_code == 200 and not FIVE_DECIMALS.search(found.text)
    check_suggestions(found.json())


def test_rounding_is_only_on_the_way_out(sample: tuple[TestClient, dict[str, str]]) -> None:
    """Same suggestions, same order as the exact in-memory ranking; each figure the exact one rounded."""
    client, auth = sample
    app = client.app
    state = app.state.matchmaker  # type: ignore[attr-defined]
    live, config = state.live, state.settings
    from matching.sides import COLLEGES, ENTERPRISES

    query = profile_query(live.pool(ENTERPRISES), 1, is_enterprise=True)
    exact = suggest(live.pool(COLLEGES), query, MatchFilter(), 20, 0, config.ranking, config.exact_scan_max,
                    asker_label="enterprise", gap_stats=live.pool(ENTERPRISES).stats).data
    shown = client.get("/enterprises/1/matches?limit=20", headers=auth).json()["data"]
    assert [s["id"] for s in shown] == [s.id for s in exact]
    for got, want in zip(shown, exact, strict=True):
        assert got["score"] == round(want.score, 4)
        assert got["reciprocity"]["combined"] == round(want.reciprocity.combined, 4)
        for name, c in want.components.items():
            assert got["components"][name]["value"] == round(c.value, 4)
            assert abs(got["components"][name]["contribution"] - c.contribution) <= 1e-4 + 1e-12
    scores = [s["score"] for s in shown]
    assert scores == sorted(scores, reverse=True)


def test_match_list_entries_and_near_misses_are_rounded(sample: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = sample
    created = client.post("/match-lists", headers=auth, json={
        "name": "rounding", "scope": {"enterprise_ids": list(range(1, 21))}, "min_score": 0.5,
        "max_colleges_per_gap": 2})
    assert created.status_code == 201, created.text
    list_id = created.json()["id"]
    entries = client.get(f"/match-lists/{list_id}/entries?limit=500", headers=auth)
    assert entries.json()["data"] and not FIVE_DECIMALS.search(entries.text)
    for e in entries.json()["data"]:
        assert round(e["score"], 4) == e["score"] == e["explanation"]["score"]
        check_suggestions({"data": [e["explanation"]]})
    report = client.get(f"/match-lists/{list_id}/report", headers=auth).json()
    misses = [m["score"] for g in report["unfilled"] for m in g["near_misses"]]
    assert all(round(m, 4) == m for m in misses)


def test_components_are_documented_as_the_model_they_are_serialised_from() -> None:
    """The rounded components are serialised as plain dicts (benchmarks/bench_serialise.py): OpenAPI still
    shows them as `Component`, with its fields and descriptions, and a serialised one has exactly those keys."""
    from benchmarks.bench_serialise import page
    from matching.results import Component

    schema = create_app(Settings(database_url="sqlite://", load_sample=False)).openapi()["components"]["schemas"]
    components = schema["SuggestionPublic"]["properties"]["components"]
    assert components["additionalProperties"] == {"$ref": "#/components/schemas/Component"}
    fields = schema["Component"]["properties"]
    assert {name: f["description"] for name, f in fields.items()} == {
        name: f.description for name, f in Component.model_fields.items()}
    assert set(schema["Component"]["required"]) == set(Component.model_fields)
    served = json.loads(page(2).model_dump_json())["data"]
    assert all(set(c) == set(Component.model_fields) for s in served for c in s["components"].values())
