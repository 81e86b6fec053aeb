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

from matching.schemas import MAX_ID
from service import __version__

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


def _page(request: Request, template: str, title: str, page: str, **context: Any) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    response = templates.TemplateResponse(
        request,
        template,
        {"title": title, "page": page, "api": root, "ui": root + PREFIX, "version": __version__, **context},
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
    return _page(request, "list.html", f"Match list {list_id}", "list", list_id=list_id)


@router.get("/lists/{list_id}/report", response_class=HTMLResponse)
def report_page(request: Request, list_id: ListId) -> HTMLResponse:
    return _page(request, "report.html", f"Report of match list {list_id}", "report", list_id=list_id)


def install(app: FastAPI) -> None:
    """The pages and their static files (/ui/static), outside the OpenAPI document."""
    app.include_router(router)
    app.mount(PREFIX + "/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
