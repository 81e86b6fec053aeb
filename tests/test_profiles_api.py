"""The profiles API on both backends: create, read, list and filter, replace, patch, delete."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import college_body, enterprise_body


def create(client: TestClient, admin: dict[str, str], side: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/{side}", json=body, headers=admin)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def test_create_college_normalises_geocodes_and_names_codes(client: TestClient, admin: dict[str, str]) -> None:
    college = create(client, admin, "colleges", college_body())
    assert college["id"] >= 1
    assert college["province"] == "Xinjiang"  # "Xinjiang Uygur Autonomous Region" stored short
    assert college["location"] is not None
    assert 41.0 < college["location"]["lat"] < 42.5 and 85.5 < college["location"]["lon"] < 86.8  # Korla
    dyeing, chemical, cotton = college["specialties"]
    assert dyeing["name"] == "Digital Dyeing and Finishing Technology"  # from the catalogue
    assert chemical["name"] == "Applied Chemical Technology" and chemical["code"] == "470201"
    assert cotton["code"] is None
    assert len({s["id"] for s in college["specialties"]}) == 3
    assert college["warnings"] == []
    fetched = client.get(f"/colleges/{college['id']}", headers=admin).json()
    assert fetched["specialties"] == college["specialties"]


def test_create_enterprise_and_read_back(client: TestClient, admin: dict[str, str]) -> None:
    enterprise = create(client, admin, "enterprises", enterprise_body())
    assert enterprise["preferred_provinces"] == ["Xinjiang"]  # 新疆 normalised
    gap = enterprise["talent_gaps"][0]
    assert gap["headcount"] == 40 and gap["start_date"] == "2027-09-01" and gap["codes"] == ["480405"]
    assert isinstance(gap["id"], int)
    assert client.get(f"/enterprises/{enterprise['id']}", headers=admin).json() == enterprise | {"warnings": []}


@pytest.mark.parametrize("city", ["Kumul", "Hami"])
def test_alternate_city_names_geocode_to_the_same_place(client: TestClient, admin: dict[str, str], city: str) -> None:
    college = create(client, admin, "colleges", college_body(city=city, province=None, specialties=[]))
    assert college["province"] == "Xinjiang"  # filled in from the gazetteer
    assert 42.3 < college["location"]["lat"] < 43.3 and 92.9 < college["location"]["lon"] < 94.1


def test_unknown_city_stores_with_a_warning(client: TestClient, admin: dict[str, str]) -> None:
    college = create(client, admin, "colleges", college_body(city="Nowhereville Qqq"))
    assert college["location"] is None
    assert "Nowhereville Qqq" in college["warnings"][0]
    assert client.get(f"/colleges/{college['id']}", headers=admin).status_code == 200


def test_given_location_is_kept(client: TestClient, admin: dict[str, str]) -> None:
    college = create(client, admin, "colleges", college_body(location={"lat": 40.5, "lon": 80.25}))
    assert college["location"] == {"lat": 40.5, "lon": 80.25}


def test_list_paginates_and_filters(client: TestClient, admin: dict[str, str]) -> None:
    korla = create(client, admin, "colleges", college_body())
    shaoxing = create(client, admin, "colleges", college_body(
        name="Shaoxing Textile Technician College", name_zh="绍兴纺织技师学院", city="Shaoxing",
        province="Zhejiang", specialties=[{"code": "480401", "annual_graduates": 60}]))
    almaty = create(client, admin, "colleges", college_body(
        name="Almaty Polytechnic College", name_zh=None, country="kz", province="Almaty", city="Almaty",
        specialties=[]))

    def ids(**params: Any) -> tuple[list[int], int]:
        body = client.get("/colleges", params=params, headers=admin).json()
        return [c["id"] for c in body["data"]], body["count"]

    assert ids() == ([korla["id"], shaoxing["id"], almaty["id"]], 3)
    assert ids(limit=1, offset=1) == ([shaoxing["id"]], 3)
    assert ids(country="KZ") == ([almaty["id"]], 1)
    assert ids(province="新疆维吾尔自治区") == ([korla["id"]], 1)
    assert ids(province="xinjiang", country="cn") == ([korla["id"]], 1)
    assert ids(code="480405") == ([korla["id"]], 1)
    assert ids(code="480401") == ([shaoxing["id"]], 1)
    assert ids(name="textile") == ([shaoxing["id"]], 1)
    assert ids(name="纺织") == ([shaoxing["id"]], 1)
    assert ids(name="%") == ([], 0)  # LIKE wildcards are literal


def test_enterprise_industry_filter(client: TestClient, admin: dict[str, str]) -> None:
    dye = create(client, admin, "enterprises", enterprise_body())
    create(client, admin, "enterprises", enterprise_body(name="Korla Logistics", industry="Logistics"))
    body = client.get("/enterprises", params={"industry": "dyeing and finishing"}, headers=admin).json()
    assert [e["id"] for e in body["data"]] == [dye["id"]] and body["count"] == 1


def test_put_keeps_unit_ids_by_id_and_by_name(client: TestClient, admin: dict[str, str]) -> None:
    college = create(client, admin, "colleges", college_body())
    dyeing, chemical, cotton = college["specialties"]
    body = college_body(specialties=[
        {"id": chemical["id"], "name": "Applied Chemical Technology", "code": "470201", "annual_graduates": 95},
        {"name": "Cotton processing", "annual_graduates": 50},  # no id: matched by name
        {"name": "Industrial robots", "code": "460305", "annual_graduates": 30},  # new
    ])
    response = client.put(f"/colleges/{college['id']}", json=body, headers=admin)
    assert response.status_code == 200, response.text
    chem2, cotton2, robots = response.json()["specialties"]
    assert chem2["id"] == chemical["id"] and chem2["annual_graduates"] == 95
    assert cotton2["id"] == cotton["id"] and cotton2["annual_graduates"] == 50
    assert robots["id"] not in {dyeing["id"], chemical["id"], cotton["id"]}
    stored = client.get(f"/colleges/{college['id']}", headers=admin).json()
    assert [s["id"] for s in stored["specialties"]] == [chem2["id"], cotton2["id"], robots["id"]]


def test_put_with_a_foreign_unit_id_is_rejected_and_changes_nothing(client: TestClient, admin: dict[str, str]) -> None:
    a = create(client, admin, "colleges", college_body())
    b = create(client, admin, "colleges", college_body(name="Other College"))
    stolen = b["specialties"][0]["id"]
    body = college_body(specialties=[{"id": stolen, "name": "x", "annual_graduates": 1}])
    response = client.put(f"/colleges/{a['id']}", json=body, headers=admin)
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "specialties.0.id"
    assert client.get(f"/colleges/{a['id']}", headers=admin).json()["specialties"] == a["specialties"]
    assert client.get(f"/colleges/{b['id']}", headers=admin).json()["specialties"] == b["specialties"]


def test_patch_changes_only_what_is_sent(client: TestClient, admin: dict[str, str]) -> None:
    enterprise = create(client, admin, "enterprises", enterprise_body())
    response = client.patch(f"/enterprises/{enterprise['id']}", json={"size": "large"}, headers=admin)
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["size"] == "large"
    assert patched["talent_gaps"] == enterprise["talent_gaps"]
    assert patched["location"] == enterprise["location"]
    assert patched["updated_at"] >= enterprise["updated_at"]


def test_patch_moving_city_regeocodes(client: TestClient, admin: dict[str, str]) -> None:
    enterprise = create(client, admin, "enterprises", enterprise_body())
    moved = client.patch(f"/enterprises/{enterprise['id']}", json={"city": "Urumqi"}, headers=admin).json()
    assert 43.3 < moved["location"]["lat"] < 44.3 and 87.0 < moved["location"]["lon"] < 88.2


def test_duplicate_name_and_city_is_409(client: TestClient, admin: dict[str, str]) -> None:
    create(client, admin, "colleges", college_body())
    response = client.post("/colleges", json=college_body(name="  bayingolin vocational and TECHNICAL college "),
                           headers=admin)
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"
    # Same name in another city is another college.
    create(client, admin, "colleges", college_body(city="Aksu"))


def test_rename_onto_another_profile_is_409(client: TestClient, admin: dict[str, str]) -> None:
    create(client, admin, "colleges", college_body())
    other = create(client, admin, "colleges", college_body(name="Other College"))
    response = client.patch(f"/colleges/{other['id']}",
                            json={"name": "Bayingolin Vocational and Technical College"}, headers=admin)
    assert response.status_code == 409


def test_delete_removes_profile_and_units(client: TestClient, admin: dict[str, str]) -> None:
    college = create(client, admin, "colleges", college_body())
    assert client.delete(f"/colleges/{college['id']}", headers=admin).status_code == 204
    assert client.get(f"/colleges/{college['id']}", headers=admin).status_code == 404
    assert client.delete(f"/colleges/{college['id']}", headers=admin).status_code == 404
    assert client.get("/colleges", params={"code": "480405"}, headers=admin).json()["count"] == 0
    assert client.get("/info", headers=admin).json()["counts"]["specialties"] == 0


def test_empty_unit_lists_are_fine(client: TestClient, admin: dict[str, str]) -> None:
    college = create(client, admin, "colleges", college_body(specialties=[]))
    assert college["specialties"] == []


def test_health_info_and_docs(client: TestClient, admin: dict[str, str]) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    create(client, admin, "colleges", college_body())
    info = client.get("/info", headers=admin).json()
    assert info["database"] in ("sqlite", "postgresql")
    assert info["counts"] == {"colleges": 1, "specialties": 3, "enterprises": 0, "talent_gaps": 0}
    assert info["catalogue_size"] == 771
    assert client.get("/docs").status_code == 200
    assert "/colleges/{profile_id}" in client.get("/openapi.json").json()["paths"]


def test_city_found_only_in_another_province_warns(client: TestClient, admin: dict[str, str]) -> None:
    college = create(client, admin, "colleges", college_body(province="Zhejiang"))  # Korla is in Xinjiang
    assert college["province"] == "Zhejiang"  # the client's word is kept...
    assert "Xinjiang" in college["warnings"][0] and "Zhejiang" in college["warnings"][0]  # ...and questioned
