"""Wazzup's documented shapes, against the sandbox and (when configured) real Wazzup.

Against real Wazzup only read-only or harmless calls run: GET /v3/channels, GET /v3/users,
a chat link for a test user, requests Wazzup must refuse. Cases that write data take the
`stack` directly and run against the sandbox only.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from servers import SANDBOX_KEY, SANDBOX_TOKEN, Stack, Target

from components.entities import (
    MAX_ENTITIES_PER_REQUEST,
    Channel,
    Contact,
    Deal,
    User,
    WebhookSettings,
)
from components.link import LinkResponse, PartnerLinkResponse
from components.problems import V2Problem, parse_upstream_error

TEST_USER = {"id": "wazzup-chat-window-contract-test", "name": "Contract Test"}
CHANNEL_STATES = {
    "active", "init", "disabled", "phoneunavailable", "qr", "qridle", "openelsewhere",
    "notenoughmoney", "foreignphone", "unauthorized", "waitforpassword", "onmoderation",
    "rejected",
}  # fmt: skip
TRANSPORTS = {
    "whatsapp", "wapi", "instagram", "tgapi", "telegram", "vk", "avito", "viber", "max", "maxbot"
}  # fmt: skip


# --- read-only and harmless: sandbox and real Wazzup ---------------------------------------


def test_channels_are_listed_in_the_documented_shape(wazzup: Target) -> None:
    response = wazzup.v3("GET", "/v3/channels")

    assert response.status_code == 200, response.text
    channels = [Channel.model_validate(item) for item in response.json()]
    for channel in channels:
        assert channel.transport in TRANSPORTS
        assert channel.state.lower() in CHANNEL_STATES  # case varies across pages (§6)


def test_users_are_listed_as_an_array_or_a_count_and_data_page(wazzup: Target) -> None:
    response = wazzup.v3("GET", "/v3/users")

    assert response.status_code == 200, response.text
    body = response.json()
    users = body if isinstance(body, list) else body["data"]  # both are documented (§10.10)
    for user in users:
        User.model_validate({"name": "?", **user})


def test_a_chat_link_is_minted_for_a_test_user(wazzup: Target) -> None:
    response = wazzup.v3("POST", "/v3/iframe", json={"user": TEST_USER, "scope": "global"})

    assert response.status_code == 200, response.text
    assert LinkResponse.model_validate(response.json()).url.startswith("http")


def test_a_card_link_without_filter_is_refused(wazzup: Target) -> None:
    response = wazzup.v3("POST", "/v3/iframe", json={"user": TEST_USER, "scope": "card"})

    assert 400 <= response.status_code < 500, response.text
    code, _, _ = parse_upstream_error(response.status_code, response.content)
    assert code  # whatever its shape, the client reads a code from it


def test_a_wrong_api_key_is_refused_with_401(wazzup: Target) -> None:
    response = wazzup.v3(
        "GET", "/v3/channels", headers={"Authorization": "Bearer 0000000000000000deadbeef"}
    )

    assert response.status_code == 401
    assert parse_upstream_error(401, response.content)[0] == "UNAUTHORIZED"


def test_a_v2_global_link_is_minted_for_a_test_user(wazzup: Target) -> None:
    body = {"user_id": TEST_USER["id"], "scope": "global"}
    response = wazzup.v2("POST", "/v2/iframe-links/chats", json=body)

    assert response.status_code == 200, response.text
    answer = PartnerLinkResponse.model_validate(response.json())
    assert answer.data.link.startswith("http")


def test_a_v2_card_link_without_chats_is_refused_in_the_v2_envelope(wazzup: Target) -> None:
    body = {"user_id": TEST_USER["id"], "scope": "card"}
    response = wazzup.v2("POST", "/v2/iframe-links/chats", json=body)

    assert response.status_code == 400, response.text
    problem = V2Problem.model_validate(response.json())
    assert (problem.code, problem.status, problem.method) == ("VALIDATION_FAILED", 400, "POST")


def test_a_v2_request_without_authorization_is_refused(wazzup: Target) -> None:
    if wazzup.partner_token is None:
        pytest.skip("set WAZZUP_CONTRACT_PARTNER_TOKEN to run the v2 cases against Wazzup")
    response = httpx.post(
        f"{wazzup.partner_base_url}/v2/iframe-links/chats",
        json={"user_id": "x", "scope": "global"},
        timeout=30,
    )

    assert response.status_code == 401
    assert V2Problem.model_validate(response.json()).code == "OAUTH_AUTH_HEADER_MISSING"


# --- writes: the sandbox only ------------------------------------------------------------

V3 = {"Authorization": f"Bearer {SANDBOX_KEY}"}
V2 = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}


def contact(n: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"shape-c{n}",
        "responsibleUserId": "u1",
        "name": f"Contact {n}",
        "contactData": [{"chatType": "whatsapp", "chatId": f"7999000{n:04d}"}],
        **changes,
    }


def deal(n: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"shape-d{n}",
        "responsibleUserId": "u1",
        "name": f"Deal {n}",
        "contacts": ["shape-c1"],
        "closed": False,
        **changes,
    }


@pytest.mark.parametrize(
    ("path", "make"),
    [("/v3/contacts", contact), ("/v3/deals", deal)],
    ids=["contacts", "deals"],
)
def test_entities_are_upserted_and_listed_in_the_documented_shape(
    stack: Stack, path: str, make: Any
) -> None:
    model = Contact if "contacts" in path else Deal
    items = [make(n) for n in range(1, 4)]
    assert httpx.post(f"{stack.sandbox_url}{path}", json=items, headers=V3).status_code == 200
    changed = make(2, name="Renamed")
    assert httpx.post(f"{stack.sandbox_url}{path}", json=[changed], headers=V3).status_code == 200

    page = httpx.get(f"{stack.sandbox_url}{path}", headers=V3).json()
    assert set(page) == {"count", "data"}
    stored = {item["id"]: model.model_validate(item) for item in page["data"]}
    assert stored[changed["id"]].name == "Renamed"
    one = httpx.get(f"{stack.sandbox_url}{path}/{changed['id']}", headers=V3)
    assert one.json()["name"] == "Renamed"


@pytest.mark.parametrize(
    ("path", "item", "code"),
    [
        ("/v3/users", {"id": "u" * 201, "name": "A"}, "INVALID_USERS_DATA"),
        ("/v3/users", {"id": "u1", "name": "n" * 201}, "INVALID_USERS_DATA"),
        ("/v3/contacts", contact(1, id="c" * 101), "INVALID_CONTACTS_DATA"),
        ("/v3/contacts", contact(1, responsibleUserId="u" * 101), "INVALID_CONTACTS_DATA"),
        ("/v3/contacts", contact(1, name="n" * 201), "INVALID_CONTACTS_DATA"),
        ("/v3/contacts", contact(1, uri="https://x/" + "u" * 191), "INVALID_CONTACTS_DATA"),
        ("/v3/contacts", contact(1, contactData=[]), "INVALID_CONTACTS_DATA"),
        ("/v3/deals", deal(1, id="d" * 101), "INVALID_DEALS_DATA"),
        ("/v3/deals", deal(1, name="n" * 201), "INVALID_DEALS_DATA"),
        ("/v3/deals", deal(1, uri="https://x/" + "u" * 191), "INVALID_DEALS_DATA"),
        ("/v3/deals", deal(1, contacts=[]), "INVALID_DEALS_DATA"),
        ("/v3/deals", {k: v for k, v in deal(1).items() if k != "closed"}, "INVALID_DEALS_DATA"),
    ],
    ids=[
        "user-id-200",
        "user-name-200",
        "contact-id-100",
        "contact-responsible-100",
        "contact-name-200",
        "contact-uri-200",
        "contact-no-data",
        "deal-id-100",
        "deal-name-200",
        "deal-uri-200",
        "deal-no-contacts",
        "deal-closed-required",
    ],
)
def test_documented_limits_are_enforced_with_the_documented_codes(
    stack: Stack, path: str, item: dict[str, Any], code: str
) -> None:
    response = httpx.post(f"{stack.sandbox_url}{path}", json=[item], headers=V3)

    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["data"] == [{"index": 0, "fields": response.json()["data"][0]["fields"]}]


@pytest.mark.parametrize("path", ["/v3/users", "/v3/contacts", "/v3/deals"])
def test_more_than_one_hundred_entities_are_too_many(stack: Stack, path: str) -> None:
    items = [{"id": str(n)} for n in range(MAX_ENTITIES_PER_REQUEST + 1)]

    response = httpx.post(f"{stack.sandbox_url}{path}", json=items, headers=V3)

    assert (response.status_code, response.json()["error"]) == (400, "TOO_MANY_ENTITIES")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v2/users", {"users": [{"id": "shape-v2-u", "name": "V2 User"}]}),
        (
            "/v2/contacts",
            {
                "contacts": [
                    {
                        "id": "shape-v2-c",
                        "responsible_user_id": "shape-v2-u",
                        "name": "V2 Contact",
                        "contact_data": [{"chat_type": "whatsapp", "chat_id": "79990009999"}],
                        "uri": "https://crm.example/contacts/shape-v2-c",
                    }
                ]
            },
        ),
        (
            "/v2/deals",
            {
                "deals": [
                    {
                        "id": "shape-v2-d",
                        "responsible_user_id": "shape-v2-u",
                        "name": "V2 Deal",
                        "uri": "https://crm.example/deals/shape-v2-d",
                        "contacts": ["shape-v2-c"],
                        "closed": False,
                    }
                ]
            },
        ),
    ],
    ids=["users", "contacts", "deals"],
)
def test_v2_uploads_answer_data_and_meta_and_land_in_the_account(
    stack: Stack, path: str, body: dict[str, Any]
) -> None:
    response = httpx.post(f"{stack.sandbox_url}{path}", json=body, headers=V2)

    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"processed": 1}
    assert isinstance(response.json()["meta"]["timestamp"], int)
    plural = path.removeprefix("/v2/")
    entity_id = body[plural][0]["id"]
    assert httpx.get(f"{stack.sandbox_url}/v3/{plural}/{entity_id}", headers=V3).status_code == 200


def test_v2_deal_without_uri_is_refused_in_the_v2_envelope(stack: Stack) -> None:
    body = {"deals": [{"id": "1", "responsible_user_id": "u", "name": "D", "contacts": ["c"]}]}

    response = httpx.post(f"{stack.sandbox_url}/v2/deals", json=body, headers=V2)

    problem = V2Problem.model_validate(response.json())
    assert (response.status_code, problem.code) == (400, "VALIDATION_FAILED")
    assert "deals.0.uri should not be empty" in (problem.errors or [])
    assert "deals.0.closed should not be empty" in (problem.errors or [])


def test_webhooks_are_not_set_when_the_test_post_is_not_answered_200(stack: Stack) -> None:
    # This proxy has no WEBHOOK_SECRET: its webhook route answers 404. A passing probe and
    # subscribing through the CLI are in tests/unit/test_proxy_webhooks.py.
    uri = f"{stack.proxy_v3_url}/api/wazzup/webhook/not-the-secret"
    body = {"webhooksUri": uri, "subscriptions": {"contactsAndDealsCreation": True}}

    refused = httpx.patch(f"{stack.sandbox_url}/v3/webhooks", json=body, headers=V3)

    assert refused.status_code == 400
    assert refused.json()["error"] == "testPostNotPassed"
    current = httpx.get(f"{stack.sandbox_url}/v3/webhooks", headers=V3).json()
    assert current["webhooksUri"] != uri


@pytest.mark.parametrize(
    "uri", ["not a url", "ftp://x.example/hook", "https://x.example/" + "a" * 200]
)
def test_a_malformed_webhook_address_is_uri_not_valid(stack: Stack, uri: str) -> None:
    body = {"webhooksUri": uri, "subscriptions": {}}

    response = httpx.patch(f"{stack.sandbox_url}/v3/webhooks", json=body, headers=V3)

    assert (response.status_code, response.json()["error"]) == (400, "uriNotValid")


def test_webhook_settings_have_the_documented_shape(stack: Stack) -> None:
    current = httpx.get(f"{stack.sandbox_url}/v3/webhooks", headers=V3).json()

    assert set(current) == {"webhooksUri", "subscriptions"}
    assert set(current["subscriptions"]) == {
        "messagesAndStatuses",
        "contactsAndDealsCreation",
        "channelsUpdates",
        "templateStatus",
    }
    if current["webhooksUri"] is not None:
        WebhookSettings.model_validate(current)
