"""The reader's language: `?lang=zh|en` wins, else `Accept-Language`, else English.

`LanguageChoice` (ASGI middleware) decides once per request, before routing, and takes `lang`
out of the query string: the routes' query models forbid unknown parameters, and `lang` is
everyone's. Error handlers and the `WordingDep` dependency then read the choice from the scope.
"""

from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import Depends, Query, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from matching.messages import Lang, Wording, pick_language

SCOPE_KEY = "matchmaker.lang"
ASKED_KEY = "matchmaker.lang_asked"  # the raw ?lang=, when given
COOKIE = "matchmaker_lang"  # the reviewer page's switch


class LanguageChoice:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw: bytes = scope.get("query_string", b"")
            asked: str | None = None
            if b"lang=" in raw:
                kept = []
                for part in raw.split(b"&"):
                    if part.startswith(b"lang="):
                        asked = unquote_plus(part[5:].decode("latin-1"))
                    else:
                        kept.append(part)
                scope = dict(scope, query_string=b"&".join(kept))
            accept = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"accept-language"), None)
            scope[SCOPE_KEY] = pick_language(asked, accept)
            scope[ASKED_KEY] = asked
        await self.app(scope, receive, send)


def request_language(request: Request) -> Lang:
    lang: Lang | None = request.scope.get(SCOPE_KEY)
    if lang is None:  # an app built without the middleware (never in `create_app`)
        lang = pick_language(request.query_params.get("lang"), request.headers.get("accept-language"))
    return lang


async def get_wording(
    request: Request,
    lang: Annotated[str | None, Query(description="Language of reasons and error details: zh or en (wins over "
                                      "Accept-Language; anything else reads as en)", max_length=16)] = None,
) -> Wording:
    # `lang` is declared for the OpenAPI document only: LanguageChoice has already read it.
    state = getattr(request.app.state, "matchmaker", None)
    return Wording(request_language(request), state.reference.catalogue if state is not None else None)


WordingDep = Annotated[Wording, Depends(get_wording)]
