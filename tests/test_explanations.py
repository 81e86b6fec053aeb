"""Every figure in a suggestion's `reasons`, recomputed from the two profiles fetched through the API.

Reasons are parsed back (English and Chinese, both directions) and their headcounts, graduates,
people covered, coverage, shares and distances compared with what the profiles say: per
specialty, the summed headcount of every gap paired with it; covered capped per specialty.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from embeddings.encoder import Encoder
from matching import keys
from matching.db import make_engine, make_sessionmaker
from matching.geography import haversine_km
from matching.reference import Reference
from matching.vocab import Role
from service.app import create_app
from service.settings import Settings
from tests.conftest import college_body, enterprise_body
from tests.test_suggest import sample_db  # noqa: F401  (the fixture)

Json = dict[str, Any]
NUM = r"[\d,]+"
CODES_EN = r"(?: \((?P<codes>[\d, ]+)\))?"
CODES_ZH = r"(?:（(?P<codes>[\d、]+)）)?"
# One reason per matched specialty: (single gap, several gaps) per language and direction.
SPECIALTY = {
    ("en", True): (
        re.compile(rf"^(?P<spec>.+?){CODES_EN}: (?P<grad>{NUM}) graduates a year for your (?P<head>{NUM}) "
                   r"(?P<gap>.+) \(similarity (?P<sim>[\d.]+)(?P<rest>.*)\)$"),
        re.compile(rf"^(?P<spec>.+?){CODES_EN}: (?P<grad>{NUM}) graduates a year for (?P<head>{NUM}) people in "
                   r"(?P<n>\d+) of your gaps: (?P<gaps>.+)$")),
    ("zh", True): (
        re.compile(rf"^(?P<spec>.+?){CODES_ZH}：每年毕业 (?P<grad>\d+) 人，可满足贵方 (?P<head>\d+) 名(?P<gap>.+?)"
                   r"(?:的需求|需求中的 (?P<part>\d+) 名)（相似度 (?P<sim>[\d.]+)(?P<rest>.*)）$"),
        re.compile(rf"^(?P<spec>.+?){CODES_ZH}：每年毕业 (?P<grad>\d+) 人，对应贵方 (?P<n>\d+) 个岗位共 (?P<head>\d+) 人："
                   r"(?P<gaps>.+)$")),
    ("en", False): (
        re.compile(rf"^(?P<gap>.+?){CODES_EN}: (?P<head>{NUM}) wanted, for your (?P<spec>.+) with (?P<grad>{NUM}) "
                   r"graduates a year \(similarity (?P<sim>[\d.]+)(?P<rest>.*)\)$"),
        re.compile(rf"^Your (?P<spec>.+?){CODES_EN} with (?P<grad>{NUM}) graduates a year, for (?P<head>{NUM}) "
                   r"wanted in (?P<n>\d+) of their gaps: (?P<gaps>.+)$")),
    ("zh", False): (
        re.compile(rf"^(?P<gap>.+?){CODES_ZH}：需要 (?P<head>\d+) 人，对应贵校每年毕业 (?P<grad>\d+) 人的(?P<spec>.+)"
                   r"（相似度 (?P<sim>[\d.]+)(?P<rest>.*)）$"),
        re.compile(rf"^贵校(?P<spec>.+?){CODES_ZH}每年毕业 (?P<grad>\d+) 人，对应对方 (?P<n>\d+) 个岗位共 (?P<head>\d+) 人："
                   r"(?P<gaps>.+)$")),
}
GAP_ITEM = {"en": (re.compile(rf"^(?P<gap>.+) \((?P<head>{NUM}), similarity (?P<sim>[\d.]+)(?P<rest>.*)\)$"), "; "),
            "zh": (re.compile(r"^(?P<gap>.+) (?P<head>\d+) 人（相似度 (?P<sim>[\d.]+)(?P<rest>.*)）$"), "；")}
VIEW = {
    ("en", True): re.compile(rf"^Their view: your gaps would take about (?P<covered>{NUM}) of their (?P<total>{NUM}) "
                             rf"graduates a year \((?P<share>\d+%)\); your view: they cover (?P<coverage>\d+%) of the "
                             rf"(?P<head>{NUM}) people you ask for$"),
    ("zh", True): re.compile(r"^对方视角：贵方岗位约需其每年 (?P<total>\d+) 名毕业生中的 (?P<covered>\d+) 名（(?P<share>\d+%)）；"
                             r"贵方视角：对方可满足贵方所需 (?P<head>\d+) 人中的 (?P<coverage>\d+%)$"),
    ("en", False): re.compile(rf"^Their view: you could fill about (?P<covered>{NUM}) of their (?P<total>{NUM}) open "
                              rf"positions \((?P<share>\d+%)\); your view: they take (?P<coverage>\d+%) of your "
                              rf"(?P<grad>{NUM}) graduates a year$"),
    ("zh", False): re.compile(r"^对方视角：贵校约可填补其 (?P<total>\d+) 个岗位中的 (?P<covered>\d+) 个（(?P<share>\d+%)）；"
                              r"贵方视角：对方可吸纳贵校每年 (?P<grad>\d+) 名毕业生中的 (?P<coverage>\d+%)$"),
}
DISTANCE = {"en": re.compile(rf"^(?:(?P<km>{NUM}) km away|(?P<near>Less than 1 km away)|(?P<unknown>Distance unknown)), "),
            "zh": re.compile(r"^(?:相距 (?P<km>\d+) 公里|(?P<near>相距不到 1 公里)|(?P<unknown>距离未知))，")}


def n(text: str) -> int:
    return int(text.replace(",", ""))


def pct(share: float) -> str:
    return f"{share:.0%}"


@dataclass
class Checked:
    groups: int = 0
    shared: int = 0  # specialties that serve several gaps
    suggestions: int = 0


def specialty_name(reference: Reference, lang: str, unit: Json) -> str:
    if lang == "zh":
        for code in unit["codes"]:
            entry = reference.catalogue.get(code)
            if entry and entry.name_en.casefold() == unit["name"].casefold():
                return entry.name_zh
    return str(unit["name"])


def check(client: TestClient, headers: dict[str, str], reference: Reference, asker_side: str, asker_id: int,
          lang: str, limit: int = 5, tally: Checked | None = None) -> Checked:
    """Fetch the asker's suggestions in `lang` and both profiles of each; recompute every figure."""
    tally = tally or Checked()
    is_enterprise = asker_side == "enterprises"
    other_side = "colleges" if is_enterprise else "enterprises"
    response = client.get(f"/{asker_side}/{asker_id}/matches", params={"limit": limit, "lang": lang}, headers=headers)
    assert response.status_code == 200, response.text
    asker = client.get(f"/{asker_side}/{asker_id}", headers=headers).json()
    for s in response.json()["data"]:
        other = client.get(f"/{other_side}/{s['id']}", headers=headers).json()
        enterprise, college = (asker, other) if is_enterprise else (other, asker)
        headcount_of = {g["id"]: g["headcount"] for g in enterprise["talent_gaps"]}
        graduates_of = {u["id"]: u["annual_graduates"] for u in college["specialties"]}
        context = (asker_side, asker_id, s["id"], lang)
        # Per specialty, from the pairs: every gap paired with it, with its headcount from the profile.
        groups: dict[int, list[Json]] = {}
        for pair in s["matched"]:
            if pair["relevant"]:
                spec = pair["candidate_unit"] if is_enterprise else pair["query_unit"]
                groups.setdefault(spec["id"], []).append(pair)
        gaps_in = [p["query_unit" if is_enterprise else "candidate_unit"]["id"] for p in s["matched"]]
        headcount = sum(headcount_of[g] for g in gaps_in)
        covered = sum(min(graduates_of[sid], sum(headcount_of[p["query_unit" if is_enterprise else "candidate_unit"]
                                                              ["id"]] for p in pairs))
                      for sid, pairs in groups.items())
        assert s["capacity"]["headcount"] == headcount, context
        assert s["capacity"]["graduates_per_year"] == sum(graduates_of[sid] for sid in groups), context
        assert s["capacity"]["covered"] == covered, context
        # responses carry 4 decimals (matching.rounding)
        assert s["capacity"]["coverage"] == round(covered / headcount if headcount else 0.0, 4), context
        if is_enterprise:
            assert headcount == sum(headcount_of.values()), context  # every gap of the asker is paired

        reasons = s["reasons"]
        assert len(reasons) >= len(groups) + 2, context
        for reason, (sid, pairs) in zip(reasons, groups.items(), strict=False):
            single, several = SPECIALTY[(lang, is_enterprise)]
            spec_unit = next(p["candidate_unit" if is_enterprise else "query_unit"] for p in pairs)
            gap_key = "query_unit" if is_enterprise else "candidate_unit"
            want_head = sum(headcount_of[p[gap_key]["id"]] for p in pairs)
            m = (single if len(pairs) == 1 else several).match(reason)
            assert m, (context, reason)
            assert m["spec"] == specialty_name(reference, lang, spec_unit), (context, reason)
            assert n(m["grad"]) == graduates_of[sid], (context, reason)
            assert n(m["head"]) == want_head, (context, reason)
            if len(pairs) == 1:
                assert m["gap"] == pairs[0][gap_key]["name"], (context, reason)
                assert m["sim"] == f"{pairs[0]['similarity']:.2f}", (context, reason)
                if lang == "zh" and is_enterprise:
                    assert (m["part"] is None) == (graduates_of[sid] >= want_head), (context, reason)
                    if m["part"]:
                        assert n(m["part"]) == graduates_of[sid]
            else:
                tally.shared += 1
                assert n(m["n"]) == len(pairs), (context, reason)
                item, separator = GAP_ITEM[lang]
                listed = m["gaps"].split(separator)
                assert len(listed) == len(pairs), (context, reason)
                for text, pair in zip(listed, pairs, strict=True):
                    g = item.match(text)
                    assert g, (context, text)
                    assert g["gap"] == pair[gap_key]["name"], (context, text)
                    assert n(g["head"]) == headcount_of[pair[gap_key]["id"]], (context, text)
                    assert g["sim"] == f"{pair['similarity']:.2f}", (context, text)
            tally.groups += 1
        place = reasons[max(len(groups), 1)]
        d = DISTANCE[lang].match(place)
        assert d, (context, place)
        here, there = asker.get("location"), other.get("location")
        if here and there:
            km = haversine_km(here["lat"], here["lon"], there["lat"], there["lon"])
            if d["km"]:
                assert abs(n(d["km"]) - km) <= 0.5 + 0.05, (context, place, km)
            else:
                assert d["near"] and km < 1.05, (context, place, km)
        else:
            assert d["unknown"], (context, place)
        view = VIEW[(lang, is_enterprise)].match(reasons[-1])
        assert view, (context, reasons[-1])
        total = sum((graduates_of if is_enterprise else headcount_of).values())
        assert n(view["covered"]) == covered and n(view["total"]) == total, (context, reasons[-1])
        assert view["share"] == pct(covered / total if total else 0.0), (context, reasons[-1])
        if is_enterprise:
            assert n(view["head"]) == headcount, (context, reasons[-1])
            assert view["coverage"] == pct(covered / headcount), (context, reasons[-1])
        else:
            mine = sum(graduates_of.values())
            assert n(view["grad"]) == mine, (context, reasons[-1])
            assert view["coverage"] == pct(covered / mine), (context, reasons[-1])
        tally.suggestions += 1
    return tally


@pytest.fixture(scope="module")
def sample_client(sample_db: Path, reference: Reference, encoder: Encoder,  # noqa: F811
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    url = f"sqlite:///{sample_db}"
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        _, secret = keys.create_key(session, Role.ADMIN)
    engine.dispose()
    settings = Settings(database_url=url, home=tmp_path_factory.mktemp("explain-home"), load_sample=False)
    with TestClient(create_app(settings, reference, encoder)) as client:
        yield client, {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sample_reasons_recompute_from_both_profiles(sample_client: tuple[TestClient, dict[str, str]],
                                                     reference: Reference, lang: str) -> None:
    client, admin = sample_client
    tally = Checked()
    for enterprise_id in (28, *range(1, 441, 37)):
        check(client, admin, reference, "enterprises", enterprise_id, lang, tally=tally)
    for college_id in range(1, 221, 23):
        check(client, admin, reference, "colleges", college_id, lang, tally=tally)
    assert tally.suggestions >= 100 and tally.shared >= 10, tally


def test_enterprise_28_their_view_counts_every_gap_of_a_shared_specialty(
        sample_client: tuple[TestClient, dict[str, str]]) -> None:
    """The issue's case: five gaps, 283 people, pair with one 66-graduate specialty of college 86."""
    client, admin = sample_client
    data = client.get("/enterprises/28/matches", params={"limit": 10}, headers=admin).json()["data"]
    shared = [s for s in data if len({p["candidate_unit"]["id"] for p in s["matched"] if p["relevant"]}) == 1
              and sum(p["relevant"] for p in s["matched"]) > 1]
    assert shared, [s["reasons"] for s in data]
    for s in shared:
        spec = next(p["candidate_unit"] for p in s["matched"] if p["relevant"])
        heads = sum(p["query_unit"]["amount"] for p in s["matched"] if p["relevant"])
        assert s["capacity"]["covered"] == min(spec["amount"], heads)
        assert f"about {min(spec['amount'], heads):,} of their" in s["reasons"][-1]
        assert sum(spec["name"] in r for r in s["reasons"]) == 1  # one reason for the specialty


DYEING = college_body(
    name="Korla Dyeing Vocational College", name_zh="库尔勒印染职业学院",
    specialties=[{"name": "Digital Dyeing and Finishing Technology", "code": "480405", "annual_graduates": 50,
                  "description": "Continuous dyeing ranges, colour matching and fabric finishing"},
                 {"name": "Hotel Management and Digital Operations", "code": "540106", "annual_graduates": 30}],
)
THREE_GAPS = enterprise_body(talent_gaps=[
    {"field": "Dyeing technicians", "headcount": 40, "codes": ["480405"],
     "description": "Operate continuous dyeing ranges; colour matching."},
    {"field": "Finishing technicians", "headcount": 30, "codes": ["480405"],
     "description": "Fabric finishing and dyeing process control."},
    {"field": "Dyeing line operators", "headcount": 20, "codes": ["480405"],
     "description": "Run the dyeing line and finishing machines."},
])
CHINESE_GAP = enterprise_body(name="Aksu Printing and Dyeing Co.", name_zh="阿克苏印染有限公司", talent_gaps=[
    {"field": "印染技术员", "headcount": 40, "codes": ["480405"], "description": "负责染色和后整理工艺"}])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_gaps_sharing_one_specialty_are_summed_and_covered_once(client: TestClient, admin: dict[str, str],
                                                                reference: Reference, lang: str) -> None:
    college = client.post("/colleges", json=DYEING, headers=admin).json()
    enterprise = client.post("/enterprises", json=THREE_GAPS, headers=admin).json()
    tally = check(client, admin, reference, "enterprises", enterprise["id"], lang)
    tally = check(client, admin, reference, "colleges", college["id"], lang, tally=tally)
    assert tally.suggestions == 2 and tally.shared == 2, tally
    s = client.get(f"/enterprises/{enterprise['id']}/matches", params={"lang": lang}, headers=admin).json()["data"][0]
    assert s["capacity"] == {"graduates_per_year": 50, "headcount": 90, "covered": 50, "coverage": round(50 / 90, 4)}
    if lang == "en":
        assert s["reasons"][0].startswith("Digital Dyeing and Finishing Technology (480405): 50 graduates a year "
                                          "for 90 people in 3 of your gaps: Dyeing technicians (40, similarity ")
        assert s["reasons"][-1].endswith("your view: they cover 56% of the 90 people you ask for")
    else:
        assert s["reasons"][0].startswith("数字化染整技术（480405）：每年毕业 50 人，对应贵方 3 个岗位共 90 人：")
        assert s["reasons"][-1] == "对方视角：贵方岗位约需其每年 80 名毕业生中的 50 名（62%）；贵方视角：对方可满足贵方所需 90 人中的 56%"


def test_a_chinese_gap_reads_naturally_in_chinese(client: TestClient, admin: dict[str, str],
                                                  reference: Reference) -> None:
    client.post("/colleges", json=DYEING, headers=admin)
    enterprise = client.post("/enterprises", json=CHINESE_GAP, headers=admin).json()
    check(client, admin, reference, "enterprises", enterprise["id"], "zh")
    s = client.get(f"/enterprises/{enterprise['id']}/matches", params={"lang": "zh"}, headers=admin).json()["data"][0]
    first = s["reasons"][0]
    assert first.startswith("数字化染整技术（480405）：每年毕业 50 人，可满足贵方 40 名印染技术员的需求（相似度 "), first
    assert "同一专业代码" in first
    assert s["reasons"][1] == "相距不到 1 公里，同在新疆"
    assert s["reasons"][2] == "双方都列出了实习和订单班"
    assert s["reasons"][3] == "在企业的意向省份内（新疆）"
