"""Every documented Wazzup error, made by the sandbox, reaches the page as a specific fix.

For each code the sandbox is told to answer with it (POST /_sandbox/faults); then the proxy's
problem answer and the page's own client (`fetch_link`, urllib over a real socket) must both
carry the code and the fix from `components.problems.FIXES` (wazzup-api.md §1, §2, §9).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from servers import SANDBOX_KEY, Stack

from components.entities import MAX_ENTITIES_PER_REQUEST
from components.errors import LinkRefused
from components.link import parse_link_request
from components.link_client import fetch_link
from components.problems import FIXES, PROBLEM_CONTENT_TYPE
from tests.wazzup_docs import V2_CODES_BY_STATUS

CARD = {
    "user": {"id": "contract-user"},
    "scope": "card",
    "filter": [{"chatType": "whatsapp", "chatId": "79998887766"}],
}
DEAL = {"id": "d1", "responsibleUserId": "u1", "name": "Deal", "contacts": ["c1"]}
CONTACT = {
    "id": "c1",
    "responsibleUserId": "u1",
    "name": "Anthony",
    "contactData": [{"chatType": "whatsapp", "chatId": "79998887766"}],
}


@pytest.fixture(autouse=True)
def no_faults_left(stack: Stack) -> None:
    stack.clear_faults()


def v2_envelope(status: int, code: str, errors: list[str] | None = None) -> dict[str, Any]:
    """The v2 problem envelope, titled as the docs title it where they do (S-IF2)."""
    titles = {
        "VALIDATION_FAILED": "Validation Failed",
        "INTERNAL_SERVER_ERROR": "Internal Server Error",
    }
    body: dict[str, Any] = {
        "code": code,
        "title": titles.get(code, "Error"),
        "status": status,
        "detail": "One or more fields did not pass validation." if status == 400 else code,
        "instance": "/v2/iframe-links/chats",
        "method": "POST",
    }
    if errors is not None:
        body["errors"] = errors
    return body


# (status Wazzup answers, body, code, status the page gets, extra fault fields)
V3_LINK_ERRORS = [
    pytest.param(400, {"error": {"code": "NO_SUCH_ACCOUNT"}}, "NO_SUCH_ACCOUNT", 400, {},
                 id="iframe-shape-NO_SUCH_ACCOUNT"),
    pytest.param(401, None, "UNAUTHORIZED", 502, {}, id="401-empty"),
    pytest.param(401, {"error": "UNAUTHORIZED", "description": "Unknown API key"},
                 "UNAUTHORIZED", 502, {}, id="401-common-shape"),
    pytest.param(403, None, "FORBIDDEN", 502, {}, id="403-sidecar-key"),
    pytest.param(429, None, "TOO_MANY_REQUESTS", 429, {"headers": {"Retry-After": "30"}},
                 id="429"),
    pytest.param(500, None, "INTERNAL_SERVER_ERROR", 502, {}, id="500-empty"),
    pytest.param(500, {"error": "INTERNAL_SERVER_ERROR", "description": "oops", "data": None},
                 "INTERNAL_SERVER_ERROR", 502, {}, id="500-common-shape"),
]  # fmt: skip

V2_LINK_ERRORS = [
    pytest.param(status, code, id=f"{status}-{code}")
    for status, codes in V2_CODES_BY_STATUS.items()
    for code in codes
]


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    problem = response.json()
    assert (problem["status"], problem["code"]) == (status, code)
    assert problem["detail"] == FIXES[code]
    assert code in problem["title"]
    return problem


def assert_page_refusal(proxy_url: str, status: int, code: str) -> LinkRefused:
    with pytest.raises(LinkRefused) as caught:
        fetch_link(proxy_url, parse_link_request(CARD))
    refusal = caught.value
    assert (refusal.status, refusal.code) == (status, code)
    assert code in refusal.title
    assert FIXES[code] in refusal.detail
    return refusal


@pytest.mark.parametrize(("status", "body", "code", "page_status", "extra"), V3_LINK_ERRORS)
def test_v3_link_error_reaches_the_page_with_its_fix(
    stack: Stack, status: int, body: Any, code: str, page_status: int, extra: dict[str, Any]
) -> None:
    stack.fault("/v3/iframe", status, body, times=2, **extra)

    response = httpx.post(f"{stack.proxy_v3_url}/api/link", json=CARD)
    assert_problem(response, page_status, code)
    assert_page_refusal(stack.proxy_v3_url, page_status, code)
    if status == 429:
        assert response.headers["retry-after"] == "30"


@pytest.mark.parametrize(("status", "code"), V2_LINK_ERRORS)
def test_every_v2_code_reaches_the_page_with_its_fix(stack: Stack, status: int, code: str) -> None:
    page_status = 400 if status == 400 else 502
    stack.fault("/v2/iframe-links/chats", status, v2_envelope(status, code), times=2)

    assert_problem(httpx.post(f"{stack.proxy_v2_url}/api/link", json=CARD), page_status, code)
    assert_page_refusal(stack.proxy_v2_url, page_status, code)


def test_v2_validation_messages_reach_the_page_after_the_fix(stack: Stack) -> None:
    errors = ["user_id should not be empty", "scope must be a valid enum value"]
    stack.fault("/v2/iframe-links/chats", 400, v2_envelope(400, "VALIDATION_FAILED", errors))

    refusal = assert_page_refusal(stack.proxy_v2_url, 400, "VALIDATION_FAILED")
    assert all(error in refusal.detail for error in errors)


def test_v2_without_a_429_code_in_its_docs_still_gives_429_and_retry_after(stack: Stack) -> None:
    stack.fault(
        "/v2/iframe-links/chats",
        429,
        v2_envelope(429, "TOO_MANY_REQUESTS"),
        headers={"Retry-After": "30"},
    )

    response = httpx.post(f"{stack.proxy_v2_url}/api/link", json=CARD)

    assert_problem(response, 429, "TOO_MANY_REQUESTS")
    assert response.headers["retry-after"] == "30"


# --- entity pushes (the Deals dropdown loop) ----------------------------------------------

ENTITY_ERRORS = [
    pytest.param("/api/deals", "/v3/deals", DEAL, 400,
                 {"error": "TOO_MANY_ENTITIES", "description": "max 100"}, "TOO_MANY_ENTITIES",
                 id="deals-TOO_MANY_ENTITIES"),
    pytest.param("/api/deals", "/v3/deals", DEAL, 400,
                 {"error": "INVALID_DEALS_DATA", "data": [{"index": 0, "fields": ["name"]}]},
                 "INVALID_DEALS_DATA", id="deals-INVALID_DEALS_DATA"),
    pytest.param("/api/contacts", "/v3/contacts", CONTACT, 400,
                 {"error": "INVALID_CONTACTS_DATA", "data": [{"index": 0, "fields": ["uri"]}]},
                 "INVALID_CONTACTS_DATA", id="contacts-INVALID_CONTACTS_DATA"),
    pytest.param("/api/deals", "/v3/deals", DEAL, 401, None, "UNAUTHORIZED", id="deals-401"),
    pytest.param("/api/deals", "/v3/deals", DEAL, 403, None, "FORBIDDEN", id="deals-403"),
    pytest.param("/api/contacts", "/v3/contacts", CONTACT, 500, None, "INTERNAL_SERVER_ERROR",
                 id="contacts-500"),
]  # fmt: skip


@pytest.mark.parametrize(("route", "path", "entity", "status", "body", "code"), ENTITY_ERRORS)
def test_entity_push_error_reaches_the_page_with_its_fix(
    stack: Stack, route: str, path: str, entity: dict, status: int, body: Any, code: str
) -> None:
    stack.fault(path, status, body)

    response = httpx.post(f"{stack.proxy_v3_url}{route}", json=[entity])

    problem = assert_problem(response, 400 if status == 400 else 502, code)
    if body and body.get("data"):
        assert problem["errors"] == [f"item 0: {body['data'][0]['fields']}"]


def test_over_one_hundred_entities_are_refused_by_the_proxy_and_by_the_sandbox(
    stack: Stack,
) -> None:
    deals = [{**DEAL, "id": f"bulk-{n}"} for n in range(MAX_ENTITIES_PER_REQUEST + 1)]

    # The proxy refuses over 100 in one request before calling Wazzup...
    response = httpx.post(f"{stack.proxy_v3_url}/api/deals", json=deals)
    assert response.status_code == 400
    assert response.json()["code"] == "TOO_MANY_ENTITIES"
    # ...and the sandbox too, as Wazzup does.
    direct = httpx.post(
        f"{stack.sandbox_url}/v3/deals",
        json=[{**deal, "closed": False} for deal in deals],
        headers={"Authorization": f"Bearer {SANDBOX_KEY}"},
    )
    assert (direct.status_code, direct.json()["error"]) == (400, "TOO_MANY_ENTITIES")


def test_v2_entity_push_error_reaches_the_page_with_its_fix(stack: Stack) -> None:
    errors = ["deals.0.uri should not be empty"]
    stack.fault("/v2/deals", 400, v2_envelope(400, "VALIDATION_FAILED", errors))

    deal = {**DEAL, "uri": "https://crm.example/deals/d1"}
    response = httpx.post(f"{stack.proxy_v2_url}/api/deals", json=[deal])

    problem = assert_problem(response, 400, "VALIDATION_FAILED")
    assert problem["errors"] == errors


def test_a_failed_user_upsert_does_not_block_the_link(stack: Stack) -> None:
    stack.fault("/v3/users", 500)
    named = {**CARD, "user": {"id": "contract-upsert-fails", "name": "Ann"}}

    response = httpx.post(f"{stack.proxy_v3_url}/api/link", json=named)

    assert response.status_code == 200, response.text
    assert response.json()["url"].startswith(f"{stack.sandbox_url}/chat/")
