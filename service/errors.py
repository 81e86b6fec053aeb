"""One error shape for every API error: {"error": code, "detail": sentence, "fields": [...]}."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from matching.errors import Conflict, DomainError, InvalidInput, NotFound, Problem
from matching.schemas import ErrorPublic

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
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.error = error or STATUS_CODES.get(status, "error")
        self.headers = headers


def error_response(status: int, error: str, detail: str, problems: list[Problem] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    fields = [
        {"field": p.field, "reason": p.reason} | ({"line": p.line} if p.line is not None else {})
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
        problems.append(Problem(field, str(err.get("msg", "invalid"))))
    return malformed, problems


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        malformed, problems = _validation_problems(exc)
        if malformed:
            reasons = "; ".join(p.reason for p in problems)
            return error_response(400, "malformed_json", "the request body is not valid JSON",
                                  [Problem("body", reasons)])
        first = f"{problems[0].field}: {problems[0].reason}" if problems else "invalid request"
        return error_response(422, "validation_error", first, problems)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, NotFound):
            return error_response(404, "not_found", exc.detail)
        if isinstance(exc, Conflict):
            return error_response(409, "conflict", exc.detail, exc.problems)
        if isinstance(exc, InvalidInput):
            return error_response(422, "validation_error", exc.detail, exc.problems)
        return error_response(400, "bad_request", exc.detail, exc.problems)

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.error, exc.detail, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = STATUS_CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else error.replace("_", " ")
        return error_response(exc.status_code, error, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")
