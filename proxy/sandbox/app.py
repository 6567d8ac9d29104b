"""Assemble the sandbox app: state, routers, error handlers, fault injection.

    app = create_sandbox_app(SandboxSettings(api_key="k", partner_token="t",
                                             public_url="http://127.0.0.1:8001"))

`webhook_transport` replaces the network for the sandbox's own calls to webhook addresses
(tests pass an `httpx.MockTransport`). No CORS: like Wazzup, the API is server-to-server.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import channels, chat_window, control, crud, iframe, partner, webhooks
from .channels import demo_channels
from .faults import FaultMiddleware
from .replies import SandboxError, handle_sandbox_error
from .settings import SandboxSettings
from .state import SandboxState

ERROR_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def create_sandbox_app(
    settings: SandboxSettings, *, webhook_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    app = FastAPI(
        title="Wazzup sandbox",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    state = SandboxState(
        settings=settings,
        channels=demo_channels(settings.account_id),
        webhook_transport=webhook_transport,
    )
    app.state.sandbox = state

    app.include_router(iframe.router)
    for kind in (crud.USERS, crud.CONTACTS, crud.DEALS):
        app.include_router(crud.entity_router(kind))
    app.include_router(partner.router)
    app.include_router(channels.router)
    app.include_router(webhooks.router)
    app.include_router(chat_window.router)
    if settings.enable_test_routes:
        app.include_router(control.router)
        app.add_middleware(FaultMiddleware, book=state.faults)

    app.add_exception_handler(SandboxError, handle_sandbox_error)
    app.add_exception_handler(chat_window.WindowError, chat_window.handle_window_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    return app


async def _http_error(_request: Request, error: Exception) -> Response:
    # Unknown routes answer in the v3 shape rather than FastAPI's {"detail": ...}.
    assert isinstance(error, StarletteHTTPException)
    code = ERROR_CODES.get(error.status_code, "ERROR")
    return JSONResponse({"error": code, "description": str(error.detail)}, error.status_code)


async def _request_invalid(_request: Request, error: Exception) -> Response:
    # Routes parse their own bodies; this only catches a bad path or query parameter.
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "bad request"}
    where = ".".join(str(part) for part in first["loc"])
    return JSONResponse(
        {"error": "VALIDATION_FAILED", "description": f"{where}: {first['msg']}"}, 400
    )
