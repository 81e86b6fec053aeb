"""Bulk import and export: all-or-nothing, line-numbered problems, partial mode, round trips."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import college_body, enterprise_body


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def counts(client: TestClient, admin: dict[str, str]) -> dict[str, int]:
    result: dict[str, int] = client.get("/info", headers=admin).json()["counts"]
    return result


def post_import(client: TestClient, admin: dict[str, str], side: str, text: str, fmt: str,
                partial: bool = False) -> Any:
    return client.post("/import", params={"side": side, "format": fmt, "partial": partial},
                       content=text.encode("utf-8"), headers=admin)


def test_jsonl_import_writes_everything(client: TestClient, admin: dict[str, str]) -> None:
    text = jsonl(college_body(), college_body(name="Aksu Vocational College", city="Aksu"))
    response = post_import(client, admin, "colleges", text, "jsonl")
    assert response.status_code == 201, response.text
    assert response.json() | {"warnings": []} == {
        "side": "colleges", "format": "jsonl", "rows": 2, "created": 2, "rejected": 0, "errors": [],
        "warnings": []}
    assert counts(client, admin)["colleges"] == 2


def test_one_bad_row_writes_nothing_and_names_the_line(client: TestClient, admin: dict[str, str]) -> None:
    bad_code = college_body(name="B", specialties=[{"code": "999999", "annual_graduates": 5}])
    negative = college_body(name="C", specialties=[{"name": "x", "annual_graduates": -3}])
    text = jsonl(college_body()) + "{not json\n" + jsonl(bad_code, negative, college_body())
    response = post_import(client, admin, "colleges", text, "jsonl")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    problems = {(p["line"], p["field"]) for p in body["fields"]}
    assert (2, "") in problems  # malformed JSON
    assert (3, "specialties.0.code") in problems
    assert (4, "specialties.0.annual_graduates") in problems
    assert (5, "name") in problems  # duplicate of line 1
    assert counts(client, admin)["colleges"] == 0


def test_partial_import_writes_the_good_rows(client: TestClient, admin: dict[str, str]) -> None:
    text = jsonl(college_body(), college_body(name="B", country="ZZ"), college_body(name="C", city="Aksu"))
    response = post_import(client, admin, "colleges", text, "jsonl", partial=True)
    assert response.status_code == 201
    report = response.json()
    assert (report["rows"], report["created"], report["rejected"]) == (3, 2, 1)
    assert report["errors"][0]["line"] == 2 and report["errors"][0]["field"] == "country"
    assert counts(client, admin)["colleges"] == 2


def test_import_against_existing_profile_is_reported(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post("/colleges", json=college_body(), headers=admin).status_code == 201
    response = post_import(client, admin, "colleges", jsonl(college_body()), "jsonl")
    assert response.status_code == 422
    assert "already exists" in response.json()["fields"][0]["reason"]


CSV_COLLEGES = """name,name_zh,kind,country,province,city,lat,lon,description,cooperation_modes,specialty_name,specialty_code,specialty_description,annual_graduates
Korla Textile College,库尔勒纺织学院,higher_vocational,CN,Xinjiang,Korla,,,Textiles,order_class;internship,,480405,,120
Korla Textile College,,,,,Korla,,,,,Applied Chemical Technology,470201,,80
Hotan Vocational School,,secondary_vocational,CN,Xinjiang,Hotan,,,,internship,Carpet weaving,,hand looms,25
"""


def test_csv_rows_group_into_profiles(client: TestClient, admin: dict[str, str]) -> None:
    response = post_import(client, admin, "colleges", CSV_COLLEGES, "csv")
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 2
    korla = client.get("/colleges", params={"name": "Korla"}, headers=admin).json()["data"][0]
    assert [s["code"] for s in korla["specialties"]] == ["480405", "470201"]
    assert korla["cooperation_modes"] == ["order_class", "internship"]


@pytest.mark.parametrize(("text", "line", "field"), [
    (CSV_COLLEGES.replace(",120\n", ",many\n"), 2, "annual_graduates"),  # not a number
    (CSV_COLLEGES.replace("Xinjiang,Hotan", "Xinjang,Hotan"), 4, "province"),  # unknown province
    (CSV_COLLEGES.replace(",,,,,Korla", ",,,KZ,,Korla"), 3, "country"),  # conflicts with line 2
    (CSV_COLLEGES.replace("Carpet weaving,,hand looms,25", "Carpet weaving,,hand looms,25,extra"), 4, ""),
    ("nam,city\nx,y\n", 1, "header"),
    (CSV_COLLEGES.replace('Hotan Vocational', '"Hotan Vocational'), 4, ""),  # unterminated quote
])
def test_malformed_csv_is_reported_by_line(client: TestClient, admin: dict[str, str], text: str, line: int,
                                           field: str) -> None:
    response = post_import(client, admin, "colleges", text, "csv")
    assert response.status_code == 422, response.text
    fields = response.json()["fields"]
    assert any(p["line"] == line and p["field"] == field for p in fields), fields
    assert counts(client, admin)["colleges"] == 0


def test_import_needs_a_format_and_utf8(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/import", params={"side": "colleges"}, content=b"x", headers=admin)
    assert response.status_code == 415
    response = client.post("/import", params={"side": "colleges", "format": "csv"},
                           content="name\nCaf\xe9\n".encode("latin-1"), headers=admin)
    assert response.status_code == 400 and response.json()["error"] == "bad_encoding"
    response = client.post("/import", params={"side": "colleges"}, content=CSV_COLLEGES.encode(),
                           headers=admin | {"Content-Type": "text/csv"})
    assert response.status_code == 201


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize(("side", "bodies"), [
    ("colleges", [college_body(), college_body(name="Hami Vocational", city="Hami", specialties=[]),
                  college_body(name="Lost College", city="Qqqzzz", location=None)]),
    ("enterprises", [enterprise_body(), enterprise_body(name="Ordos Coal Chemicals", city="Ordos",
                                                       province="Inner Mongolia", talent_gaps=[]),
                     enterprise_body(name="Almaty Logistics", country="KZ", province="Almaty", city="Almaty",
                                     preferred_provinces=["Almaty Region"])]),
])
def test_export_then_import_into_an_empty_service_gives_the_same_data(
    client: TestClient, admin: dict[str, str], settings: Any, reference: Any, tmp_path: Any,
    side: str, bodies: list[dict[str, Any]], fmt: str,
) -> None:
    for body in bodies:
        assert client.post(f"/{side}", json=body, headers=admin).status_code == 201
    exported = client.get("/export", params={"side": side, "format": fmt}, headers=admin)
    assert exported.status_code == 200
    before = client.get(f"/{side}", headers=admin).json()["data"]

    from sqlalchemy import text as sql

    from matching.db import make_engine
    engine = make_engine(settings.db_url)
    with engine.begin() as connection:  # empty the service, keeping the keys
        connection.execute(sql(f"DELETE FROM {side}"))
        # As every write does (matching/live.py): the side's version tells each process, its indexes and
        # its cached answers, that the side changed. A delete behind the service's back without it would
        # leave the indexes and the cached list page stale alike.
        connection.execute(sql("UPDATE index_versions SET version = version + 1 WHERE side = :side"), {"side": side})
    engine.dispose()
    assert client.get(f"/{side}", headers=admin).json()["count"] == 0

    response = post_import(client, admin, side, exported.text, fmt)
    assert response.status_code == 201, response.text
    after = client.get(f"/{side}", headers=admin).json()["data"]

    def strip(profile: dict[str, Any]) -> dict[str, Any]:
        units = "specialties" if side == "colleges" else "talent_gaps"
        kept = {k: v for k, v in profile.items() if k not in ("id", "created_at", "updated_at", "warnings")}
        kept[units] = [{k: v for k, v in u.items() if k != "id"} for u in profile[units]]
        return kept

    assert [strip(p) for p in after] == [strip(p) for p in before]
