"""One error shape for every API error: {"error": code, "detail": sentence, "fields": [...]}."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from matching.errors import Conflict, DomainError, InvalidInput, Message, NotFound, Problem, localised
from matching.messages import Lang, render
from matching.pydantic_reasons import PydanticReason
from matching.saying import Said
from matching.schemas import ErrorPublic
from service.language import request_language

log = logging.getLogger("matchmaker")

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    503: "not_ready",
}


# Shown in the OpenAPI document for every resource route, so clients see the one error shape.
DOCUMENTED: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic, "description": error.replace("_", " ")}
    for status, error in STATUS_CODES.items()
    if status in (400, 401, 403, 404, 409, 413, 422)
}


class ApiError(Exception):
    """Raised by routes and dependencies for errors that are not the domain's."""

    def __init__(self, status: int, detail: str, *, error: str | None = None,
                 headers: dict[str, str] | None = None, message: Message | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.error = error or STATUS_CODES.get(status, "error")
        self.headers = headers
        self.message = message  # the detail for readers of another language (see DomainError)

    @classmethod
    def said(cls, status: int, said: Said, *, error: str | None = None,
             headers: dict[str, str] | None = None) -> "ApiError":
        return cls(status, said.render("en"), error=error, headers=headers, message=said)


# Starlette's own details (unknown route, wrong method) by status.
HTTP_MESSAGES = {404: "error.route_not_found", 405: "error.method_not_allowed"}
# FastAPI's own details, by their English.
FRAMEWORK_DETAILS = {"There was an error parsing the body": "error.body_unparsable"}


def error_response(status: int, error: str, detail: str, problems: list[Problem] | None = None,
                   headers: dict[str, str] | None = None, lang: Lang = "en") -> JSONResponse:
    fields = [
        {"field": p.field, "reason": p.reason_in(lang)} | ({"line": p.line} if p.line is not None else {})
        for p in problems or []
    ]
    return JSONResponse({"error": error, "detail": detail, "fields": fields}, status, headers=headers)


def _validation_problems(exc: RequestValidationError) -> tuple[bool, list[Problem]]:
    malformed = False
    problems = []
    for err in exc.errors():
        loc: tuple[Any, ...] = tuple(err.get("loc", ()))
        malformed = malformed or err.get("type") == "json_invalid"
        # "body", "query" and "path" say where FastAPI looked, not which field the client sent.
        where = [str(p) for p in (loc[1:] if loc and loc[0] in ("body", "query", "path") else loc)]
        field = ".".join(where) or (str(loc[0]) if loc else "body")
        problems.append(Problem.of(field, PydanticReason.of(err)))
    return malformed, problems


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = request_language(request)
        malformed, problems = _validation_problems(exc)
        if malformed:
            reasons = "; ".join(p.reason_in(lang) for p in problems)
            return error_response(400, "malformed_json", render(lang, "error.malformed_json"),
                                  [Problem("body", reasons)])
        first = render(lang, "error.field", field=problems[0].field, reason=problems[0].reason_in(lang)) \
            if problems else render(lang, "error.invalid_request")
        return error_response(422, "validation_error", first, problems, lang=lang)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        lang = request_language(request)
        detail = localised(lang, exc.detail, exc.message)
        if isinstance(exc, NotFound):
            return error_response(404, "not_found", detail, lang=lang)
        if isinstance(exc, Conflict):
            return error_response(409, "conflict", detail, exc.problems, lang=lang)
        if isinstance(exc, InvalidInput):
            return error_response(422, "validation_error", detail, exc.problems, lang=lang)
        return error_response(400, "bad_request", detail, exc.problems, lang=lang)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.error, localised(request_language(request), exc.detail, exc.message),
                              headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = STATUS_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else error.replace("_", " ")
        message_id = HTTP_MESSAGES.get(exc.status_code) or FRAMEWORK_DETAILS.get(detail)
        if message_id and detail == render("en", message_id):
            detail = render(request_language(request), message_id)
        return error_response(exc.status_code, error, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", render(request_language(request), "error.unexpected"))
