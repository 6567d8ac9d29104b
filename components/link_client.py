"""Asks the proxy for a chat-window link.

    link = fetch_link("", request)          # "" = the page's own origin
    link.url

Failures raise `ProxyUnreachable` or `LinkRefused` with a title and a detail that says what
to fix, fit to show on the page as they are.
"""

from __future__ import annotations

from pydantic import ValidationError

from .errors import LinkRefused, ProxyUnreachable
from .http import TransportFailure, json_body, send_sync
from .link import LinkRequest, LinkResponse
from .problems import Problem

LINK_PATH = "/api/link"


def fetch_link(proxy_url: str, request: LinkRequest, *, send=send_sync) -> LinkResponse:
    url = f"{proxy_url}{LINK_PATH}"
    try:
        result = send(
            "POST",
            url,
            json_body(request.to_v3()),
            {"Content-Type": "application/json", "Accept": "application/json"},
            20.0,
        )
    except TransportFailure:
        where = proxy_url or "this page's own server"
        raise ProxyUnreachable(
            "The proxy is unreachable",
            f"No answer from the proxy at {where}. Check that the proxy is running and that "
            "proxyUrl in site.json points to it.",
        ) from None
    if result.ok:
        try:
            return LinkResponse.model_validate(result.json())
        except (ValueError, ValidationError):
            raise LinkRefused(
                "The proxy answered something unexpected",
                "The answer held no chat link; check that proxyUrl points at this project's proxy.",
                status=result.status,
            ) from None
    raise _refusal(result.status, result.body)


def _refusal(status: int, body: bytes) -> LinkRefused:
    try:
        problem = Problem.model_validate_json(body)
    except ValidationError:
        return LinkRefused(
            f"The proxy answered HTTP {status}",
            "Check that proxyUrl in site.json points at this project's proxy.",
            status=status,
        )
    detail = problem.detail
    if problem.errors and problem.errors[0] not in detail:
        detail = f"{detail} ({'; '.join(problem.errors)})"
    return LinkRefused(problem.title, detail, status=status, code=problem.code or "")
