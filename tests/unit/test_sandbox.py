"""The Wazzup sandbox's link routes, auth, rate limit and fault injection, in process."""

from __future__ import annotations

import time
import warnings
from typing import Any

import pytest

from components.link import LinkRequest, LinkResponse, PartnerLinkResponse
from components.problems import V2Problem, V3Error, V3IframeError, parse_upstream_error
from proxy.sandbox import SandboxSettings, create_sandbox_app
from proxy.sandbox.ratelimit import FixedWindowLimiter
from tests.wazzup_docs import DOCS_V2_REQUEST, DOCS_V3_REQUEST

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 in its TestClient; the project pins httpx.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

API_KEY = "0123456789abcdef0123456789abcdef"
PARTNER_TOKEN = "partner-client-token-5f1c"
PUBLIC_URL = "http://sandbox.test"
V3 = {"Authorization": f"Bearer {API_KEY}"}
V2 = {"Authorization": f"Bearer {PARTNER_TOKEN}"}


def make_client(**settings: Any) -> TestClient:
    defaults = {"api_key": API_KEY, "partner_token": PARTNER_TOKEN, "public_url": PUBLIC_URL}
    return TestClient(create_sandbox_app(SandboxSettings(**{**defaults, **settings})))


@pytest.fixture
def client() -> TestClient:
    return make_client()


def card_request(**chat: Any) -> dict[str, Any]:
    return {"user": {"id": "1"}, "scope": "card", "filter": [chat]}


def iframe_error(client: TestClient, body: Any) -> V3IframeError:
    response = client.post("/v3/iframe", headers=V3, json=body)
    assert response.status_code == 400, response.text
    return V3IframeError.model_validate(response.json())


# --- auth -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({}, "missing"),
        ({"Authorization": f"Basic {API_KEY}"}, "Bearer"),
        ({"Authorization": "Bearer wrong-key"}, "unknown"),
    ],
)
def test_v3_routes_refuse_a_missing_or_wrong_key_without_echoing_it(
    client: TestClient, headers: dict[str, str], says: str
) -> None:
    response = client.post("/v3/iframe", headers=headers, json=DOCS_V3_REQUEST)
    assert response.status_code == 401
    error = V3Error.model_validate(response.json())
    assert error.error == "UNAUTHORIZED"
    assert says in (error.description or "")
    assert API_KEY not in response.text and "wrong-key" not in response.text


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "OAUTH_AUTH_HEADER_MISSING"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 403, "OAUTH_BASIC_SCHEME_FORBIDDEN"),
        ({"Authorization": f"Token {PARTNER_TOKEN}"}, 401, "OAUTH_UNKNOWN_SCHEME"),
        ({"Authorization": "Bearer revoked-token"}, 401, "OAUTH_TOKEN_UNKNOWN_OR_REVOKED"),
        ({"Authorization": f"Bearer {API_KEY}"}, 401, "OAUTH_TOKEN_UNKNOWN_OR_REVOKED"),
    ],
)
def test_v2_route_answers_each_auth_failure_with_its_documented_code(
    client: TestClient, headers: dict[str, str], status: int, code: str
) -> None:
    response = client.post("/v2/iframe-links/chats", headers=headers, json=DOCS_V2_REQUEST)
    assert response.status_code == status
    problem = V2Problem.model_validate(response.json())
    assert (problem.code, problem.status) == (code, status)
    assert (problem.instance, problem.method) == ("/v2/iframe-links/chats", "POST")
    assert PARTNER_TOKEN not in response.text and "revoked-token" not in response.text


def test_the_partner_token_does_not_open_v3_routes(client: TestClient) -> None:
    assert client.get("/v3/channels", headers=V2).status_code == 401


# --- POST /v3/iframe --------------------------------------------------------------------


def test_docs_v3_example_gets_a_chat_link_on_the_public_url(client: TestClient) -> None:
    response = client.post("/v3/iframe", headers=V3, json=DOCS_V3_REQUEST)
    assert response.status_code == 200
    link = LinkResponse.model_validate(response.json())
    assert link.url.startswith(f"{PUBLIC_URL}/chat/")
    assert "?token=" in link.url
    assert response.json().keys() == {"url"}


def test_every_link_request_starts_a_new_session_with_its_own_token(client: TestClient) -> None:
    first = client.post("/v3/iframe", headers=V3, json=DOCS_V3_REQUEST).json()["url"]
    second = client.post("/v3/iframe", headers=V3, json=DOCS_V3_REQUEST).json()["url"]
    assert first != second
    assert client.get("/_sandbox/state").json()["sessions"] == 2


def test_card_scope_without_filter_is_refused(client: TestClient) -> None:
    error = iframe_error(client, {"user": {"id": "1"}, "scope": "card"})
    assert error.error.code == "VALIDATION_FAILED"
    assert error.error.data == [
        {"field": "filter", "message": "filter must list at least one chat when scope is 'card'"}
    ]


@pytest.mark.parametrize(
    ("chat", "field", "words"),
    [
        ({"chatType": "whatsapp", "chatId": "+7 999"}, "filter.0.chatId", "digits only"),
        ({"chatType": "instagram", "chatId": "@acc"}, "filter.0.chatId", "'@'"),
        ({"chatType": "telegram", "username": "@my_tg_user"}, "filter.0.username", "'@'"),
        ({"chatType": "icq", "chatId": "12345"}, "filter.0.chatType", "'whatsapp'"),
        ({"chatType": "whatsapp"}, "filter.0.chatId", "required"),
    ],
)
def test_bad_chats_are_refused_naming_the_wire_field(
    client: TestClient, chat: dict[str, str], field: str, words: str
) -> None:
    error = iframe_error(client, card_request(**chat)).error
    assert error.code == "VALIDATION_FAILED"
    assert error.description is not None
    assert error.description.startswith((f"{field}: ", f"{field} "))
    assert error.data[0]["field"] == field
    assert words in error.data[0]["message"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("user_id", "1"),
        ("chats", []),
        ("use_events", {"deals": True}),
        ("author_name", "John"),
        ("client_type", "crm"),
    ],
)
def test_v3_route_refuses_v2_only_fields(client: TestClient, key: str, value: Any) -> None:
    body = {"user": {"id": "1"}, "scope": "global", key: value}
    error = iframe_error(client, body).error
    assert error.data[0]["field"] == key
    assert "v2 partner field" in error.data[0]["message"]


def test_v3_route_refuses_snake_case_keys_that_wazzup_would_ignore(client: TestClient) -> None:
    body = {**DOCS_V3_REQUEST, "active_chat": DOCS_V3_REQUEST["activeChat"]}
    error = iframe_error(client, body).error
    assert error.data == [
        {"field": "active_chat", "message": "v3 fields are camelCase; use 'activeChat'"}
    ]


@pytest.mark.parametrize("body", [b"not json", b"", b"[1, 2]"])
def test_v3_route_refuses_a_body_that_is_not_a_json_object(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/v3/iframe", headers={**V3, "Content-Type": "application/json"}, content=body
    )
    assert response.status_code == 400
    assert V3IframeError.model_validate(response.json()).error.code == "VALIDATION_FAILED"


def test_iframe_errors_are_parsed_by_the_shared_problem_reader(client: TestClient) -> None:
    response = client.post(
        "/v3/iframe", headers=V3, json=card_request(chatType="whatsapp", chatId="+7")
    )
    code, description, errors = parse_upstream_error(response.status_code, response.content)
    assert code == "VALIDATION_FAILED"
    assert description is not None and "filter.0.chatId" in description
    assert errors and errors[0].startswith("filter.0.chatId: ")


# --- POST /v2/iframe-links/chats --------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        DOCS_V2_REQUEST,
        {**DOCS_V2_REQUEST, "user": {"id": "crm-user-id-123"}, "user_id": None},
        DOCS_V3_REQUEST,  # the docs' third example posts a v3 body to the v2 route
    ],
    ids=["user_id", "user.id", "v3-shaped"],
)
def test_documented_v2_request_forms_get_a_partner_link(client: TestClient, body: Any) -> None:
    body = {key: value for key, value in body.items() if value is not None}
    response = client.post("/v2/iframe-links/chats", headers=V2, json=body)
    assert response.status_code == 200, response.text
    answer = PartnerLinkResponse.model_validate(response.json())
    assert answer.data.link.startswith(f"{PUBLIC_URL}/chat/")
    assert answer.meta is not None and abs(answer.meta.timestamp - time.time()) < 60


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {
                "user_id": "",
                "scope": "card",
                "chats": [{"chat_type": "whatsapp", "chat_id": "1234567"}],
            },
            "user_id should not be empty",
        ),
        ({"scope": "global"}, "user_id should not be empty"),
        ({"user_id": "1", "scope": "everywhere"}, "scope must be a valid enum value"),
        (
            {
                "user_id": "1",
                "scope": "global",
                "chats": [{"chat_type": "whatsapp", "chat_id": "1234567"}],
            },
            "chats must be absent when scope is 'global'",
        ),
        (
            {
                "user_id": "1",
                "scope": "card",
                "chats": [{"chat_type": "whatsapp", "chat_id": "+7 999"}],
            },
            "chats.0.chat_id of a whatsapp chat must be digits only",
        ),
        (
            {
                "user_id": "1",
                "scope": "global",
                "active_chat": {"chat_type": "whatsapp", "chat_id": "+1"},
            },
            "active_chat.chat_id of a whatsapp chat must be digits only",
        ),
    ],
)
def test_v2_validation_failures_list_class_validator_style_messages(
    client: TestClient, body: dict[str, Any], message: str
) -> None:
    response = client.post("/v2/iframe-links/chats", headers=V2, json=body)
    assert response.status_code == 400
    problem = V2Problem.model_validate(response.json())
    assert problem.code == "VALIDATION_FAILED"
    assert problem.title == "Validation Failed"
    assert problem.detail == "One or more fields did not pass validation."
    assert problem.errors and any(error.startswith(message) for error in problem.errors)


def test_v2_route_refuses_a_body_that_is_not_json(client: TestClient) -> None:
    response = client.post(
        "/v2/iframe-links/chats", headers={**V2, "Content-Type": "application/json"}, content=b"{"
    )
    assert response.status_code == 400
    assert V2Problem.model_validate(response.json()).errors == [
        "the request body is not valid JSON"
    ]


# --- rate limit -------------------------------------------------------------------------


def test_requests_beyond_the_limit_get_429_with_retry_after() -> None:
    client = make_client(rate_limit=2, rate_window_s=60)
    assert client.get("/v3/channels", headers=V3).status_code == 200
    assert client.get("/v3/channels", headers=V3).status_code == 200
    response = client.get("/v3/channels", headers=V3)
    assert response.status_code == 429
    assert V3Error.model_validate(response.json()).error == "TOO_MANY_REQUESTS"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_v2_requests_beyond_the_limit_get_429_in_the_v2_envelope() -> None:
    client = make_client(rate_limit=1, rate_window_s=60)
    assert (
        client.post("/v2/iframe-links/chats", headers=V2, json=DOCS_V2_REQUEST).status_code == 200
    )
    response = client.post("/v2/iframe-links/chats", headers=V2, json=DOCS_V2_REQUEST)
    assert response.status_code == 429
    assert V2Problem.model_validate(response.json()).code == "TOO_MANY_REQUESTS"
    assert "Retry-After" in response.headers


def test_the_limit_counts_each_credential_separately() -> None:
    client = make_client(rate_limit=1, rate_window_s=60)
    assert client.get("/v3/channels", headers=V3).status_code == 200
    assert (
        client.post("/v2/iframe-links/chats", headers=V2, json=DOCS_V2_REQUEST).status_code == 200
    )


def test_the_counter_resets_when_the_window_ends() -> None:
    now = [10.0]
    limiter = FixedWindowLimiter(limit=2, window_s=5.0, clock=lambda: now[0])
    assert [limiter.hit("k"), limiter.hit("k"), limiter.hit("k")] == [None, None, 5]
    now[0] = 14.2
    assert limiter.hit("k") == 1
    now[0] = 15.0
    assert limiter.hit("k") is None


# --- fault injection and test routes ----------------------------------------------------


def test_a_fault_answers_the_next_requests_to_its_path_then_stops(client: TestClient) -> None:
    fault = {
        "path": "/v3/iframe",
        "status": 403,
        "body": {"error": {"code": "FORBIDDEN"}},
        "times": 2,
    }
    assert client.post("/_sandbox/faults", json=fault).status_code == 201
    for _ in range(2):
        response = client.post("/v3/iframe", headers=V3, json=DOCS_V3_REQUEST)
        assert (response.status_code, response.json()) == (403, {"error": {"code": "FORBIDDEN"}})
    assert client.post("/v3/iframe", headers=V3, json=DOCS_V3_REQUEST).status_code == 200


def test_a_fault_with_null_body_answers_with_an_empty_body(client: TestClient) -> None:
    client.post("/_sandbox/faults", json={"path": "/v3/channels", "status": 500, "body": None})
    response = client.get("/v3/channels", headers=V3)
    assert (response.status_code, response.content) == (500, b"")


def test_a_fault_can_send_raw_text_and_headers(client: TestClient) -> None:
    fault = {
        "path": "/v3/channels",
        "status": 429,
        "text": "slow down",
        "headers": {"Retry-After": "3"},
    }
    client.post("/_sandbox/faults", json=fault)
    response = client.get("/v3/channels", headers=V3)
    assert (response.status_code, response.text, response.headers["Retry-After"]) == (
        429,
        "slow down",
        "3",
    )


def test_a_fault_path_ending_in_star_matches_a_prefix(client: TestClient) -> None:
    client.post("/_sandbox/faults", json={"path": "/chat/*", "status": 502, "body": None})
    assert client.get("/chat/anything?token=x").status_code == 502


def test_a_fault_delay_holds_the_answer_back(client: TestClient) -> None:
    client.post("/_sandbox/faults", json={"path": "/v3/channels", "status": 504, "delay_s": 0.2})
    started = time.monotonic()
    assert client.get("/v3/channels", headers=V3).status_code == 504
    assert time.monotonic() - started >= 0.2


def test_faults_can_be_listed_and_cleared(client: TestClient) -> None:
    client.post("/_sandbox/faults", json={"path": "/v3/iframe", "status": 500, "times": 3})
    assert client.get("/_sandbox/faults").json()["faults"][0]["remaining"] == 3
    assert client.delete("/_sandbox/faults").json() == {"cleared": 1}
    assert client.post("/v3/iframe", headers=V3, json=DOCS_V3_REQUEST).status_code == 200


@pytest.mark.parametrize(
    "fault",
    [
        {"path": "v3/iframe", "status": 500},
        {"path": "/v3/iframe", "status": 99},
        {"path": "/v3/iframe", "status": 500, "times": 0},
        {"path": "/v3/iframe", "status": 500, "body": {}, "text": "x"},
    ],
)
def test_an_invalid_fault_is_refused(client: TestClient, fault: dict[str, Any]) -> None:
    assert client.post("/_sandbox/faults", json=fault).status_code == 400


def test_state_shows_counts_and_no_secrets(client: TestClient) -> None:
    client.post("/v3/iframe", headers=V3, json=DOCS_V3_REQUEST)
    response = client.get("/_sandbox/state")
    assert response.json() == {
        "users": 0,
        "contacts": 0,
        "deals": 0,
        "sessions": 1,
        "faults": 0,
        "webhooks": {"configured": False, "subscriptions": None},
    }
    assert API_KEY not in response.text and PARTNER_TOKEN not in response.text


def test_resetting_state_forgets_sessions_and_entities(client: TestClient) -> None:
    client.post("/v3/users", headers=V3, json=[{"id": "1", "name": "Ann"}])
    client.post("/v3/iframe", headers=V3, json=DOCS_V3_REQUEST)
    client.delete("/_sandbox/state")
    state = client.get("/_sandbox/state").json()
    assert (state["users"], state["sessions"]) == (0, 0)


def test_test_routes_and_faults_are_absent_when_disabled() -> None:
    client = make_client(enable_test_routes=False)
    assert client.get("/_sandbox/state").status_code == 404
    assert (
        client.post("/_sandbox/faults", json={"path": "/v3/iframe", "status": 500}).status_code
        == 404
    )


def test_unknown_routes_answer_in_the_v3_error_shape(client: TestClient) -> None:
    response = client.get("/v3/nothing", headers=V3)
    assert response.status_code == 404
    assert V3Error.model_validate(response.json()).error == "NOT_FOUND"


def test_channels_lists_two_active_demo_channels(client: TestClient) -> None:
    channels = client.get("/v3/channels", headers=V3).json()
    assert [(c["transport"], c["state"]) for c in channels] == [
        ("whatsapp", "active"),
        ("tgapi", "active"),
    ]
    assert all(len(c["channelId"]) == 36 and c["plainId"].isdigit() for c in channels)


def test_there_are_no_cors_headers(client: TestClient) -> None:
    response = client.options(
        "/v3/iframe",
        headers={"Origin": "https://crm.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers


# --- the client's own requests ----------------------------------------------------------


@pytest.mark.parametrize("scope", ["card", "global"])
def test_what_the_client_sends_in_either_generation_is_accepted_unchanged(
    client: TestClient, scope: str
) -> None:
    request = LinkRequest.model_validate(
        {
            **DOCS_V3_REQUEST,
            "scope": scope,
            "filter": DOCS_V3_REQUEST["filter"] if scope == "card" else None,
        }
    )
    v3 = client.post("/v3/iframe", headers=V3, json=request.to_v3())
    v2 = client.post("/v2/iframe-links/chats", headers=V2, json=request.to_v2())
    assert (v3.status_code, v2.status_code) == (200, 200), (v3.text, v2.text)
    sessions = client.app.state.sandbox.sessions.all()
    assert [s.request for s in sessions] == [request, request]


# --- v2 entity uploads and a pre-subscribed account ----------------------------------------

V2_DEAL = {
    "id": "v2-d1",
    "responsible_user_id": "1",
    "name": "V2 deal",
    "uri": "https://crm.example/deals/v2-d1",
    "contacts": ["c1"],
    "closed": False,
}


def test_v2_deals_are_uploaded_with_the_partner_token_into_the_same_account(
    client: TestClient,
) -> None:
    response = client.post("/v2/deals", headers=V2, json={"deals": [V2_DEAL]})

    assert response.status_code == 200
    assert response.json()["data"] == {"processed": 1}
    stored = client.get("/v3/deals/v2-d1", headers=V3).json()
    assert stored["responsibleUserId"] == "1"


def test_v2_uploads_refuse_the_api_key_in_the_v2_envelope(client: TestClient) -> None:
    response = client.post("/v2/deals", headers=V3, json={"deals": [V2_DEAL]})

    assert response.status_code == 401
    assert V2Problem.model_validate(response.json()).code == "OAUTH_TOKEN_UNKNOWN_OR_REVOKED"


def test_v2_uploads_of_more_than_one_hundred_are_refused(client: TestClient) -> None:
    response = client.post("/v2/deals", headers=V2, json={"deals": [V2_DEAL] * 101})

    problem = V2Problem.model_validate(response.json())
    assert (response.status_code, problem.code) == (400, "VALIDATION_FAILED")
    assert problem.errors == ["deals must contain no more than 100 elements"]


def test_an_account_can_start_subscribed_and_a_reset_keeps_that() -> None:
    hooks = {
        "webhooksUri": "http://127.0.0.1:8000/api/wazzup/webhook/s",
        "subscriptions": {"contactsAndDealsCreation": True},
    }
    client = make_client(webhooks=hooks)

    def current() -> dict[str, Any]:
        return client.get("/v3/webhooks", headers=V3).json()

    assert current()["webhooksUri"] == hooks["webhooksUri"]
    assert current()["subscriptions"]["contactsAndDealsCreation"] is True
    client.delete("/_sandbox/state")
    assert current()["webhooksUri"] == hooks["webhooksUri"]


def test_a_deal_without_closed_is_refused_as_documented(client: TestClient) -> None:
    deal = {"id": "d1", "responsibleUserId": "1", "name": "D", "contacts": ["c1"]}

    response = client.post("/v3/deals", headers=V3, json=[deal])

    error = V3Error.model_validate(response.json())
    assert (response.status_code, error.error) == (400, "INVALID_DEALS_DATA")
    assert error.description == "deal 0: closed is required"
