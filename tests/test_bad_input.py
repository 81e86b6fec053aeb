"""Client mistakes, table-driven, on both backends: each gets the documented status and error shape, never a
500, and changes nothing in the database (every table is compared before and after).

A case is (method, path, body, headers, status, error, field):
- path: a string, or a callable of the seeded `Seed` (ids are only known once it is seeded);
- body: None (no body), a dict/list/str/number sent as JSON, `Raw(bytes, content_type)` sent as is, or a
  callable of the `Seed` returning one of those;
- headers: extra headers over the admin key's (or a callable of the `Seed`); {"Authorization": ""} sends none;
- field: None, a field name that must appear among `fields[*].field`, or `F(...)` to also ask for a `line` or
  words in the reason.

The table found six 500s (NUL characters, unbounded key ids, an overflowing duplicate key); their cases
stay in it as regression tests.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from embeddings.encoder import Encoder
from matching.models import Base
from matching.reference import Reference
from service.app import create_app
from service.settings import Settings
from tests.conftest import college_body, enterprise_body

ERROR_KEYS = {"error", "detail", "fields"}
MIB = 1 << 20


@dataclass(frozen=True)
class Seed:
    """The known state every case starts from: two colleges, one enterprise, a program manager key."""

    college: dict[str, Any]
    other_college: dict[str, Any]
    enterprise: dict[str, Any]
    pm: dict[str, str]
    partnership: dict[str, Any]

    @property
    def cid(self) -> int:
        return int(self.college["id"])

    @property
    def eid(self) -> int:
        return int(self.enterprise["id"])

    @property
    def specialty_ids(self) -> list[int]:
        return [int(s["id"]) for s in self.college["specialties"]]

    @property
    def other_specialty_id(self) -> int:
        return int(self.other_college["specialties"][0]["id"])


OTHER_COLLEGE = college_body(
    name="Aksu Vocational and Technical College", name_zh=None, city="Aksu", province="Xinjiang",
    specialties=[{"code": "480401", "annual_graduates": 30}],
)


@dataclass(frozen=True)
class Raw:
    """A body sent byte for byte, with its Content-Type (None: no Content-Type header)."""

    content: bytes | Iterator[bytes]
    content_type: str | None = "application/json"


@dataclass(frozen=True)
class F:
    """An expected entry of `fields`: its name, and optionally its line and words of its reason."""

    field: str | None
    line: int | None = None
    says: str | None = None


def without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in names}


def specialty(**changes: Any) -> dict[str, Any]:
    return {"name": "Cotton processing", "annual_graduates": 45} | changes


def gap(**changes: Any) -> dict[str, Any]:
    return {"field": "Dyeing technicians", "headcount": 40} | changes


def new_college(**changes: Any) -> dict[str, Any]:
    """A college that would be created if the mistake in `changes` were not there."""
    return college_body(**({"name": "Hotan Vocational College", "city": "Hotan"} | changes))


def new_enterprise(**changes: Any) -> dict[str, Any]:
    return enterprise_body(**({"name": "Hotan Carpet Weaving Co.", "city": "Hotan"} | changes))


def jsonl(*lines: Any) -> Raw:
    text = "".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n" for line in lines)
    return Raw(text.encode("utf-8"), "application/x-ndjson")


CSV_HEADER = "name,country,province,city,kind,specialty_name,specialty_code,annual_graduates\n"
CSV_GOOD = "Hotan Vocational College,CN,Xinjiang,Hotan,higher_vocational,Carpet weaving,,25\n"


def csv(*rows: str, header: str = CSV_HEADER) -> Raw:
    return Raw((header + "".join(rows)).encode("utf-8"), "text/csv")


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body without Content-Length (chunked), so the size limit must count the bytes themselves."""
    yield b'{"name": "'
    for _ in range(total // size + 1):
        yield b"x" * size
    yield b'", "country": "CN"}'


IMPORT_C = "/import?side=colleges&format=jsonl"
IMPORT_CSV = "/import?side=colleges&format=csv"
NO_KEY = {"Authorization": ""}


def pm_key(seed: Seed) -> dict[str, str]:
    return seed.pm


def case(method: str, path: str | Callable[[Seed], str], body: Any, headers: Any, status: int, error: str,
         field: str | F | None, *, id: str) -> Any:
    return pytest.param(method, path, body, headers, status, error, field, id=id)


def college(seed: Seed) -> str:
    return f"/colleges/{seed.cid}"


def enterprise(seed: Seed) -> str:
    return f"/enterprises/{seed.eid}"


CASES = [
    # --- wrong types (counts are strict integers; nothing is coerced) ---
    case("POST", "/colleges", new_college(specialties=[specialty(annual_graduates="40")]), None, 422,
         "validation_error", "specialties.0.annual_graduates", id="graduates-as-string"),
    case("POST", "/colleges", new_college(specialties=[specialty(annual_graduates=12.5)]), None, 422,
         "validation_error", "specialties.0.annual_graduates", id="graduates-as-float"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(headcount="40")]), None, 422,
         "validation_error", "talent_gaps.0.headcount", id="headcount-as-string"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(headcount=True)]), None, 422,
         "validation_error", "talent_gaps.0.headcount", id="headcount-as-bool"),
    case("POST", "/colleges", new_college(name=12345), None, 422, "validation_error", "name", id="name-as-number"),
    case("POST", "/colleges", new_college(specialties={"name": "Weaving", "annual_graduates": 5}), None, 422,
         "validation_error", "specialties", id="specialties-as-object"),
    case("POST", "/colleges", new_college(location=[37.1, 79.9]), None, 422, "validation_error", "location",
         id="location-as-list"),
    case("POST", "/colleges", new_college(location={"lat": "37.1", "lon": 79.9}), None, 422,
         "validation_error", "location.lat", id="lat-as-string"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(start_date=20270901)]), None, 422,
         "validation_error", "talent_gaps.0.start_date", id="start-date-as-number"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(start_date="2027-02-30")]), None, 422,
         "validation_error", "talent_gaps.0.start_date", id="start-date-impossible"),
    case("POST", "/colleges", new_college(specialties=[specialty(code=480405)]), None, 422, "validation_error",
         "specialties.0.code", id="code-as-number"),
    # --- missing fields ---
    case("POST", "/colleges", without(new_college(), "name"), None, 422, "validation_error", "name",
         id="no-name"),
    case("POST", "/enterprises", without(new_enterprise(), "country"), None, 422, "validation_error", "country",
         id="no-country"),
    case("POST", "/colleges", new_college(specialties=[{"annual_graduates": 10}]), None, 422, "validation_error",
         F("specialties.0", says="name or a catalogue code"), id="specialty-without-name-or-code"),
    case("POST", "/colleges", new_college(specialties=[{"name": "Weaving"}]), None, 422, "validation_error",
         "specialties.0.annual_graduates", id="specialty-without-graduates"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[{"headcount": 5}]), None, 422, "validation_error",
         "talent_gaps.0.field", id="gap-without-field"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[{"field": "Weavers"}]), None, 422,
         "validation_error", "talent_gaps.0.headcount", id="gap-without-headcount"),
    # --- blank names ---
    case("POST", "/colleges", new_college(name="   "), None, 422, "validation_error", "name", id="blank-name"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(field=" \t ")]), None, 422, "validation_error",
         "talent_gaps.0.field", id="blank-gap-field"),
    # --- out of the documented bounds ---
    case("POST", "/colleges", new_college(specialties=[specialty(annual_graduates=-1)]), None, 422,
         "validation_error", "specialties.0.annual_graduates", id="graduates-negative"),
    case("POST", "/colleges", new_college(specialties=[specialty(annual_graduates=5001)]), None, 422,
         "validation_error", "specialties.0.annual_graduates", id="graduates-5001"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(headcount=0)]), None, 422, "validation_error",
         "talent_gaps.0.headcount", id="headcount-0"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(headcount=5001)]), None, 422,
         "validation_error", "talent_gaps.0.headcount", id="headcount-5001"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(headcount=10**12)]), None, 422,
         "validation_error", "talent_gaps.0.headcount", id="headcount-10e12"),
    case("POST", "/colleges", new_college(location={"lat": 91.0, "lon": 79.9}), None, 422, "validation_error",
         "location.lat", id="lat-91"),
    case("POST", "/colleges", new_college(location={"lat": 37.1, "lon": -181.0}), None, 422, "validation_error",
         "location.lon", id="lon-minus-181"),
    case("POST", "/colleges", new_college(name="N" * 201), None, 422, "validation_error", "name",
         id="name-201-chars"),
    case("POST", "/colleges", new_college(description="d" * 4001), None, 422, "validation_error", "description",
         id="description-4001-chars"),
    case("POST", "/colleges", new_college(specialties=[specialty(name=f"S{i}") for i in range(201)]), None, 422,
         "validation_error", "specialties", id="201-specialties"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(codes=["480405"] * 11)]), None, 422,
         "validation_error", "talent_gaps.0.codes", id="11-codes-on-a-gap"),
    # --- vocabularies, catalogue and places ---
    case("POST", "/colleges", new_college(specialties=[specialty(code="999999")]), None, 422, "validation_error",
         F("specialties.0.code", says="999999"), id="unknown-catalogue-code"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(codes=["480405", "999998"])]), None, 422,
         "validation_error", F("talent_gaps.0.codes.1", says="999998"), id="unknown-gap-code"),
    case("POST", "/colleges", new_college(specialties=[specialty(code="48040")]), None, 422, "validation_error",
         "specialties.0.code", id="code-5-digits"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(codes=["abcdef"])]), None, 422,
         "validation_error", "talent_gaps.0.codes.0", id="code-letters"),
    case("POST", "/colleges", new_college(cooperation_modes=["order_class", "sponsorship"]), None, 422,
         "validation_error", "cooperation_modes.1", id="unknown-cooperation-mode"),
    case("POST", "/colleges", new_college(kind="polytechnic"), None, 422, "validation_error", "kind",
         id="unknown-kind"),
    case("POST", "/enterprises", new_enterprise(size="huge"), None, 422, "validation_error", "size",
         id="unknown-size"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(level="intern")]), None, 422,
         "validation_error", "talent_gaps.0.level", id="unknown-level"),
    case("POST", "/colleges", new_college(country="ZZ"), None, 422, "validation_error", "country",
         id="unknown-country"),
    case("POST", "/colleges", new_college(province="Xingjiang"), None, 422, "validation_error",
         F("province", says="did you mean 'Xinjiang'"), id="unknown-province-suggests"),
    case("POST", "/enterprises", new_enterprise(preferred_provinces=["Xinjiang", "Xingjiang"]), None, 422,
         "validation_error", F("preferred_provinces.1", says="Xinjiang"), id="unknown-preferred-province"),
    # --- extra fields are forbidden ---
    case("POST", "/colleges", new_college(website="https://example.cn"), None, 422, "validation_error",
         F("website", says="Extra inputs"), id="extra-field"),
    case("POST", "/colleges", new_college(specialties=[specialty(graduates=5)]), None, 422, "validation_error",
         "specialties.0.graduates", id="extra-specialty-field"),
    case("POST", "/enterprises", new_enterprise(talent_gaps=[gap(id="first")]), None, 422, "validation_error",
         "talent_gaps.0.id", id="gap-id-as-string"),
    # --- text that no database should store ---
    case("POST", "/colleges", new_college(name="Hotan\x00College"), None, 422, "validation_error", "name",
         id="nul-in-name"),
    case("GET", "/colleges?name=Hotan%00", None, None, 422, "validation_error", "name", id="nul-in-query"),
    # --- the body itself ---
    case("POST", "/colleges", Raw(b'{"name": "Hotan", "country": '), None, 400, "malformed_json", None,
         id="malformed-json"),
    case("POST", "/colleges", [new_college()], None, 422, "validation_error", "body", id="array-body"),
    case("POST", "/colleges", None, None, 422, "validation_error", "body", id="no-body"),
    case("POST", "/colleges", Raw(b'{"name": "Hotan \xff", "country": "CN"}'), None, 400, "bad_request", None,
         id="body-not-utf8"),
    case("POST", "/colleges", Raw(json.dumps(new_college()).encode(), "text/plain"), None, 422,
         "validation_error", "body", id="json-sent-as-text-plain"),
    case("POST", "/colleges", lambda seed: new_college(description="x" * MIB), None, 413, "payload_too_large",
         None, id="body-over-1mib"),
    case("POST", "/enterprises", lambda seed: Raw(chunks(MIB)), None, 413, "payload_too_large", None,
         id="chunked-body-over-1mib"),
    case("PATCH", college, lambda seed: {"description": "x" * MIB}, None, 413, "payload_too_large", None,
         id="patch-over-1mib"),
    # --- duplicates ---
    case("POST", "/colleges", college_body(), None, 409, "conflict", None, id="duplicate-college"),
    case("POST", "/colleges", college_body(name="  BAYINGOLIN vocational  and technical COLLEGE ", city="korla"),
         None, 409, "conflict", None, id="duplicate-college-case-and-spacing"),
    case("POST", "/enterprises", enterprise_body(), None, 409, "conflict", None, id="duplicate-enterprise"),
    case("PUT", college, OTHER_COLLEGE, None, 409, "conflict", None, id="put-onto-another-college"),
    case("PATCH", college, {"name": OTHER_COLLEGE["name"], "city": "Aksu"}, None, 409, "conflict", None,
         id="patch-onto-another-college"),
    # --- unknown and malformed ids ---
    case("GET", "/colleges/999999", None, None, 404, "not_found", None, id="get-unknown-college"),
    case("PUT", "/colleges/999999", new_college(), None, 404, "not_found", None, id="put-unknown-college"),
    case("PATCH", "/colleges/999999", {"name": "Renamed"}, None, 404, "not_found", None,
         id="patch-unknown-college"),
    case("DELETE", "/colleges/999999", None, None, 404, "not_found", None, id="delete-unknown-college"),
    case("GET", "/colleges/0", None, None, 422, "validation_error", "profile_id", id="id-0"),
    case("GET", "/enterprises/abc", None, None, 422, "validation_error", "profile_id", id="id-abc"),
    case("PATCH", f"/colleges/{2**31}", {"name": "x"}, None, 422, "validation_error", "profile_id",
         id="id-over-int32"),
    case("PUT", college,
         lambda seed: college_body(specialties=[specialty(id=seed.other_specialty_id)]), None, 422,
         "validation_error", F("specialties.0.id", says="does not belong"), id="put-specialty-of-another-college"),
    case("PATCH", college, lambda seed: {"specialties": [specialty(id=seed.other_specialty_id)]}, None, 422,
         "validation_error", "specialties.0.id", id="patch-specialty-of-another-college"),
    case("PATCH", enterprise, {"talent_gaps": [gap(id=999999)]}, None, 422, "validation_error",
         "talent_gaps.0.id", id="patch-unknown-gap-id"),
    case("PUT", college, lambda seed: college_body(specialties=[specialty(id=seed.specialty_ids[0]),
                                                                specialty(id=seed.specialty_ids[0], name="Dup")]),
         None, 422, "validation_error", F("specialties.1.id", says="twice"), id="put-same-specialty-id-twice"),
    # --- PATCH ---
    case("PATCH", college, {"name": None}, None, 422, "validation_error", F("name", says="cannot be null"),
         id="patch-name-null"),
    case("PATCH", enterprise, {"talent_gaps": None}, None, 422, "validation_error",
         F("talent_gaps", says="cannot be null"), id="patch-gaps-null"),
    case("PATCH", college, {"name": "  "}, None, 422, "validation_error", "name", id="patch-blank-name"),
    case("PATCH", college, {"country": "ZZ"}, None, 422, "validation_error", "country", id="patch-unknown-country"),
    case("PATCH", college, {"country": "KZ"}, None, 422, "validation_error", F("province", says="for KZ"),
         id="patch-country-keeps-province-of-another"),
    case("PATCH", college, {"motto": "Learn"}, None, 422, "validation_error", "motto", id="patch-extra-field"),
    case("PATCH", enterprise, [{"size": "large"}], None, 422, "validation_error", "body", id="patch-array-body"),
    # --- list queries ---
    case("GET", "/colleges?limit=0", None, None, 422, "validation_error", "limit", id="limit-0"),
    case("GET", "/colleges?limit=100000", None, None, 422, "validation_error", "limit", id="limit-100000"),
    case("GET", "/colleges?offset=-1", None, None, 422, "validation_error", "offset", id="offset-negative"),
    case("GET", "/colleges?code=12", None, None, 422, "validation_error", "code", id="query-code-12"),
    case("GET", "/colleges?colour=blue", None, None, 422, "validation_error", "colour", id="unknown-query-param"),
    case("GET", "/enterprises?code=480405", None, None, 422, "validation_error", "code",
         id="college-only-param-on-enterprises"),
    case("GET", "/colleges?country=ZZ", None, None, 422, "validation_error", "country", id="query-unknown-country"),
    # --- /import (all or nothing: line 1 is good in the files below, and must not be written) ---
    case("POST", "/import?side=people&format=jsonl", jsonl(new_college()), None, 422, "validation_error", "side",
         id="import-bad-side"),
    case("POST", "/import?side=colleges&format=xml", jsonl(new_college()), None, 422, "validation_error",
         "format", id="import-bad-format"),
    case("POST", "/import?side=colleges&format=jsonl&partial=maybe", jsonl(new_college()), None, 422,
         "validation_error", "partial", id="import-bad-partial"),
    case("POST", IMPORT_CSV, csv(CSV_GOOD, '"Aksu Textile College,CN,Xinjiang,Aksu,,Weaving,,30\n'), None, 422,
         "validation_error", F("", line=3, says="malformed CSV"), id="import-csv-unterminated-quote"),
    case("POST", IMPORT_CSV, csv(CSV_GOOD, "Aksu College,CN,Xinjiang,Aksu,,Weaving,,many\n"), None, 422,
         "validation_error", F("annual_graduates", line=3), id="import-csv-graduates-not-a-number"),
    case("POST", IMPORT_CSV, csv(CSV_GOOD, header="name,colour\n"), None, 422, "validation_error",
         F("header", line=1), id="import-csv-unknown-column"),
    case("POST", IMPORT_C, jsonl(new_college(), '{"name": "Aksu", "country": '), None, 422, "validation_error",
         F("", line=2, says="malformed JSON"), id="import-jsonl-malformed-line"),
    case("POST", IMPORT_C, jsonl(new_college(), [new_college(name="Aksu")]), None, 422, "validation_error",
         F("", line=2), id="import-jsonl-array-line"),
    case("POST", IMPORT_C, jsonl(new_college(), college_body()), None, 422, "validation_error",
         F("name", line=2, says="already exists"), id="import-jsonl-existing-profile"),
    case("POST", IMPORT_C, jsonl(new_college(), new_college(name="Aksu", specialties=[specialty(code="999999")])),
         None, 422, "validation_error", F("specialties.0.code", line=2), id="import-jsonl-unknown-code"),
    case("POST", "/import?side=enterprises&format=jsonl",
         jsonl(new_enterprise(), new_enterprise(name="B", talent_gaps=[gap(headcount=0)])), None, 422,
         "validation_error", F("talent_gaps.0.headcount", line=2), id="import-jsonl-headcount-0"),
    case("POST", IMPORT_C, jsonl(), None, 422, "validation_error", "body", id="import-empty-file"),
    case("POST", "/import?side=colleges", Raw(b"name\nHotan\n", "application/octet-stream"), None, 415,
         "unsupported_media_type", None, id="import-no-format-wrong-content-type"),
    case("POST", IMPORT_CSV, Raw((CSV_HEADER + CSV_GOOD).encode("utf-16"), "text/csv"), None, 400, "bad_encoding",
         None, id="import-not-utf8"),
    case("POST", IMPORT_CSV, csv(CSV_GOOD, "Aksu\x00College,CN,Xinjiang,Aksu,,Weaving,,30\n"), None, 422,
         "validation_error", F("name", line=3), id="import-csv-nul-in-name"),
    # --- /keys and /export ---
    case("POST", "/keys", {"role": "superuser"}, None, 422, "validation_error", "role", id="key-unknown-role"),
    case("POST", "/keys", {"role": "college"}, None, 422, "validation_error", F("college_id", says="bound"),
         id="college-key-without-college"),
    case("POST", "/keys", lambda seed: {"role": "enterprise", "college_id": seed.cid}, None, 422,
         "validation_error", "enterprise_id", id="enterprise-key-bound-to-college"),
    case("POST", "/keys", {"role": "college", "college_id": 999999}, None, 422, "validation_error",
         F("college_id", says="does not exist"), id="college-key-for-unknown-college"),
    case("POST", "/keys", {"role": "college", "college_id": "abc"}, None, 422, "validation_error", "college_id",
         id="college-key-id-not-a-number"),
    case("POST", "/keys", {"role": "college", "college_id": 2**31}, None, 422, "validation_error",
         F("college_id", says="less than or equal to 2147483647"), id="college-key-id-over-int32"),
    case("POST", "/keys", {"role": "enterprise", "enterprise_id": 10**20}, None, 422, "validation_error",
         "enterprise_id", id="enterprise-key-id-over-int64"),
    case("DELETE", "/keys/999999", None, None, 404, "not_found", None, id="revoke-unknown-key"),
    case("DELETE", "/keys/0", None, None, 422, "validation_error", "key_id", id="revoke-key-0"),
    case("GET", "/export?side=people", None, None, 422, "validation_error", "side", id="export-bad-side"),
    case("GET", "/export?side=colleges&format=xlsx", None, None, 422, "validation_error", "format",
         id="export-bad-format"),
    # --- partnerships and feedback ---
    case("POST", "/partnerships", lambda seed: {"college_id": 999999, "enterprise_id": seed.eid}, None, 422,
         "validation_error", F("college_id", says="does not exist"), id="partnership-unknown-college"),
    case("POST", "/partnerships", lambda seed: {"college_id": seed.cid, "enterprise_id": 999999}, None, 422,
         "validation_error", F("enterprise_id", says="does not exist"), id="partnership-unknown-enterprise"),
    case("POST", "/partnerships", lambda seed: {"college_id": seed.cid, "enterprise_id": seed.eid,
                                                "modes": ["friendship"]}, None, 422, "validation_error", "modes.0",
         id="partnership-bad-mode"),
    case("POST", "/partnerships", lambda seed: {"college_id": seed.cid, "enterprise_id": seed.eid, "tie": "strong"},
         None, 422, "validation_error", "tie", id="partnership-bad-tie"),
    case("POST", "/partnerships", lambda seed: {"college_id": seed.cid, "enterprise_id": seed.eid,
                                                "start_date": "2024-13-01"}, None, 422, "validation_error",
         "start_date", id="partnership-bad-date"),
    case("POST", "/partnerships", lambda seed: {"college_id": seed.cid, "enterprise_id": seed.eid,
                                                "source_url": "javascript:alert(1)"}, None, 422, "validation_error",
         "source_url", id="partnership-bad-url"),
    case("POST", "/partnerships", lambda seed: {"college_id": seed.cid, "enterprise_id": seed.eid,
                                                "start_date": "2024-09-01", "note": "again"}, None, 409, "conflict",
         "start_date", id="partnership-duplicate"),
    case("POST", "/partnerships", lambda seed: {"college_id": seed.cid}, None, 422, "validation_error",
         "enterprise_id", id="partnership-without-enterprise"),
    case("GET", "/partnerships/999999", None, None, 404, "not_found", None, id="read-unknown-partnership"),
    case("DELETE", "/partnerships/999999", None, None, 404, "not_found", None, id="delete-unknown-partnership"),
    case("GET", "/partnerships?college_id=abc", None, None, 422, "validation_error", "college_id",
         id="partnerships-bad-filter"),
    case("POST", lambda seed: f"/enterprises/{seed.eid}/matches/{seed.cid}/feedback", {"action": "liked"}, None,
         422, "validation_error", "action", id="feedback-unknown-action"),
    case("POST", lambda seed: f"/enterprises/{seed.eid}/matches/{seed.cid}/feedback", {"action": "dismissed"},
         None, 422, "validation_error", F("reason", says="needs a reason"), id="feedback-dismissed-without-reason"),
    case("POST", lambda seed: f"/colleges/{seed.cid}/matches/{seed.eid}/feedback", {"action": "dismissed"},
         None, 422, "validation_error", "reason", id="college-feedback-dismissed-without-reason"),
    case("POST", lambda seed: f"/enterprises/{seed.eid}/matches/{seed.cid}/feedback",
         {"action": "dismissed", "reason": "boring"}, None, 422, "validation_error", "reason",
         id="feedback-unknown-reason"),
    case("POST", lambda seed: f"/enterprises/{seed.eid}/matches/{seed.cid}/feedback",
         {"action": "shortlisted", "reason": "too_far"}, None, 422, "validation_error", "reason",
         id="feedback-reason-without-dismissal"),
    case("POST", lambda seed: f"/enterprises/{seed.eid}/matches/999999/feedback", {"action": "contacted"}, None,
         404, "not_found", None, id="feedback-unknown-candidate"),
    case("POST", lambda seed: f"/colleges/999999/matches/{seed.eid}/feedback", {"action": "contacted"}, None,
         404, "not_found", None, id="feedback-unknown-asker"),
    case("POST", lambda seed: f"/enterprises/{seed.eid}/matches/{seed.cid}/feedback",
         {"action": "contacted", "impression_id": 999999}, None, 422, "validation_error", "impression_id",
         id="feedback-unknown-impression"),
    case("GET", "/feedback?action=liked", None, None, 422, "validation_error", "action", id="feedback-bad-filter"),
    case("POST", "/import?side=partnerships&format=jsonl",
         lambda seed: jsonl({"college_id": seed.cid, "enterprise_id": seed.eid, "start_date": "2020-01-01"},
                            {"college_id": seed.cid, "enterprise_id": 999999}), None, 422, "validation_error",
         F("enterprise_id", line=2), id="import-partnerships-one-bad-line"),
    case("POST", "/import?side=partnerships&format=jsonl",
         lambda seed: jsonl({"college_id": seed.cid, "enterprise_id": seed.eid, "start_date": "2024-09-01"}), None,
         422, "validation_error", F("start_date", line=1, says="already on record"),
         id="import-partnerships-duplicate-of-stored"),
    case("POST", "/import?side=partnerships&format=csv", csv("1,2\n", header="college,enterprise\n"), None, 422,
         "validation_error", F("header", line=1), id="import-partnerships-bad-header"),
    case("POST", "/match-lists/999999/partnerships", None, None, 404, "not_found", None,
         id="partnerships-from-unknown-list"),
    # --- who is asking, and where ---
    case("POST", "/colleges", new_college(), NO_KEY, 401, "unauthorized", None, id="no-key"),
    case("POST", "/colleges", new_college(), {"Authorization": "Bearer mk_not-a-key"}, 401, "unauthorized", None,
         id="unknown-key"),
    case("POST", "/colleges", new_college(), pm_key, 403, "forbidden", None, id="manager-creates-college"),
    case("POST", IMPORT_C, jsonl(new_college()), pm_key, 403, "forbidden", None, id="manager-imports"),
    case("DELETE", "/colleges", None, None, 405, "method_not_allowed", None, id="delete-the-collection"),
    case("GET", "/universities", None, None, 404, "not_found", None, id="unknown-route"),
]


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def api(settings: Settings, reference: Reference, encoder: Encoder) -> Iterator[TestClient]:
    """Like conftest's `client`, but a server error comes back as the 500 a client would see, not as an
    exception in the test, so the answer can be checked and an xfail names what happened."""
    with TestClient(create_app(settings, reference, encoder), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def seed(api: TestClient, admin: dict[str, str]) -> Seed:
    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = api.post(path, json=body, headers=admin)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    pm = post("/keys", {"role": "program_manager", "name": "bad-input tests"})
    return Seed(
        college=(college := post("/colleges", college_body())),
        other_college=post("/colleges", OTHER_COLLEGE),
        enterprise=(enterprise := post("/enterprises", enterprise_body())),
        pm={"Authorization": f"Bearer {pm['key']}"},
        partnership=post("/partnerships", {"college_id": college["id"], "enterprise_id": enterprise["id"],
                                           "start_date": "2024-09-01"}),
    )


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables
        }


def settle(api: TestClient) -> None:
    """Pages served before (impressions) are written by a background thread: let it finish first, so that only
    the request under test could change the database."""
    writer = api.app.state.matchmaker.impressions  # type: ignore[attr-defined]
    if writer is not None:
        assert writer.flush()


def send(api: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    if body is None:
        return api.request(method, path, headers=headers)
    if isinstance(body, Raw):
        if body.content_type is not None:
            headers = headers | {"Content-Type": body.content_type}
        return api.request(method, path, content=body.content, headers=headers)
    return api.request(method, path, json=body, headers=headers)


# --- the test --------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "error", "field"), CASES)
def test_client_mistake_is_refused_and_changes_nothing(
    api: TestClient, admin: dict[str, str], engine: Engine, seed: Seed,
    method: str, path: Any, body: Any, headers: Any, status: int, error: str, field: str | F | None,
) -> None:
    path = path(seed) if callable(path) else path
    body = body(seed) if callable(body) else body
    extra = headers(seed) if callable(headers) else headers or {}
    settle(api)
    before = snapshot(engine)

    response = send(api, method, path, body, admin | extra)

    assert response.status_code != 500, response.text
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    payload = response.json()
    assert set(payload) == ERROR_KEYS, payload
    assert payload["error"] == error, payload
    assert isinstance(payload["detail"], str) and payload["detail"], payload
    assert all({"field", "reason"} <= set(p) <= {"field", "reason", "line"} for p in payload["fields"]), payload
    if field is not None:
        want = field if isinstance(field, F) else F(field)
        matching = [
            p for p in payload["fields"]
            if (want.field is None or p["field"] == want.field)
            and (want.line is None or p.get("line") == want.line)
            and (want.says is None or want.says in p["reason"])
        ]
        assert matching, f"no entry like {want} in {payload['fields']}"
    assert snapshot(engine) == before, "a refused request changed the database"


# --- found while writing the table: a valid profile that PostgreSQL once could not store -------


def test_longest_names_store_on_every_backend(api: TestClient, admin: dict[str, str]) -> None:
    """Names may be 200 characters (README "Limits"); the duplicate key casefolds name and city, and "ß"
    casefolds to "ss": the key must not outgrow its column (it is a fixed-width hash now)."""
    body = college_body(name="ß" * 200, city="Korla Economic Zone", location={"lat": 41.7, "lon": 86.1},
                        specialties=[])
    response = api.post("/colleges", json=body, headers=admin)
    assert response.status_code == 201, response.text
