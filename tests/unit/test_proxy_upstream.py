"""The proxy's Wazzup client: which API and credential each call uses, user upserts, 429 retries."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from components.entities import Contact, ContactData, Deal
from components.link import LinkUser, parse_link_request
from proxy.settings import REAL_WAZZUP_V2, REAL_WAZZUP_V3, Settings
from proxy.upstream import UpstreamProblem, WazzupClient

KEY = "0123456789abcdef0123456789abcdef"
PARTNER = "client-access-token-0123456789"
LINK = "https://12345678.wazzup24.com/chat/x?token=t"
V2_LINK = {"data": {"link": "https://app.wazzup24.com/1/chat?token=t"}, "meta": {"timestamp": 1}}
DEAL = Deal(id="d1", responsible_user_id="u1", name="Deal", contacts=["c1"], uri="https://c/d1")
CONTACT = Contact(
    id="c1",
    responsible_user_id="u1",
    name="Anthony",
    contact_data=[ContactData(chat_type="whatsapp", chat_id="79998887766")],
    uri="https://c/c1",
)
NAMED = parse_link_request({"user": {"id": "u1", "name": "Ann"}, "scope": "global"})
UNNAMED = parse_link_request({"user": {"id": "u1"}, "scope": "global"})


class Recorder:
    """A fake Wazzup answering each path from `answers` (default 200), keeping every request."""

    def __init__(self, answers: dict[str, list[httpx.Response]] | None = None) -> None:
        self.answers = answers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queued = self.answers.get(request.url.path)
        if queued:
            return queued.pop(0)
        if request.url.path == "/v3/iframe":
            return httpx.Response(200, json={"url": LINK})
        if request.url.path == "/v2/iframe-links/chats":
            return httpx.Response(200, json=V2_LINK)
        return httpx.Response(200)

    def sent(self) -> list[tuple[str, str, Any]]:
        return [
            (str(r.url), r.headers["authorization"], json.loads(r.content) if r.content else None)
            for r in self.requests
        ]


def client_for(wazzup: Recorder, sleeps: list[float] | None = None, **changes: Any):
    values: dict[str, Any] = {"wazzup_api_key": KEY} | changes
    settings = Settings(**values)

    async def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    http = httpx.AsyncClient(transport=httpx.MockTransport(wazzup))
    return WazzupClient(settings, http, sleep=sleep)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


V2_ONLY = {"wazzup_api": "v2", "wazzup_api_key": None, "wazzup_partner_token": PARTNER}


# --- which API and credential ------------------------------------------------------------


def test_deals_and_contacts_go_to_v3_with_the_api_key() -> None:
    wazzup = Recorder()

    run(client_for(wazzup).push_deals([DEAL]))
    run(client_for(wazzup).push_contacts([CONTACT]))

    assert wazzup.sent() == [
        (f"{REAL_WAZZUP_V3}/v3/deals", f"Bearer {KEY}", [DEAL.to_wire()]),
        (f"{REAL_WAZZUP_V3}/v3/contacts", f"Bearer {KEY}", [CONTACT.to_wire()]),
    ]


def test_v2_links_with_an_api_key_still_push_entities_to_v3_with_the_key() -> None:
    wazzup = Recorder()
    client = client_for(wazzup, wazzup_api="v2", wazzup_partner_token=PARTNER)

    run(client.create_link(UNNAMED))
    run(client.push_deals([DEAL]))

    assert [(url, auth) for url, auth, _ in wazzup.sent()] == [
        (f"{REAL_WAZZUP_V2}/v2/iframe-links/chats", f"Bearer {PARTNER}"),
        (f"{REAL_WAZZUP_V3}/v3/deals", f"Bearer {KEY}"),
    ]


def test_v2_only_pushes_entities_to_the_partner_routes_in_snake_case() -> None:
    wazzup = Recorder()
    client = client_for(wazzup, **V2_ONLY)

    run(client.push_deals([DEAL]))
    run(client.push_contacts([CONTACT]))

    assert wazzup.sent() == [
        (
            f"{REAL_WAZZUP_V2}/v2/deals",
            f"Bearer {PARTNER}",
            {
                "deals": [
                    {
                        "id": "d1",
                        "responsible_user_id": "u1",
                        "name": "Deal",
                        "uri": "https://c/d1",
                        "contacts": ["c1"],
                        "closed": False,
                    }
                ]
            },
        ),
        (
            f"{REAL_WAZZUP_V2}/v2/contacts",
            f"Bearer {PARTNER}",
            {
                "contacts": [
                    {
                        "id": "c1",
                        "responsible_user_id": "u1",
                        "name": "Anthony",
                        "contact_data": [{"chat_type": "whatsapp", "chat_id": "79998887766"}],
                        "uri": "https://c/c1",
                    }
                ]
            },
        ),
    ]


def test_v2_only_refuses_a_deal_without_uri_naming_the_field_and_why() -> None:
    wazzup = Recorder()
    no_uri = DEAL.model_copy(update={"uri": None})

    with pytest.raises(UpstreamProblem) as caught:
        run(client_for(wazzup, **V2_ONLY).push_deals([no_uri]))

    problem = caught.value.problem
    assert (problem.status, problem.code) == (400, "VALIDATION_FAILED")
    assert "uri: Field required" in problem.detail
    assert "WAZZUP_API_KEY" in problem.detail
    assert wazzup.requests == []


def test_v2_only_chunks_entities_by_one_hundred() -> None:
    wazzup = Recorder()
    deals = [DEAL.model_copy(update={"id": f"d{n}"}) for n in range(150)]

    run(client_for(wazzup, **V2_ONLY).push_deals(deals))

    assert [len(body["deals"]) for _, _, body in wazzup.sent()] == [100, 50]


def test_health_in_v2_only_mode_calls_nothing_with_the_wrong_credential() -> None:
    wazzup = Recorder()

    assert run(client_for(wazzup, **V2_ONLY).check())["ok"] is True
    assert wazzup.requests == []


# --- users --------------------------------------------------------------------------------


def test_a_named_user_is_upserted_before_the_link() -> None:
    wazzup = Recorder()

    run(client_for(wazzup).create_link(NAMED))

    assert wazzup.sent() == [
        (f"{REAL_WAZZUP_V3}/v3/users", f"Bearer {KEY}", [{"id": "u1", "name": "Ann"}]),
        (f"{REAL_WAZZUP_V3}/v3/iframe", f"Bearer {KEY}", NAMED.to_v3()),
    ]


def test_a_user_is_upserted_once_per_name() -> None:
    wazzup = Recorder()
    client = client_for(wazzup)

    for _ in range(3):
        run(client.create_link(NAMED))
    renamed = parse_link_request({"user": {"id": "u1", "name": "Anna"}, "scope": "global"})
    run(client.create_link(renamed))

    users = [body for url, _, body in wazzup.sent() if url.endswith("/v3/users")]
    assert users == [[{"id": "u1", "name": "Ann"}], [{"id": "u1", "name": "Anna"}]]


def test_a_user_without_a_name_is_not_upserted() -> None:
    wazzup = Recorder()

    run(client_for(wazzup).create_link(UNNAMED))

    assert [url for url, _, _ in wazzup.sent()] == [f"{REAL_WAZZUP_V3}/v3/iframe"]


def test_upserting_users_can_be_switched_off() -> None:
    wazzup = Recorder()

    run(client_for(wazzup, upsert_users=False).create_link(NAMED))

    assert [url for url, _, _ in wazzup.sent()] == [f"{REAL_WAZZUP_V3}/v3/iframe"]


def test_v2_only_upserts_users_on_the_partner_route() -> None:
    wazzup = Recorder()

    run(client_for(wazzup, **V2_ONLY).create_link(NAMED))

    assert wazzup.sent()[0] == (
        f"{REAL_WAZZUP_V2}/v2/users",
        f"Bearer {PARTNER}",
        {"users": [{"id": "u1", "name": "Ann"}]},
    )


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(500), httpx.Response(400, json={"error": "INVALID_USERS_DATA"})],
    ids=["500", "invalid"],
)
def test_a_failed_upsert_is_logged_and_the_link_is_minted_anyway(
    answer: httpx.Response, caplog: pytest.LogCaptureFixture
) -> None:
    wazzup = Recorder({"/v3/users": [answer]})

    link = run(client_for(wazzup).create_link(NAMED))

    assert link.url == LINK
    assert "'u1' not upserted" in caplog.text
    assert KEY not in caplog.text


def test_ensure_user_takes_the_links_user() -> None:
    wazzup = Recorder()

    run(client_for(wazzup).ensure_user(LinkUser(id="7", name="Boris")))

    assert wazzup.sent() == [
        (f"{REAL_WAZZUP_V3}/v3/users", f"Bearer {KEY}", [{"id": "7", "name": "Boris"}])
    ]


# --- 429 ----------------------------------------------------------------------------------


def too_many(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(429, headers=headers)


def test_a_429_is_retried_once_after_retry_after() -> None:
    wazzup = Recorder({"/v3/iframe": [too_many("2")]})
    sleeps: list[float] = []

    link = run(client_for(wazzup, sleeps).create_link(UNNAMED))

    assert link.url == LINK
    assert sleeps == [2.0]
    assert len(wazzup.requests) == 2


def test_a_429_without_retry_after_waits_for_the_five_second_window() -> None:
    wazzup = Recorder({"/v3/deals": [too_many()]})
    sleeps: list[float] = []

    run(client_for(wazzup, sleeps).push_deals([DEAL]))

    assert sleeps == [5.0]


def test_a_second_429_fails_with_retry_after() -> None:
    wazzup = Recorder({"/v3/iframe": [too_many("1"), too_many("3")]})
    sleeps: list[float] = []

    with pytest.raises(UpstreamProblem) as caught:
        run(client_for(wazzup, sleeps).create_link(UNNAMED))

    assert sleeps == [1.0]
    assert caught.value.retry_after == "3"
    assert (caught.value.problem.status, caught.value.problem.retry_after) == (429, 3.0)


def test_a_second_429_without_retry_after_tells_the_page_to_wait_the_window() -> None:
    wazzup = Recorder({"/v3/iframe": [too_many(), too_many()]})

    with pytest.raises(UpstreamProblem) as caught:
        run(client_for(wazzup, []).create_link(UNNAMED))

    assert caught.value.retry_after == "5"


def test_a_wait_beyond_the_bound_is_not_made() -> None:
    wazzup = Recorder({"/v3/iframe": [too_many("7")]})
    sleeps: list[float] = []

    with pytest.raises(UpstreamProblem) as caught:
        run(client_for(wazzup, sleeps).create_link(UNNAMED))

    assert sleeps == []
    assert len(wazzup.requests) == 1
    assert caught.value.retry_after == "7"


def test_retrying_can_be_switched_off() -> None:
    wazzup = Recorder({"/v3/iframe": [too_many("1")]})
    sleeps: list[float] = []

    with pytest.raises(UpstreamProblem):
        run(client_for(wazzup, sleeps, upstream_retry_max_wait_s=0).create_link(UNNAMED))

    assert sleeps == []
