"""`POST /api/link/check`: whether a chat link still opens the chat window.

The page cannot see inside Wazzup's cross-origin iframe, so when it suspects the link has
expired (it was hidden for a while, or a timer) it asks here; the proxy opens the link the
way the iframe would and reports `valid`, `expired` or `unknown` (components.link.LinkStatus).
On `expired` the page asks for a fresh link and reopens the same chat (README, "Link refresh").

Only chat-window links are fetched (no open relay): the upstream's own origin (the sandbox
serves its chat window there), the origins of links this proxy minted, and Wazzup's
`https://*.wazzup24.com`. Redirects are not followed: a redirect means a login page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from components.events import describe_validation_error
from components.gate import origin_of
from components.link import LinkCheck, LinkStatus
from components.problems import Problem

from .clients import SharedClient
from .security import problem_response
from .settings import Settings

CHECK_PATH = "/api/link/check"
CHECK_TIMEOUT_S = 5.0
MAX_BODY_BYTES = 8 * 1024
EXPIRED_STATUSES = frozenset({401, 403, 404, 410})
WAZZUP_SUFFIX = ".wazzup24.com"


def checkable(url: str, settings: Settings, minted: set[str]) -> bool:
    parts = urlsplit(url)
    if parts.username or parts.password:
        return False
    if origin_of(url) in minted or origin_of(url) == origin_of(settings.wazzup_base_url):
        return True
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and host.endswith(WAZZUP_SUFFIX)


def status_of(code: int) -> LinkStatus:
    if 200 <= code < 300:
        return LinkStatus(state="valid", status=code)
    if code in EXPIRED_STATUSES or 300 <= code < 400:
        return LinkStatus(state="expired", status=code)
    return LinkStatus(state="unknown", status=code)


def link_check(settings: Settings, http: httpx.AsyncClient | None = None) -> APIRouter:
    client = SharedClient(http)
    router = APIRouter(lifespan=client.lifespan)

    @router.post(CHECK_PATH, response_model=LinkStatus)
    async def check_link(request: Request) -> Response:
        body = await request.body()
        try:
            check = LinkCheck.model_validate_json(body[: MAX_BODY_BYTES + 1])
        except ValidationError as error:
            return refused("Invalid link check", describe_validation_error(error))
        minted = getattr(request.app.state, "minted_origins", set())
        if not checkable(check.url, settings, minted):
            return refused(
                "Not a chat link",
                "Only chat-window links from Wazzup (or this proxy's upstream) can be checked.",
            )
        try:
            response = await client().get(
                check.url, timeout=CHECK_TIMEOUT_S, headers={"Accept": "text/html"}
            )
            status = status_of(response.status_code)
        except httpx.HTTPError:
            status = LinkStatus(state="unknown")
        # The link carries a token: nothing about it may be cached.
        return JSONResponse(status.to_wire(), headers={"Cache-Control": "no-store"})

    return router


def refused(title: str, detail: str) -> Response:
    return problem_response(
        Problem(title=title, status=400, detail=detail, code="VALIDATION_FAILED")
    )
