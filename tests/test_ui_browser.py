"""End to end: a reviewer drives the /ui/ page in Debian's chromium against the real app on the sample.

The app runs under uvicorn in a background thread on a free port, on a private copy of the embedded
sample (tests/sampledb.py), with the session's model. A program manager signs in with an API key,
creates a list for every enterprise in Xinjiang from the page, opens it, sorts and filters it, reads
an entry's explanation, accepts one entry, rejects another with a reason, comments, and sees the
report and its charts change; a decision the page did not know was stale shows the API's 409; then it
switches to Chinese and reads Chinese labels, reasons and refusals, and back. The
same list made through the API matches the page's. Screenshots are saved under the test's tmp_path
(their paths are printed; run with -s to see them).

Skips, saying why, when playwright is not installed, /usr/bin/chromium is missing (`make browser`
installs it) or chromium cannot start. No browser is ever downloaded and no page may fetch anything
from outside the app: such requests are aborted and fail the test.
"""

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from embeddings.encoder import Encoder
from matching import keys
from matching.db import make_engine, make_sessionmaker
from matching.reference import Reference
from matching.vocab import Role
from service.app import create_app
from service.settings import Settings
from tests.sampledb import sample_copy

try:
    from playwright.sync_api import Browser, Page, Route, expect, sync_playwright
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # pragma: no cover - the dev extras install it
    pytest.skip("playwright is not installed: pip install -e '.[dev]'", allow_module_level=True)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 20_000
BUILD_TIMEOUT_MS = 90_000  # creating a list allocates every Xinjiang talent gap
# expect() has its own 5 s default, apart from the page's; a CI host running two workers and a
# browser beside the server needs more than that for a page that does real work.
expect.set_options(timeout=TIMEOUT_MS)


@dataclass
class Served:
    url: str
    key: str  # a program manager's
    api: httpx.Client  # the same key, for checks behind the page's back


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        except PlaywrightError as exc:
            first = (exc.message or str(exc)).strip().splitlines()[0]
            pytest.skip(f"{CHROMIUM} does not start here: {first}")
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, reference: Reference, encoder: Encoder) -> Iterator[Served]:
    """The real app on the embedded sample, served over HTTP on a free port."""
    db = sample_copy(tmp_path_factory, reference, encoder, "ui-browser")
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        _, secret = keys.create_key(session, Role.PROGRAM_MANAGER, name="Programme office")
    engine.dispose()
    # Xinjiang's 275 gaps are over this limit: the page builds its list as a background job,
    # follows the job's progress and opens the list once the job is done.
    settings = Settings(database_url=url, home=db.parent / "home", load_sample=False, match_list_sync_max=100)
    app = create_app(settings, reference, encoder)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # bound before the server starts: no race for the port
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="ui-server")
    thread.start()
    try:
        _wait_ready(server, thread, base)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=120) as client:
            yield Served(base, secret, client)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _wait_ready(server: uvicorn.Server, thread: threading.Thread, base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert thread.is_alive(), "the server thread died while starting"
        if server.started:
            try:
                if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.05)
    raise AssertionError("the app did not become ready within 60 s")


# --- helpers ------------------------------------------------------------------------------------------


def number(text: str) -> int:
    """ "1,154" → 1154 """
    return int(re.sub(r"[^\d]", "", text))


def stat(page: Page, name: str) -> int:
    return number(page.locator(f'[data-stat="{name}"] .stat-value').inner_text().split("/")[0])


def settled(page: Page) -> None:
    """The entries table has been drawn after the last request (it is marked while loading)."""
    page.wait_for_function("() => !document.querySelector('#entries-body').classList.contains('loading')")


def column(page: Page, index: int) -> list[str]:
    return [cell.inner_text() for cell in page.locator(f"#entries-body tr td:nth-child({index})").all()]


def row_names(page: Page, entry_id: int) -> tuple[str, str]:
    """The enterprise and college names an entry's row shows (each cell's label, without its filter button)."""
    row = page.locator(f'#entries-body tr[data-entry-id="{entry_id}"]')
    expect(row).to_be_visible()
    label = "cell => cell.querySelector('.name').firstChild.textContent"
    return str(row.locator("td").nth(1).evaluate(label)), str(row.locator("td").nth(3).evaluate(label))


def bilingual_entries(api: httpx.Client, entries: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """An entry whose enterprise, and one whose college, has a Chinese name other than its name (as the API
    gives the profiles)."""
    def distinct(side: str, e: dict[str, Any]) -> bool:
        return bool(e[f"{side}_name_zh"]) and e[f"{side}_name_zh"] != e[f"{side}_name"]

    by_enterprise = next(e for e in entries if distinct("enterprise", e))
    by_college = next(e for e in entries if distinct("college", e))
    assert api.get(f"/enterprises/{by_enterprise['enterprise_id']}").json()["name_zh"] == \
        by_enterprise["enterprise_name_zh"]
    assert api.get(f"/colleges/{by_college['college_id']}").json()["name_zh"] == by_college["college_name_zh"]
    return by_enterprise, by_college


def wait_for_job(api: httpx.Client, created: httpx.Response) -> dict[str, Any]:
    """A 201 list, or the list a 202's job builds."""
    body: dict[str, Any] = created.json()
    if created.status_code == 201:
        return body
    assert created.status_code == 202, created.text
    deadline = time.monotonic() + BUILD_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        job = api.get(f"/jobs/{body['job_id']}").json()
        if job["status"] in ("done", "failed", "cancelled"):
            assert job["status"] == "done", job
            result: dict[str, Any] = api.get(f"/match-lists/{body['id']}").json()
            return result
        time.sleep(0.2)
    raise AssertionError(f"job {body['job_id']} did not finish")


def all_entries(api: httpx.Client, list_id: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    while True:
        page = api.get(f"/match-lists/{list_id}/entries", params={"limit": 500, "offset": len(entries)}).json()
        entries += page["data"]
        if not page["data"] or len(entries) >= page["total"]:
            return entries


def xinjiang_demand(api: httpx.Client) -> tuple[set[int], int, int]:
    """Enterprises in Xinjiang with talent gaps, their number of gaps and total headcount, from the API."""
    response = api.get("/enterprises", params={"province": "Xinjiang", "limit": 500})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["data"]) > 0
    with_gaps = [e for e in body["data"] if e["talent_gaps"]]
    gaps = [g for e in with_gaps for g in e["talent_gaps"]]
    return {e["id"] for e in with_gaps}, len(gaps), sum(g["headcount"] for g in gaps)


# --- the test -----------------------------------------------------------------------------------------


def test_a_reviewer_builds_and_decides_a_xinjiang_list(
    served: Served, chromium: Browser, tmp_path: Path, record_property: Any
) -> None:
    started = time.monotonic()
    enterprises, gap_count, headcount = xinjiang_demand(served.api)

    context = chromium.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    elsewhere: list[str] = []
    crashes: list[str] = []

    def only_this_app(route: Route) -> None:
        if route.request.url.startswith(served.url) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_app)
    page.on("pageerror", lambda error: crashes.append(str(error)))

    try:
        # --- sign in: a wrong key is refused, the program manager's is kept for the tab ---------------
        page.goto(f"{served.url}/ui/")
        expect(page).to_have_url(re.compile(r"/ui/signin\?next="))
        page.fill("#key", "mk_not-a-key")
        page.click("#signin-form button[type=submit]")
        expect(page.locator(".message.error")).to_contain_text("unknown or revoked")
        page.fill("#key", served.key)
        page.click("#signin-form button[type=submit]")
        expect(page).to_have_url(f"{served.url}/ui/")
        expect(page.locator("#who")).to_contain_text("Signed in")

        # --- a list for every enterprise in Xinjiang, from the page ------------------------------------
        derived = served.api.get("/info").json()["ranker"]["match_list_min_score"]
        # left empty, the minimum score is the model's own default, which the form shows
        expect(page.locator("#nl-min-score")).to_have_attribute("placeholder", f"{derived:.3f}")
        expect(page.locator("#nl-min-score")).to_have_value("")
        page.fill("#nl-name", "Xinjiang enterprises")
        page.fill("#nl-provinces", "Xinjiang")
        page.click("#nl-submit")
        expect(page.locator(".message.success")).to_contain_text("is ready", timeout=BUILD_TIMEOUT_MS)
        row = page.locator("#lists-body tr", has_text="Xinjiang enterprises")
        expect(row).to_have_count(1)
        list_id = int(row.get_attribute("data-list-id") or 0)
        made = served.api.get(f"/match-lists/{list_id}").json()
        assert made["status"] == "ready" and made["scope"]["provinces"] == ["Xinjiang"]
        assert made["min_score"] == derived
        job = served.api.get(f"/jobs/{made['job_id']}").json()  # built in the background, as the page saw
        assert job["status"] == "done" and job["progress"]["done"] == job["progress"]["total"] > 0
        assert made["created_by"] == "Programme office"
        assert made["counts"]["entries"] > 0 and made["counts"]["proposed"] == made["counts"]["entries"]
        before = served.api.get(f"/match-lists/{list_id}/report").json()
        assert before["demand"]["gaps"] == gap_count and before["demand"]["headcount"] == headcount
        assert [p["province"] for p in before["by_province"]] == ["Xinjiang"]
        entries = all_entries(served.api, list_id)
        assert len(entries) == made["counts"]["entries"]
        assert {e["enterprise_province"] for e in entries} == {"Xinjiang"}
        # every Xinjiang enterprise with gaps is in the list: proposed to a college, or reported unfilled
        assert {e["enterprise_id"] for e in entries} | {u["enterprise_id"] for u in before["unfilled"]} == enterprises

        # ... and the same list from the API
        from_api = wait_for_job(served.api, served.api.post(
            "/match-lists", json={"name": "Xinjiang enterprises (API)", "scope": {"provinces": ["Xinjiang"]}}))
        assert from_api["scope"]["provinces"] == ["Xinjiang"]
        assert from_api["counts"]["entries"] == made["counts"]["entries"]
        assert from_api["demand"] == made["demand"]

        # --- the report before any decision --------------------------------------------------------------
        page.goto(f"{served.url}/ui/lists/{list_id}/report")
        expect(page.locator('[data-stat="allocated"]')).to_be_visible()
        allocated_before = stat(page, "allocated")
        assert allocated_before == before["demand"]["allocated"] > 0
        assert stat(page, "headcount") == headcount
        assert stat(page, "accepted") == 0 and stat(page, "accepted-entries") == 0 and stat(page, "rejected-entries") == 0

        # --- the list: entries, sorting, an explanation ---------------------------------------------------
        page.click("#nav a[data-nav=list]")
        expect(page).to_have_url(f"{served.url}/ui/lists/{list_id}")
        expect(page.locator("#list-name")).to_have_text("Xinjiang enterprises")
        rows = page.locator("#entries-body tr")
        expect(rows.first).to_be_visible()
        settled(page)
        scores = [float(s) for s in column(page, 7)]
        assert scores == sorted(scores, reverse=True), "entries open best first"

        page.click("th[data-sort=headcount]")
        settled(page)
        expect(page.locator("th[data-sort=headcount]")).to_have_attribute("aria-sort", "descending")
        counts = [number(c) for c in column(page, 6)]
        assert counts == sorted(counts, reverse=True)
        page.click("th[data-sort=headcount]")
        settled(page)
        expect(page.locator("th[data-sort=headcount]")).to_have_attribute("aria-sort", "ascending")
        counts = [number(c) for c in column(page, 6)]
        assert counts == sorted(counts)
        page.click("th[data-sort=score]")
        settled(page)
        expect(page.locator("th[data-sort=score]")).to_have_attribute("aria-sort", "descending")

        first, second, third = rows.nth(0), rows.nth(1), rows.nth(2)
        accept_id = int(first.get_attribute("data-entry-id") or 0)
        accept_headcount = number(first.locator("td").nth(5).inner_text())
        reject_id = int(second.get_attribute("data-entry-id") or 0)
        reject_headcount = number(second.locator("td").nth(5).inner_text())
        stale_id = int(third.get_attribute("data-entry-id") or 0)

        first.locator("td").first.click()
        panel = page.locator("#entry")
        expect(panel).to_have_attribute("data-entry-id", str(accept_id))
        expect(page.locator("#components tbody tr").first).to_be_visible()
        assert page.locator("#components tbody tr").count() >= 3  # features and their sum
        assert page.locator("#pairs tbody tr").count() >= 1
        assert page.locator("#reasons li").count() >= 1
        expect(page.locator("#entry-facts")).to_contain_text("Capacity")

        # --- accept one, reject another with a reason, comment --------------------------------------------
        page.click("#accept")
        expect(panel).to_have_attribute("data-status", "accepted")
        expect(page.locator(".message.success", has_text=f"Entry {accept_id} accepted")).to_be_visible()
        expect(page.locator(f'#entries-body tr[data-entry-id="{accept_id}"] .badge')).to_have_text("accepted")
        accepted_college = served.api.get(f"/match-lists/{list_id}/entries/{accept_id}").json()["college_id"]

        second.locator("td").first.click()
        expect(panel).to_have_attribute("data-entry-id", str(reject_id))
        page.click("#reject")
        expect(page.locator("#reject-form")).to_be_visible()
        page.click("#reject-confirm")  # no reason: the form does not submit
        expect(panel).to_have_attribute("data-status", "proposed")
        page.fill("#reject-reason", "The college is too far from Karamay for an order class")
        page.click("#reject-confirm")
        expect(panel).to_have_attribute("data-status", "rejected")
        expect(page.locator("#entry-facts")).to_contain_text("too far from Karamay")
        page.fill("#comment-text", "Ask the programme office for a closer college")
        page.click("#comment-submit")
        expect(page.locator("#comments")).to_contain_text("Ask the programme office")

        rejected = served.api.get(f"/match-lists/{list_id}/entries/{reject_id}").json()
        assert rejected["status"] == "rejected" and rejected["reason"].startswith("The college is too far")
        assert rejected["decided_by"] == "Programme office"
        assert [c["text"] for c in rejected["comments"]] == ["Ask the programme office for a closer college"]

        # filters: only the accepted entry
        page.select_option("#f-status", "accepted")
        settled(page)
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-entry-id", str(accept_id))
        page.click("#f-clear")
        settled(page)
        college = rows.first.locator("td").nth(3)
        college_name = college.locator(".name").inner_text().removesuffix("only").strip()
        college.locator("button.chip").click()
        settled(page)
        assert {name.splitlines()[0].removesuffix("only").strip() for name in column(page, 4)} == {college_name}
        page.click("#f-clear")
        settled(page)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(tmp_path / "reviewer-list.png"))

        # --- the report changed ---------------------------------------------------------------------------
        page.click("#to-report")
        expect(page.locator('[data-stat="accepted-entries"] .stat-value')).to_have_text("1")
        assert stat(page, "rejected-entries") == 1
        assert stat(page, "accepted") == accept_headcount > 0
        assert stat(page, "allocated") == allocated_before - reject_headcount
        after = served.api.get(f"/match-lists/{list_id}/report").json()
        assert after["demand"]["accepted"] == accept_headcount
        assert after["demand"]["allocated"] == allocated_before - reject_headcount

        # the charts are drawn: a bar per province, and the accepted share of a college's capacity
        province_bars = page.locator("#chart-provinces svg rect.bar")
        expect(province_bars).to_have_count(1)
        assert float(province_bars.first.get_attribute("width") or 0) > 0
        assert page.locator("#chart-colleges svg rect.bar").count() >= 1
        college_row = page.locator(f'#colleges tbody tr[data-college-id="{accepted_college}"]')
        assert number(college_row.locator("td").nth(4).inner_text()) >= accept_headcount
        charted = page.locator(f'#chart-colleges g[data-key="{accepted_college}"] rect.inner')
        if charted.count():  # the chart shows the 20 most used colleges
            assert float(charted.get_attribute("width") or 0) > 0
        expect(page.locator("#by-province tbody tr")).to_have_count(1)

        # exports are fetched with the key and saved from a Blob URL
        with page.expect_download() as download:
            page.click("#exports button[data-part=report][data-format=json]")
        assert download.value.suggested_filename == f"match-list-{list_id}-report.json"
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert '"accepted"' in saved.read_text()
        with page.expect_download() as download:
            page.click("#exports button[data-part=entries][data-format=csv]")
        assert download.value.suggested_filename == f"match-list-{list_id}-entries.csv"

        report_shot = tmp_path / "reviewer-report.png"
        page.screenshot(path=str(report_shot), full_page=True)

        # --- a stale decision: the API's 409 is shown, and the entry as it now is -----------------------
        page.goto(f"{served.url}/ui/lists/{list_id}?entry={stale_id}")
        expect(page.locator("#entry")).to_have_attribute("data-status", "proposed")
        withdrawn = served.api.post(f"/match-lists/{list_id}/entries/{stale_id}/withdraw")
        assert withdrawn.status_code == 200, withdrawn.text
        page.click("#accept")
        expect(page.locator(".message.error")).to_contain_text("409")
        expect(page.locator("#entry")).to_have_attribute("data-status", "withdrawn")

        # --- names: a reader who asked for Chinese sees name_zh (both sides), others the name as entered ---
        by_enterprise, by_college = bilingual_entries(served.api, entries)

        def shown_names(lang: str) -> None:
            for named in (by_enterprise, by_college):
                page.goto(f"{served.url}/ui/lists/{list_id}?enterprise_id={named['enterprise_id']}&entry={named['id']}")
                expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
                expect(panel).to_have_attribute("data-entry-id", str(named["id"]))
                wanted = [named["enterprise_name_zh"] or named["enterprise_name"],
                          named["college_name_zh"] or named["college_name"]] if lang == "zh" \
                    else [named["enterprise_name"], named["college_name"]]
                assert list(row_names(page, named["id"])) == wanted, (lang, named["id"])
                for name in wanted:
                    expect(page.locator("#entry-facts")).to_contain_text(name)

        shown_names("en")

        # --- 中文: the switch, Chinese labels and reasons, a Chinese refusal, and back ---------------------
        page.goto(f"{served.url}/ui/lists/{list_id}?entry={accept_id}")
        expect(page.locator("#entry")).to_have_attribute("data-entry-id", str(accept_id))
        english = page.locator("#reasons li").all_inner_texts()
        page.click('#lang-switch a[data-lang="zh"]')
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page).to_have_url(re.compile(rf"/ui/lists/{list_id}\?.*entry={accept_id}"))  # back to the same entry
        expect(page.locator("#nav a[data-nav=lists]")).to_have_text("匹配清单")
        expect(page.locator("#reasons-title")).to_have_text("推荐理由")
        expect(page.locator("#accept")).to_have_text("接受")
        expect(page.locator("#entry")).to_have_attribute("data-entry-id", str(accept_id))
        expect(page.locator("#entry-facts")).to_contain_text("容量")
        expect(page.locator(f'#entries-body tr[data-entry-id="{accept_id}"] .badge')).to_have_text("已接受")
        expect(page.locator("#reasons li").first).to_contain_text("每年毕业")
        chinese = page.locator("#reasons li").all_inner_texts()
        stored = served.api.get(f"/match-lists/{list_id}/entries/{accept_id}",
                                headers={"Accept-Language": "zh-CN"}).json()["explanation"]["reasons"]
        assert chinese == stored and len(chinese) == len(english) and chinese != english
        assert all(re.search("[\u4e00-\u9fff]", r) for r in chinese), chinese
        # the API's refusal, in Chinese: the stale entry is withdrawn
        page.goto(f"{served.url}/ui/lists/{list_id}?entry={stale_id}")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")  # the choice persists
        expect(page.locator("#entry")).to_have_attribute("data-status", "withdrawn")
        page.evaluate("document.getElementById('withdraw').disabled = false")
        page.click("#withdraw")
        expect(page.locator(".message.error")).to_contain_text("只有待定或已接受的条目才能撤回")
        page.screenshot(path=str(tmp_path / "reviewer-list-zh.png"))
        shown_names("zh")
        page.click("#to-report")
        expect(page.locator("#report-name")).to_contain_text("报告")
        expect(page.locator('[data-stat="accepted-entries"]')).to_contain_text("已接受条目")
        # the report names profiles as the list page does: name_zh in Chinese, the name as entered in English
        shown = served.api.get(f"/match-lists/{list_id}/report").json()
        college = next(c for c in shown["colleges"] if c["name_zh"] and c["name_zh"] != c["name"])
        college_cell = page.locator(f'#colleges tbody tr[data-college-id="{college["college_id"]}"] td').first
        unfilled = next(u for u in shown["unfilled"] if u["enterprise_name_zh"]
                        and u["enterprise_name_zh"] != u["enterprise_name"])
        expect(college_cell).to_have_text(college["name_zh"])
        expect(page.locator("#unfilled tbody")).to_contain_text(unfilled["enterprise_name_zh"])
        page.click('#lang-switch a[data-lang="en"]')
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator('[data-stat="accepted-entries"]')).to_contain_text("Accepted entries")
        expect(college_cell).to_have_text(college["name"])
        expect(page.locator("#unfilled tbody")).to_contain_text(unfilled["enterprise_name"])
        shown_names("en")

        assert not crashes, crashes
        assert not elsewhere, f"the page fetched from outside the app: {elsewhere}"
    finally:
        failure_shot = tmp_path / "reviewer-last.png"
        page.screenshot(path=str(failure_shot), full_page=True)
        context.close()

    seconds = time.monotonic() - started
    record_property("screenshot", str(report_shot))
    print(f"\nreviewer page screenshots: {report_shot}, {tmp_path / 'reviewer-list.png'} ({seconds:.1f} s)")


# --- the API documentation ---------------------------------------------------------------------------


def test_api_docs_render_offline(served: Served, chromium: Browser, tmp_path: Path) -> None:
    """/docs and /redoc render every operation with no request leaving the app, and no CSP refusal."""
    spec = httpx.get(f"{served.url}/openapi.json", timeout=60).json()
    operations = [(method, path, op["operationId"]) for path, item in spec["paths"].items()
                  for method, op in item.items()]
    assert len(operations) > 20
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    elsewhere: list[str] = []
    requested: list[str] = []  # answered
    failed: list[tuple[str, str]] = []  # never answered: aborted by the route above, or refused by the CSP
    refused: list[str] = []
    crashes: list[str] = []

    def only_this_app(route: Route) -> None:
        if route.request.url.startswith((served.url + "/", "data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_app)
    context.on("requestfinished", lambda request: requested.append(request.url))
    context.on("requestfailed", lambda request: failed.append((request.url, request.failure or "")))
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: crashes.append(str(error)))
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        page.goto(f"{served.url}/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("matchmaker")
        expect(page.locator(".opblock")).to_have_count(len(operations))
        for method, path, _ in operations:
            block = page.locator(f'.opblock-{method} .opblock-summary-path[data-path="{path}"]')
            expect(block).to_have_count(1)
        page.screenshot(path=str(tmp_path / "docs.png"), full_page=False)

        page.goto(f"{served.url}/redoc")
        expect(page.locator("h1").first).to_contain_text("matchmaker")
        for method, path, operation_id in operations:  # each operation has its section, titled by its summary
            section = page.locator(f'[id$="/operation/{operation_id}"]')  # tag/<tag>/operation/<id>
            expect(section).to_have_count(1)
            expect(section.locator("h2").first).to_contain_text(spec["paths"][path][method]["summary"])
        page.screenshot(path=str(tmp_path / "redoc.png"), full_page=False)
        print(f"screenshots: {tmp_path / 'docs.png'}, {tmp_path / 'redoc.png'}")
    finally:
        context.close()
    assert not elsewhere, f"the docs fetched from outside the app: {elsewhere}"
    assert [url for url in requested if not url.startswith((served.url + "/", "data:", "blob:"))] == []
    assert any("/docs/assets/swagger-ui-bundle.js" in url for url in requested)
    assert any("/docs/assets/redoc.standalone.js" in url for url in requested)
    # ReDoc's footer always asks for Redocly's logo from their CDN: the CSP refuses it before any request
    # is made (`requested` has no such URL), and ReDoc then leaves the logo out.
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert all(url.startswith(served.url + "/") or (url == logo and failure == "csp") for url, failure in failed), failed
    refused = [message for message in refused if logo not in message]
    assert not refused, f"the Content-Security-Policy refused: {refused}"
    assert not crashes, crashes
