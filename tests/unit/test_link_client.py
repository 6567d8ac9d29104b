"""Asking the proxy for a chat link, and turning every failure into words fit for the page."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.errors import LinkRefused, ProxyUnreachable
from components.http import HttpResult, TransportFailure
from components.link import parse_link_request
from components.link_client import LINK_PATH, fetch_link

PROXY = "https://proxy.example.com"
URL = "https://12345678.wazzup24.com/chat/0e812899?token=TOKEN"
REQUEST = parse_link_request(
    {
        "user": {"id": "222555"},
        "scope": "card",
        "filter": [{"chatType": "whatsapp", "chatId": "79998887766"}],
    }
)


class FakeSend:
    def __init__(self, result: HttpResult | Exception) -> None:
        self.result = result
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
    ) -> HttpResult:
        self.calls.append({"method": method, "url": url, "body": body, "headers": headers})
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def reply(status: int, body: object) -> HttpResult:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResult(status, raw)


def refused(result: HttpResult) -> LinkRefused:
    with pytest.raises(LinkRefused) as caught:
        fetch_link(PROXY, REQUEST, send=FakeSend(result))
    return caught.value


def test_link_is_fetched_by_posting_the_v3_body_to_the_proxy() -> None:
    send = FakeSend(reply(200, {"url": URL}))

    link = fetch_link(PROXY, REQUEST, send=send)

    assert link.url == URL
    (call,) = send.calls
    assert (call["method"], call["url"]) == ("POST", f"{PROXY}{LINK_PATH}")
    assert call["headers"]["Content-Type"] == "application/json"
    assert json.loads(call["body"]) == REQUEST.to_v3()


def test_empty_proxy_url_means_the_pages_own_origin() -> None:
    send = FakeSend(reply(200, {"url": URL}))

    fetch_link("", REQUEST, send=send)

    assert send.calls[0]["url"] == LINK_PATH


def test_transport_failure_is_proxy_unreachable_naming_proxy_url() -> None:
    with pytest.raises(ProxyUnreachable) as caught:
        fetch_link(PROXY, REQUEST, send=FakeSend(TransportFailure("Connection refused")))

    assert caught.value.title == "The proxy is unreachable"
    assert PROXY in caught.value.detail
    assert "proxyUrl" in caught.value.detail


def test_transport_failure_without_a_proxy_url_names_the_pages_own_server() -> None:
    with pytest.raises(ProxyUnreachable) as caught:
        fetch_link("", REQUEST, send=FakeSend(TransportFailure("offline")))

    assert "this page's own server" in caught.value.detail


def test_problem_answer_is_link_refused_with_its_title_detail_code_and_errors() -> None:
    problem = {
        "type": "about:blank",
        "title": "Invalid request",
        "status": 400,
        "detail": "filter: at least one chat",
        "code": "VALIDATION_FAILED",
        "errors": ["filter.0.chatId: digits only", "scope: bad"],
    }

    error = refused(reply(400, problem))

    assert error.title == "Invalid request"
    assert error.detail == "filter: at least one chat (filter.0.chatId: digits only; scope: bad)"
    assert (error.status, error.code) == (400, "VALIDATION_FAILED")
    assert str(error) == f"Invalid request: {error.detail}"


def test_problem_errors_already_in_the_detail_are_not_repeated() -> None:
    problem = {"title": "Invalid", "status": 400, "detail": "scope: bad", "errors": ["scope: bad"]}

    assert refused(reply(400, problem)).detail == "scope: bad"


def test_problem_without_a_code_gives_an_empty_code() -> None:
    error = refused(
        reply(502, {"title": "Wazzup could not be reached", "status": 502, "detail": "x"})
    )

    assert (error.code, error.status) == ("", 502)


@pytest.mark.parametrize(
    "body", [b"<html>502 Bad Gateway</html>", b"", b'{"detail": "Not Found"}', b"[]"]
)
def test_non_problem_error_body_is_refused_with_the_status(body: bytes) -> None:
    error = refused(reply(404, body))

    assert error.title == "The proxy answered HTTP 404"
    assert "proxyUrl" in error.detail
    assert error.status == 404


@pytest.mark.parametrize(
    "body", [b"<html>hi</html>", b'{"link": "x"}', b'{"url": "javascript:alert(1)"}']
)
def test_success_without_a_chat_link_is_refused(body: bytes) -> None:
    error = refused(reply(200, body))

    assert error.title == "The proxy answered something unexpected"
    assert error.status == 200
