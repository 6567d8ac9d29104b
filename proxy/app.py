"""The proxy app: mints chat links with the hidden Wazzup credential and serves the page.

    app = create_app(Settings(wazzup_api_key="...", allow_unsigned=True, demo=True))

Routes:
    POST /api/link          any documented link-request form → {"url": ...}
    POST /v3/iframe         the same, at Wazzup's own path
    POST /api/deals         CRM-created deals → Wazzup /v3/deals (v2: /v2/deals; Deals dropdown)
    POST /api/contacts      CRM-created contacts → Wazzup /v3/contacts (v2: /v2/contacts)
    GET  /api/health        proxy and upstream status (no secrets)
    GET  /api/mode          {"unsigned": bool}: the page shows a warning when true
    GET  /api/schema/record JSON Schema of the CRM record
    POST /api/crm/records   a CRM record → CRM_URL (proxy/relay.py)
    POST /api/wazzup/webhook/{secret}  Wazzup's webhooks → CRM_WEBHOOK_URL (proxy/webhooks.py)
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
from starlette.routing import Route

from components.entities import MAX_ENTITIES_PER_REQUEST, Contact, Deal
from components.events import describe_validation_error
from components.gate import origin_of
from components.link import LinkRequest, ProxyMode
from components.problems import Problem
from components.records import record_json_schema

from .launch import LaunchRefused, launch_gate
from .linkcheck import link_check
from .logs import install_redaction
from .ratelimit import ClientRateLimit, FixedWindowLimiter, upstream_budget_hook
from .relay import crm_relay
from .security import BodySizeLimit, install_launch_redaction, page_headers, problem_response
from .settings import Settings
from .static import page_file_response
from .transport import upstream_client
from .upstream import UpstreamProblem, WazzupClient
from .webhooks import WEBHOOK_PATH, wazzup_webhooks

log = logging.getLogger("proxy")

_DEALS = TypeAdapter(list[Deal])
_CONTACTS = TypeAdapter(list[Contact])


def create_app(settings: Settings, *, http: httpx.AsyncClient | None = None) -> FastAPI:
    install_redaction(settings.secrets())
    install_launch_redaction()
    launches = launch_gate(settings)
    upstream_budget = FixedWindowLimiter(
        settings.upstream_rate_limit, settings.upstream_rate_window_s
    )
    html_headers = page_headers(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = http or upstream_client()
        app.state.wazzup = WazzupClient(settings, client)
        wazzup_urls = [settings.wazzup_base_url, settings.wazzup_partner_base_url]
        client.event_hooks["request"] = [
            *client.event_hooks["request"],
            upstream_budget_hook(upstream_budget, wazzup_urls),
        ]
        if not settings.allow_unsigned and not settings.launch_keys:
            log.warning("No LAUNCH_KEYS: every link request will be refused (LAUNCH_REQUIRED).")
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
    minted_origins: set[str] = set()  # chat-window origins of links minted here
    app.state.minted_origins = minted_origins
    # Added innermost first: CORS outermost, so even a 429 or 413 is readable by the page.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        ClientRateLimit,
        limiter=FixedWindowLimiter(settings.client_rate_limit, settings.client_rate_window_s),
        exempt_prefixes=[WEBHOOK_PATH],  # authenticated by their secret, paced by Wazzup
    )
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Idempotency-Key", "Authorization"],
            expose_headers=["Retry-After"],
        )

    @app.exception_handler(UpstreamProblem)
    async def _upstream_problem(request: Request, error: UpstreamProblem) -> Response:
        headers = {"Retry-After": error.retry_after} if error.retry_after else None
        return problem_response(error.problem, headers)

    @app.exception_handler(LaunchRefused)
    async def _launch_refused(request: Request, error: LaunchRefused) -> Response:
        challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        return problem_response(error.problem, challenge if error.problem.status == 401 else None)

    @app.post("/api/link", openapi_extra=json_body_doc(LinkRequest.model_json_schema()))
    @app.post("/v3/iframe", include_in_schema=False)
    async def create_link(request: Request) -> Response:
        claims = launches.verify(request.headers.get("authorization"))
        payload = await read_json(request, settings.max_body_bytes)
        if isinstance(payload, Response):
            return payload
        try:
            link_request = LinkRequest.model_validate(payload)
            if settings.wazzup_api == "v2":
                link_request.to_v2()  # v2 cannot open a Telegram chat by phone: a 400, not a 500
        except ValidationError as error:
            return invalid_request(error)
        admission = launches.admit(claims, link_request)
        try:
            link = await request.app.state.wazzup.create_link(link_request)
        except Exception:
            admission.release()  # nothing was minted: the launch may be used again
            raise
        minted_origins.add(origin_of(link.url))  # /api/link/check may open these
        # The link carries a token: never cache it anywhere.
        return JSONResponse(link.to_wire(), headers={"Cache-Control": "no-store"})

    # The hottest path, served by a plain Starlette route ahead of FastAPI's: the same
    # handler, middleware and error handlers, without FastAPI's per-request dependency and
    # response machinery (bench: proxy CPU per link). FastAPI's route stays for the OpenAPI.
    app.router.routes.insert(0, Route("/api/link", create_link, methods=["POST"]))

    @app.post("/api/deals", openapi_extra=json_body_doc(_DEALS.json_schema()))
    async def push_deals(request: Request) -> Response:
        return await _push(request, _DEALS, "push_deals")

    @app.post("/api/contacts", openapi_extra=json_body_doc(_CONTACTS.json_schema()))
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

    @app.get("/api/mode")
    async def mode() -> Response:
        return JSONResponse(ProxyMode(unsigned=settings.allow_unsigned).to_wire())

    @app.get("/api/schema/record")
    async def record_schema() -> Response:
        return JSONResponse(record_json_schema())

    app.include_router(crm_relay(settings, http))
    app.include_router(wazzup_webhooks(settings, http))
    app.include_router(link_check(settings, http))

    @app.get("/{path:path}", include_in_schema=False)
    async def page(request: Request, path: str) -> Response:
        return page_file_response(request, settings.static_dir, html_headers, settings.site_config)

    return app


def json_body_doc(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI for a JSON body a route reads itself (FastAPI cannot see it), refs inlined."""
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    content = {"application/json": {"schema": inline(schema)}}
    return {"requestBody": {"required": True, "content": content}}


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
