"""Service behaviour outside any one resource: readiness, the catalogue."""

from pathlib import Path

from fastapi.testclient import TestClient

from matching.reference import Reference
from matching.taxonomy import Catalogue
from service.app import create_app
from service.settings import REPO_DATA, Settings


def test_not_ready_on_an_unmigrated_database(tmp_path: Path, reference: Reference) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}", home=tmp_path)
    with TestClient(create_app(settings, reference)) as client:
        response = client.get("/health")
        assert response.status_code == 503 and response.json()["error"] == "not_ready"
        assert response.headers["Retry-After"] == "5"
        assert client.get("/colleges", headers={"Authorization": "Bearer x"}).status_code == 503


def test_catalogue_is_complete_and_consistent() -> None:
    catalogue = Catalogue.load(REPO_DATA / "catalogue" / "vocational_specialties_2021.csv")
    assert len(catalogue) == 771
    dyeing = catalogue.get("480405")
    assert dyeing is not None and dyeing.name_zh == "数字化染整技术"
    assert dyeing.name_en == "Digital Dyeing and Finishing Technology"
    for code in catalogue.codes():
        entry = catalogue.get(code)
        assert entry is not None and len(code) == 6 and code.isdigit()
        assert entry.class_code == code[:4] and entry.category_code == code[:2]
    assert catalogue.get("999999") is None and "480405" in catalogue


def test_catalogue_search(client: TestClient, admin: dict[str, str]) -> None:
    def codes(**params: str | int) -> tuple[list[str], int]:
        body = client.get("/catalogue", params=params, headers=admin).json()
        return [e["code"] for e in body["data"]], body["count"]

    assert codes(q="dyeing") == (["480405"], 1)
    assert codes(q="染整") == (["480405"], 1)
    found, count = codes(q="4804")
    assert count == len(found) > 1 and all(c.startswith("4804") for c in found)
    assert codes(q="robot")[0] and all("robot" in e["name_en"].lower()
                                       for e in client.get("/catalogue", params={"q": "robot"}, headers=admin).json()["data"])
    assert codes(limit=10, offset=765) == (codes(limit=800)[0][765:775], 771)
    assert codes(q="zzzz nothing") == ([], 0)
    assert client.get("/catalogue").status_code == 401
