"""One error shape everywhere: {"error": {"code", "message", "details"}}."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An error the API answers with on purpose."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: object = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details
        self.headers = headers or {}


def not_found(what: str) -> ApiError:
    # Another tenant's ids answer exactly like ids that do not exist.
    return ApiError(404, "not_found", f"{what} not found")


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the errors a route can answer with."""
    meaning = {
        401: "Missing or invalid bearer token",
        403: "The token's role may not do this",
        404: "No such resource for this tenant",
        409: "Conflicts with the current state",
        503: "Not ready yet; retry after Retry-After seconds",
        422: "The request is invalid; the message says what and why",
    }
    return {s: {"model": ErrorBody, "description": meaning[s]} for s in statuses}


def _body(code: str, message: str, details: object = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error["loc"] if p not in {"query", "body", "path"})
        parts.append(f"{where}: {error['msg']}" if where else error["msg"])
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else error.headers
        return JSONResponse(
            _body(error.code, error.message, error.details), error.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {k: v for k, v in e.items() if k in {"loc", "msg", "type"}} for e in error.errors()
        ]
        return JSONResponse(_body("invalid_request", _validation_message(errors), errors), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(_body(code, str(error.detail)), error.status_code)
