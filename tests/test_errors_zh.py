"""Error details a person reads, in Chinese: every client mistake of test_bad_input's table, asked with
`?lang=zh` and with `Accept-Language: zh-CN`, answers as in English (status, error code, field names, lines)
with a Chinese `detail` and Chinese reasons, and changes nothing. Plus mistakes the table has no room for
(match-list state, ranker, shedding, 413), and the catalogue itself."""

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from matching.messages import CATALOGUE, LANGUAGES, fields_of
from matching.outcomes.feedback import REASONS
from matching.outcomes.transfer import COLUMNS as PARTNERSHIP_COLUMNS
from matching.outcomes.vocab import FeedbackAction
from matching.sides import COLLEGES, ENTERPRISES
from matching.transfer import csv_columns
from tests import test_match_lists_api as lists_api
from tests.test_bad_input import CASES, F, Seed, api, seed, send, settle, snapshot  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|「[^」]*」|`[^`]*`")
# What a Chinese sentence may still hold in Latin letters: names of things, not words of a sentence.
TOKENS = {"json", "jsonl", "csv", "api", "bearer", "authorization", "nul", "utf", "null", "unicode", "yyyy", "mm",
          "dd", "iso", "http", "https", "url", "content", "type", "format", "side", "min_similarity", "id", "ids",
          "key", "mk_", "int", "bytes", "gb", "mib", "kb", "retry", "after", "lang", "zh", "en", "of", "utc",
          "true", "false", "uuid", "ndjson", "text", "plain", "application", "octet", "stream", "x", "s"}


# Names a reason may list for the reader to type: columns of the files, codes of the vocabularies.
NAMES = {*csv_columns(COLLEGES), *csv_columns(ENTERPRISES), *PARTNERSHIP_COLUMNS,
         *(str(a) for a in FeedbackAction), *REASONS.replace(" or ", ", ").split(", ")}


def untranslated(text: str, allowed: set[str]) -> list[str]:
    """Latin words left in a Chinese text, other than quoted values, field names, codes and TOKENS."""
    bare = re.sub(r"\\u[0-9a-fA-F]{4}|\?[a-z_]+=[a-z]+", " ", QUOTED.sub(" ", text))
    words = re.findall(r"[A-Za-z][A-Za-z_]*", bare)
    return [w for w in words if w.lower() not in TOKENS and w not in allowed and w.lower() not in allowed
            and not w.isupper() and w not in NAMES]


def allowed_words(*texts: str) -> set[str]:
    """Every Latin word of the request (path, query, field names): a value or a name echoed back."""
    return {w for text in texts for w in re.findall(r"[A-Za-z][A-Za-z_]*", text)} | \
        {w for text in texts for part in re.findall(r"[A-Za-z_]+", text) for w in part.split("_")}


def check_chinese(english: Any, chinese: Any, request_text: str) -> list[str]:
    """What is wrong with a Chinese answer compared with the English one (empty: nothing)."""
    wrong = []
    if (chinese.status_code, chinese.json().get("error")) != (english.status_code, english.json().get("error")):
        wrong.append(f"status/error {chinese.status_code} {chinese.json().get('error')} vs "
                     f"{english.status_code} {english.json().get('error')}")
        return wrong
    en, zh = english.json(), chinese.json()
    if set(zh) != {"error", "detail", "fields"}:
        wrong.append(f"keys {set(zh)}")
    if [(p["field"], p.get("line")) for p in zh["fields"]] != [(p["field"], p.get("line")) for p in en["fields"]]:
        wrong.append(f"fields {zh['fields']} vs {en['fields']}")
    allowed = allowed_words(request_text, *(p["field"] for p in en["fields"]))
    for where, text in [("detail", zh["detail"]), *((f"reason of {p['field']}", p["reason"]) for p in zh["fields"])]:
        if not CJK.search(text):
            wrong.append(f"{where} has no Chinese: {text!r}")
        elif left := untranslated(text, allowed):
            wrong.append(f"{where} keeps English {left}: {text!r}")
    return wrong


def with_lang(path: str) -> str:
    return path + ("&" if "?" in path else "?") + "lang=zh"


def test_every_client_mistake_in_chinese_changes_nothing(
    api: TestClient, admin: dict[str, str], engine: Engine, seed: Seed,  # noqa: F811
) -> None:
    """One app and one seed for the whole table (each case is refused, so the seed stays as it was)."""
    problems: dict[str, list[str]] = {}
    for param in CASES:
        method, path, body, headers, *_ = param.values
        path = path(seed) if callable(path) else path
        make = body if callable(body) else (lambda seed, body=body: body)  # a chunked body is read once: make anew
        extra = headers(seed) if callable(headers) else headers or {}
        settle(api)
        before = snapshot(engine)
        english = send(api, method, path, make(seed), admin | extra)
        by_query = send(api, method, with_lang(path), make(seed), admin | extra)
        by_header = send(api, method, path, make(seed), admin | extra | {"Accept-Language": "zh-CN,zh;q=0.9"})
        wrong = [*check_chinese(english, by_query, path), *check_chinese(english, by_header, path)]
        if snapshot(engine) != before:
            wrong.append("a refused request changed the database")
        if wrong:
            problems[param.id] = wrong
    assert not problems, "\n".join(f"{case}: {w}" for case, ws in problems.items() for w in ws)


def test_english_answers_keep_their_words(api: TestClient, admin: dict[str, str], seed: Seed) -> None:  # noqa: F811
    """The English of a domain problem now comes from the catalogue: the same sentence as before."""
    r = api.post("/colleges", json={"name": "Hotan", "country": "CN", "province": "Xingjiang", "city": "Hotan",
                                    "kind": "higher_vocational"}, headers=admin)
    assert r.json()["fields"][0]["reason"] == "unknown province 'Xingjiang' for CN; did you mean 'Xinjiang'?"
    r = api.post("/colleges", json={"name": "Hotan", "country": "CN", "province": "Xinjiang", "city": "Hotan",
                                    "specialties": [{"code": "999999", "annual_graduates": 3}]}, headers=admin)
    assert r.json()["fields"] == [{"field": "specialties.0.code", "reason": "unknown catalogue code '999999'"}]
    r = api.post("/colleges", json={"name": "Hotan", "country": "CN", "specialties": [{"annual_graduates": 3}]},
                 headers=admin)
    assert r.json()["fields"][0]["reason"] == "Value error, a specialty needs a name or a catalogue code"


def test_chinese_reasons_read_as_written(api: TestClient, admin: dict[str, str], seed: Seed) -> None:  # noqa: F811
    zh = {"lang": "zh"}
    r = api.post("/colleges", params=zh, json={"name": "Hotan", "country": "CN", "province": "Xingjiang",
                                               "city": "Hotan"}, headers=admin)
    assert r.json()["fields"][0]["reason"] == "CN 没有名为 'Xingjiang' 的省份；您是不是要找 'Xinjiang'？"
    r = api.post("/colleges", params=zh, json={"name": "Hotan", "country": "CN", "province": "Xinjiang",
                                               "specialties": [{"code": "999999", "annual_graduates": 3}]},
                 headers=admin)
    assert r.json()["detail"] == "specialties.0.code：专业目录中没有代码 '999999'"
    r = api.post("/colleges", params=zh, json={"name": "Hotan", "country": "CN",
                                               "kind": "polytechnic"}, headers=admin)
    assert r.json()["fields"][0]["reason"].startswith("应为 'higher_vocational'、")


# --- the catalogue ---------------------------------------------------------------------------


def test_every_error_text_has_both_languages_with_the_same_fields() -> None:
    for message_id, texts in CATALOGUE.items():
        assert set(texts) == set(LANGUAGES) and all(texts.values()), message_id
        assert fields_of(texts["en"]) == fields_of(texts["zh"]), message_id
        words = re.sub(r"\{[^}]*\}", "", texts["en"])
        if message_id.split(".")[0] in ("error", "problem", "value", "json", "pydantic", "csv") and \
                re.search(r"[a-z]{2}", words):
            assert CJK.search(texts["zh"]), message_id


def test_every_message_id_the_code_says_is_in_the_catalogue() -> None:
    """`say("x.y", ...)` anywhere in the code names an id of the catalogue, with the fields it fills."""
    said = re.compile(r"""say\(\s*"([a-z_]+\.[a-z_.]+)"((?:[^()]|\([^()]*\))*)\)""", re.S)
    found = 0
    for path in [*ROOT.glob("matching/**/*.py"), *ROOT.glob("service/**/*.py"), *ROOT.glob("training/*.py")]:
        for match in said.finditer(path.read_text(encoding="utf-8")):
            found += 1
            message_id, args = match.groups()
            assert message_id in CATALOGUE, f"{path.name}: {message_id}"
            given = set(re.findall(r"(?:^|,)\s*([a-z_]+)=", args))
            assert given == fields_of(CATALOGUE[message_id]["en"]), f"{path.name}: {message_id} {given}"
    assert found > 40


def test_shedding_and_size_limit_answer_in_chinese(api: TestClient, admin: dict[str, str]) -> None:  # noqa: F811
    r = api.post("/colleges?lang=zh", content=b"x" * (2 << 20), headers=admin | {"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large" and CJK.search(r.json()["detail"])
    assert not untranslated(r.json()["detail"], set())


def test_match_list_refusals_in_chinese(client: TestClient, admin: dict[str, str], engine: Engine) -> None:
    """States the table cannot reach: a second decision, and an acceptance that would over-promise capacity."""
    w = lists_api.seed(client, admin)
    first = lists_api.create_list(w)
    later = lists_api.create_list(w, lists_api.XINJIANG | {"name": "built before any acceptance"})
    korla_dyeing = w.colleges["korla"]["specialties"][0]["id"]
    on_korla = [e for e in lists_api.all_entries(w, first["id"]) if e["specialty_id"] == korla_dyeing]
    for e in on_korla:
        lists_api.decide(w, first["id"], e["id"], "accept")
    clash = next(e for e in lists_api.all_entries(w, later["id"]) if e["specialty_id"] == korla_dyeing)
    settle(client)
    before = snapshot(engine)
    for path, body, says in [
        (f"/match-lists/{first['id']}/entries/{on_korla[0]['id']}/reject", {"reason": "no"}, "已接受"),
        (f"/match-lists/{later['id']}/entries/{clash['id']}/accept", None, "毕业生"),
    ]:
        english = client.post(path, json=body, headers=w.pm)
        assert english.status_code == 409, english.text
        for chinese in (client.post(with_lang(path), json=body, headers=w.pm),
                        client.post(path, json=body, headers=w.pm | {"Accept-Language": "zh-CN,zh;q=0.9"})):
            assert not check_chinese(english, chinese, path), chinese.text
            assert says in chinese.json()["detail"], chinese.text
    assert snapshot(engine) == before
