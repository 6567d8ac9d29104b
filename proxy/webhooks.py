"""Webhook mode of the Deals dropdown: Wazzup asks, the CRM creates (wazzup-api.md §5).

Wazzup recommends webhooks over iframe events. The proxy takes them at a URL holding a
secret and lets the CRM answer::

    WEBHOOK_SECRET=<random> CRM_WEBHOOK_URL=https://crm.example/wazzup/webhook python -m proxy
    python -m proxy.webhooks subscribe --url https://proxy.example/api/wazzup/webhook/<secret>

    POST /api/wazzup/webhook/{secret}    (or /api/wazzup/webhook?secret=...)
        {"test": true}            200 {"ok": true}  (Wazzup's probe when subscribing)
        {"createContact": {...}}  forwarded to CRM_WEBHOOK_URL; 200 with the CRM's contact
        {"createDeal": {...}}     forwarded to CRM_WEBHOOK_URL; 200 with the CRM's deal
        anything else             200, ignored (messages, statuses, channelsUpdates, ...)
        wrong or no secret        404, as for a route that does not exist
        CRM refused / bad answer  502; CRM silent for CRM_WEBHOOK_TIMEOUT_S (25 s) → 504

Wazzup waits 30 s for the answer and signs nothing (it sends a Bearer crmKey only if one was
set up), so the secret in the URL is the only proof of origin: it is compared in constant
time and redacted from logs. The CRM's answer must be the created entity in Wazzup's CRUD
shape; it is validated with `components.entities.Contact` / `Deal` before Wazzup sees it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
from collections.abc import Sequence
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from components.entities import (
    Contact,
    CreateContactRequest,
    CreateDealRequest,
    Deal,
    WebhookSettings,
    WebhookSubscriptions,
)
from components.events import describe_validation_error
from components.problems import PROBLEM_CONTENT_TYPE, Problem, explain_upstream_error
from components.wire import WireModel

from .clients import SharedClient
from .settings import Settings

log = logging.getLogger("proxy.webhooks")

WEBHOOK_PATH = "/api/wazzup/webhook"
# Message and status webhooks come in batches; they are read only to be ignored.
MAX_WEBHOOK_BYTES = 1024 * 1024
# (webhook key, what Wazzup asks, what the CRM must answer)
REQUESTS: dict[str, tuple[type[WireModel], type[WireModel]]] = {
    "createContact": (CreateContactRequest, Contact),
    "createDeal": (CreateDealRequest, Deal),
}


def wazzup_webhooks(settings: Settings, http: httpx.AsyncClient | None = None) -> APIRouter:
    """The webhook route; `http` is the proxy's shared client (tests pass a mock one)."""
    client = SharedClient(http)
    router = APIRouter(lifespan=client.lifespan)

    @router.post(WEBHOOK_PATH + "/{secret}", include_in_schema=False)
    async def webhook_in_path(request: Request, secret: str) -> Response:
        return await receive(request, secret)

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def webhook_in_query(request: Request, secret: str = "") -> Response:
        return await receive(request, secret)

    async def receive(request: Request, secret: str) -> Response:
        if not _secret_matches(settings, secret):
            return problem(404, "Not found", "No such route.", "NOT_FOUND")
        payload = await _read_json(request)
        if isinstance(payload, Response):
            return payload
        kinds = [key for key in REQUESTS if key in payload]
        if not kinds:
            # {"test": true}, messages, statuses, channelsUpdates, templateStatus...
            return JSONResponse({"ok": True})
        if len(kinds) > 1:
            return problem(
                400, "Ambiguous webhook", "Expected one of createContact, createDeal.", "BAD_BODY"
            )
        return await answer_by_crm(kinds[0], payload[kinds[0]])

    async def answer_by_crm(kind: str, body: Any) -> Response:
        asked_model, answer_model = REQUESTS[kind]
        try:
            asked = asked_model.model_validate(body)
        except ValidationError as error:
            return problem(
                400, "Invalid webhook", f"{kind}: {describe_validation_error(error)}", "BAD_BODY"
            )
        if not settings.crm_webhook_url:
            log.warning("%s webhook received, but CRM_WEBHOOK_URL is not set", kind)
            return problem(
                503,
                "No CRM webhook",
                "This proxy has no CRM_WEBHOOK_URL to create the entity.",
                "CRM_WEBHOOK_OFF",
            )
        result = await ask_crm(client(), settings, kind, asked, answer_model)
        if isinstance(result, Response):
            return result
        log.info("%s answered by the CRM: id %r", kind, getattr(result, "id", None))
        return JSONResponse(result.to_wire())

    return router


async def ask_crm(
    http: httpx.AsyncClient,
    settings: Settings,
    kind: str,
    asked: WireModel,
    answer_model: type[WireModel],
) -> WireModel | Response:
    """POST `{kind: asked}` to CRM_WEBHOOK_URL; the validated entity, or a problem Response."""
    assert settings.crm_webhook_url is not None
    headers = {name: value.get_secret_value() for name, value in settings.crm_headers.items()}
    try:
        answer = await http.post(
            settings.crm_webhook_url,
            json={kind: asked.to_wire()},
            headers={**headers, "Accept": "application/json"},
            timeout=settings.crm_webhook_timeout_s,
        )
    except httpx.TimeoutException:
        log.warning("%s: the CRM did not answer in %g s", kind, settings.crm_webhook_timeout_s)
        return problem(
            504,
            "The CRM did not answer in time",
            f"The CRM did not answer {kind} within {settings.crm_webhook_timeout_s:g} s.",
            "CRM_TIMEOUT",
        )
    except httpx.HTTPError:
        log.warning("%s: the CRM could not be reached", kind)
        return problem(
            502,
            "The CRM could not be reached",
            f"The proxy could not deliver {kind} to CRM_WEBHOOK_URL.",
            "CRM_UNREACHABLE",
        )
    noun = answer_model.__name__.lower()
    if not answer.is_success:
        log.warning("%s: the CRM answered HTTP %d", kind, answer.status_code)
        return problem(
            502,
            "The CRM refused",
            f"The CRM answered {kind} with HTTP {answer.status_code}, not a {noun}.",
            "CRM_REFUSED",
        )
    try:
        body = answer.json()
        # The docs do not say whether the entity comes bare or in a one-element array (§10.12).
        if isinstance(body, list) and len(body) == 1:
            body = body[0]
        return answer_model.model_validate(body)
    except ValueError as error:
        reason = (
            describe_validation_error(error) if isinstance(error, ValidationError) else "not JSON"
        )
        log.warning("%s: the CRM's answer is not a %s: %s", kind, noun, reason)
        return problem(
            502,
            "The CRM answered something unexpected",
            f"The CRM's answer to {kind} is not a {noun}: {reason}",
            "CRM_BAD_ANSWER",
        )


def problem(status: int, title: str, detail: str, code: str) -> Response:
    body = Problem(title=title, status=status, detail=detail, code=code)
    return JSONResponse(body.to_wire(), status_code=status, media_type=PROBLEM_CONTENT_TYPE)


def _secret_matches(settings: Settings, sent: str) -> bool:
    if settings.webhook_secret is None or not sent:
        return False
    expected = settings.webhook_secret.get_secret_value()
    return secrets.compare_digest(sent.encode(), expected.encode())


async def _read_json(request: Request) -> dict[str, Any] | Response:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BYTES:
            return problem(413, "Webhook too large", "The body is larger than 1 MiB.", "TOO_LARGE")
    try:
        payload = json.loads(body)
    except ValueError:
        return problem(400, "Malformed JSON", "The webhook body is not JSON.", "MALFORMED_JSON")
    if not isinstance(payload, dict):
        return problem(400, "Invalid webhook", "The body must be a JSON object.", "BAD_BODY")
    return payload


# --- subscribing: an operator's command, not a route (no new attack surface) --------------


async def subscribe(
    settings: Settings, uri: str, http: httpx.AsyncClient, *, deals: bool = True
) -> WebhookSettings:
    """`PATCH /v3/webhooks`: Wazzup posts {"test": true} to uri, then sends webhooks there.

    The account has one webhook address; subscriptions left out are switched off.
    """
    wanted = WebhookSettings(
        webhooks_uri=uri, subscriptions=WebhookSubscriptions(contacts_and_deals_creation=deals)
    )
    await _call(settings, http, "PATCH", wanted.to_wire())
    return wanted


async def current_subscription(settings: Settings, http: httpx.AsyncClient) -> dict[str, Any]:
    """`GET /v3/webhooks` as Wazzup answers it."""
    return json.loads(await _call(settings, http, "GET", None))


class WebhookCallFailed(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(f"{problem.title}: {problem.detail}")


async def _call(settings: Settings, http: httpx.AsyncClient, method: str, body: Any) -> bytes:
    if settings.wazzup_api_key is None:
        raise WebhookCallFailed(
            Problem(
                title="No API key",
                status=400,
                detail="Webhooks are a v3 API feature: set WAZZUP_API_KEY.",
                code="NO_API_KEY",
            )
        )
    response = await http.request(
        method,
        f"{settings.wazzup_base_url}/v3/webhooks",
        json=body,
        headers={"Authorization": f"Bearer {settings.wazzup_api_key.get_secret_value()}"},
        timeout=60.0,  # PATCH waits for Wazzup's test POST to the address
    )
    if not response.is_success:
        raise WebhookCallFailed(explain_upstream_error(response.status_code, response.content))
    # A successful PATCH answers "{ ok }", which is not JSON (wazzup-api.md §5).
    return response.content


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m proxy.webhooks",
        description="Subscribe the Wazzup account (WAZZUP_API_KEY, WAZZUP_BASE_URL) to "
        "webhooks. The account has one address: this replaces it.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    sub = commands.add_parser("subscribe", help="send createContact / createDeal webhooks here")
    sub.add_argument("--url", required=True, help=f"https://<proxy>{WEBHOOK_PATH}/<secret>")
    commands.add_parser("show", help="print the account's webhook settings")
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"proxy.webhooks: {describe_validation_error(error)}", file=sys.stderr)
        return 2

    async def run() -> str:
        async with httpx.AsyncClient(follow_redirects=False) as http:
            if args.command == "subscribe":
                await subscribe(settings, args.url, http)
                return (
                    "subscribed: Wazzup answered the test POST with 200 and will send "
                    "createContact / createDeal webhooks to the given URL"
                )
            return json.dumps(await current_subscription(settings, http), indent=2)

    try:
        print(asyncio.run(run()))
    except WebhookCallFailed as error:
        print(f"proxy.webhooks: {error}", file=sys.stderr)
        return 1
    except ValidationError as error:
        print(f"proxy.webhooks: --url: {describe_validation_error(error)}", file=sys.stderr)
        return 2
    except httpx.HTTPError as error:
        print(f"proxy.webhooks: could not reach Wazzup ({type(error).__name__})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
