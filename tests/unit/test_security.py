"""The proxy's guards: signed-launch wiring, the page's CSP, CORS, size and rate limits, settings
that refuse weak secrets, and launch tokens kept out of every log line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from uvicorn.logging import AccessFormatter

from components.launch import LaunchClaims, link_request_from_launch
from proxy.app import create_app
from proxy.launch import sign_launch
from proxy.ratelimit import FixedWindowLimiter, upstream_budget_hook
from proxy.sandbox.__main__ import main as sandbox_main
from proxy.security import content_security_policy, install_launch_redaction
from proxy.settings import Settings
from proxy.upstream import UpstreamProblem

KEY = "0123456789abcdef0123456789abcdef"
SECRET = "guard-secret-0123456789abcdef0123456789"
LINK = "https://12345678.wazzup24.com/chat/0e812899?token=TOKEN"
ENVIRONMENT = (
    "ALLOW_UNSIGNED",
    "DEMO",
    "LAUNCH_KEYS",
    "LAUNCH_REUSABLE_KEYS",
    "FRAME_ORIGINS",
    "FRAME_ANCESTORS",
    "CONNECT_ORIGINS",
    "ALLOWED_ORIGINS",
    "CRM_URL",
    "WAZZUP_API",
    "WAZZUP_API_KEY",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


class Wazzup:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path != "/v3/iframe":
            return httpx.Response(200, json={})
        if self.status != 200:
            return httpx.Response(self.status, json={"error": {"code": "INTERNAL_SERVER_ERROR"}})
        return httpx.Response(200, json={"url": LINK})

    @property
    def links(self) -> list[httpx.Request]:
        return [request for request in self.requests if request.url.path == "/v3/iframe"]


def client(wazzup: Wazzup, **changes: Any) -> TestClient:
    values: dict[str, Any] = {"wazzup_api_key": KEY, "launch_keys": f"crm-1:{SECRET}"} | changes
    http = httpx.AsyncClient(transport=httpx.MockTransport(wazzup))
    return TestClient(create_app(Settings(**values), http=http))


@pytest.fixture
def wazzup() -> Wazzup:
    return Wazzup()


@pytest.fixture
def proxy(wazzup: Wazzup) -> Iterator[TestClient]:
    with client(wazzup) as test_client:
        yield test_client


def launch(**changes: Any) -> tuple[str, dict[str, Any]]:
    now = int(time.time())
    claims = LaunchClaims.model_validate(
        {
            "sub": "222555",
            "name": "Anna",
            "scope": "card",
            "chats": ["whatsapp:79998887766"],
            "events": ["deals"],
            "exp": now + 300,
            "jti": f"n-{time.time_ns()}",
        }
        | changes
    )
    token = sign_launch(claims, kid="crm-1", secret=SECRET)
    return token, link_request_from_launch(claims).to_v3()


def post_link(proxy: TestClient, token: str, body: dict[str, Any]) -> httpx.Response:
    return proxy.post("/api/link", json=body, headers={"Authorization": f"Bearer {token}"})


# --- signed launches through the app -----------------------------------------------------


def test_a_signed_launch_mints_its_link(proxy: TestClient, wazzup: Wazzup) -> None:
    token, body = launch()

    answer = post_link(proxy, token, body)

    assert answer.status_code == 200
    assert answer.json() == {"url": LINK}
    assert answer.headers["cache-control"] == "no-store"
    assert len(wazzup.links) == 1


def test_a_link_that_failed_upstream_does_not_use_the_launch_up(wazzup: Wazzup) -> None:
    wazzup.status = 500
    token, body = launch()
    with client(wazzup) as proxy:
        assert post_link(proxy, token, body).status_code == 502
        wazzup.status = 200
        assert post_link(proxy, token, body).status_code == 200
        assert post_link(proxy, token, body).json()["code"] == "LAUNCH_REPLAYED"


def test_refusals_of_the_token_itself_challenge_for_a_bearer_token(proxy: TestClient) -> None:
    answer = proxy.post("/api/link", json={}, headers={"Authorization": "Bearer x.y.z"})

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_an_unsigned_proxy_says_so_and_a_signed_one_does_not(wazzup: Wazzup) -> None:
    with client(wazzup, allow_unsigned=True) as unsigned, client(wazzup) as signed:
        assert unsigned.get("/api/mode").json() == {"unsigned": True}
        assert signed.get("/api/mode").json() == {"unsigned": False}


def test_an_unsigned_proxy_mints_without_a_launch_but_checks_one_it_gets(wazzup: Wazzup) -> None:
    token, body = launch()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with client(wazzup, allow_unsigned=True) as proxy:
        assert proxy.post("/api/link", json=body).status_code == 200
        assert post_link(proxy, forged, body).json()["code"] == "LAUNCH_BAD_SIGNATURE"


def test_the_openapi_documents_the_link_request_body(proxy: TestClient) -> None:
    operation = proxy.get("/openapi.json").json()["paths"]["/api/link"]["post"]

    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["user", "scope"]
    assert "$ref" not in str(schema)


# --- the page's headers -----------------------------------------------------------------------


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split("; "))}


def test_the_page_is_served_with_its_content_security_policy(proxy: TestClient) -> None:
    page = proxy.get("/")

    policy = directives(page.headers["content-security-policy"])
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'wasm-unsafe-eval'", "'unsafe-eval'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["https://*.wazzup24.com"],
        "frame-ancestors": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    }
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"


def test_only_the_html_carries_the_policy(proxy: TestClient) -> None:
    assert "content-security-policy" not in proxy.get("/main.py").headers


def test_the_policy_is_built_from_settings() -> None:
    settings = Settings(
        wazzup_api_key=KEY,
        crm_url="https://crm.example.com:8443/hooks/wazzup?x=1",
        connect_origins="https://records.example.com",
        frame_origins="http://127.0.0.1:8001,https://app.wazzup24.com",
        frame_ancestors='["https://crm.example.com", "https://*.crm.example.com"]',
    )

    policy = directives(content_security_policy(settings))

    assert policy["connect-src"] == [
        "'self'",
        "https://crm.example.com:8443",
        "https://records.example.com",
    ]
    assert policy["frame-src"] == ["http://127.0.0.1:8001", "https://app.wazzup24.com"]
    assert policy["frame-ancestors"] == ["https://crm.example.com", "https://*.crm.example.com"]


@pytest.mark.parametrize(
    "source",
    [
        "https://crm.example.com; script-src *",
        "*",
        "https://crm.example.com/path",
        "'unsafe-inline'",
        "javascript:",
        "https://crm.example.com https://evil.example.com",
    ],
)
def test_a_setting_that_would_widen_the_policy_is_refused(source: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(wazzup_api_key=KEY, frame_ancestors=[source])


# --- CORS -------------------------------------------------------------------------------------


def preflight(proxy: TestClient, origin: str) -> httpx.Response:
    return proxy.options(
        "/api/link",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_cors_lets_only_the_listed_origins_call_the_api(wazzup: Wazzup) -> None:
    with client(wazzup, allowed_origins="https://crm.example.com") as proxy:
        allowed = preflight(proxy, "https://crm.example.com")
        refused = preflight(proxy, "https://evil.example.com")
        simple = proxy.get("/api/mode", headers={"Origin": "https://evil.example.com"})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://crm.example.com"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in simple.headers


def test_without_allowed_origins_no_cross_origin_call_is_allowed(proxy: TestClient) -> None:
    answer = proxy.get("/api/mode", headers={"Origin": "https://crm.example.com"})

    assert "access-control-allow-origin" not in answer.headers


# --- rate limits --------------------------------------------------------------------------------


def test_a_client_over_its_limit_gets_429_with_retry_after(wazzup: Wazzup) -> None:
    with client(wazzup, client_rate_limit=3, client_rate_window_s=60) as proxy:
        answers = [proxy.get("/api/mode") for _ in range(3)]
        limited = proxy.get("/api/mode", headers={"X-Forwarded-For": "198.51.100.7"})

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert limited.status_code == 429
    assert limited.json()["code"] == "TOO_MANY_REQUESTS"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["retryAfter"] == int(limited.headers["retry-after"])


def test_the_page_files_do_not_count_against_the_client_limit(wazzup: Wazzup) -> None:
    with client(wazzup, client_rate_limit=2) as proxy:
        pages = [proxy.get("/index.html").status_code for _ in range(10)]
        api = proxy.get("/api/mode")

    assert set(pages) == {200}
    assert api.status_code == 200


def test_wazzups_webhooks_do_not_count_against_the_client_limit(wazzup: Wazzup) -> None:
    with client(wazzup, client_rate_limit=1) as proxy:
        statuses = [
            proxy.post("/api/wazzup/webhook/not-the-secret", json={"test": True}).status_code
            for _ in range(5)
        ]

    assert 429 not in statuses


def test_a_rate_limited_answer_is_readable_cross_origin(wazzup: Wazzup) -> None:
    origin = {"Origin": "https://crm.example.com"}
    with client(wazzup, client_rate_limit=1, allowed_origins=[origin["Origin"]]) as proxy:
        proxy.get("/api/mode", headers=origin)
        limited = proxy.get("/api/mode", headers=origin)

    assert limited.status_code == 429
    assert limited.headers["access-control-allow-origin"] == "https://crm.example.com"


def test_the_shared_upstream_budget_refuses_before_wazzup_would(wazzup: Wazzup) -> None:
    with client(wazzup, allow_unsigned=True, upstream_rate_limit=2) as proxy:
        answers = [proxy.post("/api/link", json=launch()[1]) for _ in range(4)]

    assert len(wazzup.requests) == 2
    limited = answers[-1]
    assert limited.status_code == 429
    assert limited.json()["code"] == "TOO_MANY_REQUESTS"
    assert "500 per 5 s" in limited.json()["detail"]
    assert int(limited.headers["retry-after"]) >= 1


def test_calls_to_other_hosts_do_not_spend_the_upstream_budget() -> None:
    limiter = FixedWindowLimiter(limit=1, window_s=5, clock=lambda: 0.0)
    spend = upstream_budget_hook(limiter, ["https://api.wazzup24.com"])

    asyncio.run(spend(httpx.Request("POST", "https://crm.example.com/records")))
    asyncio.run(spend(httpx.Request("POST", "https://api.wazzup24.com/v3/iframe")))
    with pytest.raises(UpstreamProblem) as caught:
        asyncio.run(spend(httpx.Request("POST", "https://api.wazzup24.com/v3/deals")))

    assert caught.value.problem.status == 429
    assert caught.value.retry_after == "5"


def test_a_fixed_window_starts_again_at_its_boundary() -> None:
    now = [12.0]
    limiter = FixedWindowLimiter(limit=2, window_s=5, clock=lambda: now[0])

    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("a"), limiter.hit("b")] == [
        None,
        None,
        3,
        None,
    ]
    now[0] = 15.0
    assert limiter.hit("a") is None


# --- body size ---------------------------------------------------------------------------------


def test_a_malformed_content_length_is_refused(proxy: TestClient) -> None:
    answer = proxy.post(
        "/api/link",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": "2x"},
    )

    assert (answer.status_code, answer.json()["code"]) == (400, "BAD_CONTENT_LENGTH")


@pytest.mark.parametrize(("size", "status"), [(2048, 200), (2049, 413)])
def test_a_body_up_to_the_limit_is_read(wazzup: Wazzup, size: int, status: int) -> None:
    raw = json.dumps(launch()[1]).encode()
    raw = raw[:-1] + b" " * (size - len(raw)) + b"}"  # JSON allows the padding
    with client(wazzup, allow_unsigned=True, max_body_bytes=2048) as proxy:
        answer = proxy.post("/api/link", content=raw, headers={"Content-Type": "application/json"})

    assert len(raw) == size
    assert answer.status_code == status


# --- settings ------------------------------------------------------------------------------


def test_launch_keys_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    other = "x" * 40
    monkeypatch.setenv("WAZZUP_API_KEY", KEY)
    monkeypatch.setenv("LAUNCH_KEYS", f"crm-1:{SECRET}, crm-2:{other}")
    monkeypatch.setenv("LAUNCH_REUSABLE_KEYS", "crm-2")
    monkeypatch.setenv("FRAME_ORIGINS", "https://*.wazzup24.com,http://127.0.0.1:8001")

    settings = Settings()

    assert settings.launch_secrets() == {"crm-1": SECRET, "crm-2": other}
    assert settings.launch_reusable_keys == ["crm-2"]
    assert settings.frame_origins == ["https://*.wazzup24.com", "http://127.0.0.1:8001"]
    assert SECRET in settings.secrets() and other in settings.secrets()
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("crm-1:short", "has a secret of 5 characters; use at least 32"),
        ("crm-1:" + "changeme", "empty or placeholder"),
        ("crm-1:", "empty or placeholder"),
        ("crm 1:" + "x" * 40, "kid1:secret1,kid2:secret2"),
        ("just-a-secret-without-a-kid", "kid1:secret1,kid2:secret2"),
        (f"crm-1:{SECRET},crm-1:{SECRET}", "'crm-1' is given twice"),
    ],
)
def test_weak_or_malformed_launch_keys_are_refused(keys: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(wazzup_api_key=KEY, launch_keys=keys)

    assert message in str(caught.value)


def test_the_demo_may_use_short_launch_keys() -> None:
    settings = Settings(wazzup_api_key=KEY, launch_keys="demo:short", demo=True)

    assert settings.launch_secrets() == {"demo": "short"}


def test_a_reusable_key_must_be_a_launch_key() -> None:
    with pytest.raises(ValidationError, match="LAUNCH_REUSABLE_KEYS names 'other'"):
        Settings(wazzup_api_key=KEY, launch_keys=f"crm-1:{SECRET}", launch_reusable_keys="other")


def test_allowed_origins_take_commas_or_json() -> None:
    commas = Settings(wazzup_api_key=KEY, allowed_origins="https://a.example, https://b.example")
    as_json = Settings(wazzup_api_key=KEY, allowed_origins='["https://a.example"]')

    assert commas.allowed_origins == ["https://a.example", "https://b.example"]
    assert as_json.allowed_origins == ["https://a.example"]


# --- logs ----------------------------------------------------------------------------------


def test_launch_tokens_never_reach_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    token, _ = launch()
    install_launch_redaction()
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    # uvicorn's own formatter unpacks the access log's arguments: they must keep their shape.
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s'))
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        # uvicorn's own access-log format and arguments
        access.warning(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/?launch={token}", "1.1", 200
        )
        logging.getLogger("proxy").warning("refused Authorization: Bearer %s", token)
    finally:
        access.removeHandler(handler)

    assert output.getvalue().splitlines() == [
        '127.0.0.1:5000 - "GET /?launch=[REDACTED] HTTP/1.1" 200 OK'
    ]
    assert caplog.messages[-1] == "refused Authorization: Bearer [REDACTED]"
    assert token not in caplog.text


# --- the sandbox on its own -----------------------------------------------------------------


def test_the_sandbox_says_which_key_it_needs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    assert sandbox_main() == 2
    assert "set WAZZUP_API_KEY" in capsys.readouterr().err
