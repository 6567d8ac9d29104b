"""Schemathesis fuzzes the proxy's OpenAPI in process: valid and invalid requests to every
documented route, with the Wazzup sandbox and the sample CRM behind it. The only 5xx the proxy
may answer are the documented gateway ones: 502 (upstream failed) and 504 (upstream timed out)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from components.launch import LaunchClaims
from demo.crm import create_crm_app
from proxy.app import create_app
from proxy.launch import sign_launch
from proxy.sandbox import SandboxSettings, create_sandbox_app
from proxy.settings import Settings

pytestmark = pytest.mark.fuzz

KEY = "fuzz-api-key-0123456789abcdef012345"
PARTNER = "fuzz-partner-token-0123456789abcdef"
SECRET = "fuzz-launch-secret-0123456789abcdef0123"
WAZZUP = "http://wazzup.test"
CRM = "http://crm.test"
GATEWAY_ERRORS = {502, 504}
MIN_CASES = 1000  # in all; about 30 ms each
STATUSES: Counter[str] = Counter()  # printed with `pytest -s`: what the fuzzing reached


class Backends(httpx.AsyncBaseTransport):
    """Sends the proxy's upstream calls to the sandbox and its CRM relay to the sample CRM."""

    def __init__(self, tmp_path: Path) -> None:
        sandbox = create_sandbox_app(
            SandboxSettings(api_key=KEY, partner_token=PARTNER, public_url=WAZZUP)
        )
        crm = create_crm_app(tmp_path / "crm.sqlite3", public_url=CRM, allowed_origins=[])
        self.routes = {
            "wazzup.test": httpx.ASGITransport(sandbox),
            "crm.test": httpx.ASGITransport(crm),
        }

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.routes[request.url.host].handle_async_request(request)


def proxy_app(tmp_path: Path, **changes: Any) -> Any:
    values: dict[str, Any] = {
        "wazzup_api_key": KEY,
        "wazzup_base_url": WAZZUP,
        "crm_url": f"{CRM}/records",
        "client_rate_limit": 1_000_000,
        "launch_keys": f"crm-1:{SECRET}",
        "launch_reusable_keys": "crm-1",
    } | changes
    http = httpx.AsyncClient(transport=Backends(tmp_path))
    return create_app(Settings(**values), http=http)


def reusable_launch() -> str:
    claims = LaunchClaims(
        sub="fuzz-user",
        scope="global",
        events=["deals", "messages"],
        exp=int(time.time()) + 3600,
        reusable=True,
    )
    return sign_launch(claims, kid="crm-1", secret=SECRET)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("ALLOW_UNSIGNED", "DEMO", "LAUNCH_KEYS", "WAZZUP_API", "CRM_URL"):
        monkeypatch.delenv(name, raising=False)
    yield


def fuzz(
    app: Any, examples: int, headers: dict[str, str] | None = None, only: str | None = None
) -> tuple[int, list[str]]:
    """Valid and invalid bodies for every operation that takes one (up to `examples` of each),
    a few calls to the others; return (cases run, descriptions of failures)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    cases = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if only and operation.path != only:
            continue
        modes = [GenerationMode.POSITIVE]
        if len(operation.body) or len(operation.query):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                nonlocal cases
                response = case.call(headers=headers)
                cases += 1
                STATUSES[f"{case.formatted_path} {response.status_code}"] += 1
                if response.status_code >= 500 and response.status_code not in GATEWAY_ERRORS:
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: "
                        f"{response.text[:200]} (body {str(case.body)[:200]})"
                    )
                assert KEY not in response.text and SECRET not in response.text

            run()
    return cases, failures


def test_fuzzed_requests_never_break_the_proxy(tmp_path: Path) -> None:
    started = time.monotonic()

    unsigned_cases, unsigned_failures = fuzz(
        proxy_app(tmp_path / "unsigned", allow_unsigned=True), examples=130
    )
    # Signed: random link requests under a valid (reusable) launch exercise the claim matching.
    signed_cases, signed_failures = fuzz(
        proxy_app(tmp_path / "signed"),
        examples=150,
        headers={"Authorization": f"Bearer {reusable_launch()}"},
        only="/api/link",
    )

    elapsed = time.monotonic() - started
    print(f"fuzzed {unsigned_cases + signed_cases} cases in {elapsed:.1f} s: {dict(STATUSES)}")
    assert unsigned_failures + signed_failures == []
    assert unsigned_cases + signed_cases >= MIN_CASES
