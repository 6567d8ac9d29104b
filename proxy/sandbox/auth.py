"""Credentials of the two API generations, checked as Wazzup documents them (§1, §2, §9).

    router = APIRouter(dependencies=[Depends(require_api_key)])

v3 answers `{"error": "UNAUTHORIZED", ...}`; v2 answers its problem envelope with the OAUTH_*
codes. A request that passes is then counted by the rate limiter. Descriptions say what is
wrong with the header and never repeat the credential that was sent.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request

from .replies import v2_problem, v3_error
from .state import SandboxState, get_state

State = Annotated[SandboxState, Depends(get_state)]


def require_api_key(request: Request, state: State) -> None:
    settings = state.settings
    scheme, credential = _split(request)
    if scheme is None:
        raise v3_error(
            401,
            "UNAUTHORIZED",
            "The Authorization header is missing; send 'Authorization: Bearer <API key>'.",
        )
    if scheme.lower() != "bearer":
        raise v3_error(
            401, "UNAUTHORIZED", f"The Authorization scheme must be Bearer, not {_name(scheme)}."
        )
    if not _same(credential, settings.api_key):
        raise v3_error(401, "UNAUTHORIZED", "The API key is unknown.")
    retry_after = state.limiter.hit("v3")
    if retry_after is not None:
        raise v3_error(
            429,
            "TOO_MANY_REQUESTS",
            f"More than {settings.rate_limit} requests in {settings.rate_window_s:g} s with "
            f"this API key; retry after {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def require_partner_token(request: Request, state: State) -> None:
    settings = state.settings
    scheme, credential = _split(request)
    if scheme is None:
        raise v2_problem(
            request, 401, "OAUTH_AUTH_HEADER_MISSING", "The Authorization header is missing."
        )
    if scheme.lower() == "basic":
        raise v2_problem(
            request,
            403,
            "OAUTH_BASIC_SCHEME_FORBIDDEN",
            "This route needs a client Bearer token, not Basic partner credentials.",
        )
    if scheme.lower() != "bearer":
        raise v2_problem(
            request,
            401,
            "OAUTH_UNKNOWN_SCHEME",
            f"Unknown authorization scheme {_name(scheme)}; use Basic or Bearer.",
        )
    if not _same(credential, settings.partner_token):
        raise v2_problem(
            request,
            401,
            "OAUTH_TOKEN_UNKNOWN_OR_REVOKED",
            "The access token is unknown or revoked.",
        )
    retry_after = state.limiter.hit("v2")
    if retry_after is not None:
        # The v2 docs list no 429 code; Wazzup's common limit applies, told in the v2 envelope.
        raise v2_problem(
            request,
            429,
            "TOO_MANY_REQUESTS",
            f"More than {settings.rate_limit} requests in {settings.rate_window_s:g} s with "
            f"this token; retry after {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def _split(request: Request) -> tuple[str | None, str]:
    header = request.headers.get("authorization", "").strip()
    if not header:
        return None, ""
    scheme, _, credential = header.partition(" ")
    return scheme, credential.strip()


def _same(sent: str, expected: str) -> bool:
    return secrets.compare_digest(sent.encode(), expected.encode())


def _name(scheme: str) -> str:
    # A long or odd "scheme" may be a pasted secret without its scheme: do not echo it.
    return repr(scheme) if scheme.isalpha() and len(scheme) <= 20 else "the one sent"
