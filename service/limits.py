"""Reject oversized request bodies before the app sees them (413)."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matching.messages import Lang, render
from service.language import SCOPE_KEY


class BodySizeLimit:
    """Reads the body up to the limit and replays it to the app.

    Counting the bytes themselves, not trusting Content-Length, means a chunked or lying request
    cannot get past; buffering first means the app never half-processes a body it must refuse.
    """

    def __init__(self, app: ASGIApp, default: int, overrides: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.overrides = overrides  # path -> limit, for endpoints that take files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = self.overrides.get(scope["path"], self.default)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _reject(send, limit, scope.get(SCOPE_KEY, "en"))
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _reject(send, limit, scope.get(SCOPE_KEY, "en"))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _reject(send: Send, limit: int, lang: Lang) -> None:
    body = json.dumps({
        "error": "payload_too_large",
        "detail": render(lang, "error.too_large", limit=limit),
        "fields": [],
    }).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
