"""The proxy app: mints chat links with the hidden Wazzup credential and serves the page.

    app = create_app(Settings(wazzup_api_key="...", allow_unsigned=True, demo=True))

Routes:
    POST /api/link          any documented link-request form → {"url": ...}
    POST /v3/iframe         the same, at Wazzup's own path
    POST /api/deals         CRM-created deals → Wazzup /v3/deals (Deals dropdown)
    POST /api/contacts      CRM-created contacts → Wazzup /v3/contacts
    GET  /api/health        proxy and upstream status (no secrets)
    GET  /api/schema/record JSON Schema of the CRM record
    GET  /*                 the page's static files (allow-listed)
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter, ValidationError
from starlette.middleware.cors import CORSMiddleware

from components.entities import MAX_ENTITIES_PER_REQUEST, Contact, Deal
from components.events import describe_validation_error
from components.link import LinkRequest
from components.problems import PROBLEM_CONTENT_TYPE, Problem
from components.records import record_json_schema

from .logs import install_redaction
from .settings import Settings
from .static import page_file_response
from .upstream import UpstreamProblem, WazzupClient

log = logging.getLogger("proxy")

_DEALS = TypeAdapter(list[Deal])
_CONTACTS = TypeAdapter(list[Contact])


def create_app(settings: Settings, *, http: httpx.AsyncClient | None = None) -> FastAPI:
    install_redaction(settings.secrets())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = http or httpx.AsyncClient(follow_redirects=False)
        app.state.wazzup = WazzupClient(settings, client)
        if settings.allow_unsigned:
            log.warning(
                "UNSIGNED MODE: links are minted for any request. Local demo only; "
                "never expose this proxy."
            )
        try:
            yield
        finally:
            if http is None:
                await client.aclose()

    app = FastAPI(title="Wazzup chat window proxy", lifespan=lifespan, docs_url=None)
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Idempotency-Key"],
            expose_headers=["Retry-After"],
        )

    @app.exception_handler(UpstreamProblem)
    async def _upstream_problem(request: Request, error: UpstreamProblem) -> Response:
        headers = {"Retry-After": error.retry_after} if error.retry_after else None
        return problem_response(error.problem, headers)

    @app.post("/api/link")
    @app.post("/v3/iframe", include_in_schema=False)
    async def create_link(request: Request) -> Response:
        payload = await read_json(request, settings.max_body_bytes)
        if isinstance(payload, Response):
            return payload
        try:
            link_request = LinkRequest.model_validate(payload)
            if settings.wazzup_api == "v2":
                link_request.to_v2()  # v2 cannot open a Telegram chat by phone: a 400, not a 500
        except ValidationError as error:
            return invalid_request(error)
        if not settings.allow_unsigned:
            return problem_response(
                Problem(
                    title="Signed launch required",
                    status=403,
                    detail="This proxy mints chat links only for launches signed by the CRM.",
                    code="LAUNCH_REQUIRED",
                )
            )
        link = await request.app.state.wazzup.create_link(link_request)
        # The link carries a token: never cache it anywhere.
        return JSONResponse(link.to_wire(), headers={"Cache-Control": "no-store"})

    @app.post("/api/deals")
    async def push_deals(request: Request) -> Response:
        return await _push(request, _DEALS, "push_deals")

    @app.post("/api/contacts")
    async def push_contacts(request: Request) -> Response:
        return await _push(request, _CONTACTS, "push_contacts")

    async def _push(request: Request, adapter: TypeAdapter, method: str) -> Response:
        payload = await read_json(request, settings.max_body_bytes)
        if isinstance(payload, Response):
            return payload
        if isinstance(payload, dict):
            payload = [payload]
        if isinstance(payload, list) and len(payload) > MAX_ENTITIES_PER_REQUEST:
            return problem_response(
                Problem(
                    title="Too many entities",
                    status=400,
                    detail=f"Send at most {MAX_ENTITIES_PER_REQUEST} entities per request.",
                    code="TOO_MANY_ENTITIES",
                )
            )
        try:
            entities = adapter.validate_python(payload)
        except ValidationError as error:
            return invalid_request(error)
        await getattr(request.app.state.wazzup, method)(entities)
        return JSONResponse({"pushed": len(entities)})

    @app.get("/api/health")
    async def health(request: Request) -> Response:
        try:
            upstream = await request.app.state.wazzup.check()
        except UpstreamProblem as error:
            upstream = {"ok": False, "detail": error.problem.detail}
        return JSONResponse(
            {
                "proxy": "ok",
                "api": settings.wazzup_api,
                "unsigned": settings.allow_unsigned,
                "upstream": upstream,
            }
        )

    @app.get("/api/schema/record")
    async def record_schema() -> Response:
        return JSONResponse(record_json_schema())

    @app.get("/{path:path}", include_in_schema=False)
    async def page(request: Request, path: str) -> Response:
        return page_file_response(request, settings.static_dir, {}, settings.site_config)

    return app


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        problem.to_wire(),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def invalid_request(error: ValidationError) -> Response:
    return problem_response(
        Problem(
            title="Invalid request",
            status=400,
            detail=describe_validation_error(error),
            code="VALIDATION_FAILED",
            errors=[describe_validation_error(error, limit=20)],
        )
    )


async def read_json(request: Request, max_bytes: int) -> Any:
    """The JSON body, or a problem `Response` saying what is wrong with it."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return problem_response(
            Problem(
                title="Unsupported content type",
                status=415,
                detail="Send the body as JSON with Content-Type: application/json.",
                code="UNSUPPORTED_MEDIA_TYPE",
            )
        )
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            return problem_response(
                Problem(
                    title="Request too large",
                    status=413,
                    detail=f"The body must be at most {max_bytes} bytes.",
                    code="PAYLOAD_TOO_LARGE",
                )
            )
    try:
        return json.loads(body)
    except ValueError:
        return problem_response(
            Problem(
                title="Malformed JSON",
                status=400,
                detail="The body is not valid JSON.",
                code="MALFORMED_JSON",
            )
        )
