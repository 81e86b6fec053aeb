"""On the real sample: a match list for every enterprise in Xinjiang, created from the API.

The sample is embedded once per test run (tests.test_suggest.sample_db); this adds one list build.
"""

import time
from collections import defaultdict
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from embeddings.encoder import Encoder
from embeddings.thresholds import min_score
from matching import keys
from matching.db import make_engine, make_sessionmaker
from matching.models import Enterprise, Specialty, TalentGap
from matching.ranking import RankingSettings, calibrated, list_min_score
from matching.reference import Reference
from matching.vocab import Role
from service.app import create_app
from service.settings import Settings
from tests.test_suggest import sample_db  # noqa: F401  (the fixture)


def test_a_list_for_every_enterprise_in_xinjiang(sample_db: Path, reference: Reference,  # noqa: F811
                                                 encoder: Encoder, tmp_path: Path) -> None:
    url = f"sqlite:///{sample_db}"
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        _, secret = keys.create_key(session, Role.PROGRAM_MANAGER, name="PM Xinjiang")
        gaps = session.scalar(select(func.count()).select_from(TalentGap).join(Enterprise)
                              .where(Enterprise.province == "Xinjiang")) or 0
        headcount = session.scalar(select(func.sum(TalentGap.headcount)).join(Enterprise)
                                   .where(Enterprise.province == "Xinjiang")) or 0
        graduates = dict(session.execute(select(Specialty.id, Specialty.annual_graduates)).all())
    engine.dispose()
    pm = {"Authorization": f"Bearer {secret}"}
    settings = Settings(database_url=url, home=tmp_path / "home", load_sample=False)
    with TestClient(create_app(settings, reference, encoder)) as client:
        started = time.perf_counter()
        response = client.post("/match-lists", json={"name": "Every enterprise in Xinjiang",
                                                     "scope": {"provinces": ["Xinjiang Uygur Autonomous Region"]}},
                               headers=pm)
        if response.status_code == 202:  # more gaps than MATCH_MATCH_LIST_SYNC_MAX: a job
            job_id = response.json()["job_id"]
            while client.get(f"/jobs/{job_id}", headers=pm).json()["status"] in ("queued", "running"):
                time.sleep(0.1)
        else:
            assert response.status_code == 201, response.text
        seconds = time.perf_counter() - started
        lst = client.get(f"/match-lists/{response.json()['id']}", headers=pm).json()
        entries = client.get(f"/match-lists/{lst['id']}/entries", params={"limit": 500}, headers=pm).json()
        report = client.get(f"/match-lists/{lst['id']}/report", headers=pm).json()

    assert lst["status"] == "ready" and lst["demand"]["headcount"] == headcount
    assert report["demand"]["gaps"] == gaps > 200
    assert entries["total"] == lst["counts"]["entries"] > 0
    taken: dict[int, int] = defaultdict(int)
    for e in entries["data"]:
        assert e["enterprise_province"] == "Xinjiang" and e["score"] >= lst["min_score"]
        taken[e["specialty_id"]] += e["headcount"]
    assert all(n <= graduates[s] for s, n in taken.items())
    d = report["demand"]
    assert d["allocated"] == sum(e["headcount"] for e in entries["data"]) > headcount // 2
    assert sum(r["allocated"] for r in report["by_industry"]) == d["allocated"]
    assert sum(u["missing"] for u in report["unfilled"]) == d["headcount"] - d["allocated"]
    print(f"\nXinjiang list: {d['gaps']} gaps, {lst['counts']['entries']} entries, {d['allocated']}/{d['headcount']} "
          f"({d['coverage']:.1%}) allocated, built in {seconds:.2f} s")


def test_a_pair_below_the_models_default_min_score_is_not_listed(sample_db: Path, reference: Reference,  # noqa: F811
                                                                 encoder: Encoder, tmp_path: Path) -> None:
    """A list asked without min_score takes the one derived for the model and the weights in use (not 0.3), and
    a suggested pair that is a match but scores below it is not allocated; with a lower min_score it is."""
    engine = make_engine(f"sqlite:///{sample_db}")
    with make_sessionmaker(engine)() as session:
        _, secret = keys.create_key(session, Role.PROGRAM_MANAGER, name="PM below")
        xinjiang = list(session.scalars(select(Enterprise.id).where(Enterprise.province == "Xinjiang")
                                        .order_by(Enterprise.id)))
    engine.dispose()
    pm = {"Authorization": f"Bearer {secret}"}
    settings = Settings(database_url=f"sqlite:///{sample_db}", home=tmp_path / "home", load_sample=False)
    with TestClient(create_app(settings, reference, encoder)) as client:
        default = client.get("/info", headers=pm).json()["ranker"]["match_list_min_score"]
        assert default == list_min_score(calibrated(RankingSettings(), encoder.name))
        assert default == min_score(encoder.name, RankingSettings().weights.normalised())
        below = next((enterprise, s) for enterprise in xinjiang
                     for s in client.get(f"/enterprises/{enterprise}/matches", params={"limit": 50},
                                         headers=pm).json()["data"]
                     if s["score"] < default and any(p["relevant"] for p in s["matched"]))
        enterprise, suggestion = below
        body = {"scope": {"enterprise_ids": [enterprise], "college_ids": [suggestion["id"]]}}
        lst = client.post("/match-lists", json={"name": "at the default"} | body, headers=pm).json()
        assert lst["min_score"] == default and lst["counts"]["entries"] == 0, lst
        report = client.get(f"/match-lists/{lst['id']}/report", headers=pm).json()
        # nothing was eligible: below min_score (or, for other colleges' candidates, outside the scope)
        assert report["unfilled"] and {u["reason"] for u in report["unfilled"]} <= {"below_min_score", "filtered_out"}
        lower = client.post("/match-lists", json={"name": "lower", "min_score": 0.0} | body, headers=pm).json()
        entries = client.get(f"/match-lists/{lower['id']}/entries", headers=pm).json()["data"]
        assert lower["counts"]["entries"] > 0 and {e["college_id"] for e in entries} == {suggestion["id"]}
        assert all(e["score"] < default for e in entries)
