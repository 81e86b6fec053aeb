"""The whole-profile features `name_mention` and `lexical` as served (issue 11, point 2): each read from the
components of a real matches page, on profiles built so that the expected value is plain."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import college_body, enterprise_body
from tests.test_match_lists_api import ok
from tests.test_serving_history import Headers, components_of

DYEING: list[dict[str, Any]] = [{"code": "480405", "name": "Continuous dyeing", "annual_graduates": 120,
           "description": "Operate continuous dyeing ranges; colour matching."}]


def test_a_partner_named_in_the_other_profile_is_a_name_mention(client: TestClient, admin: Headers) -> None:
    enterprise = ok(client.post("/enterprises", json=enterprise_body(
        name="Zijin Holdings Ltd.", name_zh="紫金控股有限公司"), headers=admin), 201)
    # its name in the college's name; its name in the college's units; neither
    named = ok(client.post("/colleges", json=college_body(name="Zijin Vocational College", name_zh=None,
                                                          specialties=DYEING), headers=admin), 201)
    mentioned = ok(client.post("/colleges", json=college_body(name="Hotan Vocational College", name_zh=None,
                                                              specialties=[{**DYEING[0], "description": DYEING[0][
                                                                  "description"] + " An order class run with Zijin."}]),
                               headers=admin), 201)
    neither = ok(client.post("/colleges", json=college_body(name="Aksu Vocational College", name_zh=None,
                                                            specialties=DYEING), headers=admin), 201)
    path = f"/enterprises/{enterprise['id']}/matches"
    values = {c["id"]: components_of(client, path, c["id"], admin)[0]["name_mention"]
              for c in (named, mentioned, neither)}
    assert values == {named["id"]: 1.0, mentioned["id"]: 1.0, neither["id"]: 0.0}
    # and the other way: the college asks, the enterprise is named in its profile
    back = components_of(client, f"/colleges/{named['id']}/matches", enterprise["id"], admin)[0]
    assert back["name_mention"] == 1.0


def test_lexical_relevance_follows_the_words_the_profiles_share(client: TestClient, admin: Headers) -> None:
    enterprise = ok(client.post("/enterprises", json=enterprise_body(), headers=admin), 201)
    same_words = ok(client.post("/colleges", json=college_body(name="Same Words College", specialties=DYEING),
                                headers=admin), 201)
    # the same trade in words the enterprise never uses (no code either: its catalogue names are words too)
    other_words = ok(client.post("/colleges", json=college_body(name="Other Words College", specialties=[
        {"name": "Colour chemistry", "annual_graduates": 120,
         "description": "Vat and reactive recipes, fastness testing."}]), headers=admin), 201)
    path = f"/enterprises/{enterprise['id']}/matches"
    lexical = {c["id"]: components_of(client, path, c["id"], admin)[0]["lexical"] for c in (same_words, other_words)}
    assert all(0.0 <= v < 1.0 for v in lexical.values()), lexical
    assert lexical[same_words["id"]] > 0.1 and lexical[same_words["id"]] > 2 * lexical[other_words["id"]], lexical
