"""The reviewer page at /ui/: server-rendered shells whose light JavaScript calls the JSON API.

The pages hold no data of their own: each one is a template that loads a script from /ui/static,
and the script calls the API with the API key the reviewer signed in with (kept in the tab's
sessionStorage). Nothing is fetched from anywhere but this service; the Content-Security-Policy
says so to the browser too. Templates and static files are found next to this package, so an
installed wheel serves them whatever the working directory.
"""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.staticfiles import StaticFiles

from matching.messages import LANGUAGES, Lang, pick_language
from matching.schemas import MAX_ID
from service import __version__
from service.language import ASKED_KEY, COOKIE, request_language
from service.ui_text import texts, translate

PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE / "templates"
STATIC_DIR = PACKAGE / "static"
PREFIX = "/ui"

# Only this origin: scripts, styles, API calls; images may be data: or blob: (exports, SVG).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=TEMPLATES_DIR)
router = APIRouter(prefix=PREFIX, include_in_schema=False)

ListId = Annotated[int, PathParam(ge=1, le=MAX_ID)]


def page_language(request: Request) -> Lang:
    """`?lang=` (the switch's link), else the switch's cookie, else Accept-Language."""
    asked = request.scope.get(ASKED_KEY)
    if asked is not None:
        return pick_language(asked, None)
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return pick_language(cookie, None)
    return request_language(request)


def _page(request: Request, template: str, title: str, page: str, **context: Any) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    lang = page_language(request)

    def t(text: str, **fields: object) -> str:
        return translate(lang, text, **fields)

    response = templates.TemplateResponse(
        request,
        template,
        {"title": t(title, id=context.get("list_id")), "page": page, "api": root, "ui": root + PREFIX,
         "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
         "version": __version__, "lang": lang, "html_lang": "zh-CN" if lang == "zh" else "en", "t": t,
         "ui_texts": texts(lang), **context},
    )
    response.headers.update(SECURITY_HEADERS)
    return response


@router.get("", response_class=RedirectResponse)
def ui_root(request: Request) -> RedirectResponse:
    return RedirectResponse(request.scope.get("root_path", "").rstrip("/") + PREFIX + "/", status_code=307)


@router.get("/", response_class=HTMLResponse)
def lists_page(request: Request) -> HTMLResponse:
    return _page(request, "lists.html", "Match lists", "lists")


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request) -> HTMLResponse:
    return _page(request, "signin.html", "Sign in", "signin")


@router.get("/lists/{list_id}", response_class=HTMLResponse)
def list_page(request: Request, list_id: ListId) -> HTMLResponse:
    return _page(request, "list.html", "Match list {id}", "list", list_id=list_id)


@router.get("/lists/{list_id}/report", response_class=HTMLResponse)
def report_page(request: Request, list_id: ListId) -> HTMLResponse:
    return _page(request, "report.html", "Report of match list {id}", "report", list_id=list_id)


@router.get("/language/{choice}", response_class=RedirectResponse)
def choose_language(request: Request, choice: str, next: str = PREFIX + "/") -> RedirectResponse:
    """The language switch: remember the choice in a cookie (for a year, this site's pages only;
    not readable by scripts) and go back to the page, which then renders in it."""
    root = request.scope.get("root_path", "").rstrip("/")
    lang = pick_language(choice, None)
    # Only a page of the reviewer's own, never an open redirect.
    target = next if next.startswith(root + PREFIX + "/") and not next.startswith("//") else root + PREFIX + "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, path=root + PREFIX, httponly=True, samesite="strict")
    return response


def install(app: FastAPI) -> None:
    """The pages and their static files (/ui/static), outside the OpenAPI document."""
    app.include_router(router)
    app.mount(PREFIX + "/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
