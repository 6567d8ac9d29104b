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
        raise unreachable(proxy_url) from None
    return link_from_answer(result.status, result.body)


def link_from_answer(status: int, body: bytes | str) -> LinkResponse:
    """The link in the proxy's answer, or `LinkRefused` saying what to fix."""
    if 200 <= status < 300:
        try:
            return LinkResponse.model_validate_json(body)
        except ValidationError:
            raise LinkRefused(
                "The proxy answered something unexpected",
                "The answer held no chat link; check that proxyUrl points at this project's proxy.",
                status=status,
                keys=("link.unexpected", "link.unexpected_detail"),
            ) from None
    raise _refusal(status, body)


def unreachable(proxy_url: str) -> ProxyUnreachable:
    where = proxy_url or "this page's own server"
    return ProxyUnreachable(
        "The proxy is unreachable",
        f"No answer from the proxy at {where}. Check that the proxy is running and that "
        "proxyUrl in site.json points to it.",
        code="proxy-unreachable",  # the problem box's and the host's (docs/bridge.md)
        keys=("link.unreachable", "link.unreachable_detail"),
        params={"where": where},
    )


def _refusal(status: int, body: bytes | str) -> LinkRefused:
    try:
        problem = Problem.model_validate_json(body)
    except ValidationError:
        return LinkRefused(
            f"The proxy answered HTTP {status}",
            "Check that proxyUrl in site.json points at this project's proxy.",
            status=status,
            keys=("link.http", "link.http_detail"),
            params={"status": status},
        )
    detail = problem.detail
    if problem.errors and problem.errors[0] not in detail:
        detail = f"{detail} ({'; '.join(problem.errors)})"
    return LinkRefused(problem.title, detail, status=status, code=problem.code or "")
