"""The reader's language: the catalogue, how the language is chosen, and errors a person reads in Chinese."""

import pytest
from fastapi.testclient import TestClient

from matching.messages import (
    LANGUAGES,
    TERMS,
    Lang,
    Wording,
    accepted,
    listing,
    number,
    pick_language,
    same_fields,
)
from matching.reference import Reference
from tests.conftest import college_body, enterprise_body


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    assert same_fields() == []
    assert all(set(t) == set(LANGUAGES) and all(t.values()) for t in TERMS.values())
    broken: dict[str, dict[Lang, str]] = {"x": {"en": "{a} and {b}", "zh": "{a}"}}
    assert same_fields(broken) == ["x"]  # the check itself can fail


@pytest.mark.parametrize(("query", "header", "want"), [
    (None, None, "en"),
    (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    (None, "en-US,en;q=0.9,zh;q=0.8", "en"),
    (None, "fr-FR, zh-TW;q=0.5", "zh"),       # the first supported one
    (None, "en;q=0.2, zh;q=0.7", "zh"),        # q-values, not order
    (None, "zh;q=0, en;q=0.1", "en"),          # q=0 means not acceptable
    (None, "de, fr", "en"),                   # nothing supported
    (None, "garbage;;q=x, zh-Hans", "zh"),
    ("zh", "en", "zh"),                       # the query wins
    ("en", "zh-CN", "en"),
    ("ZH-cn", None, "zh"),
    ("fr", "zh-CN", "en"),                    # an unknown lang reads as English
    ("", "zh", "en"),
])
def test_pick_language(query: str | None, header: str | None, want: str) -> None:
    assert pick_language(query, header) == want


def test_accept_language_none_when_nothing_fits() -> None:
    assert accepted(None) is None and accepted("ru, kk") is None


def test_numbers_and_lists_per_language() -> None:
    assert number("en", 1408) == "1,408" and number("zh", 1408) == "1408"
    assert listing("en", ["a", "b", "c"]) == "a, b and c" and listing("zh", ["a", "b", "c"]) == "a、b和c"


def test_specialty_names_in_chinese_only_when_named_as_in_the_catalogue(reference: Reference) -> None:
    zh = Wording("zh", reference.catalogue)
    assert zh.unit_name("Digital Dyeing and Finishing Technology", ["480405"]) == "数字化染整技术"
    assert zh.unit_name("Our own dyeing course", ["480405"]) == "Our own dyeing course"
    assert Wording("en", reference.catalogue).unit_name("Digital Dyeing and Finishing Technology",
                                                        ["480405"]) == "Digital Dyeing and Finishing Technology"


def test_error_details_in_chinese_and_english(client: TestClient, admin: dict[str, str]) -> None:
    # 404 from the domain
    r = client.get("/colleges/999/matches", params={"lang": "zh"}, headers=admin)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert r.json()["detail"] == "院校 999 不存在"
    r = client.get("/colleges/999/matches", headers=admin)
    assert r.json()["detail"] == "college 999 does not exist"
    r = client.get("/enterprises/999", headers={**admin, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert r.status_code == 404 and r.json()["detail"] == "企业 999 不存在"
    # 422 from validation: the field names stay, the reasons are Chinese
    r = client.get("/colleges/1/matches", params={"limit": 0, "lang": "zh"}, headers=admin)
    assert r.status_code == 422 and r.json()["error"] == "validation_error"
    assert r.json()["detail"] == "limit：应大于或等于 1"
    assert r.json()["fields"] == [{"field": "limit", "reason": "应大于或等于 1"}]
    r = client.get("/colleges/1/matches", params={"limit": 0}, headers=admin)
    assert r.json()["detail"] == "limit: Input should be greater than or equal to 1"
    r = client.post("/search", params={"lang": "zh"}, json={"side": "colleges"}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"] == "text：缺少此字段"
    # a body that is not JSON, an unknown route, no key
    r = client.post("/colleges", params={"lang": "zh"}, content=b"{", headers={**admin, "Content-Type":
                                                                                "application/json"})
    assert r.status_code == 400 and r.json() | {"fields": []} == {"error": "malformed_json",
                                                                    "detail": "请求体不是有效的 JSON", "fields": []}
    r = client.get("/nowhere", headers={"Accept-Language": "zh"})
    assert r.status_code == 404 and r.json()["detail"] == "没有这个地址"
    r = client.get("/colleges", params={"lang": "zh"})
    assert r.status_code == 401 and r.json()["detail"].startswith("需要 API 密钥")
    # the query wins over the header; an unknown lang is English
    r = client.get("/colleges/999/matches", params={"lang": "en"}, headers={**admin, "Accept-Language": "zh"})
    assert r.json()["detail"] == "college 999 does not exist"
    r = client.get("/colleges/999/matches", params={"lang": "xx"}, headers={**admin, "Accept-Language": "zh"})
    assert r.json()["detail"] == "college 999 does not exist"


def test_lang_is_accepted_by_every_strict_query_model(client: TestClient, admin: dict[str, str]) -> None:
    """Query models forbid unknown parameters: `lang` is taken out before they see it, and other
    parameters still reach them."""
    for url in ("/colleges", "/enterprises", "/match-lists"):
        assert client.get(url, params={"lang": "zh", "limit": 1}, headers=admin).status_code == 200, url
    r = client.get("/colleges", params={"lang": "zh", "limit": 0}, headers=admin)
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "limit"
    assert client.get("/colleges", params={"bogus": 1, "lang": "zh"}, headers=admin).status_code == 422


def test_reasons_and_empty_lists_follow_the_language(client: TestClient, admin: dict[str, str]) -> None:
    college = client.post("/colleges", json=college_body(), headers=admin).json()
    gaps = enterprise_body()["talent_gaps"][:1]  # dyeing technicians only
    enterprise = client.post("/enterprises", json=enterprise_body(talent_gaps=gaps), headers=admin).json()
    url = f"/enterprises/{enterprise['id']}/matches"
    en = client.get(url, headers=admin).json()["data"][0]
    zh = client.get(url, params={"lang": "zh"}, headers=admin).json()["data"][0]
    by_header = client.get(url, headers={**admin, "Accept-Language": "zh-CN"}).json()["data"][0]
    assert zh["reasons"] == by_header["reasons"] != en["reasons"]
    assert en["reasons"][0].startswith("Digital Dyeing and Finishing Technology (480405): 120 graduates a year for "
                                       "your 40 Dyeing technicians (similarity ")
    assert zh["reasons"][0].startswith("数字化染整技术（480405）：每年毕业 120 人，可满足贵方 40 名Dyeing technicians的需求（相似度 ")
    assert {k: v for k, v in zh.items() if k != "reasons"} == {k: v for k, v in en.items() if k != "reasons"}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r) for r in zh["reasons"])
    # the college's side, and a reason why a list is empty
    zh_college = client.get(f"/colleges/{college['id']}/matches", params={"lang": "zh"}, headers=admin).json()
    assert zh_college["data"][0]["reasons"][-1].startswith("对方视角：贵校约可填补其")
    empty = client.get(url, params={"lang": "zh", "province": "Beijing"}, headers=admin).json()
    assert empty["data"] == [] and empty["reason"] == "没有符合筛选条件的院校"
    assert client.get(url, params={"province": "Beijing"}, headers=admin).json()["reason"] == \
        "no college passes the filters"
    found = client.post("/search", params={"lang": "zh"}, json={"text": "dyeing technicians", "side": "colleges"},
                        headers=admin).json()["data"][0]
    assert found["reasons"][1] == "距离未知，位于新疆"
