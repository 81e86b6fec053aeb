"""The reviewer page's shells and static files, without a browser (tests/test_ui_browser.py drives one)."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.routes import ui
from service.settings import Settings

PAGES = ["/ui/", "/ui/signin", "/ui/lists/1", "/ui/lists/7/report"]
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # an identifier in JS, never fetched


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """The app without its lifespan: the pages need neither the database nor the model."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ui.db'}", home=tmp_path / "home", load_sample=False)
    return TestClient(create_app(settings))


def static_files() -> list[Path]:
    return sorted(p for p in ui.STATIC_DIR.iterdir() if p.is_file())


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_html_with_a_strict_policy(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    html = response.text
    assert html.startswith("<!doctype html>")
    assert '<script src="/ui/static/ui.js' in html
    assert 'id="messages"' in html


def test_ui_without_slash_redirects(client: TestClient) -> None:
    response = client.get("/ui", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/ui/"


def test_list_pages_carry_the_list_id(client: TestClient) -> None:
    assert 'data-list-id="42"' in client.get("/ui/lists/42").text
    assert 'data-list-id="42"' in client.get("/ui/lists/42/report").text
    assert client.get("/ui/lists/0").status_code == 422
    assert client.get("/ui/lists/abc").status_code == 422


def test_pages_are_not_in_the_api_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/ui")]


def test_every_referenced_static_file_serves(client: TestClient) -> None:
    referenced: set[str] = set()
    for page in PAGES:
        html = client.get(page).text
        referenced.update(re.findall(r'(?:src|href)="(/ui/static/[^"?]+)', html))
    assert {"/ui/static/ui.js", "/ui/static/ui.css", "/ui/static/lists.js", "/ui/static/list.js",
            "/ui/static/report.js", "/ui/static/signin.js"} <= referenced
    for path in referenced:
        response = client.get(path)
        assert response.status_code == 200, path
        kind = "text/css" if path.endswith(".css") else "javascript"
        assert kind in response.headers["content-type"], path
    assert client.get("/ui/static/nothing.js").status_code == 404


def test_nothing_comes_from_elsewhere(client: TestClient) -> None:
    """No CDN, no font service: every address in the pages and static files is on this site."""
    for page in PAGES:
        html = client.get(page).text
        for address in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert address.startswith("/ui/") or address == "data:,", (page, address)  # data:, no favicon
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}", html), page
    for path in static_files():
        text = path.read_text().replace(SVG_NAMESPACE, "")
        assert not re.search(r"https?://", text), path.name
        assert "@import" not in text and "url(" not in text, path.name


def test_api_data_reaches_the_page_as_text_only() -> None:
    """The scripts build elements and set text; none parses API data as HTML."""
    for path in static_files():
        if path.suffix != ".js":
            continue
        text = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in text, (path.name, sink)


def test_templates_are_found_from_any_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ui.TEMPLATES_DIR.is_absolute() and (ui.TEMPLATES_DIR / "base.html").is_file()
    assert ui.STATIC_DIR.is_absolute() and (ui.STATIC_DIR / "ui.js").is_file()
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ui.db'}", home=tmp_path / "home", load_sample=False)
    client = TestClient(create_app(settings))
    assert client.get("/ui/signin").status_code == 200
    assert client.get("/ui/static/ui.css").status_code == 200


def test_the_key_stays_in_the_tab() -> None:
    """sessionStorage, not localStorage or a cookie: closing the tab forgets the key."""
    shared = (ui.STATIC_DIR / "ui.js").read_text()
    assert "sessionStorage" in shared
    for path in static_files():
        text = path.read_text()
        assert "localStorage" not in text and "document.cookie" not in text, path.name


TRANSLATED = re.compile(r"""\bt\(\s*(["'`])((?:(?!\1).)+)\1""")


def test_every_text_the_page_asks_to_translate_has_chinese() -> None:
    """Templates call t("..."), scripts MM.t("..."): each English text must be in service/ui_text.py
    (a text not found there would show in English on the Chinese page)."""
    from service.ui_text import ZH

    files = [*ui.TEMPLATES_DIR.glob("*.html"), *ui.STATIC_DIR.glob("*.js")]
    asked = {m.group(2) for f in files for m in TRANSLATED.finditer(f.read_text(encoding="utf-8"))
             if "${" not in m.group(2)}
    assert len(asked) > 100
    assert sorted(asked - set(ZH)) == []
    fields = re.compile(r"\{(\w+)\}")
    assert [k for k, v in ZH.items() if set(fields.findall(k)) != set(fields.findall(v))] == []


@pytest.mark.parametrize(("how", "want"), [
    ({"params": {"lang": "zh"}}, "zh-CN"),
    ({"headers": {"Accept-Language": "zh-CN,zh;q=0.9"}}, "zh-CN"),
    ({"cookies": {"matchmaker_lang": "zh"}, "headers": {"Accept-Language": "en"}}, "zh-CN"),  # the switch wins
    ({"cookies": {"matchmaker_lang": "zh"}, "params": {"lang": "en"}}, "en"),  # the query wins over it
    ({}, "en"),
])
def test_pages_render_in_the_chosen_language(client: TestClient, how: dict[str, dict[str, str]], want: str) -> None:
    cookies = how.get("cookies")
    if cookies:
        client.cookies.update(cookies)
    response = client.get("/ui/lists/3", params=how.get("params"), headers=how.get("headers"))
    client.cookies.clear()
    assert response.status_code == 200
    assert f'<html lang="{want}">' in response.text
    if want == "zh-CN":
        assert '<h1 id="list-name">匹配清单 3</h1>' in response.text and "推荐理由" in response.text
    else:
        assert '<h1 id="list-name">Match list 3</h1>' in response.text and "推荐理由" not in response.text


def test_the_language_switch_sets_a_cookie_and_goes_back(client: TestClient) -> None:
    response = client.get("/ui/language/zh", params={"next": "/ui/lists/3?status=accepted"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ui/lists/3?status=accepted"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("matchmaker_lang=zh;") and "HttpOnly" in cookie and "Path=/ui" in cookie
    assert '<html lang="zh-CN">' in client.get("/ui/lists/3").text  # the client kept the cookie
    back = client.get("/ui/language/en", params={"next": "https://elsewhere.example/"}, follow_redirects=False)
    assert back.headers["location"] == "/ui/"  # never an open redirect
    assert '<html lang="en">' in client.get("/ui/").text
    odd = client.get("/ui/language/xx", follow_redirects=False)
    assert odd.headers["set-cookie"].startswith("matchmaker_lang=en;")
