"""Wazzup's documented refusals, made by the sandbox, shown on the real page as title + fix.

The full list of codes is checked without a browser in tests/contract/test_errors_reach_the_page.py.
"""

from __future__ import annotations

import urllib.request
import uuid

import pytest
from conftest import open_page

from components.problems import FIXES

FRAME = 'iframe[data-testid="chat-frame"]'


@pytest.fixture
def faults(demo):
    """Queues sandbox faults; leaves none behind for the other tests sharing the demo."""

    def add(fault: dict) -> None:
        demo.post_json(f"{demo.sandbox_url}/_sandbox/faults", fault)

    yield add
    request = urllib.request.Request(f"{demo.sandbox_url}/_sandbox/faults", method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()


@pytest.mark.parametrize(
    ("status", "body", "headers", "code"),
    [
        (403, None, {}, "FORBIDDEN"),
        (429, None, {"Retry-After": "30"}, "TOO_MANY_REQUESTS"),
        (
            500,
            {"error": "INTERNAL_SERVER_ERROR", "description": "boom"},
            {},
            "INTERNAL_SERVER_ERROR",
        ),
    ],
    ids=["403-sidecar-key", "429", "500"],
)
def test_wazzups_refusal_shows_its_title_and_fix(page, demo, faults, status, body, headers, code):
    faults({"path": "/v3/iframe", "status": status, "body": body, "headers": headers})

    user = f"e2e-err-{uuid.uuid4().hex[:8]}"
    open_page(page, demo, f"?user={user}&scope=card&chat=whatsapp:79991234567")

    assert page.locator("#problem").get_attribute("data-problem") == code
    assert page.locator("#problem-title").inner_text() == f"Wazzup refused the request ({code})"
    assert page.locator("#problem-detail").inner_text().startswith(FIXES[code])
    assert page.locator(FRAME).count() == 0
    assert (
        "boom" not in page.locator("#problem").inner_text()
    )  # a known code's fix, not Wazzup's words
    for secret in demo.secrets:
        assert secret not in page.content()
