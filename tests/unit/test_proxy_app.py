"""The proxy app against a fake Wazzup (`httpx.MockTransport`) and the in-process sandbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from components.entities import Deal
from components.http import HttpResult
from components.link import parse_link_request
from components.link_client import fetch_link
from components.problems import FIXES, PROBLEM_CONTENT_TYPE
from proxy.app import create_app
from proxy.sandbox import SandboxSettings, create_sandbox_app
from proxy.settings import REAL_WAZZUP_V2, REAL_WAZZUP_V3, Settings
from proxy.upstream import WazzupClient

KEY = "0123456789abcdef0123456789abcdef"
PARTNER = "client-access-token-0123456789"
LINK = "https://12345678.wazzup24.com/chat/0e812899-e25b-4a18-a3e4-d1f5890f9de7?token=TOKEN"
V2_LINK = "https://app.wazzup24.com/1234-1234/chat/telegram/1670185301/123?token=token"
CARD = {
    "user": {"id": "222555", "name": "User Name"},
    "scope": "card",
    "filter": [{"chatType": "whatsapp", "chatId": "79998887766", "name": "Anthony"}],
    "activeChat": {"chatType": "whatsapp", "chatId": "79998887766"},
    "options": {"useDealsEvents": True, "useMessageEvents": True},
}
DEAL = {"id": "1", "responsibleUserId": "7", "name": "Deal 1", "contacts": ["c1"]}

Handler = Callable[[httpx.Request], httpx.Response]


class FakeWazzup:
    """Answers with `handler` and remembers every request the proxy made."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler or (lambda request: httpx.Response(200, json={"url": LINK}))
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


def settings(**changes: Any) -> Settings:
    # User upserts and 429 retries are off unless a test is about them: each would add an
    # upstream request (or a wait) to what the other tests count.
    values: dict[str, Any] = {
        "wazzup_api_key": KEY,
        "allow_unsigned": True,
        "upsert_users": False,
        "upstream_retry_max_wait_s": 0,
    } | changes
    return Settings(**values)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WAZZUP_API", "WAZZUP_API_KEY", "WAZZUP_PARTNER_TOKEN", "ALLOW_UNSIGNED", "DEMO"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def wazzup() -> FakeWazzup:
    return FakeWazzup()


def proxy_for(wazzup: FakeWazzup, **changes: Any) -> TestClient:
    return TestClient(create_app(settings(**changes), http=wazzup.client()))


@pytest.fixture
def proxy(wazzup: FakeWazzup) -> Iterator[TestClient]:
    with proxy_for(wazzup) as client:
        yield client


def answer_with(status: int, body: object = None, **headers: str) -> Handler:
    content = b"" if body is None else json.dumps(body).encode()
    return lambda request: httpx.Response(status, content=content, headers=headers)


def raising(error: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


def assert_no_secret(response: httpx.Response) -> None:
    assert KEY not in response.text
    assert PARTNER not in response.text
    for name, value in response.headers.items():
        assert KEY not in value and PARTNER not in value, name


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    problem = response.json()
    assert (problem["status"], problem["code"]) == (status, code)
    assert problem["title"] and problem["detail"]
    return problem


# --- minting links ------------------------------------------------------------------------


def test_v3_link_is_minted_with_the_key_and_the_v3_body(
    proxy: TestClient, wazzup: FakeWazzup
) -> None:
    response = proxy.post("/api/link", json=CARD)

    assert response.status_code == 200
    assert response.json() == {"url": LINK}
    assert response.headers["cache-control"] == "no-store"
    (sent,) = wazzup.requests
    assert (sent.method, str(sent.url)) == ("POST", f"{REAL_WAZZUP_V3}/v3/iframe")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(sent.content) == CARD
    assert_no_secret(response)


def test_wazzups_own_path_mints_links_too(proxy: TestClient, wazzup: FakeWazzup) -> None:
    response = proxy.post("/v3/iframe", json=CARD)

    assert response.json() == {"url": LINK}
    assert len(wazzup.requests) == 1


def test_v2_shaped_request_reaches_v3_wazzup_in_the_v3_shape(
    proxy: TestClient, wazzup: FakeWazzup
) -> None:
    v2_body = parse_link_request(CARD).to_v2()

    proxy.post("/api/link", json=v2_body)

    assert json.loads(wazzup.requests[0].content) == CARD


def test_v2_mode_posts_the_partner_body_with_the_partner_token() -> None:
    wazzup = FakeWazzup(
        answer_with(200, {"data": {"link": V2_LINK}, "meta": {"timestamp": 1764849838}})
    )
    changes = {"wazzup_api": "v2", "wazzup_api_key": None, "wazzup_partner_token": PARTNER}

    with proxy_for(wazzup, **changes) as proxy:
        response = proxy.post("/api/link", json=CARD)

    assert response.status_code == 200
    assert response.json() == {"url": V2_LINK}
    (sent,) = wazzup.requests
    assert str(sent.url) == f"{REAL_WAZZUP_V2}/v2/iframe-links/chats"
    assert sent.headers["authorization"] == f"Bearer {PARTNER}"
    assert json.loads(sent.content) == parse_link_request(CARD).to_v2()
    assert_no_secret(response)


def test_v2_mode_refuses_a_telegram_chat_named_by_phone_without_calling_wazzup() -> None:
    wazzup = FakeWazzup()
    by_phone = {
        "user": {"id": "7"},
        "scope": "card",
        "filter": [{"chatType": "telegram", "phone": "79011112233"}],
    }
    changes = {"wazzup_api": "v2", "wazzup_partner_token": PARTNER}

    with proxy_for(wazzup, **changes) as proxy:
        response = proxy.post("/api/link", json=by_phone)

    problem = assert_problem(response, 400, "VALIDATION_FAILED")
    assert "telegram" in problem["detail"]
    assert wazzup.requests == []


def test_link_request_from_the_page_client_goes_through_the_proxy(
    proxy: TestClient, wazzup: FakeWazzup
) -> None:
    def send(
        method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
    ) -> HttpResult:
        response = proxy.request(method, url, content=body, headers=headers)
        return HttpResult(response.status_code, response.content, dict(response.headers))

    link = fetch_link("", parse_link_request(CARD), send=send)

    assert link.url == LINK
    assert json.loads(wazzup.requests[0].content) == CARD


# --- upstream failures -------------------------------------------------------------------


def test_upstream_timeout_returns_504(wazzup: FakeWazzup, proxy: TestClient) -> None:
    wazzup.handler = raising(httpx.ReadTimeout("slow"))

    response = proxy.post("/api/link", json=CARD)

    problem = assert_problem(response, 504, "UPSTREAM_TIMEOUT")
    assert "10 s" in problem["detail"]
    assert_no_secret(response)


def test_upstream_connect_error_returns_502(wazzup: FakeWazzup, proxy: TestClient) -> None:
    wazzup.handler = raising(httpx.ConnectError("connection refused to api.wazzup24.com"))

    response = proxy.post("/api/link", json=CARD)

    problem = assert_problem(response, 502, "UPSTREAM_UNREACHABLE")
    assert "connection refused" not in response.text  # internals are not echoed
    assert "WAZZUP_BASE_URL" in problem["detail"]
    assert_no_secret(response)


@pytest.mark.parametrize("body", [None, {"error": "UNAUTHORIZED", "description": "bad key"}])
def test_upstream_401_returns_502_naming_the_api_key_setting(
    wazzup: FakeWazzup, proxy: TestClient, body: object
) -> None:
    wazzup.handler = answer_with(401, body)

    response = proxy.post("/api/link", json=CARD)

    problem = assert_problem(response, 502, "UNAUTHORIZED")
    assert "WAZZUP_API_KEY" in problem["detail"]
    assert_no_secret(response)


def test_upstream_403_for_a_sidecar_key_returns_502_with_its_fix(
    wazzup: FakeWazzup, proxy: TestClient
) -> None:
    wazzup.handler = answer_with(403)

    problem = assert_problem(proxy.post("/api/link", json=CARD), 502, "FORBIDDEN")

    assert problem["detail"] == FIXES["FORBIDDEN"]


def test_no_such_account_gives_its_fix(wazzup: FakeWazzup, proxy: TestClient) -> None:
    wazzup.handler = answer_with(400, {"error": {"code": "NO_SUCH_ACCOUNT"}})

    response = proxy.post("/api/link", json=CARD)

    problem = assert_problem(response, 400, "NO_SUCH_ACCOUNT")
    assert problem["detail"] == FIXES["NO_SUCH_ACCOUNT"]
    assert_no_secret(response)


def test_upstream_429_returns_429_with_retry_after(wazzup: FakeWazzup, proxy: TestClient) -> None:
    wazzup.handler = answer_with(429, None, **{"Retry-After": "7"})

    response = proxy.post("/api/link", json=CARD)

    problem = assert_problem(response, 429, "TOO_MANY_REQUESTS")
    assert response.headers["retry-after"] == "7"
    assert problem["retryAfter"] == 7.0
    assert_no_secret(response)


def test_upstream_validation_errors_are_passed_on_as_400(
    wazzup: FakeWazzup, proxy: TestClient
) -> None:
    wazzup.handler = answer_with(
        400,
        {
            "code": "VALIDATION_FAILED",
            "title": "Validation Failed",
            "status": 400,
            "detail": "One or more fields did not pass validation.",
            "instance": "/v2/iframe-links/chats",
            "method": "POST",
            "errors": ["user_id should not be empty"],
        },
    )

    problem = assert_problem(proxy.post("/api/link", json=CARD), 400, "VALIDATION_FAILED")

    assert problem["errors"] == ["user_id should not be empty"]


def test_upstream_500_returns_502(wazzup: FakeWazzup, proxy: TestClient) -> None:
    wazzup.handler = answer_with(500)

    problem = assert_problem(proxy.post("/api/link", json=CARD), 502, "INTERNAL_SERVER_ERROR")

    assert problem["detail"] == FIXES["INTERNAL_SERVER_ERROR"]


@pytest.mark.parametrize("body", [b"<html>ok</html>", b'{"link": "x"}', b'{"url": "ftp://x"}'])
def test_upstream_success_without_a_link_returns_502(
    wazzup: FakeWazzup, proxy: TestClient, body: bytes
) -> None:
    wazzup.handler = lambda request: httpx.Response(200, content=body)

    assert_problem(proxy.post("/api/link", json=CARD), 502, "UPSTREAM_BAD_ANSWER")


@pytest.mark.parametrize(
    "handler",
    [
        answer_with(200, {"url": LINK}),
        raising(httpx.ReadTimeout(f"Bearer {KEY}")),
        raising(httpx.ConnectError(f"Bearer {KEY}")),
        answer_with(401, {"error": "UNAUTHORIZED"}),
        answer_with(400, {"error": {"code": "NO_SUCH_ACCOUNT"}}),
        answer_with(429, None, **{"Retry-After": "3"}),
        answer_with(500, {"error": "INTERNAL"}),
    ],
    ids=["ok", "timeout", "connect", "401", "no-account", "429", "500"],
)
def test_api_key_never_appears_in_a_response(wazzup: FakeWazzup, handler: Handler) -> None:
    wazzup.handler = handler

    with proxy_for(wazzup) as proxy:
        responses = [
            proxy.post("/api/link", json=CARD),
            proxy.post("/api/deals", json=[DEAL]),
            proxy.get("/api/health"),
        ]

    for response in responses:
        assert_no_secret(response)


# --- what the page may send ---------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_link_request_that_is_not_json_returns_415(
    proxy: TestClient, wazzup: FakeWazzup, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}

    response = proxy.post("/api/link", content=json.dumps(CARD), headers=headers)

    assert_problem(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert wazzup.requests == []


def test_json_with_a_charset_is_accepted(proxy: TestClient) -> None:
    response = proxy.post(
        "/api/link",
        content=json.dumps(CARD),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )

    assert response.status_code == 200


def test_oversized_body_returns_413(wazzup: FakeWazzup) -> None:
    padded = {**CARD, "padding": "x" * 2000}

    with proxy_for(wazzup, max_body_bytes=1024) as proxy:
        response = proxy.post("/api/link", json=padded)

    problem = assert_problem(response, 413, "PAYLOAD_TOO_LARGE")
    assert "1024" in problem["detail"]
    assert wazzup.requests == []


def test_malformed_json_returns_400(proxy: TestClient, wazzup: FakeWazzup) -> None:
    response = proxy.post(
        "/api/link", content=b'{"user": ', headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400, "MALFORMED_JSON")
    assert wazzup.requests == []


def test_invalid_link_request_returns_400_naming_the_field(
    proxy: TestClient, wazzup: FakeWazzup
) -> None:
    bad = {**CARD, "filter": [{"chatType": "whatsapp", "chatId": "+7 999"}]}

    problem = assert_problem(proxy.post("/api/link", json=bad), 400, "VALIDATION_FAILED")

    assert "filter" in problem["detail"]
    assert "digits only" in problem["detail"]
    assert problem["errors"]
    assert wazzup.requests == []


@pytest.mark.parametrize("body", [[CARD], "card", 42, None])
def test_link_request_that_is_not_an_object_returns_400(proxy: TestClient, body: object) -> None:
    response = proxy.post(
        "/api/link", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400, "VALIDATION_FAILED")


def test_unsigned_launches_are_refused_when_unsigned_mode_is_off(wazzup: FakeWazzup) -> None:
    with proxy_for(wazzup, allow_unsigned=False) as proxy:
        response = proxy.post("/api/link", json=CARD)

    assert_problem(response, 403, "LAUNCH_REQUIRED")
    assert wazzup.requests == []


# --- deals and contacts -------------------------------------------------------------------


def test_deals_are_pushed_to_wazzup_with_the_key(proxy: TestClient, wazzup: FakeWazzup) -> None:
    wazzup.handler = answer_with(200, None)

    response = proxy.post("/api/deals", json=[DEAL, {**DEAL, "id": "2"}])

    assert response.json() == {"pushed": 2}
    (sent,) = wazzup.requests
    assert str(sent.url) == f"{REAL_WAZZUP_V3}/v3/deals"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert [d["id"] for d in json.loads(sent.content)] == ["1", "2"]
    assert json.loads(sent.content)[0] == {**DEAL, "closed": False}


def test_one_deal_as_an_object_is_pushed_as_a_list(proxy: TestClient, wazzup: FakeWazzup) -> None:
    wazzup.handler = answer_with(200, None)

    assert proxy.post("/api/deals", json=DEAL).json() == {"pushed": 1}
    assert len(json.loads(wazzup.requests[0].content)) == 1


def test_contacts_are_pushed_to_wazzup(proxy: TestClient, wazzup: FakeWazzup) -> None:
    wazzup.handler = answer_with(200, None)
    contact = {
        "id": "c1",
        "responsibleUserId": "7",
        "name": "Anthony",
        "contactData": [{"chatType": "whatsapp", "chatId": "79998887766"}],
    }

    assert proxy.post("/api/contacts", json=[contact]).json() == {"pushed": 1}
    assert str(wazzup.requests[0].url) == f"{REAL_WAZZUP_V3}/v3/contacts"


def test_invalid_deal_returns_400_without_calling_wazzup(
    proxy: TestClient, wazzup: FakeWazzup
) -> None:
    response = proxy.post("/api/deals", json=[{**DEAL, "contacts": []}])

    problem = assert_problem(response, 400, "VALIDATION_FAILED")
    assert "contacts" in problem["detail"]
    assert wazzup.requests == []


def test_more_than_one_hundred_deals_in_one_request_are_refused(
    proxy: TestClient, wazzup: FakeWazzup
) -> None:
    deals = [{**DEAL, "id": str(n)} for n in range(150)]

    response = proxy.post("/api/deals", json=deals)

    assert_problem(response, 400, "TOO_MANY_ENTITIES")
    assert wazzup.requests == []


def test_client_pushes_150_deals_in_two_calls_of_at_most_100(wazzup: FakeWazzup) -> None:
    wazzup.handler = answer_with(200, None)
    deals = [Deal.model_validate({**DEAL, "id": str(n)}) for n in range(150)]

    async def push() -> None:
        async with wazzup.client() as http:
            await WazzupClient(settings(), http).push_deals(deals)

    asyncio.run(push())

    sizes = [len(json.loads(request.content)) for request in wazzup.requests]
    assert sizes == [100, 50]
    sent_ids = [d["id"] for r in wazzup.requests for d in json.loads(r.content)]
    assert sent_ids == [str(n) for n in range(150)]


def test_refused_deal_push_passes_on_wazzups_problem(proxy: TestClient, wazzup: FakeWazzup) -> None:
    wazzup.handler = answer_with(
        400, {"error": "INVALID_DEALS_DATA", "data": [{"index": 0, "fields": ["contacts"]}]}
    )

    problem = assert_problem(proxy.post("/api/deals", json=[DEAL]), 400, "INVALID_DEALS_DATA")

    assert problem["errors"] == ["item 0: ['contacts']"]


# --- health and schema --------------------------------------------------------------------


def test_health_reports_a_reachable_wazzup(proxy: TestClient, wazzup: FakeWazzup) -> None:
    wazzup.handler = answer_with(200, [])

    body = proxy.get("/api/health").json()

    assert body == {"proxy": "ok", "api": "v3", "unsigned": True, "upstream": {"ok": True}}
    assert str(wazzup.requests[0].url) == f"{REAL_WAZZUP_V3}/v3/channels"


def test_health_reports_a_refused_key_without_failing(
    proxy: TestClient, wazzup: FakeWazzup
) -> None:
    wazzup.handler = answer_with(401)

    response = proxy.get("/api/health")

    assert response.status_code == 200
    assert response.json()["upstream"] == {"ok": False, "detail": FIXES["UNAUTHORIZED"]}


def test_record_schema_is_published(proxy: TestClient) -> None:
    schema = proxy.get("/api/schema/record").json()

    assert "idempotencyKey" in schema["properties"]


# --- CORS -----------------------------------------------------------------------------------


def test_cors_allows_only_the_configured_origins(wazzup: FakeWazzup) -> None:
    allowed = "https://crm.example.com"

    with proxy_for(wazzup, allowed_origins=[allowed]) as proxy:
        good = proxy.post("/api/link", json=CARD, headers={"Origin": allowed})
        bad = proxy.post("/api/link", json=CARD, headers={"Origin": "https://evil.example.com"})

    assert good.headers["access-control-allow-origin"] == allowed
    assert "access-control-allow-origin" not in bad.headers


def test_without_allowed_origins_no_cors_headers_are_sent(proxy: TestClient) -> None:
    response = proxy.post("/api/link", json=CARD, headers={"Origin": "https://crm.example.com"})

    assert "access-control-allow-origin" not in response.headers


# --- wired to the sandbox in process --------------------------------------------------------

SANDBOX_URL = "http://sandbox.test"
SANDBOX_KEY = "sandbox-key-0123456789"
SANDBOX_TOKEN = "sandbox-token-0123456789"


def sandboxed_proxy(**changes: Any) -> TestClient:
    sandbox = create_sandbox_app(
        SandboxSettings(api_key=SANDBOX_KEY, partner_token=SANDBOX_TOKEN, public_url=SANDBOX_URL)
    )
    values: dict[str, Any] = {
        "wazzup_api_key": SANDBOX_KEY,
        "wazzup_base_url": SANDBOX_URL,
        "wazzup_partner_base_url": SANDBOX_URL,
    } | changes
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox))
    return TestClient(create_app(settings(**values), http=http))


@pytest.mark.parametrize(
    "changes",
    [{}, {"wazzup_api": "v2", "wazzup_partner_token": SANDBOX_TOKEN}],
    ids=["v3", "v2"],
)
def test_sandbox_mints_a_link_through_the_proxy(changes: dict[str, Any]) -> None:
    with sandboxed_proxy(**changes) as proxy:
        response = proxy.post("/api/link", json=CARD)

    assert response.status_code == 200
    assert response.json()["url"].startswith(f"{SANDBOX_URL}/chat/")
    assert SANDBOX_KEY not in response.text and SANDBOX_TOKEN not in response.text


def test_sandbox_refusing_a_wrong_key_becomes_502_unauthorized() -> None:
    with sandboxed_proxy(wazzup_api_key="wrong-key-0123456789") as proxy:
        response = proxy.post("/api/link", json=CARD)

    problem = assert_problem(response, 502, "UNAUTHORIZED")
    assert "WAZZUP_API_KEY" in problem["detail"]
    assert "wrong-key-0123456789" not in response.text


def test_sandbox_takes_a_deal_pushed_through_the_proxy() -> None:
    with sandboxed_proxy() as proxy:
        response = proxy.post("/api/deals", json=[DEAL])

    assert response.status_code == 200
    assert response.json() == {"pushed": 1}


V2_ONLY = {"wazzup_api": "v2", "wazzup_api_key": None, "wazzup_partner_token": SANDBOX_TOKEN}


def test_sandbox_takes_a_deal_pushed_through_a_v2_only_proxy() -> None:
    deal = {**DEAL, "uri": "https://crm.example/deals/1", "closed": False}
    with sandboxed_proxy(**V2_ONLY) as proxy:
        response = proxy.post("/api/deals", json=[deal])
        health = proxy.get("/api/health").json()

    assert (response.status_code, response.json()) == (200, {"pushed": 1})
    assert health["upstream"]["ok"] is True


def test_a_v2_only_proxy_refuses_a_deal_without_uri_before_calling_wazzup() -> None:
    with sandboxed_proxy(**V2_ONLY) as proxy:
        response = proxy.post("/api/deals", json=[DEAL])

    problem = assert_problem(response, 400, "VALIDATION_FAILED")
    assert "uri: Field required" in problem["detail"]
