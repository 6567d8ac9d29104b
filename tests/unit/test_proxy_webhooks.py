"""Webhook mode: Wazzup's webhooks reach the proxy, the CRM answers them, Wazzup gets the entity."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from components.entities import WebhookSettings, WebhookSubscriptions
from demo.crm import create_crm_app
from proxy import webhooks
from proxy.app import create_app
from proxy.sandbox import SandboxSettings, create_sandbox_app
from proxy.settings import Settings
from proxy.webhooks import WebhookCallFailed, current_subscription, subscribe

KEY = "0123456789abcdef0123456789abcdef"
SECRET = "webhook-secret-0123456789abcdef"
CRM_HOOK = "https://crm.test/wazzup/webhook"
HOOK = f"/api/wazzup/webhook/{SECRET}"
CREATE_CONTACT = {
    "createContact": {
        "responsibleUserId": "1",
        "name": "Anthony Stone",
        "contactData": [{"chatType": "whatsapp", "chatId": "79998887766"}],
        "source": "byUser",
    }
}
CREATE_DEAL = {"createDeal": {"responsibleUserId": "1", "contacts": ["1"], "source": "byUser"}}
CONTACT = {
    "id": "1",
    "responsibleUserId": "1",
    "name": "Anthony Stone",
    "contactData": [{"chatType": "whatsapp", "chatId": "79998887766"}],
    "uri": "https://crm.example.com/contacts/1",
}
DEAL = {
    "id": "501",
    "responsibleUserId": "1",
    "name": "Deal #501",
    "uri": "https://crm.example.com/deals/501",
    "contacts": ["1"],
    "closed": False,
}

Handler = Callable[[httpx.Request], httpx.Response]


class FakeCrm:
    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler or answer(200, DEAL)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def bodies(self) -> list[Any]:
        return [json.loads(request.content) for request in self.requests]


def answer(status: int, body: Any) -> Handler:
    return lambda request: httpx.Response(status, json=body)


def raising(error: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


def settings(**changes: Any) -> Settings:
    values: dict[str, Any] = {
        "wazzup_api_key": KEY,
        "webhook_secret": SECRET,
        "crm_webhook_url": CRM_HOOK,
        "crm_headers": {"Authorization": "Bearer crm-secret-0123456789"},
    } | changes
    return Settings(**values)


def proxy_for(crm: FakeCrm, **changes: Any) -> TestClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(crm))
    return TestClient(create_app(settings(**changes), http=http))


@pytest.fixture
def crm() -> FakeCrm:
    return FakeCrm()


@pytest.fixture
def proxy(crm: FakeCrm) -> Iterator[TestClient]:
    with proxy_for(crm) as client:
        yield client


# --- the route and its secret ----------------------------------------------------------


def test_the_test_probe_is_answered_200(proxy: TestClient, crm: FakeCrm) -> None:
    response = proxy.post(HOOK, json={"test": True})

    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert crm.requests == []


def test_the_secret_may_be_a_query_parameter(proxy: TestClient) -> None:
    response = proxy.post("/api/wazzup/webhook", params={"secret": SECRET}, json={"test": True})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/wazzup/webhook/wrong-secret-0123456789abcd",
        f"/api/wazzup/webhook/{SECRET[:-1]}",
        "/api/wazzup/webhook",
        "/api/wazzup/webhook?secret=",
    ],
    ids=["wrong", "prefix", "none", "empty"],
)
def test_a_wrong_or_missing_secret_is_404_and_reaches_nothing(
    proxy: TestClient, crm: FakeCrm, path: str
) -> None:
    response = proxy.post(path, json=CREATE_DEAL)

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert crm.requests == []


def test_without_a_webhook_secret_there_is_no_webhook_route(crm: FakeCrm) -> None:
    with proxy_for(crm, webhook_secret=None) as proxy:
        response = proxy.post(HOOK, json={"test": True})

    assert response.status_code == 404


@pytest.mark.parametrize("secret", ["short", "secret", "changeme"])
def test_a_weak_webhook_secret_is_refused_outside_the_demo(secret: str) -> None:
    with pytest.raises(ValueError, match="WEBHOOK_SECRET must be at least 16"):
        settings(webhook_secret=secret)


def test_the_webhook_secret_is_redacted_from_logs() -> None:
    assert SECRET in settings().secrets()


# --- what Wazzup sends ------------------------------------------------------------------


def test_create_contact_is_answered_with_the_crms_contact(proxy: TestClient, crm: FakeCrm) -> None:
    crm.handler = answer(201, CONTACT)

    response = proxy.post(HOOK, json=CREATE_CONTACT)

    assert (response.status_code, response.json()) == (200, CONTACT)
    (sent,) = crm.requests
    assert str(sent.url) == CRM_HOOK
    assert json.loads(sent.content) == CREATE_CONTACT
    assert sent.headers["authorization"] == "Bearer crm-secret-0123456789"


def test_create_deal_is_answered_with_the_crms_deal(proxy: TestClient, crm: FakeCrm) -> None:
    response = proxy.post(HOOK, json=CREATE_DEAL)

    assert (response.status_code, response.json()) == (200, DEAL)
    assert crm.bodies() == [CREATE_DEAL]


def test_a_one_element_array_answer_is_taken_as_the_entity(proxy: TestClient, crm: FakeCrm) -> None:
    crm.handler = answer(200, [DEAL])

    assert proxy.post(HOOK, json=CREATE_DEAL).json() == DEAL


def test_only_the_documented_fields_are_forwarded(proxy: TestClient, crm: FakeCrm) -> None:
    body = {"createDeal": {**CREATE_DEAL["createDeal"], "extra": "dropped"}}

    proxy.post(HOOK, json=body)

    assert crm.bodies() == [CREATE_DEAL]


@pytest.mark.parametrize(
    "body",
    [
        {"messages": [{"messageId": "m1", "text": "hi"}]},
        {"statuses": [{"messageId": "m1", "status": "read"}]},
        {"channelsUpdates": []},
        {"createContact": None, "something": 1},
    ],
    ids=["messages", "statuses", "channels", "null"],
)
def test_other_webhooks_are_answered_200_and_ignored(
    proxy: TestClient, crm: FakeCrm, body: dict[str, Any]
) -> None:
    response = proxy.post(HOOK, json=body)

    if body.get("createContact", "absent") is None:
        assert response.status_code == 400  # a createContact key with no contact in it
    else:
        assert response.status_code == 200
    assert crm.requests == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"createDeal": {"responsibleUserId": "1", "contacts": []}}, "createDeal: contacts"),
        ({"createContact": {"name": "A", "contactData": []}}, "createContact: "),
        ({**CREATE_DEAL, **CREATE_CONTACT}, "one of createContact, createDeal"),
    ],
    ids=["deal-no-contacts", "contact-invalid", "both"],
)
def test_an_invalid_webhook_is_400_naming_what_is_wrong(
    proxy: TestClient, crm: FakeCrm, body: dict[str, Any], words: str
) -> None:
    response = proxy.post(HOOK, json=body)

    assert response.status_code == 400
    assert words in response.json()["detail"]
    assert crm.requests == []


@pytest.mark.parametrize("content", [b"not json", b"[1]"])
def test_a_body_that_is_not_a_json_object_is_400(proxy: TestClient, content: bytes) -> None:
    response = proxy.post(HOOK, content=content, headers={"Content-Type": "application/json"})

    assert response.status_code == 400


# --- when the CRM fails -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "status", "code", "words"),
    [
        (answer(500, {"detail": "db down"}), 502, "CRM_REFUSED", "HTTP 500"),
        (answer(200, {**DEAL, "name": ""}), 502, "CRM_BAD_ANSWER", "not a deal: name"),
        (lambda r: httpx.Response(200, content=b"<html>"), 502, "CRM_BAD_ANSWER", "not JSON"),
        (raising(httpx.ReadTimeout("slow")), 504, "CRM_TIMEOUT", "within 25 s"),
        (raising(httpx.ConnectError("refused")), 502, "CRM_UNREACHABLE", "CRM_WEBHOOK_URL"),
    ],
    ids=["500", "invalid-deal", "not-json", "timeout", "unreachable"],
)
def test_a_crm_failure_is_answered_with_a_clear_error(
    proxy: TestClient, crm: FakeCrm, handler: Handler, status: int, code: str, words: str
) -> None:
    crm.handler = handler

    response = proxy.post(HOOK, json=CREATE_DEAL)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert words in response.json()["detail"]
    assert SECRET not in response.text
    assert "crm-secret" not in response.text


def test_the_crm_is_given_less_than_wazzups_30_seconds(proxy: TestClient, crm: FakeCrm) -> None:
    proxy.post(HOOK, json=CREATE_DEAL)

    assert crm.requests[0].extensions["timeout"]["read"] == 25.0


def test_without_a_crm_webhook_url_creation_is_503(crm: FakeCrm) -> None:
    with proxy_for(crm, crm_webhook_url=None) as proxy:
        response = proxy.post(HOOK, json=CREATE_DEAL)
        probe = proxy.post(HOOK, json={"test": True})

    assert (response.status_code, response.json()["code"]) == (503, "CRM_WEBHOOK_OFF")
    assert probe.status_code == 200


# --- the loop, in process: sandbox → proxy → sample CRM → sandbox --------------------------

SANDBOX = "http://sandbox.test"
CRM = "http://crm.test"
PROXY = "http://proxy.test"


class Forward:
    """An ASGI app that forwards to one set later (the sandbox and the proxy call each other)."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def loop_apps(tmp_path: Path, *, subscribed: bool) -> tuple[Any, Any]:
    to_proxy = Forward()
    hooks = WebhookSettings(
        webhooks_uri=f"{PROXY}{HOOK}",
        subscriptions=WebhookSubscriptions(contacts_and_deals_creation=True),
    )
    sandbox = create_sandbox_app(
        SandboxSettings(
            api_key=KEY,
            partner_token="partner-token-0123456789",
            public_url=SANDBOX,
            webhooks=hooks if subscribed else None,
        ),
        webhook_transport=httpx.ASGITransport(app=to_proxy),
    )
    crm = create_crm_app(tmp_path / "crm.sqlite3", public_url=CRM, allowed_origins=[])
    http = httpx.AsyncClient(
        mounts={
            SANDBOX: httpx.ASGITransport(app=sandbox),
            CRM: httpx.ASGITransport(app=crm),
        }
    )
    proxy = create_app(
        settings(
            wazzup_base_url=SANDBOX,
            crm_webhook_url=f"{CRM}/wazzup/webhook",
            crm_headers={},
            allow_unsigned=True,
        ),
        http=http,
    )
    to_proxy.app = proxy
    return sandbox, proxy


async def open_window(proxy: Any, request: dict[str, Any]) -> tuple[str, str]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url=PROXY) as p:
        url = httpx.URL((await p.post("/api/link", json=request)).json()["url"])
    return url.path, url.params["token"]


CARD = {
    "user": {"id": "u1", "name": "Ann"},
    "scope": "card",
    "filter": [{"chatType": "whatsapp", "chatId": "79991234567", "name": "Bob"}],
    "options": {"useMessageEvents": True},
}
CHAT = {"chatType": "whatsapp", "chatId": "79991234567"}


def test_plus_in_webhook_mode_creates_the_deal_in_the_crm_and_the_dropdown_lists_it(
    tmp_path: Path,
) -> None:
    sandbox, proxy = loop_apps(tmp_path, subscribed=True)

    async def scenario() -> tuple[dict, dict]:
        async with proxy.router.lifespan_context(proxy):
            path, token = await open_window(proxy, CARD)
            transport = httpx.ASGITransport(app=sandbox)
            async with httpx.AsyncClient(transport=transport, base_url=SANDBOX) as window:
                created = await window.post(
                    f"{path}/create-deal", params={"token": token}, json=CHAT
                )
                listed = await window.get(f"{path}/deals", params={"token": token, **CHAT})
        return created.json(), listed.json()

    created, listed = asyncio.run(scenario())

    assert created["contactCreated"] is True
    assert created["warnings"] == []
    assert created["contact"]["name"] == "Bob"
    deal = created["deal"]
    assert deal["uri"].startswith(f"{CRM}/deals/")
    assert [(d["id"], d["responsibleUserName"]) for d in listed["deals"]] == [(deal["id"], "Ann")]


def test_subscribing_passes_wazzups_test_post_through_the_proxy(tmp_path: Path) -> None:
    sandbox, proxy = loop_apps(tmp_path, subscribed=False)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox))
    proxy_settings = settings(wazzup_base_url=SANDBOX)

    async def scenario() -> dict[str, Any]:
        async with proxy.router.lifespan_context(proxy):
            await subscribe(proxy_settings, f"{PROXY}{HOOK}", http)
            return await current_subscription(proxy_settings, http)

    current = asyncio.run(scenario())

    assert current["webhooksUri"] == f"{PROXY}{HOOK}"
    assert current["subscriptions"]["contactsAndDealsCreation"] is True
    assert current["subscriptions"]["messagesAndStatuses"] is False


def test_subscribing_with_a_wrong_secret_fails_with_wazzups_fix(tmp_path: Path) -> None:
    sandbox, proxy = loop_apps(tmp_path, subscribed=False)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox))

    async def scenario() -> None:
        async with proxy.router.lifespan_context(proxy):
            url = f"{PROXY}/api/wazzup/webhook/wrong-secret-0123456789"
            await subscribe(settings(wazzup_base_url=SANDBOX), url, http)

    with pytest.raises(WebhookCallFailed) as caught:
        asyncio.run(scenario())

    assert caught.value.problem.code == "testPostNotPassed"
    assert "WEBHOOK_SECRET" in caught.value.problem.detail


# --- the subscribe command ----------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("WAZZUP_API", "WAZZUP_API_KEY", "WAZZUP_PARTNER_TOKEN", "WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_command_needs_the_api_key(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("WAZZUP_API", "v2")
    environment.setenv("WAZZUP_PARTNER_TOKEN", "partner-token-0123456789")

    code = webhooks.main(["subscribe", "--url", f"https://proxy.example{HOOK}"])

    assert code == 1
    assert "set WAZZUP_API_KEY" in capsys.readouterr().err


def test_the_command_says_when_wazzup_cannot_be_reached(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("WAZZUP_API_KEY", KEY)
    environment.setenv("WAZZUP_BASE_URL", "http://127.0.0.1:9")

    code = webhooks.main(["show"])

    assert code == 1
    assert "could not reach Wazzup" in capsys.readouterr().err


def test_the_command_refuses_an_address_over_200_characters(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("WAZZUP_API_KEY", KEY)

    code = webhooks.main(["subscribe", "--url", "https://proxy.example/" + "a" * 200])

    assert code == 2
    assert "200 characters" in capsys.readouterr().err
