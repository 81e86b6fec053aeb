"""Suggestions through HTTP on both backends: what is listed, that deleted units never are, the index on disk,
changes made by another process, access, and client mistakes."""

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from embeddings.encoder import Encoder
from matching import profiles
from matching.db import make_sessionmaker
from matching.embedding import Embedder
from matching.live import LiveIndex
from matching.models import Specialty, TalentGap
from matching.prepare import prepare
from matching.reference import Reference
from matching.schemas import CollegeCreate
from matching.sides import COLLEGES
from matching.vocab import Role
from service.app import create_app
from service.settings import Settings
from tests.conftest import college_body, enterprise_body

ERROR_KEYS = {"error", "detail", "fields"}
SUGGESTION_KEYS = {"id", "name", "name_zh", "country", "province", "city", "rank", "score", "components", "matched",
                   "capacity", "distance_km", "reciprocity", "reasons"}
Json = dict[str, Any]

NURSING = college_body(
    name="Urumqi Health Vocational College", city="Urumqi", province="Xinjiang",
    specialties=[{"code": "520201", "annual_graduates": 200}, {"name": "Elderly care", "annual_graduates": 60}],
    cooperation_modes=["internship"],
)


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    """exact_scan_max=0: every query goes through FAISS retrieval and deepening, as large collections do."""
    return settings.model_copy(update={"exact_scan_max": 0})


@pytest.fixture
def fast_client(fast_settings: Settings, reference: Reference, encoder: Encoder) -> Iterator[TestClient]:
    with TestClient(create_app(fast_settings, reference, encoder)) as client:
        yield client


def create(client: TestClient, admin: dict[str, str], side: str, body: Json) -> Json:
    response = client.post(f"/{side}", json=body, headers=admin)
    assert response.status_code == 201, response.text
    data: Json = response.json()
    return data


def get_ok(client: TestClient, url: str, headers: dict[str, str], **params: Any) -> Json:
    response = client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    data: Json = response.json()
    return data


def search(client: TestClient, headers: dict[str, str], **body: Any) -> Json:
    response = client.post("/search", json=body, headers=headers)
    assert response.status_code == 200, response.text
    data: Json = response.json()
    return data


def unit_ids(profile: Json, units: str) -> set[int]:
    return {int(u["id"]) for u in profile[units]}


def check_list(body: Json) -> None:
    """The page's own arithmetic: ranks, order, scores, components."""
    assert set(body) == {"data", "count", "offset", "limit", "reason", "impression_id"}
    # A page with suggestions is logged (tests run with impressions on); an empty one is not.
    assert (body["impression_id"] is not None) == bool(body["data"])
    assert body["count"] == len(body["data"])
    assert [s["rank"] for s in body["data"]] == list(range(body["offset"] + 1, body["offset"] + 1 + body["count"]))
    scores = [s["score"] for s in body["data"]]
    assert scores == sorted(scores, reverse=True)
    for s in body["data"]:
        assert set(s) == SUGGESTION_KEYS
        assert 0 <= s["score"] <= 1
        assert abs(sum(c["contribution"] for c in s["components"].values()) - s["score"]) < 1e-9
        assert s["reasons"] and s["matched"]
    if not body["data"]:
        assert body["reason"]


# --- what is listed ---------------------------------------------------------------------------------------------------


def test_matches_list_partners_with_their_own_units(client: TestClient, admin: dict[str, str]) -> None:
    college = create(client, admin, "colleges", college_body())
    nursing = create(client, admin, "colleges", NURSING)
    enterprise = create(client, admin, "enterprises", enterprise_body())
    specialties, gaps = unit_ids(college, "specialties"), unit_ids(enterprise, "talent_gaps")

    body = get_ok(client, f"/enterprises/{enterprise['id']}/matches", admin)
    check_list(body)
    assert body["data"][0]["id"] == college["id"] and body["data"][0]["name"] == college["name"]
    top = body["data"][0]
    assert {p["query_unit"]["id"] for p in top["matched"]} == gaps  # one pair per talent gap
    assert {p["candidate_unit"]["id"] for p in top["matched"]} <= specialties
    dyeing = next(p for p in top["matched"] if p["query_unit"]["name"] == "Dyeing technicians")
    assert dyeing["candidate_unit"]["codes"] == ["480405"] and dyeing["code_agreement"] == "code"
    assert dyeing["relevant"] and dyeing["similarity"] >= 0.35
    assert top["reasons"][0].startswith(top["matched"][0]["candidate_unit"]["name"])
    assert top["distance_km"] == 0.0  # both in Korla
    assert nursing["id"] not in [s["id"] for s in body["data"][:1]]

    body = get_ok(client, f"/colleges/{college['id']}/matches", admin)
    check_list(body)
    assert [s["id"] for s in body["data"]] == [enterprise["id"]]
    pairs = body["data"][0]["matched"]
    assert {p["query_unit"]["id"] for p in pairs} <= specialties
    assert {p["candidate_unit"]["id"] for p in pairs} <= gaps

    # paging past the end: empty, with a reason
    body = get_ok(client, f"/colleges/{college['id']}/matches", admin, offset=5)
    assert body["data"] == [] and body["reason"]


# --- no deleted unit is ever suggested --------------------------------------------------------------------------------


def everything_suggested(client: TestClient, admin: dict[str, str], enterprise_ids: list[int],
                         college_ids: list[int]) -> tuple[set[int], set[int], set[int]]:
    """(college ids, specialty ids, talent gap ids) named anywhere in matches and searches."""
    colleges: set[int] = set()
    specialties: set[int] = set()
    gaps: set[int] = set()
    for eid in enterprise_ids:
        body = get_ok(client, f"/enterprises/{eid}/matches", admin, limit=100)
        check_list(body)
        for s in body["data"]:
            colleges.add(s["id"])
            specialties |= {p["candidate_unit"]["id"] for p in s["matched"]}
            gaps |= {p["query_unit"]["id"] for p in s["matched"]}
    for cid in college_ids:
        body = get_ok(client, f"/colleges/{cid}/matches", admin, limit=100)
        check_list(body)
        for s in body["data"]:
            specialties |= {p["query_unit"]["id"] for p in s["matched"]}
            gaps |= {p["candidate_unit"]["id"] for p in s["matched"]}
    for text in ("dyeing technicians", "applied chemistry", "cotton", "nursing"):
        body = search(client, admin, text=text, side="colleges", limit=100)
        check_list(body)
        for s in body["data"]:
            colleges.add(s["id"])
            specialties |= {p["candidate_unit"]["id"] for p in s["matched"]}
    return colleges, specialties, gaps


def pair_for(body: Json, college_id: int, gap_name: str) -> Json:
    suggestion = next(s for s in body["data"] if s["id"] == college_id)
    pair: Json = next(p for p in suggestion["matched"] if p["query_unit"]["name"] == gap_name)
    return pair


def test_deleted_and_removed_units_are_never_suggested(fast_client: TestClient, admin: dict[str, str],
                                                       engine: Engine, encoder: Encoder, reference: Reference) -> None:
    client = fast_client
    doomed = create(client, admin, "colleges", college_body())
    kept = create(client, admin, "colleges", college_body(name="Korla Textile School", specialties=[
        {"code": "480405", "annual_graduates": 90, "description": "Dyeing and finishing lines"},
        {"name": "Cotton processing", "annual_graduates": 45},
        {"name": "Applied Chemical Technology", "code": "470201", "annual_graduates": 80},
    ]))
    other = create(client, admin, "colleges", NURSING)
    enterprise = create(client, admin, "enterprises", enterprise_body())
    eid = enterprise["id"]
    colleges, specialties, _ = everything_suggested(client, admin, [eid], [doomed["id"], kept["id"]])
    assert {doomed["id"], kept["id"]} <= colleges and unit_ids(doomed, "specialties") & specialties

    # a deleted college: neither it nor any of its units comes back
    assert client.delete(f"/colleges/{doomed['id']}", headers=admin).status_code == 204
    colleges, specialties, _ = everything_suggested(client, admin, [eid], [kept["id"], other["id"]])
    assert doomed["id"] not in colleges
    assert not unit_ids(doomed, "specialties") & specialties
    assert kept["id"] in colleges

    # a specialty dropped by PUT never comes back; the others keep their ids
    dyeing, cotton, chemistry = kept["specialties"]
    body = college_body(name="Korla Textile School", specialties=[
        {"id": cotton["id"], "name": "Cotton processing", "annual_graduates": 45},
        {"id": chemistry["id"], "name": "Applied Chemical Technology", "code": "470201", "annual_graduates": 80},
    ])
    response = client.put(f"/colleges/{kept['id']}", json=body, headers=admin)
    assert response.status_code == 200, response.text
    colleges, specialties, _ = everything_suggested(client, admin, [eid], [kept["id"], other["id"]])
    assert dyeing["id"] not in specialties
    assert kept["id"] in colleges and chemistry["id"] in specialties
    before = pair_for(get_ok(client, f"/enterprises/{eid}/matches", admin), kept["id"], "Dyeing technicians")
    assert before["candidate_unit"]["id"] != dyeing["id"]

    # a PATCHed specialty is embedded again: its new text, its new similarity
    patched_specialties = [
        {"id": cotton["id"], "name": "Digital Dyeing and Finishing Technology", "code": "480405",
         "description": "Continuous dyeing ranges and colour matching", "annual_graduates": 45},
        {"id": chemistry["id"], "name": "Applied Chemical Technology", "code": "470201", "annual_graduates": 80},
    ]
    response = client.patch(f"/colleges/{kept['id']}", json={"specialties": patched_specialties}, headers=admin)
    assert response.status_code == 200, response.text
    assert [s["id"] for s in response.json()["specialties"]] == [cotton["id"], chemistry["id"]]
    after = pair_for(get_ok(client, f"/enterprises/{eid}/matches", admin), kept["id"], "Dyeing technicians")
    assert after["candidate_unit"] == {"id": cotton["id"], "name": "Digital Dyeing and Finishing Technology",
                                       "codes": ["480405"], "inferred_codes": [], "amount": 45}
    assert after["similarity"] > before["similarity"] + 0.1

    embedder = Embedder(encoder, reference.catalogue)
    with make_sessionmaker(engine)() as session:
        specialty = session.get(Specialty, cotton["id"])
        gap = session.scalar(select(TalentGap).where(TalentGap.enterprise_id == eid,
                                                     TalentGap.field == "Dyeing technicians"))
        assert specialty is not None and gap is not None
        assert specialty.embedding is not None and gap.embedding is not None
        assert "Continuous dyeing ranges" in embedder.text_of(specialty)
        fresh = encoder.encode([embedder.text_of(specialty), embedder.text_of(gap)])
        stored = np.frombuffer(specialty.embedding, dtype=np.float32)
        np.testing.assert_allclose(stored, fresh[0], atol=1e-5)  # the vector of the new text
        expected = float(fresh[0] @ fresh[1])
    assert abs(after["similarity"] - expected) <= 1e-4
    colleges, specialties, _ = everything_suggested(client, admin, [eid], [kept["id"], other["id"]])
    assert dyeing["id"] not in specialties and doomed["id"] not in colleges


# --- the index on disk ------------------------------------------------------------------------------------------------


@contextmanager
def running(settings: Settings, reference: Reference, encoder: Encoder) -> Iterator[tuple[TestClient, FastAPI]]:
    app = create_app(settings, reference, encoder)
    with TestClient(app) as client:
        yield client, app


def rebuilt(app: FastAPI) -> dict[str, str]:
    return {str(side): reason for side, reason in app.state.matchmaker.live.rebuilt.items()}


def snapshot(client: TestClient, admin: dict[str, str], eids: list[int], cids: list[int]) -> list[Json]:
    out = [get_ok(client, f"/enterprises/{e}/matches", admin, limit=100) for e in eids]
    out += [get_ok(client, f"/colleges/{c}/matches", admin, limit=100) for c in cids]
    out += [search(client, admin, text="dyeing technicians", side="colleges", limit=100),
            search(client, admin, text="graduates in applied chemistry", side="enterprises", limit=100)]
    for body in out:
        check_list(body)
    # Every page served is a new impression: compare what was suggested, not which page it was.
    return [{k: v for k, v in body.items() if k != "impression_id"} for body in out]


def corrupt_version(index_dir: Path) -> None:
    manifest = index_dir / "colleges.manifest.json"
    data = json.loads(manifest.read_text())
    data["version"] += 1
    manifest.write_text(json.dumps(data))


def corrupt_model(index_dir: Path) -> None:
    manifest = index_dir / "enterprises.manifest.json"
    data = json.loads(manifest.read_text())
    data["model"] = "another-model"
    manifest.write_text(json.dumps(data))


def delete_faiss(index_dir: Path) -> None:
    (index_dir / "colleges.faiss").unlink()


def garble_manifest(index_dir: Path) -> None:
    (index_dir / "enterprises.manifest.json").write_text("{not json")


def truncate_slots(index_dir: Path) -> None:
    (index_dir / "colleges.slots.npy").write_bytes(b"\x93NUMPY")


def shuffle_slots(index_dir: Path) -> None:
    """A whole slot map of the same units in another order, as a save killed between its files and its
    manifest could leave: it passes every check but the digests, and would map hits to the wrong units."""
    path = index_dir / "colleges.slots.npy"
    slots = np.load(path)
    live = np.flatnonzero(slots >= 0)
    slots[live] = slots[live][::-1]
    np.save(path, slots)


def empty_slots_signed(index_dir: Path) -> None:
    """An empty file its manifest vouches for: reading it raises EOFError, which must cost a rebuild, not the start."""
    path = index_dir / "colleges.slots.npy"
    path.write_bytes(b"")
    manifest = index_dir / "colleges.manifest.json"
    data = json.loads(manifest.read_text())
    data["files"][path.name] = hashlib.sha256(b"").hexdigest()
    manifest.write_text(json.dumps(data))


ALTERATIONS: list[tuple[Callable[[Path], None], str, str]] = [
    (corrupt_version, "colleges", "manifest version"),
    (corrupt_model, "enterprises", "manifest model"),
    (delete_faiss, "colleges", "colleges.faiss unreadable"),
    (garble_manifest, "enterprises", "no saved index"),
    (truncate_slots, "colleges", "colleges.slots.npy is not the file its manifest describes"),
    (shuffle_slots, "colleges", "colleges.slots.npy is not the file its manifest describes"),
    (empty_slots_signed, "colleges", "saved index unusable: EOFError"),
]


def test_saved_index_is_used_when_its_manifest_matches_and_rebuilt_when_not(
    fast_settings: Settings, reference: Reference, encoder: Encoder, make_key: Callable[..., dict[str, str]]
) -> None:
    settings = fast_settings  # queries search the loaded FAISS structure, not only the raw vectors
    with running(settings, reference, encoder) as (client, app):
        admin = make_key(Role.ADMIN)
        assert rebuilt(app) == {"colleges": "no saved index", "enterprises": "no saved index"}
        cids = [create(client, admin, "colleges", body)["id"] for body in (college_body(), NURSING)]
        eids = [create(client, admin, "enterprises", enterprise_body())["id"],
                create(client, admin, "enterprises", enterprise_body(name="Korla Chemical Works", talent_gaps=[
                    {"field": "Chemical process operators", "headcount": 12, "codes": ["470201"]}]))["id"]]
        doomed = create(client, admin, "colleges", college_body(name="Short-lived College"))
        assert client.delete(f"/colleges/{doomed['id']}", headers=admin).status_code == 204  # a dead slot
        first = snapshot(client, admin, eids, cids)
    index_dir = settings.index_path
    for side in ("colleges", "enterprises"):
        for suffix in (".faiss", ".slots.npy", ".manifest.json"):
            assert (index_dir / f"{side}{suffix}").is_file()
        manifest = json.loads((index_dir / f"{side}.manifest.json").read_text())
        assert manifest["unit_count"] == {"colleges": 5, "enterprises": 3}[side]

    with running(settings, reference, encoder) as (client, app):
        assert rebuilt(app) == {"colleges": "", "enterprises": ""}  # the saved index, as is
        assert snapshot(client, admin, eids, cids) == first

    for alter, side, reason in ALTERATIONS:
        alter(index_dir)
        with running(settings, reference, encoder) as (client, app):
            reasons = rebuilt(app)
            assert reason in reasons[side], (alter.__name__, reasons)
            assert all(r == "" for s, r in reasons.items() if s != side), (alter.__name__, reasons)
            assert snapshot(client, admin, eids, cids) == first, alter.__name__
        with running(settings, reference, encoder) as (client, app):
            assert rebuilt(app) == {"colleges": "", "enterprises": ""}, alter.__name__  # saved again after rebuild


# --- another process ------------------------------------------------------------------------------------------------


def test_change_made_by_another_process_is_picked_up(fast_client: TestClient, admin: dict[str, str],
                                                     engine: Engine, encoder: Encoder, reference: Reference) -> None:
    client = fast_client
    enterprise = create(client, admin, "enterprises", enterprise_body())
    url = f"/enterprises/{enterprise['id']}/matches"
    assert get_ok(client, url, admin)["data"] == []

    # e.g. a CLI import: its own session and its own index, same database
    with make_sessionmaker(engine)() as session:
        live = LiveIndex(Embedder(encoder, reference.catalogue), None)
        live.load(session)
        body = CollegeCreate.model_validate(college_body(name="Imported Elsewhere College"))
        college = profiles.create(session, COLLEGES, prepare(COLLEGES, body, reference), live)
        college_id, specialty_ids = college.id, {s.id for s in COLLEGES.units_of(college)}

    listed = get_ok(client, url, admin)
    assert [s["id"] for s in listed["data"]] == [college_id]
    assert {p["candidate_unit"]["id"] for p in listed["data"][0]["matched"]} <= specialty_ids
    found = search(client, admin, text="dyeing technicians", side="colleges")
    assert [s["id"] for s in found["data"]] == [college_id]

    with make_sessionmaker(engine)() as session:
        live.load(session)
        profiles.delete(session, COLLEGES, college_id, live)
    assert get_ok(client, url, admin)["data"] == []
    assert search(client, admin, text="dyeing technicians", side="colleges")["data"] == []


# --- access -------------------------------------------------------------------------------------------------------------


def test_who_may_read_which_matches(client: TestClient, admin: dict[str, str],
                                    make_key: Callable[..., dict[str, str]]) -> None:
    own_c = create(client, admin, "colleges", college_body(name="Own College"))
    other_c = create(client, admin, "colleges", college_body(name="Other College"))
    own_e = create(client, admin, "enterprises", enterprise_body(name="Own Enterprise"))
    other_e = create(client, admin, "enterprises", enterprise_body(name="Other Enterprise"))
    college_key = make_key(Role.COLLEGE, college_id=own_c["id"])
    enterprise_key = make_key(Role.ENTERPRISE, enterprise_id=own_e["id"])
    pm = make_key(Role.PROGRAM_MANAGER)
    missing = 999_999
    cases = [
        (f"/enterprises/{own_e['id']}/matches", enterprise_key, 200),
        (f"/enterprises/{other_e['id']}/matches", enterprise_key, 403),
        (f"/enterprises/{missing}/matches", enterprise_key, 403),  # no probing of ids
        (f"/colleges/{own_c['id']}/matches", enterprise_key, 200),
        (f"/colleges/{own_c['id']}/matches", college_key, 200),
        (f"/colleges/{other_c['id']}/matches", college_key, 403),
        (f"/colleges/{missing}/matches", college_key, 403),
        (f"/enterprises/{other_e['id']}/matches", college_key, 200),
        (f"/enterprises/{own_e['id']}/matches", pm, 200),
        (f"/colleges/{other_c['id']}/matches", pm, 200),
        (f"/enterprises/{missing}/matches", admin, 404),
        (f"/colleges/{missing}/matches", admin, 404),
        (f"/colleges/{missing}/matches", pm, 404),
        (f"/enterprises/{own_e['id']}/matches", {}, 401),
        (f"/colleges/{own_c['id']}/matches", {"Authorization": "Bearer not-a-key"}, 401),
    ]
    wrong = []
    for url, headers, status in cases:
        response = client.get(url, headers=headers)
        if response.status_code != status:
            wrong.append(f"{url} {headers}: {response.status_code}, expected {status}")
        if status != 200:
            assert set(response.json()) == ERROR_KEYS
            assert "Other" not in response.text  # nothing of the other profile leaks
    assert not wrong, "\n".join(wrong)
    own = get_ok(client, f"/enterprises/{own_e['id']}/matches", enterprise_key)
    assert {s["id"] for s in own["data"]} == {own_c["id"], other_c["id"]}
    for body in ({"text": "dyeing", "side": "colleges"}, {"text": "dyeing", "side": "enterprises"}):
        assert client.post("/search", json=body).status_code == 401
        for key in (college_key, enterprise_key, pm):
            assert client.post("/search", json=body, headers=key).status_code == 200


# --- client mistakes -------------------------------------------------------------------------------------------------


def test_bad_match_parameters_are_4xx_in_the_one_error_shape(client: TestClient, admin: dict[str, str]) -> None:
    college = create(client, admin, "colleges", college_body())
    enterprise = create(client, admin, "enterprises", enterprise_body())
    nowhere = create(client, admin, "enterprises", enterprise_body(name="Nowhere Co.", city="Nowhereville Qqq"))
    assert nowhere["location"] is None
    bad_params: list[tuple[dict[str, Any], str | None]] = [
        ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "ten"}, "limit"), ({"limit": 1.5}, "limit"),
        ({"offset": -1}, "offset"), ({"max_distance_km": -1}, "max_distance_km"),
        ({"max_distance_km": 0}, "max_distance_km"), ({"max_distance_km": "far"}, "max_distance_km"),
        ({"max_distance_km": "nan"}, "max_distance_km"), ({"max_distance_km": "inf"}, "max_distance_km"),
        ({"min_capacity": -1}, "min_capacity"), ({"min_capacity": 10**12}, "min_capacity"),
        ({"mode": "bogus"}, "mode"), ({"unknown": "1"}, "unknown"), ({"country": "Narnia"}, "country"),
        ({"country": "KZ", "province": "Xinjiang"}, "province"), ({"province": "Atlantis", "country": "CN"}, "province"),
        ({"country": "x" * 5000}, "country"), ({"province": "\x00"}, None),
    ]
    urls = [f"/enterprises/{enterprise['id']}/matches", f"/colleges/{college['id']}/matches"]
    wrong = []

    def expect_4xx(response: Any, what: str, field: str | None) -> None:
        if not 400 <= response.status_code < 500:
            wrong.append(f"{what}: {response.status_code} {response.text[:200]}")
            return
        body = response.json()
        if set(body) != ERROR_KEYS or not isinstance(body["detail"], str) or not body["error"]:
            wrong.append(f"{what}: shape {body}")
        elif field and field not in {f["field"] for f in body["fields"]}:
            wrong.append(f"{what}: no field {field!r} in {body['fields']}")

    for url in urls:
        for params, field in bad_params:
            expect_4xx(client.get(url, params=params, headers=admin), f"GET {url} {params}", field)
    for body, field in bad_params:
        if "unknown" in body:
            continue  # an unknown body field is the search's own case below
        payload = {"text": "dyeing", "side": "colleges", **body}
        expect_4xx(client.post("/search", json=payload, headers=admin), f"POST /search {body}", field)
    expect_4xx(client.get(f"/enterprises/{nowhere['id']}/matches", params={"max_distance_km": 100}, headers=admin),
               "max_distance_km without a location", "max_distance_km")
    expect_4xx(client.post("/search", json={"text": "dyeing", "side": "colleges", "max_distance_km": 100},
                           headers=admin), "search max_distance_km without near", "max_distance_km")
    for path_id in ("0", "-1", "abc", str(2**31), "1.5"):
        for side in ("enterprises", "colleges"):
            expect_4xx(client.get(f"/{side}/{path_id}/matches", headers=admin), f"{side} id {path_id}", None)
    assert not wrong, "\n".join(wrong)


def test_unknown_province_alone_is_rejected(client: TestClient, admin: dict[str, str]) -> None:
    enterprise = create(client, admin, "enterprises", enterprise_body())
    create(client, admin, "colleges", college_body())
    response = client.get(f"/enterprises/{enterprise['id']}/matches", params={"province": "Atlantis"}, headers=admin)
    assert response.status_code == 422, response.text
    assert set(response.json()) == ERROR_KEYS


# --- free-text search --------------------------------------------------------------------------------------------------


def test_search_ranks_either_side_and_refuses_bad_bodies(client: TestClient, admin: dict[str, str]) -> None:
    dyeing = create(client, admin, "colleges", college_body())
    nursing = create(client, admin, "colleges", NURSING)
    enterprise = create(client, admin, "enterprises", enterprise_body())

    found = search(client, admin, text="dyeing technicians", side="colleges")
    check_list(found)
    assert found["data"][0]["id"] == dyeing["id"]
    assert nursing["id"] not in [s["id"] for s in found["data"][:1]]
    pair = found["data"][0]["matched"][0]
    assert pair["query_unit"]["name"] == "dyeing technicians"
    assert pair["candidate_unit"]["id"] in unit_ids(dyeing, "specialties")
    assert pair["candidate_unit"]["codes"] == ["480405"]

    near = search(client, admin, text="  dyeing   technicians ", side="colleges", amount=30,
                  near={"lat": 41.76, "lon": 86.15}, modes=["order_class"], max_distance_km=50)
    assert [s["id"] for s in near["data"]] == [dyeing["id"]]  # Urumqi is farther than 50 km from Korla
    assert near["data"][0]["distance_km"] is not None and near["data"][0]["distance_km"] <= 50

    found = search(client, admin, text="graduates of dyeing and finishing technology", side="enterprises")
    check_list(found)
    assert [s["id"] for s in found["data"]] == [enterprise["id"]]
    assert found["data"][0]["matched"][0]["candidate_unit"]["id"] in unit_ids(enterprise, "talent_gaps")

    ok = {"text": "dyeing technicians", "side": "colleges"}
    bad_bodies: list[Any] = [
        {**ok, "text": ""}, {**ok, "text": "   "}, {"text": "dyeing"}, {"side": "colleges"}, {**ok, "side": "both"},
        {**ok, "text": 5}, {**ok, "text": ["dyeing"]}, {**ok, "limit": "ten"}, {**ok, "limit": 0},
        {**ok, "amount": 0}, {**ok, "amount": "many"}, {**ok, "near": {"lat": "x", "lon": 1}},
        {**ok, "near": {"lat": 91, "lon": 0}}, {**ok, "modes": ["bogus"]}, {**ok, "modes": "internship"},
        {**ok, "extra": 1}, {**ok, "text": "x" * 100_000}, [], "dyeing", None,
    ]
    for body in bad_bodies:
        response = client.post("/search", json=body, headers=admin)
        assert response.status_code == 422, (body if not isinstance(body, dict) or len(str(body)) < 300 else "long",
                                             response.status_code, response.text[:200])
        assert set(response.json()) == ERROR_KEYS
    malformed = client.post("/search", content=b'{"text": "dyeing", ', headers={**admin,
                                                                                "Content-Type": "application/json"})
    assert malformed.status_code == 400 and set(malformed.json()) == ERROR_KEYS
