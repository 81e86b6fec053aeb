"""Who may do what: the whole table of role × endpoint × own/other object, on both backends."""

import itertools
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from matching.vocab import Role
from tests.conftest import college_body, enterprise_body

OPEN = ("/health", "/docs", "/openapi.json")
ROLES = ("none", "admin", "program_manager", "college", "enterprise")
counter = itertools.count()


def test_role_table(client: TestClient, admin: dict[str, str], make_key: Callable[..., dict[str, str]]) -> None:
    def make(side: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"/{side}", json=body, headers=admin)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    own_c = make("colleges", college_body(name="Own College"))
    other_c = make("colleges", college_body(name="Other College Secret Name"))
    own_e = make("enterprises", enterprise_body(name="Own Enterprise"))
    other_e = make("enterprises", enterprise_body(name="Other Enterprise Secret Name"))
    headers = {
        "none": {},
        "admin": admin,
        "program_manager": make_key(Role.PROGRAM_MANAGER),
        "college": make_key(Role.COLLEGE, college_id=own_c["id"]),
        "enterprise": make_key(Role.ENTERPRISE, enterprise_id=own_e["id"]),
    }
    c_put = {k: v for k, v in other_c.items() if k in college_body()}
    e_put = {k: v for k, v in other_e.items() if k in enterprise_body()}

    def throwaway(side: str) -> int:
        body = (college_body if side == "colleges" else enterprise_body)(name=f"Throwaway {next(counter)}")
        return int(make(side, body)["id"])

    def partnership(college_id: int, enterprise_id: int) -> int:
        body = {"college_id": college_id, "enterprise_id": enterprise_id, "start_date": f"{1900 + next(counter)}-01-01"}
        return int(make("partnerships", body)["id"])

    def dated(college_id: int, enterprise_id: int) -> Callable[[], dict[str, Any]]:
        return lambda: {"college_id": college_id, "enterprise_id": enterprise_id,
                        "start_date": f"{1900 + next(counter)}-01-01"}

    p_own_c = partnership(own_c["id"], other_e["id"])
    p_own_e = partnership(other_c["id"], own_e["id"])
    p_other = partnership(other_c["id"], other_e["id"])
    shortlist = {"action": "shortlisted"}

    # (method, path or path factory, json body, {role: expected status}); "none" is always 401.
    A, P, C, E = "admin", "program_manager", "college", "enterprise"
    everyone = {A: 200, P: 200, C: 200, E: 200}
    only_admin = {A: 200, P: 403, C: 403, E: 403}
    cases: list[tuple[str, Any, Any, dict[str, int]]] = [
        ("GET", "/info", None, everyone),
        ("GET", "/colleges", None, everyone),
        ("GET", "/enterprises", None, everyone),
        ("GET", f"/colleges/{own_c['id']}", None, everyone),
        ("GET", f"/colleges/{other_c['id']}", None, {A: 200, P: 200, C: 403, E: 200}),
        ("GET", "/colleges/999999", None, {A: 404, P: 404, C: 403, E: 404}),
        ("GET", f"/enterprises/{own_e['id']}", None, everyone),
        ("GET", f"/enterprises/{other_e['id']}", None, {A: 200, P: 200, C: 200, E: 403}),
        ("GET", "/enterprises/999999", None, {A: 404, P: 404, C: 404, E: 403}),
        ("PUT", f"/colleges/{own_c['id']}", college_body(name="Own College"), {A: 200, P: 403, C: 200, E: 403}),
        ("PUT", f"/colleges/{other_c['id']}", c_put, only_admin),
        ("PATCH", f"/colleges/{own_c['id']}", {"description": "x"}, {A: 200, P: 403, C: 200, E: 403}),
        ("PATCH", f"/colleges/{other_c['id']}", {"description": "x"}, only_admin),
        ("PUT", f"/enterprises/{own_e['id']}", enterprise_body(name="Own Enterprise"),
         {A: 200, P: 403, C: 403, E: 200}),
        ("PUT", f"/enterprises/{other_e['id']}", e_put, only_admin),
        ("PATCH", f"/enterprises/{own_e['id']}", {"size": "large"}, {A: 200, P: 403, C: 403, E: 200}),
        ("PATCH", f"/enterprises/{other_e['id']}", {"size": "large"}, only_admin),
        ("POST", "/colleges", lambda: college_body(name=f"New {next(counter)}"), {A: 201, P: 403, C: 403, E: 403}),
        ("POST", "/enterprises", lambda: enterprise_body(name=f"New {next(counter)}"),
         {A: 201, P: 403, C: 403, E: 403}),
        ("DELETE", lambda: f"/colleges/{throwaway('colleges')}", None, {A: 204, P: 403, C: 403, E: 403}),
        ("DELETE", "/colleges", None, {A: 405, P: 405, C: 405, E: 405}),
        ("DELETE", lambda: f"/enterprises/{throwaway('enterprises')}", None, {A: 204, P: 403, C: 403, E: 403}),
        ("GET", "/export?side=colleges", None, {A: 200, P: 200, C: 403, E: 403}),
        ("GET", "/export?side=enterprises&format=csv", None, {A: 200, P: 200, C: 403, E: 403}),
        ("POST", "/import?side=colleges&format=jsonl", "", {A: 422, P: 403, C: 403, E: 403}),
        ("GET", "/keys", None, only_admin),
        ("POST", "/keys", {"role": "program_manager"}, {A: 201, P: 403, C: 403, E: 403}),
        ("DELETE", "/keys/999999", None, {A: 404, P: 403, C: 403, E: 403}),
        # partnerships: a bound key sees, declares and deletes its own; managers and admins all
        ("GET", "/partnerships", None, everyone),
        ("GET", f"/partnerships?college_id={other_c['id']}", None, {A: 200, P: 200, C: 403, E: 200}),
        ("GET", f"/partnerships?enterprise_id={other_e['id']}", None, {A: 200, P: 200, C: 200, E: 403}),
        ("GET", f"/partnerships/{p_own_c}", None, {A: 200, P: 200, C: 200, E: 403}),
        ("GET", f"/partnerships/{p_own_e}", None, {A: 200, P: 200, C: 403, E: 200}),
        ("GET", f"/partnerships/{p_other}", None, {A: 200, P: 200, C: 403, E: 403}),
        ("GET", "/partnerships/999999", None, {A: 404, P: 404, C: 403, E: 403}),
        ("POST", "/partnerships", dated(own_c["id"], other_e["id"]), {A: 201, P: 201, C: 201, E: 403}),
        ("POST", "/partnerships", dated(other_c["id"], own_e["id"]), {A: 201, P: 201, C: 403, E: 201}),
        ("POST", "/partnerships", dated(other_c["id"], other_e["id"]), {A: 201, P: 201, C: 403, E: 403}),
        ("DELETE", lambda: f"/partnerships/{partnership(own_c['id'], other_e['id'])}", None,
         {A: 204, P: 204, C: 204, E: 403}),
        ("DELETE", lambda: f"/partnerships/{partnership(other_c['id'], other_e['id'])}", None,
         {A: 204, P: 204, C: 403, E: 403}),
        ("GET", "/export?side=partnerships", None, {A: 200, P: 200, C: 403, E: 403}),
        ("POST", "/import?side=partnerships&format=jsonl", "", {A: 422, P: 422, C: 403, E: 403}),
        ("POST", "/match-lists/999999/partnerships", None, {A: 404, P: 404, C: 403, E: 403}),
        # feedback: on one's own profile's suggestions only
        ("POST", f"/enterprises/{own_e['id']}/matches/{own_c['id']}/feedback", shortlist,
         {A: 201, P: 201, C: 403, E: 201}),
        ("POST", f"/enterprises/{other_e['id']}/matches/{own_c['id']}/feedback", shortlist,
         {A: 201, P: 201, C: 403, E: 403}),
        ("POST", f"/colleges/{own_c['id']}/matches/{own_e['id']}/feedback", shortlist,
         {A: 201, P: 201, C: 201, E: 403}),
        ("POST", f"/colleges/{other_c['id']}/matches/{own_e['id']}/feedback", shortlist,
         {A: 201, P: 201, C: 403, E: 403}),
        ("POST", "/enterprises/999999/matches/1/feedback", shortlist, {A: 404, P: 404, C: 403, E: 403}),
        ("GET", "/feedback", None, everyone),
        ("GET", f"/feedback?asker_side=college&asker_id={other_c['id']}", None, {A: 200, P: 200, C: 403, E: 403}),
        ("GET", f"/feedback?asker_side=enterprise&asker_id={own_e['id']}", None, {A: 200, P: 200, C: 403, E: 200}),
    ]
    wrong = []
    for method, path, body, expected in cases:
        for role in ROLES:
            want = expected.get(role, 401) if role != "none" else (401 if expected[A] != 405 else 405)
            url = path() if callable(path) else path
            payload = body() if callable(body) else body
            kwargs: dict[str, Any] = {"content": payload} if isinstance(payload, str) else {"json": payload}
            response = client.request(method, url, headers=headers[role], **kwargs)
            if response.status_code != want:
                wrong.append(f"{role} {method} {url}: {response.status_code}, expected {want}: {response.text[:120]}")
            if response.status_code in (401, 403):
                assert set(response.json()) == {"error", "detail", "fields"}
                assert "Secret Name" not in response.text  # no data leaks in errors
    for path in OPEN:
        response = client.get(path)
        if response.status_code != 200:
            wrong.append(f"none GET {path}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_bound_keys_list_only_their_own_side_profile(
    client: TestClient, admin: dict[str, str], make_key: Callable[..., dict[str, str]]
) -> None:
    own = client.post("/colleges", json=college_body(name="Own"), headers=admin).json()
    client.post("/colleges", json=college_body(name="Other"), headers=admin)
    client.post("/enterprises", json=enterprise_body(), headers=admin)
    key = make_key(Role.COLLEGE, college_id=own["id"])
    listed = client.get("/colleges", headers=key).json()
    assert listed["count"] == 1 and [c["id"] for c in listed["data"]] == [own["id"]]
    assert client.get("/enterprises", headers=key).json()["count"] == 1


def test_revoked_and_malformed_keys_get_401(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post("/keys", json={"role": "program_manager", "name": "PM Xinjiang"}, headers=admin)
    assert created.status_code == 201
    secret, key_id = created.json()["key"], created.json()["id"]
    pm = {"Authorization": f"Bearer {secret}"}
    assert client.get("/colleges", headers=pm).status_code == 200
    listed = client.get("/keys", headers=admin).json()
    assert secret not in str(listed) and any(k["id"] == key_id for k in listed["data"])
    assert client.delete(f"/keys/{key_id}", headers=admin).json()["revoked_at"] is not None
    for bad in (pm, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}, {"Authorization": "Bearer nope"}):
        response = client.get("/colleges", headers=bad)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


def test_key_bindings_are_checked(client: TestClient, admin: dict[str, str]) -> None:
    college = client.post("/colleges", json=college_body(), headers=admin).json()
    cases = [
        ({"role": "college"}, "college_id"),
        ({"role": "college", "college_id": 999999}, "college_id"),
        ({"role": "enterprise", "college_id": college["id"]}, "college_id"),
        ({"role": "admin", "enterprise_id": 1}, "enterprise_id"),
        ({"role": "superuser"}, "role"),
    ]
    for body, field in cases:
        response = client.post("/keys", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
        assert field in {p["field"] for p in response.json()["fields"]}
    ok = client.post("/keys", json={"role": "college", "college_id": college["id"]}, headers=admin)
    assert ok.status_code == 201


def test_deleting_a_profile_kills_its_keys(
    client: TestClient, admin: dict[str, str], make_key: Callable[..., dict[str, str]]
) -> None:
    college = client.post("/colleges", json=college_body(), headers=admin).json()
    key = make_key(Role.COLLEGE, college_id=college["id"])
    assert client.get(f"/colleges/{college['id']}", headers=key).status_code == 200
    assert client.delete(f"/colleges/{college['id']}", headers=admin).status_code == 204
    assert client.get("/enterprises", headers=key).status_code == 401
