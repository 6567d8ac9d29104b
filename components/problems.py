"""Error bodies: Wazzup's three documented error shapes, and the problem details we answer with.

Wazzup answers errors in three shapes (wazzup-api.md §1, §2, §9)::

    {"error": {"code": "NO_SUCH_ACCOUNT"}}                              # v3 /iframe
    {"error": "TOO_MANY_ENTITIES", "description": "...", "data": {...}}  # v3 common
    {"code": "VALIDATION_FAILED", "title": ..., "status": 400, ...}      # v2 problem details

`explain_upstream_error(status, body)` turns any of them into one `Problem` whose `detail`
says what to fix. The proxy answers the page with `Problem` (RFC 9457, application/problem+json).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details, plus the Wazzup `code` and per-field `errors`."""

    model_config = ConfigDict(extra="ignore")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str | None = None
    errors: list[str] = Field(default_factory=list)
    retry_after: float | None = Field(default=None, alias="retryAfter")

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, exclude_defaults=False)


class V3IframeErrorCode(BaseModel):
    code: str
    # Not in the docs' example; the sandbox adds them to name the field and the rule.
    description: str | None = None
    data: Any = None


class V3IframeError(BaseModel):
    """`POST /v3/iframe` error: `{"error": {"code": ...}}`."""

    error: V3IframeErrorCode


class V3Error(BaseModel):
    """Every other v3 route: `{"error": "CODE", "description": ..., "data": ...}`."""

    error: str
    description: str | None = None
    data: Any = None
    status: int | None = None
    request_id: str | None = Field(default=None, alias="requestId")


class V2Problem(BaseModel):
    """The v2 partner API's problem-details envelope."""

    code: str
    title: str
    status: int
    detail: str
    instance: str
    method: str
    errors: list[str] | None = None


# What a person should do about each documented code. Codes not listed fall back to the
# upstream description (v3) or detail (v2), which describe the request, never our secrets.
FIXES: dict[str, str] = {
    "NO_SUCH_ACCOUNT": "The Wazzup account for this API key was not found; check the proxy's "
    "WAZZUP_API_KEY.",
    "UNAUTHORIZED": "Wazzup refused the proxy's API key; check WAZZUP_API_KEY on the proxy.",
    "FORBIDDEN": "This API key may not open the chat window (a Sidecar key cannot); use the "
    "account's main API key.",
    "TOO_MANY_REQUESTS": "Wazzup's limit of 500 requests per 5 seconds was reached; wait a few "
    "seconds and try again.",
    "TOO_MANY_ENTITIES": "At most 100 entities may be sent in one request; send fewer.",
    "INTERNAL_SERVER_ERROR": "Wazzup had an internal error; try again in a minute.",
    "VALIDATION_FAILED": "Wazzup rejected the request's fields; fix the fields listed.",
    "INVALID_USERS_DATA": "Wazzup rejected the user data; check the user id and name.",
    "INVALID_CONTACTS_DATA": "Wazzup rejected the contact data; check the fields listed.",
    "INVALID_DEALS_DATA": "Wazzup rejected the deal data; check the fields listed.",
    "INVALID_USER_DATA": "Wazzup rejected the user data (v2: id up to 64, name up to 150 "
    "characters); check the user id and name.",
    "DUPLICATE_PHONE_NUMBER": "Another Wazzup user already has this phone number; give each "
    "user their own phone or none.",
    "USER_LIMIT_EXCEEDED": "The Wazzup account holds its maximum of 1000 users; delete unused "
    "users in Wazzup first.",
    "testPostNotPassed": "Wazzup's test POST to the webhook address did not get 200 OK; check "
    "the URL and its secret (WEBHOOK_SECRET), and that the proxy is reachable from the "
    "internet.",
    "uriNotValid": "The webhook address is not a valid absolute http(s) URL of at most 200 "
    "characters.",
    "OAUTH_AUTH_HEADER_MISSING": "The proxy sent no partner token; set WAZZUP_PARTNER_TOKEN.",
    "OAUTH_UNKNOWN_SCHEME": "Wazzup expects a Basic or Bearer authorization; check the proxy's "
    "partner token setting.",
    "OAUTH_INVALID_PARTNER_TOKEN": "The partner token is invalid; check WAZZUP_PARTNER_TOKEN.",
    "OAUTH_TOKEN_INVALID_OR_EXPIRED": "The client access token is invalid or expired; refresh "
    "it and update WAZZUP_PARTNER_TOKEN.",
    "OAUTH_TOKEN_UNKNOWN_OR_REVOKED": "The client access token is unknown or revoked; issue a "
    "new one and update WAZZUP_PARTNER_TOKEN.",
    "OAUTH_SCOPE_FORBIDDEN": "The client access token lacks the needed scope; request the "
    "'crm' and 'transport' scopes.",
    "OAUTH_CRM_INTEGRATION_REQUIRED": "The Wazzup account has no active CRM integration; "
    "connect the CRM integration in Wazzup first.",
    "OAUTH_BASIC_SCHEME_FORBIDDEN": "This route needs a client Bearer token, not partner Basic "
    "credentials; set WAZZUP_PARTNER_TOKEN to a client access token.",
    "OAUTH_BEARER_SCHEME_FORBIDDEN": "This route needs partner Basic credentials, not a Bearer "
    "token.",
    "OAUTH_PARTNER_NOT_FOUND": "The partner account was not found; check the partner credentials.",
    "OAUTH_PARTNER_NOT_ACTIVE": "The partner account is not active; contact Wazzup.",
    "OAUTH_CLIENT_NOT_CHILD_OF_PARTNER": "This client account does not belong to the partner; "
    "check which client the token was issued for.",
}

_FALLBACK_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    429: "TOO_MANY_REQUESTS",
}


def parse_upstream_error(status: int, body: bytes | str | Any) -> tuple[str, str | None, list[str]]:
    """Return (code, upstream description, per-field errors) from any documented error body."""
    payload: Any = body
    if isinstance(body, bytes | str):
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
    for shape in (V3IframeError, V2Problem, V3Error):
        try:
            parsed = shape.model_validate(payload)
        except ValidationError:
            continue
        if isinstance(parsed, V3IframeError):
            return parsed.error.code, parsed.error.description, _field_errors(parsed.error.data)
        if isinstance(parsed, V2Problem):
            return parsed.code, parsed.detail, list(parsed.errors or [])
        return parsed.error, parsed.description, _field_errors(parsed.data)
    code = _FALLBACK_BY_STATUS.get(status, "INTERNAL_SERVER_ERROR" if status >= 500 else "ERROR")
    return code, None, []


def explain_upstream_error(status: int, body: bytes | str | Any) -> Problem:
    """One actionable `Problem` for any Wazzup error answer."""
    code, description, errors = parse_upstream_error(status, body)
    fix = FIXES.get(code) or description or f"Wazzup answered HTTP {status}."
    return Problem(
        title=f"Wazzup refused the request ({code})",
        status=status,
        detail=fix,
        code=code,
        errors=errors,
    )


def _field_errors(data: Any) -> list[str]:
    # v3 INVALID_*_DATA carries [{index, fields}] (third-party observation, T-N8N).
    if not isinstance(data, list):
        return []
    messages = []
    for item in data[:20]:
        if isinstance(item, dict) and "fields" in item:
            messages.append(f"item {item.get('index')}: {item.get('fields')}")
        elif isinstance(item, dict) and "field" in item:
            messages.append(f"{item.get('field')}: {item.get('message')}")
    return messages
