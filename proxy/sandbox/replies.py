"""Error answers in Wazzup's three documented shapes (wazzup-api.md §1, §2, §9).

Routes raise `SandboxError`; one exception handler turns it into the response::

    raise v3_error(404, "NOT_FOUND", "no deal with id '7'")
    raise iframe_error("VALIDATION_FAILED", "filter.0.chatId: ...", data=[...])
    raise v2_problem(request, 401, "OAUTH_AUTH_HEADER_MISSING", "No Authorization header.")

The bodies are built from the shared models in `components.problems`, the same ones the
client parses, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from components.problems import V2Problem, V3Error, V3IframeError, V3IframeErrorCode

V2_TITLES = {
    "VALIDATION_FAILED": "Validation Failed",
    "INTERNAL_SERVER_ERROR": "Internal Server Error",
}


class SandboxError(Exception):
    """An error answer: status, JSON body (None for an empty body) and extra headers."""

    def __init__(
        self, status: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        super().__init__(f"HTTP {status}")

    def to_response(self) -> Response:
        if self.body is None:
            return Response(status_code=self.status, headers=self.headers)
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def v3_error(
    status: int,
    code: str,
    description: str,
    data: Any = None,
    headers: Mapping[str, str] | None = None,
) -> SandboxError:
    """`{"error": "CODE", "description": ..., "data": ...}` — every v3 route but /iframe."""
    body = V3Error(error=code, description=description, data=data)
    return SandboxError(status, body.model_dump(by_alias=True, exclude_none=True), headers)


def iframe_error(code: str, description: str, data: Any = None, status: int = 400) -> SandboxError:
    """`{"error": {"code": ...}}` — `POST /v3/iframe`; description and data are our addition."""
    body = V3IframeError(error=V3IframeErrorCode(code=code, description=description, data=data))
    return SandboxError(status, body.model_dump(exclude_none=True))


def v2_problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    errors: list[str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> SandboxError:
    """The v2 partner API's problem envelope (code, title, status, detail, instance, method)."""
    body = V2Problem(
        code=code,
        title=V2_TITLES.get(code, HTTPStatus(status).phrase),
        status=status,
        detail=detail,
        instance=request.url.path,
        method=request.method,
        errors=errors,
    )
    return SandboxError(status, body.model_dump(exclude_none=True), headers)


async def handle_sandbox_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, SandboxError)
    return error.to_response()
