"""The sandbox's chat-window page, its Deals dropdown, and webhooks (wazzup-api.md §5, §8).

The sandbox's own calls to the webhook address go to an `httpx.MockTransport` standing in
for the CRM.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from components.entities import CreateContactRequest, CreateDealRequest
from components.events import EVENT_TYPES
from components.problems import V3Error
from proxy.sandbox import SandboxSettings, create_sandbox_app
from proxy.sandbox.chats import stand_in_chat_id

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 in its TestClient; the project pins httpx.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

API_KEY = "0123456789abcdef0123456789abcdef"
V3 = {"Authorization": f"Bearer {API_KEY}"}
HOOK_URI = "https://crm.example.com/wazzup/hook?secret=abc"
WHATSAPP = {"chatType": "whatsapp", "chatId": "79998887766"}
TESTIDS = (
    "chat-item",
    "deals-toggle",
    "deal-create",
    "deal-item",
    "message-input",
    "message-send",
    "window-status",
)


class FakeCrm:
    """Answers the sandbox's webhooks like a CRM would; `answers` overrides by body key."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: dict[str, httpx.Response] = {}
        self.next_id = 500

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = json.loads(request.content)
        key = next(iter(body))
        if key in self.answers:
            return self.answers[key]
        self.next_id += 1
        if key == "createContact":
            ask = CreateContactRequest.model_validate(body[key])
            entity = {**ask.to_wire(), "id": f"c{self.next_id}"}
            entity.pop("source")
            return httpx.Response(200, json=entity)
        if key == "createDeal":
            ask_deal = CreateDealRequest.model_validate(body[key])
            entity = {
                "id": str(self.next_id),
                "responsibleUserId": ask_deal.responsible_user_id,
                "name": f"Deal #{self.next_id}",
                "uri": f"https://crm.example.com/deals/{self.next_id}",
                "contacts": ask_deal.contacts,
                "closed": False,
            }
            return httpx.Response(200, json=entity)
        return httpx.Response(200, text="ok")


@pytest.fixture
def crm() -> FakeCrm:
    return FakeCrm()


@pytest.fixture
def client(crm: FakeCrm) -> TestClient:
    settings = SandboxSettings(
        api_key=API_KEY, partner_token="partner-token", public_url="http://sandbox.test"
    )
    app = create_sandbox_app(settings, webhook_transport=httpx.MockTransport(crm.handle))
    return TestClient(app)


def open_link(client: TestClient, body: dict[str, Any]) -> tuple[str, str]:
    """Mint a link; return (session path, token)."""
    url = client.post("/v3/iframe", headers=V3, json=body).json()["url"]
    parts = urlsplit(url)
    return parts.path, parts.query.removeprefix("token=")


def card(user_id: str = "1", deals_events: bool = True, **link: Any) -> dict[str, Any]:
    return {
        "user": {"id": user_id, "name": "Link User"},
        "scope": "card",
        "filter": [{**WHATSAPP, "name": "Anthony"}],
        "options": {"useDealsEvents": deals_events, "useMessageEvents": True},
        **link,
    }


def page_config(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="wz-config">(.*?)</script>', html, re.S)
    assert found, "the page embeds its configuration"
    return json.loads(found.group(1))


def subscribe(client: TestClient, creation: bool = True) -> httpx.Response:
    body = {"webhooksUri": HOOK_URI, "subscriptions": {"contactsAndDealsCreation": creation}}
    return client.patch("/v3/webhooks", headers=V3, json=body)


# --- the page ---------------------------------------------------------------------------


def test_a_valid_link_serves_a_frameable_chat_window(client: TestClient) -> None:
    path, token = open_link(client, card())
    response = client.get(path, params={"token": token})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "x-frame-options" not in response.headers
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors" not in response.headers["content-security-policy"]
    for testid in TESTIDS:
        assert f'data-testid="{testid}"' in response.text or f'"{testid}"' in response.text


def test_the_page_loads_nothing_from_elsewhere(client: TestClient) -> None:
    path, token = open_link(client, card())
    html = client.get(path, params={"token": token}).text
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|https?://", html)


def test_the_page_posts_only_the_documented_event_types(client: TestClient) -> None:
    path, token = open_link(client, card())
    html = client.get(path, params={"token": token}).text
    assert set(re.findall(r'"(WZ_[A-Z_]+)"', html)) == set(EVENT_TYPES)
    assert 'window.parent.postMessage({ type: type, data: data }, "*")' in html


@pytest.mark.parametrize("token", ["wrong", ""])
def test_a_bad_token_gets_a_403_page_saying_the_link_is_invalid(
    client: TestClient, token: str
) -> None:
    path, _ = open_link(client, card())
    response = client.get(path, params={"token": token})
    assert response.status_code == 403
    assert "invalid or has expired" in response.text


def test_an_unknown_session_gets_the_403_page(client: TestClient) -> None:
    assert client.get("/chat/00000000-0000-0000-0000-000000000000?token=x").status_code == 403


def test_card_scope_shows_the_filter_chats_and_opens_the_active_one(client: TestClient) -> None:
    telegram = {"chatType": "telegram", "username": "my_tg_user", "name": "Tg"}
    link = card(activeChat={"chatType": "telegram", "username": "my_tg_user"})
    link["filter"].append(telegram)
    path, token = open_link(client, link)
    config = page_config(client.get(path, params={"token": token}).text)
    assert [c["chatType"] for c in config["chats"]] == ["whatsapp", "telegram"]
    assert config["activeIndex"] == 1
    assert config["chats"][1]["chatId"] == stand_in_chat_id("telegram", "my_tg_user")
    assert config["chats"][1]["username"] == "my_tg_user"
    assert config["options"] == {"useDealsEvents": True, "useMessageEvents": True}
    assert (config["userId"], config["userName"]) == ("1", "Link User")


def test_chats_get_the_first_channel_of_their_transport(client: TestClient) -> None:
    channels = {
        c["transport"]: c["channelId"] for c in client.get("/v3/channels", headers=V3).json()
    }
    link = card()
    link["filter"] += [
        {"chatType": "telegram", "chatId": "1670185"},
        {"chatType": "vk", "chatId": "9"},
    ]
    path, token = open_link(client, link)
    chats = page_config(client.get(path, params={"token": token}).text)["chats"]
    assert [c["channelId"] for c in chats] == [
        channels["whatsapp"],
        channels["tgapi"],
        channels["whatsapp"],  # no vk channel: the first channel
    ]


def test_global_scope_shows_demo_chats_and_opens_an_unlisted_active_chat_first(
    client: TestClient,
) -> None:
    link = {
        "user": {"id": "1"},
        "scope": "global",
        "activeChat": {"chatType": "viber", "chatId": "79990005555"},
    }
    path, token = open_link(client, link)
    config = page_config(client.get(path, params={"token": token}).text)
    assert config["activeIndex"] == 0
    assert config["chats"][0]["chatId"] == "79990005555"
    assert len(config["chats"]) >= 3


def test_the_embedded_configuration_cannot_close_the_script_tag(client: TestClient) -> None:
    link = card()
    link["filter"][0]["name"] = "</script><script>alert(1)</script>"
    path, token = open_link(client, link)
    html = client.get(path, params={"token": token}).text
    assert "</script><script>alert(1)" not in html
    assert page_config(html)["chats"][0]["name"] == "</script><script>alert(1)</script>"


def test_a_v2_link_opens_a_window_with_its_normalized_options(client: TestClient) -> None:
    body = {
        "user_id": "5",
        "author_name": "John Smith",
        "scope": "card",
        "chats": [{"chat_type": "whatsapp", "chat_id": "37111234567"}],
        "use_events": {"deals": True, "messages": False},
    }
    headers = {"Authorization": "Bearer partner-token"}
    link = client.post("/v2/iframe-links/chats", headers=headers, json=body).json()["data"]["link"]
    parts = urlsplit(link)
    config = page_config(client.get(f"{parts.path}?{parts.query}").text)
    assert config["options"] == {"useDealsEvents": True, "useMessageEvents": False}
    assert (config["userId"], config["userName"]) == ("5", "John Smith")
    assert [c["chatId"] for c in config["chats"]] == ["37111234567"]


# --- the Deals dropdown -----------------------------------------------------------------


def seed_deals(client: TestClient) -> None:
    contacts = [
        {"id": "c1", "responsibleUserId": "1", "name": "Anthony", "contactData": [WHATSAPP]},
        {
            "id": "c2",
            "responsibleUserId": "1",
            "name": "Other",
            "contactData": [{"chatType": "whatsapp", "chatId": "79990001111"}],
        },
    ]
    deals = [
        {"id": "d1", "responsibleUserId": "1", "name": "Open", "contacts": ["c1"], "closed": False},
        {"id": "d2", "responsibleUserId": "1", "name": "Done", "contacts": ["c1"], "closed": True},
        {
            "id": "d3",
            "responsibleUserId": "2",
            "name": "Not mine",
            "contacts": ["c1"],
            "closed": False,
        },
        {
            "id": "d4",
            "responsibleUserId": "1",
            "name": "Other chat",
            "contacts": ["c2"],
            "closed": False,
        },
    ]
    client.post("/v3/users", headers=V3, json=[{"id": "1", "name": "Stored Name"}])
    client.post("/v3/contacts", headers=V3, json=contacts)
    client.post("/v3/deals", headers=V3, json=deals)


def test_deals_list_the_chats_deals_where_the_user_is_responsible(client: TestClient) -> None:
    seed_deals(client)
    path, token = open_link(client, card())
    response = client.get(f"{path}/deals", params={"token": token, **WHATSAPP})
    assert response.status_code == 200
    deals = response.json()["deals"]
    assert [(d["id"], d["closed"]) for d in deals] == [("d1", False), ("d2", True)]
    assert {d["responsibleUserName"] for d in deals} == {"Stored Name"}


def test_deals_take_the_links_user_name_when_the_user_is_not_stored(client: TestClient) -> None:
    client.post(
        "/v3/contacts",
        headers=V3,
        json=[{"id": "c1", "responsibleUserId": "7", "name": "A", "contactData": [WHATSAPP]}],
    )
    client.post(
        "/v3/deals",
        headers=V3,
        json=[
            {
                "id": "d1",
                "responsibleUserId": "7",
                "name": "D",
                "contacts": ["c1"],
                "uri": "https://crm.example.com/d1",
                "closed": False,
            }
        ],
    )
    path, token = open_link(client, card(user_id="7"))
    deals = client.get(f"{path}/deals", params={"token": token, **WHATSAPP}).json()["deals"]
    assert deals == [
        {
            "id": "d1",
            "responsibleUserId": "7",
            "name": "D",
            "uri": "https://crm.example.com/d1",
            "contacts": ["c1"],
            "closed": False,
            "responsibleUserName": "Link User",
        }
    ]


def test_deals_of_a_chat_outside_the_window_are_not_shown(client: TestClient) -> None:
    seed_deals(client)
    path, token = open_link(client, card())
    params = {"token": token, "chatType": "whatsapp", "chatId": "79990001111"}
    assert client.get(f"{path}/deals", params=params).status_code == 404


def test_deals_need_the_links_token(client: TestClient) -> None:
    path, _ = open_link(client, card())
    response = client.get(f"{path}/deals", params={"token": "wrong", **WHATSAPP})
    assert response.status_code == 403


# --- webhook settings -------------------------------------------------------------------


def test_webhook_settings_are_saved_after_the_test_post_answers_200(
    client: TestClient, crm: FakeCrm
) -> None:
    response = subscribe(client)
    assert (response.status_code, response.text) == (200, "{ ok }")
    probe = crm.requests[0]
    assert (probe.method, str(probe.url), json.loads(probe.content)) == (
        "POST",
        HOOK_URI,
        {"test": True},
    )
    assert probe.headers["content-type"].startswith("application/json")
    assert "authorization" not in probe.headers
    assert client.get("/v3/webhooks", headers=V3).json() == {
        "webhooksUri": HOOK_URI,
        "subscriptions": {
            "messagesAndStatuses": False,
            "contactsAndDealsCreation": True,
            "channelsUpdates": False,
            "templateStatus": False,
        },
    }


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(404), httpx.Response(201, json={}), httpx.Response(500, text="boom")],
)
def test_a_test_post_not_answered_with_200_is_refused(
    client: TestClient, crm: FakeCrm, answer: httpx.Response
) -> None:
    crm.answers["test"] = answer
    response = subscribe(client)
    assert response.status_code == 400
    error = V3Error.model_validate(response.json())
    assert error.error == "testPostNotPassed"
    assert error.description == "URI does not return 200 OK on test request"
    assert error.data == {"status": answer.status_code}
    assert client.get("/v3/webhooks", headers=V3).json()["webhooksUri"] is None


@pytest.mark.parametrize(
    ("failure", "reason"),
    [(httpx.ConnectError, "could not connect"), (httpx.ReadTimeout, "no answer within 30 s")],
)
def test_an_unreachable_or_silent_webhook_address_fails_the_test_post(
    failure: type[httpx.TransportError], reason: str
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure("no", request=request)

    settings = SandboxSettings(api_key=API_KEY, partner_token="t", public_url="http://sandbox.test")
    client = TestClient(create_sandbox_app(settings, webhook_transport=httpx.MockTransport(fail)))
    error = V3Error.model_validate(subscribe(client).json())
    assert error.error == "testPostNotPassed"
    assert reason in error.data["reason"]


@pytest.mark.parametrize(
    "uri",
    [
        None,
        "",
        "ftp://crm.example.com/hook",
        "crm.example.com/hook",
        "https://",
        "https://crm.example.com/" + "a" * 180,
    ],
)
def test_a_malformed_webhook_uri_is_refused_without_a_test_post(
    client: TestClient, crm: FakeCrm, uri: str | None
) -> None:
    response = client.patch("/v3/webhooks", headers=V3, json={"webhooksUri": uri})
    assert response.status_code == 400
    assert V3Error.model_validate(response.json()).error == "uriNotValid"
    assert crm.requests == []


def test_omitted_subscriptions_are_false(client: TestClient) -> None:
    client.patch("/v3/webhooks", headers=V3, json={"webhooksUri": HOOK_URI})
    subscriptions = client.get("/v3/webhooks", headers=V3).json()["subscriptions"]
    assert not any(subscriptions.values())


# --- "+" in webhook mode ----------------------------------------------------------------


def test_webhook_mode_is_on_without_deal_events_and_with_the_subscription(
    client: TestClient,
) -> None:
    subscribe(client)
    for deals_events, expected in ((False, True), (True, False)):
        path, token = open_link(client, card(deals_events=deals_events))
        assert (
            page_config(client.get(path, params={"token": token}).text)["webhookMode"] is expected
        )


def test_plus_in_webhook_mode_creates_the_contact_then_the_deal(
    client: TestClient, crm: FakeCrm
) -> None:
    subscribe(client)
    path, token = open_link(client, card(deals_events=False))
    response = client.post(f"{path}/create-deal", params={"token": token}, json=WHATSAPP)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["contactCreated"] is True and result["warnings"] == []
    assert crm.bodies()[1:] == [
        {
            "createContact": {
                "responsibleUserId": "1",
                "name": "Anthony",
                "contactData": [WHATSAPP],
                "source": "byUser",
            }
        },
        {
            "createDeal": {
                "responsibleUserId": "1",
                "contacts": [result["contact"]["id"]],
                "source": "byUser",
            }
        },
    ]
    deals = client.get(f"{path}/deals", params={"token": token, **WHATSAPP}).json()["deals"]
    assert [d["id"] for d in deals] == [result["deal"]["id"]]


def test_plus_for_a_known_contact_only_asks_for_a_deal(client: TestClient, crm: FakeCrm) -> None:
    seed_deals(client)
    subscribe(client)
    path, token = open_link(client, card(deals_events=False))
    result = client.post(f"{path}/create-deal", params={"token": token}, json=WHATSAPP).json()
    assert result["contactCreated"] is False
    assert [next(iter(body)) for body in crm.bodies()] == ["test", "createDeal"]
    assert crm.bodies()[1]["createDeal"]["contacts"] == ["c1"]


def test_a_crm_answer_in_a_one_element_array_is_accepted(client: TestClient, crm: FakeCrm) -> None:
    seed_deals(client)
    subscribe(client)
    deal = {
        "id": "77",
        "responsibleUserId": "1",
        "name": "Arr",
        "contacts": ["c1"],
        "closed": False,
    }
    crm.answers["createDeal"] = httpx.Response(200, json=[deal])
    path, token = open_link(client, card(deals_events=False))
    response = client.post(f"{path}/create-deal", params={"token": token}, json=WHATSAPP)
    assert response.json()["deal"]["id"] == "77"


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (httpx.Response(500), "HTTP 500"),
        (httpx.Response(200, text="created!"), "not JSON"),
        (httpx.Response(200, json={"id": "x"}), "not a contact"),
    ],
)
def test_a_failed_webhook_is_reported_to_the_window_naming_the_step(
    client: TestClient, crm: FakeCrm, answer: httpx.Response, says: str
) -> None:
    subscribe(client)
    crm.answers["createContact"] = answer
    path, token = open_link(client, card(deals_events=False))
    response = client.post(f"{path}/create-deal", params={"token": token}, json=WHATSAPP)
    assert response.status_code == 502
    assert response.json()["step"] == "createContact"
    assert says in response.json()["message"]
    assert client.get("/_sandbox/state").json()["contacts"] == 0


def test_plus_without_webhook_mode_is_refused(client: TestClient) -> None:
    path, token = open_link(client, card(deals_events=False))
    response = client.post(f"{path}/create-deal", params={"token": token}, json=WHATSAPP)
    assert response.status_code == 409
    assert "contactsAndDealsCreation" in response.json()["message"]


def test_a_crm_deal_for_another_user_is_stored_with_a_warning(
    client: TestClient, crm: FakeCrm
) -> None:
    seed_deals(client)
    subscribe(client)
    deal = {"id": "88", "responsibleUserId": "2", "name": "X", "contacts": ["c1"], "closed": False}
    crm.answers["createDeal"] = httpx.Response(200, json=deal)
    path, token = open_link(client, card(deals_events=False))
    result = client.post(f"{path}/create-deal", params={"token": token}, json=WHATSAPP).json()
    assert result["warnings"] == ["deal 88 belongs to user 2, not this one"]
