"""Cached read answers (matches, searches, list pages): a repeat is a hit, logged as its own impression;
any write, here or by another process, and another language or ranker make a fresh answer."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from embeddings.encoder import Encoder
from matching import profiles
from matching.db import make_sessionmaker
from matching.embedding import Embedder
from matching.live import LiveIndex
from matching.outcomes import read
from matching.prepare import prepare
from matching.reference import Reference
from matching.result_cache import ResultCache
from matching.schemas import CollegeCreate
from matching.sides import COLLEGES
from matching.vocab import Role
from service.app import create_app
from service.settings import Settings
from tests.conftest import college_body, enterprise_body

Json = dict[str, Any]
SEARCH = {"text": "dyeing and finishing technicians", "side": "colleges"}


def test_lru_keeps_the_most_recently_used_and_size_0_keeps_nothing() -> None:
    cache: ResultCache[str] = ResultCache(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # a is now the most recent
    cache.put("c", "C")
    assert (cache.get("b"), cache.get("a"), cache.get("c")) == (None, "A", "C")
    assert (cache.stats.hits, cache.stats.misses, len(cache)) == (3, 1, 2)
    off: ResultCache[str] = ResultCache(0)
    off.put("a", "A")
    assert off.get("a") is None and len(off) == 0


def created(client: TestClient, admin: dict[str, str], side: str, body: Json) -> Json:
    response = client.post(f"/{side}", json=body, headers=admin)
    assert response.status_code == 201, response.text
    data: Json = response.json()
    return data


def ask(client: TestClient, admin: dict[str, str], method: str, url: str, **kwargs: Any) -> tuple[str, Json]:
    response = client.request(method, url, headers=admin, **kwargs)
    assert response.status_code == 200, response.text
    return response.headers["x-cache"], response.json()


def without_id(page: Json) -> Json:
    return {k: v for k, v in page.items() if k != "impression_id"}


def test_a_repeated_page_is_a_hit_with_the_same_answer_and_its_own_impression(
        client: TestClient, admin: dict[str, str], engine: Engine) -> None:
    created(client, admin, "colleges", college_body())
    enterprise = created(client, admin, "enterprises", enterprise_body())
    for method, url, kwargs in (("GET", f"/enterprises/{enterprise['id']}/matches", {}),
                                ("POST", "/search", {"json": SEARCH})):
        first_cache, first = ask(client, admin, method, url, **kwargs)
        again_cache, again = ask(client, admin, method, url, **kwargs)
        assert (first_cache, again_cache) == ("miss", "hit")
        assert first["data"] and without_id(first) == without_id(again)
        assert first["impression_id"] and again["impression_id"] and first["impression_id"] != again["impression_id"]
    assert client.app.state.matchmaker.impressions.flush()  # type: ignore[attr-defined]
    with make_sessionmaker(engine)() as session:
        stored = list(read.iter_impressions(session))
    assert len(stored) == 4  # every answer served was logged, hit or not
    assert len({tuple((i.candidate_id, i.rank, i.score) for i in s.items) for s in stored if s.kind == "enterprise_matches"}) == 1

    # Other parameters, another language: other keys, so fresh answers.
    assert ask(client, admin, "GET", f"/enterprises/{enterprise['id']}/matches", params={"limit": 3})[0] == "miss"
    zh_cache, zh = ask(client, admin, "GET", f"/enterprises/{enterprise['id']}/matches", params={"lang": "zh"})
    assert zh_cache == "miss" and zh["data"][0]["reasons"] != first["data"][0]["reasons"]


def test_a_write_in_this_process_makes_every_cached_answer_stale(client: TestClient, admin: dict[str, str]) -> None:
    created(client, admin, "colleges", college_body())
    enterprise = created(client, admin, "enterprises", enterprise_body())
    matches = f"/enterprises/{enterprise['id']}/matches"
    before = {url: ask(client, admin, method, url, **kw)[1] for method, url, kw in
              (("GET", matches, {}), ("GET", "/colleges", {}), ("POST", "/search", {"json": SEARCH}))}
    assert ask(client, admin, "GET", "/colleges")[0] == "hit"

    second = created(client, admin, "colleges", college_body(name="Korla Second Vocational College"))
    cache, listed = ask(client, admin, "GET", "/colleges")
    assert cache == "miss" and listed["count"] == before["/colleges"]["count"] + 1
    cache, page = ask(client, admin, "GET", matches)
    assert cache == "miss" and second["id"] in {s["id"] for s in page["data"]}
    cache, found = ask(client, admin, "POST", "/search", json=SEARCH)
    assert cache == "miss" and second["id"] in {s["id"] for s in found["data"]}

    assert client.delete(f"/colleges/{second['id']}", headers=admin).status_code == 204
    cache, page = ask(client, admin, "GET", matches)
    assert cache == "miss" and without_id(page) == without_id(before[matches])


def test_a_write_by_another_process_makes_cached_answers_stale(
        client: TestClient, admin: dict[str, str], engine: Engine, reference: Reference, encoder: Encoder) -> None:
    enterprise = created(client, admin, "enterprises", enterprise_body())
    matches = f"/enterprises/{enterprise['id']}/matches"
    ask(client, admin, "GET", matches)
    ask(client, admin, "GET", "/colleges")
    assert ask(client, admin, "GET", matches)[1]["data"] == [] and ask(client, admin, "GET", "/colleges")[0] == "hit"
    # e.g. a CLI import: its own session and its own index, same database
    with make_sessionmaker(engine)() as session:
        live = LiveIndex(Embedder(encoder, reference.catalogue), None)
        live.load(session)
        body = CollegeCreate.model_validate(college_body(name="Imported Elsewhere College"))
        college_id = profiles.create(session, COLLEGES, prepare(COLLEGES, body, reference), live).id
    cache, page = ask(client, admin, "GET", matches)
    assert cache == "miss" and [s["id"] for s in page["data"]] == [college_id]
    cache, listed = ask(client, admin, "GET", "/colleges")
    assert cache == "miss" and [c["id"] for c in listed["data"]] == [college_id]


def test_lists_are_cached_per_reader_scope(client: TestClient, admin: dict[str, str], make_key: Any) -> None:
    own = created(client, admin, "colleges", college_body())
    created(client, admin, "colleges", college_body(name="Other College"))
    assert ask(client, admin, "GET", "/colleges")[1]["count"] == 2
    college_key = make_key(Role.COLLEGE, college_id=own["id"])
    cache, mine = ask(client, college_key, "GET", "/colleges")
    assert cache == "miss" and [c["id"] for c in mine["data"]] == [own["id"]]  # not the admin's cached page


def test_size_0_computes_every_answer(settings: Settings, reference: Reference, encoder: Encoder,
                                      admin: dict[str, str]) -> None:
    with TestClient(create_app(settings.model_copy(update={"result_cache_size": 0}), reference, encoder)) as client:
        created(client, admin, "colleges", college_body())
        assert [ask(client, admin, "GET", "/colleges")[0] for _ in range(2)] == ["miss", "miss"]
        assert [ask(client, admin, "POST", "/search", json=SEARCH)[0] for _ in range(2)] == ["miss", "miss"]
