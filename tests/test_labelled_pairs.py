"""The labelled evaluation set (training/labelled_pairs.py) and the text baselines over it.

The set must be deterministic, import-valid, labelled completely (every fair match is a pair) and
actually noisy; the baselines and metrics are checked on hand-made inputs with known answers.
"""

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matching.schemas import CollegeCreate, EnterpriseCreate
from matching.taxonomy import Catalogue
from training import sample_data
from training.baselines import (
    BM25Baseline,
    DenseBaseline,
    DenseUnitBaseline,
    Encode,
    evaluate_rankings,
    load_default_encoder,
    profile_text,
    recall_at_k,
    reciprocal_rank,
)
from training.labelled_pairs import (
    LabelledSet,
    generate_labelled,
    relevant_for_college,
    relevant_for_enterprise,
    write_labelled,
)

SMALL = {"n_pairs": 40, "n_distractor_colleges": 25, "n_distractor_enterprises": 30, "seed": 3}


@pytest.fixture(scope="module")
def small() -> LabelledSet:
    return generate_labelled(**SMALL)


@pytest.fixture(scope="module")
def full() -> LabelledSet:
    """The default set: the noise checks need its numbers (it takes well under a second)."""
    return generate_labelled()


@pytest.fixture(scope="module")
def codes() -> set[str]:
    return set(Catalogue.load(sample_data.CATALOGUE_PATH).codes())


def _matches(s: LabelledSet) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(enterprise, college, gap, specialty) of every pair."""
    for (e, c), (g, sp) in zip(s.pairs, s.pair_units, strict=True):
        enterprise, college = s.enterprises[e], s.colleges[c]
        yield enterprise, college, enterprise["talent_gaps"][g], college["specialties"][sp]


# --- the set -------------------------------------------------------------------------------------


def test_deterministic_for_a_seed(small: LabelledSet) -> None:
    assert generate_labelled(**SMALL) == small
    other = generate_labelled(**{**SMALL, "seed": 4})
    assert other.colleges != small.colleges
    assert other.enterprises != small.enterprises


def test_pairs_index_records(small: LabelledSet) -> None:
    assert len(small.pairs) == SMALL["n_pairs"]
    assert small.pairs == sorted(set(small.pairs))
    assert len(small.colleges) > SMALL["n_distractor_colleges"]
    assert len(small.enterprises) > SMALL["n_distractor_enterprises"]
    for (e, c), (g, sp) in zip(small.pairs, small.pair_units, strict=True):
        assert 0 <= e < len(small.enterprises) and 0 <= c < len(small.colleges)
        assert 0 <= g < len(small.enterprises[e]["talent_gaps"])
        assert 0 <= sp < len(small.colleges[c]["specialties"])


def test_records_validate_against_service_schema(small: LabelledSet) -> None:
    for college in small.colleges:
        CollegeCreate.model_validate(college)
    for enterprise in small.enterprises:
        EnterpriseCreate.model_validate(enterprise)


def test_codes_exist_in_catalogue(small: LabelledSet, codes: set[str]) -> None:
    for college in small.colleges:
        assert college["specialties"]
        for spec in college["specialties"]:
            assert spec["code"] is None or spec["code"] in codes, spec
    for enterprise in small.enterprises:
        assert enterprise["talent_gaps"]
        for gap in enterprise["talent_gaps"]:
            assert set(gap["codes"]) <= codes, gap


def test_names_unique_per_city(full: LabelledSet) -> None:
    for records in (full.colleges, full.enterprises):
        keys = [(r["name"], r["city"]) for r in records]
        assert len(keys) == len(set(keys))


def test_true_specialty_has_the_capacity(full: LabelledSet) -> None:
    for _, _, gap, spec in _matches(full):
        assert spec["annual_graduates"] >= gap["headcount"]


def test_labels_are_complete(full: LabelledSet) -> None:
    # Visible codes give a lower bound on fair matches: any college whose specialty carries the
    # code of a pair's specialty, with enough graduates, must be labelled for that enterprise too.
    offered: dict[str, list[tuple[int, int]]] = {}
    for c, college in enumerate(full.colleges):
        for spec in college["specialties"]:
            if spec["code"]:
                offered.setdefault(spec["code"], []).append((c, spec["annual_graduates"]))
    pairs = set(full.pairs)
    for (e, _), (_, _, gap, spec) in zip(full.pairs, _matches(full), strict=True):
        for c, graduates in offered.get(spec["code"] or "", []):
            if graduates >= gap["headcount"]:
                assert (e, c) in pairs


def test_relevance_maps(small: LabelledSet) -> None:
    by_enterprise = relevant_for_enterprise(small)
    by_college = relevant_for_college(small)
    assert {(e, c) for e, cs in by_enterprise.items() for c in cs} == set(small.pairs)
    assert {(e, c) for c, es in by_college.items() for e in es} == set(small.pairs)


def test_noise_is_realistic(full: LabelledSet) -> None:
    matches = list(_matches(full))
    n = len(matches)
    coded = [(gap, spec) for _, _, gap, spec in matches if spec["code"]]
    no_codes = sum(not gap["codes"] for gap, _ in coded) / len(coded)
    exact = sum(spec["code"] in gap["codes"] for gap, spec in coded) / len(coded)
    sibling = sum(bool(gap["codes"]) and spec["code"] not in gap["codes"]
                  and gap["codes"][0][:4] == spec["code"][:4] for gap, spec in coded) / len(coded)
    assert 0.4 < no_codes < 0.7 and 0.2 < exact < 0.45 and 0.05 < sibling < 0.25
    assert sum(gap["description"][:1].islower() for _, _, gap, _ in matches) / n > 0.03  # vague posts
    assert sum(gap["field"] != spec["name"] for _, _, gap, spec in matches) == n  # never verbatim
    assert sum(spec["code"] is None for _, _, _, spec in matches) > 0
    other_province = sum(e["province"] != c["province"] for e, c, _, _ in matches) / n
    other_country = sum(e["country"] != c["country"] for e, c, _, _ in matches) / n
    assert 0.5 < other_province < 0.95 and 0.05 < other_country < 0.35
    true_colleges = {c for _, c in full.pairs}
    assert all(len(full.colleges[c]["specialties"]) >= 4 for c in true_colleges)  # unrelated ones too
    assert len(true_colleges) < len(full.colleges) / 2  # distractors outnumber them


def test_write_labelled(tmp_path: Path, small: LabelledSet) -> None:
    write_labelled(tmp_path, small)
    colleges = (tmp_path / "colleges.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in colleges] == small.colleges
    enterprises = (tmp_path / "enterprises.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in enterprises] == small.enterprises
    with (tmp_path / "pairs.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(int(r["enterprise_index"]), int(r["college_index"])) for r in rows] == small.pairs


def test_rejects_bad_counts() -> None:
    with pytest.raises(ValueError):
        generate_labelled(n_pairs=0)


# --- metrics -------------------------------------------------------------------------------------


def test_recall_at_k() -> None:
    assert recall_at_k([5, 1, 7], {1, 9}) == 0.5
    assert recall_at_k([5, 1, 7], {7}, k=2) == 0.0
    assert recall_at_k([], {3}) == 0.0
    with pytest.raises(ValueError):
        recall_at_k([1], set())


def test_reciprocal_rank() -> None:
    assert reciprocal_rank([4, 8, 2], {2, 8}) == 0.5
    assert reciprocal_rank([4], {4}) == 1.0
    assert reciprocal_rank([4, 8], {1}) == 0.0


def test_evaluate_rankings() -> None:
    rankings = {0: [3, 1, 2], 1: [5, 6], 2: [9]}
    relevant = {0: {1}, 1: {6, 7}, 2: {4}}
    result = evaluate_rankings(rankings, relevant)
    assert result["recall@10"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert result["mrr"] == pytest.approx((0.5 + 0.5 + 0) / 3)
    assert result["queries"] == 3
    with pytest.raises(KeyError):
        evaluate_rankings({0: [1]}, {0: {1}, 1: {2}})


# --- baselines -----------------------------------------------------------------------------------

CORPUS = [
    "Digital Dyeing and Finishing Technology. Reactive dyeing of cotton, colour matching with "
    "spectrophotometers, stenter operation.",
    "Numerical Control (CNC) Technology. CNC programming, multi-axis machining, CAD/CAM.",
    "Smart Health and Elderly Care Services. Elderly care skills, dementia care, care home management.",
]


def test_profile_text() -> None:
    college = {"name": "Korla Textile College", "description": "Founded 1980.",
               "specialties": [{"name": "Silk Technology", "description": "Silk reeling."}]}
    text = profile_text(college, "college")
    assert all(part in text for part in ("Korla Textile College", "Founded 1980", "Silk Technology", "Silk reeling"))
    gap: dict[str, Any] = {"field": "Lab colourist", "description": None, "headcount": 2, "level": "senior_technician"}
    assert "senior technician" in profile_text({"name": "X", "talent_gaps": [gap]}, "enterprise")
    with pytest.raises(ValueError):
        profile_text(college, "school")


def test_bm25_ranks_the_obvious_document_first() -> None:
    bm25 = BM25Baseline(CORPUS)
    assert bm25.rank("operators for cotton dyeing and colour matching", k=3)[0] == 0
    assert bm25.rank("CNC machining centre operators", k=3)[0] == 1
    assert bm25.rank("the and of", k=3) == []  # stopwords only
    assert bm25.rank("welding robots", k=3) == []  # no shared term: nothing to rank on


@pytest.fixture(scope="module")
def encode() -> Encode:
    return load_default_encoder()


def test_dense_ranks_the_obvious_document_first(encode: Encode) -> None:
    vectors = encode(CORPUS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    dense = DenseBaseline(encode, CORPUS)
    # Paraphrases sharing few words with the documents.
    assert dense.rank("nursing assistants for a home for older people", k=3)[0] == 2
    assert dense.rank("shade matchers for the dyehouse", k=3)[0] == 0
    assert sorted(dense.rank("lathe and milling operators", k=3)) == [0, 1, 2]


def test_dense_units_rank_by_best_unit(encode: Encode) -> None:
    colleges: list[dict[str, Any]] = [{"name": "A", "specialties": [{"name": "Tour Guiding"}, {"name": "Nursing"}]},
                {"name": "B", "specialties": [{"name": "Numerical Control (CNC) Technology"}]},
                {"name": "C", "specialties": []}]
    firm = {"name": "F", "talent_gaps": [{"field": "CNC lathe operators", "headcount": 3},
                                         {"field": "Cleaners", "headcount": 1}]}
    units = DenseUnitBaseline(encode, colleges, "college")
    assert units.rank_many([firm], "enterprise", k=3) == [[1, 0]]  # C has no units to match
