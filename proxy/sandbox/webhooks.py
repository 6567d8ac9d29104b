"""`PATCH /v3/webhooks` and `GET /v3/webhooks` (wazzup-api.md §5).

PATCH replaces the account's one webhook address after a test POST `{"test": true}` to it
answers 200. Its success body is `{ ok }` exactly as documented, which is not JSON: clients
must tolerate it, so the sandbox sends it as the docs print it.
"""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from components.entities import WebhookSettings, WebhookSubscriptions

from .auth import require_api_key
from .outbound import WebhookFailed
from .replies import SandboxError, v3_error
from .state import SandboxState, get_state
from .validation import BodyNotJson, describe, field_problems, parse_json, snake_case_keys

State = Annotated[SandboxState, Depends(get_state)]
MAX_URI_LENGTH = 200
DOCUMENTED_OK_BODY = "{ ok }"

router = APIRouter(dependencies=[Depends(require_api_key)])


@router.patch("/v3/webhooks")
async def set_webhooks(request: Request, state: State) -> Response:
    settings = parse_webhook_settings(await request.body())
    try:
        answer = await state.webhooks.post(settings.webhooks_uri, {"test": True})
    except WebhookFailed as error:
        raise _test_not_passed({"reason": error.reason}) from None
    if answer.status_code != 200:
        raise _test_not_passed({"status": answer.status_code})
    state.store.webhooks = settings
    # Sent as application/json although it is not JSON: the worst case a client can meet.
    return Response(DOCUMENTED_OK_BODY, media_type="application/json")


@router.get("/v3/webhooks")
async def get_webhooks(state: State) -> dict[str, Any]:
    current = state.store.webhooks
    if current is None:
        return {"webhooksUri": None, "subscriptions": WebhookSubscriptions().to_wire()}
    return current.to_wire()


def parse_webhook_settings(raw: bytes) -> WebhookSettings:
    try:
        payload = parse_json(raw)
    except BodyNotJson as error:
        raise v3_error(400, "VALIDATION_FAILED", str(error)) from None
    if not isinstance(payload, dict):
        raise v3_error(400, "VALIDATION_FAILED", "the body must be a JSON object")
    uri_problem = check_uri(payload.get("webhooksUri"))
    if uri_problem:
        raise v3_error(400, "uriNotValid", uri_problem)
    problems = snake_case_keys(payload)
    if not problems:
        try:
            return WebhookSettings.model_validate(payload)
        except ValidationError as error:
            problems = field_problems(error, payload)
    raise v3_error(400, "VALIDATION_FAILED", describe(problems))


def check_uri(uri: Any) -> str | None:
    """Why uri is not a valid webhook address, or None. The uri itself is not repeated:
    Wazzup advises putting a secret in it."""
    if not isinstance(uri, str) or not uri:
        return "webhooksUri must be a URL string"
    if len(uri) > MAX_URI_LENGTH:
        return f"webhooksUri must be at most {MAX_URI_LENGTH} characters"
    try:
        parsed = httpx.URL(uri)
    except httpx.InvalidURL:
        return "webhooksUri is not a valid URL"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "webhooksUri must be an absolute http(s) URL"
    return None


def _test_not_passed(data: dict[str, Any]) -> SandboxError:
    return v3_error(400, "testPostNotPassed", "URI does not return 200 OK on test request", data)
