"""Outcomes on both backends (the command line on SQLite): partnerships (CRUD, duplicates, files, from match lists), feedback on
suggestions, and impressions (point-in-time features, the writer's queue, retention)."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from embeddings.encoder import Encoder
from matching import profiles as profiles_store
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.models import utcnow
from matching.outcomes import impressions, read
from matching.outcomes.impressions import ImpressionWriter
from matching.outcomes.models import Impression, ImpressionItem, SuggestionFeedback
from matching.prepare import prepare
from matching.reference import Reference
from matching.schemas import CollegeCreate, EnterpriseCreate
from matching.sides import COLLEGES, ENTERPRISES
from matching.vocab import Role
from service.app import create_app
from service.cli import app
from service.settings import Settings, get_settings
from tests.conftest import college_body, enterprise_body
from tests.test_cli import run, runner
from tests.test_match_lists_api import XINJIANG, all_entries, create_list, decide, ok, seed

Json = dict[str, Any]
Headers = dict[str, str]


def post(client: TestClient, path: str, body: Any, headers: Headers, status: int = 201) -> Any:
    return ok(client.post(path, json=body, headers=headers), status)


def profiles(client: TestClient, admin: Headers) -> tuple[Json, Json, Json]:
    college = post(client, "/colleges", college_body(), admin)
    other = post(client, "/colleges", college_body(name="Aksu Textile College", city="Aksu", specialties=[
        {"code": "480405", "annual_graduates": 30}]), admin)
    enterprise = post(client, "/enterprises", enterprise_body(), admin)
    return college, other, enterprise


def stored_impressions(engine: Engine) -> list[read.ImpressionRow]:
    with make_sessionmaker(engine)() as session:
        return list(read.iter_impressions(session))


def flush(client: TestClient) -> None:
    writer = client.app.state.matchmaker.impressions  # type: ignore[attr-defined]
    assert writer.flush()


# --- partnerships ------------------------------------------------------------------------------


def test_partnerships_crud_duplicates_and_filters(client: TestClient, admin: Headers) -> None:
    college, other, enterprise = profiles(client, admin)
    body = {"college_id": college["id"], "enterprise_id": enterprise["id"], "modes": ["order_class", "internship"],
            "start_date": "2024-09-01", "source_url": "https://example.edu.cn/news/1.html",
            "note": "订单班 40 人", "tie": "formal"}
    created = post(client, "/partnerships", body, admin)
    assert {k: created[k] for k in body} == body and created["created_by"]
    assert ok(client.get(f"/partnerships/{created['id']}", headers=admin)) == created
    # The same pair with the same start date is a duplicate; another date, or none, is not.
    dup = client.post("/partnerships", json=body | {"note": "again"}, headers=admin)
    assert dup.status_code == 409 and dup.json()["error"] == "conflict"
    undated = post(client, "/partnerships", body | {"start_date": None, "tie": "soft"}, admin)
    assert client.post("/partnerships", json=body | {"start_date": None}, headers=admin).status_code == 409
    post(client, "/partnerships", body | {"college_id": other["id"], "modes": []}, admin)
    listed = ok(client.get("/partnerships", params={"college_id": college["id"]}, headers=admin))
    assert listed["count"] == 2 and [p["id"] for p in listed["data"]] == [created["id"], undated["id"]]
    page = ok(client.get("/partnerships", params={"limit": 1, "offset": 1}, headers=admin))
    assert page["count"] == 3 and [p["id"] for p in page["data"]] == [undated["id"]]
    assert client.delete(f"/partnerships/{created['id']}", headers=admin).status_code == 204
    assert client.get(f"/partnerships/{created['id']}", headers=admin).status_code == 404
    # Deleting a profile deletes its partnerships.
    assert client.delete(f"/colleges/{other['id']}", headers=admin).status_code == 204
    assert ok(client.get("/partnerships", headers=admin))["count"] == 1


def test_bound_keys_see_and_declare_only_their_own(
    client: TestClient, admin: Headers, make_key: Callable[..., Headers]
) -> None:
    college, other, enterprise = profiles(client, admin)
    own = make_key(Role.COLLEGE, college_id=college["id"])
    mine = post(client, "/partnerships", {"college_id": college["id"], "enterprise_id": enterprise["id"]}, own)
    theirs = post(client, "/partnerships", {"college_id": other["id"], "enterprise_id": enterprise["id"]}, admin)
    assert [p["id"] for p in ok(client.get("/partnerships", headers=own))["data"]] == [mine["id"]]
    hr = make_key(Role.ENTERPRISE, enterprise_id=enterprise["id"])
    assert [p["id"] for p in ok(client.get("/partnerships", headers=hr))["data"]] == [mine["id"], theirs["id"]]
    assert client.get(f"/partnerships/{theirs['id']}", headers=own).status_code == 403
    refused = client.post("/partnerships", json={"college_id": other["id"], "enterprise_id": enterprise["id"],
                                                 "start_date": "2020-01-01"}, headers=own)
    assert refused.status_code == 403
    assert ok(client.get("/partnerships", headers=admin))["count"] == 2
    # a program manager sees and declares any pair; a bound key deletes its own only
    manager = make_key(Role.PROGRAM_MANAGER)
    assert ok(client.get("/partnerships", headers=manager))["count"] == 2
    by_manager = post(client, "/partnerships", {"college_id": other["id"], "enterprise_id": enterprise["id"],
                                                "start_date": "2021-09-01"}, manager)
    assert client.delete(f"/partnerships/{theirs['id']}", headers=own).status_code == 403
    assert client.delete(f"/partnerships/{mine['id']}", headers=own).status_code == 204
    assert client.delete(f"/partnerships/{by_manager['id']}", headers=manager).status_code == 204
    assert [p["id"] for p in ok(client.get("/partnerships", headers=admin))["data"]] == [theirs["id"]]


def test_partnership_files_round_trip_and_refuse_whole(client: TestClient, admin: Headers) -> None:
    college, other, enterprise = profiles(client, admin)
    rows = [{"college_id": college["id"], "enterprise_id": enterprise["id"], "modes": ["order_class"],
             "start_date": "2023-03-01", "source_url": "https://a.example/x", "note": "校企合作, 订单班", "tie": "formal"},
            {"college_id": other["id"], "enterprise_id": enterprise["id"], "modes": [], "start_date": None,
             "source_url": None, "note": None, "tie": "soft"}]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    bad = text + json.dumps(rows[0] | {"enterprise_id": 999999}) + "\n" + json.dumps(rows[1]) + "\n"
    refused = client.post("/import?side=partnerships&format=jsonl", content=bad.encode(), headers=admin)
    assert refused.status_code == 422
    assert {(p["line"], p["field"]) for p in refused.json()["fields"]} == {(3, "enterprise_id"), (4, "start_date")}
    assert ok(client.get("/partnerships", headers=admin))["count"] == 0  # all or nothing
    report = ok(client.post("/import?side=partnerships&format=jsonl", content=text.encode(), headers=admin), 201)
    assert (report["created"], report["rejected"], report["side"]) == (2, 0, "partnerships")
    for fmt in ("jsonl", "csv"):
        exported = client.get(f"/export?side=partnerships&format={fmt}", headers=admin)
        assert exported.status_code == 200
        for p in ok(client.get("/partnerships", headers=admin))["data"]:
            assert client.delete(f"/partnerships/{p['id']}", headers=admin).status_code == 204
        again = ok(client.post(f"/import?side=partnerships&format={fmt}", content=exported.content, headers=admin),
                   201)
        assert again["created"] == 2
        back = ok(client.get("/partnerships", headers=admin))["data"]
        assert [{k: p[k] for k in rows[0]} for p in back] == rows, fmt
    dup = client.post("/import?side=partnerships&format=jsonl", content=text.encode(), headers=admin)
    assert dup.status_code == 422 and {p["line"] for p in dup.json()["fields"]} == {1, 2}


def test_accepted_entries_become_partnerships_once(client: TestClient, admin: Headers) -> None:
    w = seed(client, admin)
    lst = create_list(w, XINJIANG)
    entries = all_entries(w, lst["id"])
    assert len(entries) >= 2
    first, second = entries[0], entries[1]
    not_yet = w.client.post(f"/match-lists/{lst['id']}/entries/{first['id']}/partnership", headers=w.pm)
    assert not_yet.status_code == 409  # only accepted entries
    decide(w, lst["id"], first["id"], "accept")
    decide(w, lst["id"], second["id"], "accept")
    made = ok(w.client.post(f"/match-lists/{lst['id']}/partnerships", headers=w.pm))
    pairs = {(e["college_id"], e["enterprise_id"]) for e in (first, second)}
    assert made["created"] == len(pairs) and made["created"] + made["existing"] == 2 and made["skipped"] == 0
    stored = ok(client.get("/partnerships", headers=admin))["data"]
    assert {(p["college_id"], p["enterprise_id"]) for p in stored} == pairs
    korla = w.colleges["korla"]
    for p in stored:
        assert p["note"].startswith(f"match list {lst['id']}, entry ")
        if p["college_id"] == korla["id"]:  # the modes both profiles list
            assert set(p["modes"]) == {"order_class", "internship"}
    again = ok(w.client.post(f"/match-lists/{lst['id']}/partnerships", headers=w.pm))
    assert (again["created"], again["existing"]) == (0, 2)
    assert {o["partnership"]["id"] for o in again["entries"]} == {p["id"] for p in stored}
    one = ok(w.client.post(f"/match-lists/{lst['id']}/entries/{first['id']}/partnership", headers=w.pm))
    assert one["existing"] == 1 and ok(client.get("/partnerships", headers=admin))["count"] == len(pairs)
    college_key = {"Authorization": f"Bearer {post(client, '/keys', {'role': 'college', 'college_id': korla['id']}, admin)['key']}"}
    assert w.client.post(f"/match-lists/{lst['id']}/partnerships", headers=college_key).status_code == 403


# --- feedback ----------------------------------------------------------------------------------


def test_feedback_on_served_suggestions(
    client: TestClient, admin: Headers, make_key: Callable[..., Headers], engine: Engine
) -> None:
    college, other, enterprise = profiles(client, admin)
    hr = make_key(Role.ENTERPRISE, enterprise_id=enterprise["id"])
    page = ok(client.get(f"/enterprises/{enterprise['id']}/matches", headers=hr))
    shown = [s["id"] for s in page["data"]]
    assert college["id"] in shown and page["impression_id"]
    url = f"/enterprises/{enterprise['id']}/matches/{college['id']}/feedback"
    liked = post(client, url, {"action": "shortlisted", "impression_id": page["impression_id"]}, hr)
    assert (liked["asker_side"], liked["asker_id"], liked["candidate_id"], liked["action"], liked["reason"]) == (
        "enterprise", enterprise["id"], college["id"], "shortlisted", None)
    post(client, url, {"action": "contacted", "note": "已电话联系招生办"}, hr)
    dismissed = post(client, f"/enterprises/{enterprise['id']}/matches/{other['id']}/feedback",
                     {"action": "dismissed", "reason": "too_far", "impression_id": page["impression_id"]}, hr)
    assert dismissed["reason"] == "too_far"
    # A college's office, on its own suggestions.
    office = make_key(Role.COLLEGE, college_id=college["id"])
    cpage = ok(client.get(f"/colleges/{college['id']}/matches", headers=office))
    post(client, f"/colleges/{college['id']}/matches/{enterprise['id']}/feedback",
         {"action": "dismissed", "reason": "already_partner", "impression_id": cpage["impression_id"]}, office)
    # The enterprise page's impression is not the college's.
    wrong = client.post(f"/colleges/{college['id']}/matches/{enterprise['id']}/feedback",
                        json={"action": "contacted", "impression_id": page["impression_id"]}, headers=office)
    assert wrong.status_code == 422 and wrong.json()["fields"][0]["field"] == "impression_id"
    mine = ok(client.get("/feedback", headers=hr))
    assert mine["count"] == 3 and {f["asker_side"] for f in mine["data"]} == {"enterprise"}
    assert ok(client.get("/feedback", params={"action": "dismissed"}, headers=admin))["count"] == 2
    assert client.get("/feedback", params={"asker_side": "college"}, headers=hr).status_code == 403
    rows = []
    with make_sessionmaker(engine)() as session:
        rows = list(read.iter_feedback(session))
    assert [(r.action, r.reason) for r in rows] == [("shortlisted", None), ("contacted", None),
                                                   ("dismissed", "too_far"), ("dismissed", "already_partner")]
    assert rows[0].impression_id == page["impression_id"] and rows[1].impression_id is None


def test_manager_decisions_are_read_as_outcomes(client: TestClient, admin: Headers, engine: Engine) -> None:
    w = seed(client, admin)
    lst = create_list(w, XINJIANG)
    first, second = all_entries(w, lst["id"])[:2]
    decide(w, lst["id"], first["id"], "accept")
    decide(w, lst["id"], second["id"], "reject", reason="too far for internships")
    with make_sessionmaker(engine)() as session:
        decisions = list(read.iter_decisions(session))
    assert sorted((d.enterprise_id, d.college_id, d.accepted) for d in decisions) == sorted([
        (first["enterprise_id"], first["college_id"], True), (second["enterprise_id"], second["college_id"], False)])
    assert all(d.decided_at is not None for d in decisions)
    # Building the list logged one match_list impression per enterprise asked.
    flush(client)
    logged = [i for i in stored_impressions(engine) if i.kind == "match_list"]
    assert {i.asker_id for i in logged} >= {first["enterprise_id"]}


# --- impressions -------------------------------------------------------------------------------


def test_impressions_are_point_in_time(client: TestClient, admin: Headers, engine: Engine) -> None:
    college, _, enterprise = profiles(client, admin)
    served = ok(client.get(f"/enterprises/{enterprise['id']}/matches", params={"limit": 5}, headers=admin))
    assert served["data"] and served["impression_id"]
    flush(client)
    # Change the college so that its features would now differ: other specialties, another city.
    changed = college_body(city="Kashgar", specialties=[{"name": "Elderly care", "annual_graduates": 10}],
                           cooperation_modes=["employment"])
    ok(client.put(f"/colleges/{college['id']}", json=changed, headers=admin))
    now = ok(client.get(f"/enterprises/{enterprise['id']}/matches", params={"limit": 5}, headers=admin))
    flush(client)
    stored = {i.id: i for i in stored_impressions(engine)}
    first = stored[served["impression_id"]]
    assert (first.kind, first.asker_side, first.asker_id) == ("enterprise_matches", "enterprise", enterprise["id"])
    assert first.query["asker_id"] == enterprise["id"] and first.query["filters"]["limit"] == 5
    assert first.ranker_version == ok(client.get("/info", headers=admin))["ranker"]["version"]
    assert [(it.rank, it.candidate_id) for it in first.items] == [(s["rank"], s["id"]) for s in served["data"]]
    for item, s in zip(first.items, served["data"], strict=True):
        # stored exact, served to 4 decimals (matching.rounding)
        assert round(item.score, 4) == s["score"]
        assert {name: round(v, 4) for name, v in item.features.items()} == {
            name: c["value"] for name, c in s["components"].items()}
    before = {s["id"]: s["components"] for s in served["data"]}[college["id"]]
    after = {s["id"]: s["components"] for s in now["data"]}.get(college["id"])
    assert after is None or after != before  # the features did change ...
    again = stored[served["impression_id"]]
    assert again.items == first.items  # ... and the stored ones did not


def test_search_pages_are_logged_and_logging_can_be_off(
    settings: Settings, reference: Reference, encoder: Encoder, admin: Headers, engine: Engine
) -> None:
    with TestClient(create_app(settings, reference, encoder)) as client:
        profiles(client, admin)
        found = ok(client.post("/search", json={"text": "染整技术员 dyeing technicians", "side": "colleges"},
                               headers=admin))
        flush(client)
    stored = stored_impressions(engine)
    assert [(i.id, i.kind, i.query["text"], i.query["side"]) for i in stored] == [
        (found["impression_id"], "search", "染整技术员 dyeing technicians", "colleges")]
    off = settings.model_copy(update={"impressions": False})
    with TestClient(create_app(off, reference, encoder)) as client:
        page = ok(client.post("/search", json={"text": "染整技术员 dyeing technicians", "side": "colleges"},
                              headers=admin))
        assert page["data"] and page["impression_id"] is None
        assert ok(client.get("/info", headers=admin))["impressions"] == {"logging": False}
    assert len(stored_impressions(engine)) == 1


def test_a_full_queue_drops_pages_and_never_blocks(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    writer = ImpressionWriter(sessions, capacity=1)
    release = threading.Event()
    writing = threading.Event()
    real_write = writer._write

    def slow(pages: list[Any]) -> None:
        writing.set()
        release.wait(10)
        real_write(pages)

    writer._write = slow  # type: ignore[method-assign]
    writer.start()
    page: dict[str, Any] = {"kind": "search", "ranker_version": "v", "query": {"text": "x"}, "asker_side": None,
                            "asker_id": None, "items": [(1, 1, 0.5, {"semantic": 0.5})]}
    first = writer.submit(**page)
    assert writing.wait(10)  # the thread holds the first page
    second = writer.submit(**page)  # queued
    third = writer.submit(**page)  # the queue is full: not logged
    assert first and second and third is None and writer.stats.dropped == 1
    release.set()
    writer.stop()
    with sessions() as session:
        assert sorted(session.scalars(select(Impression.id))) == sorted([first, second])
        assert session.scalar(select(func.count()).select_from(ImpressionItem)) == 2
    # Ids never repeat across writers (blocks reserved in the database).
    other = ImpressionWriter(sessions)
    other.start()
    assert other.submit(**page) not in (first, second)
    other.stop()


def test_retention_prunes_old_impressions_only(client: TestClient, admin: Headers, engine: Engine) -> None:
    college, _, enterprise = profiles(client, admin)
    old = ok(client.get(f"/enterprises/{enterprise['id']}/matches", headers=admin))["impression_id"]
    post(client, f"/enterprises/{enterprise['id']}/matches/{college['id']}/feedback",
         {"action": "shortlisted", "impression_id": old}, admin)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        session.get(Impression, old).served_at = utcnow() - timedelta(days=40)  # type: ignore[union-attr]
        session.commit()
        new = impressions.log_impression(session, kind="search", ranker_version="v", query={"text": "t"},
                                         asker_side=None, asker_id=None, items=[(college["id"], 1, 0.4, {"x": 0.4})])
        assert impressions.prune(session, 0) == 0  # 0 keeps everything
        assert impressions.prune(session, 30) == 1
        assert set(session.scalars(select(Impression.id))) == {new}
        assert session.scalar(select(func.count()).select_from(ImpressionItem).where(
            ImpressionItem.impression_id == old)) == 0
        kept = session.scalars(select(SuggestionFeedback)).one()
        assert kept.impression_id is None  # the feedback stays, without its page


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MATCH_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def test_command_line_partnership_files_and_prune(home: Path, reference: Reference) -> None:
    settings = get_settings()
    engine = make_engine(settings.db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        college = profiles_store.create(session, COLLEGES, prepare(COLLEGES, CollegeCreate.model_validate(
            college_body()), reference))
        enterprise = profiles_store.create(session, ENTERPRISES, prepare(ENTERPRISES, EnterpriseCreate.model_validate(
            enterprise_body()), reference))
        ids = (college.id, enterprise.id)
    source = home.parent / "partnerships.csv"
    source.write_text(f"college_id,enterprise_id,modes,start_date,note\n{ids[0]},{ids[1]},order_class;internship,"
                      f"2025-03-01,订单班\n{ids[0]},999999,,,\n", encoding="utf-8")
    refused = runner.invoke(app, ["import", "--side", "partnerships", str(source)])
    assert refused.exit_code == 1 and "line 3: enterprise_id" in refused.output
    source.write_text("\n".join(source.read_text(encoding="utf-8").splitlines()[:2]) + "\n", encoding="utf-8")
    assert "1 of 1 partnerships imported" in run("import", "--side", "partnerships", str(source))
    exported = run("export", "--side", "partnerships", "--format", "csv")
    assert f"{ids[0]},{ids[1]},order_class;internship,2025-03-01,,订单班,formal" in exported
    with sessions() as session:
        old = impressions.log_impression(session, kind="search", ranker_version="v", query={"text": "x"},
                                         asker_side=None, asker_id=None, items=[(ids[0], 1, 0.5, {"semantic": 0.5})])
        session.get(Impression, old).served_at = utcnow() - timedelta(days=100)  # type: ignore[union-attr]
        session.commit()
    assert "Deleted 0 impressions older than 180 days" in run("impressions", "prune")
    assert "Deleted 1 impressions older than 90 days" in run("impressions", "prune", "--days", "90")
    engine.dispose()


def test_the_writer_prunes_on_its_own(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        old = impressions.log_impression(session, kind="search", ranker_version="v", query={}, asker_side=None,
                                         asker_id=None, items=[])
        session.get(Impression, old).served_at = utcnow() - timedelta(days=31)  # type: ignore[union-attr]
        session.commit()
        recent = impressions.log_impression(session, kind="search", ranker_version="v", query={}, asker_side=None,
                                            asker_id=None, items=[])
    writer = ImpressionWriter(sessions, retention_days=30)
    writer.start()  # prunes when it starts, then every prune_every_s
    deadline = time.monotonic() + 10
    while writer.stats.pruned == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    writer.stop()
    assert writer.stats.pruned == 1
    with sessions() as session:
        assert list(session.scalars(select(Impression.id))) == [recent]
