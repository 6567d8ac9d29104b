"""The Wazzup sandbox's users, contacts and deals routes (wazzup-api.md §3, §4, §6)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from components.entities import Contact, Deal, User
from components.problems import V3Error, parse_upstream_error
from proxy.sandbox import SandboxSettings, create_sandbox_app

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 in its TestClient; the project pins httpx.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

API_KEY = "0123456789abcdef0123456789abcdef"
V3 = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def client() -> TestClient:
    settings = SandboxSettings(
        api_key=API_KEY, partner_token="partner-token", public_url="http://sandbox.test"
    )
    return TestClient(create_sandbox_app(settings))


def contact(contact_id: str, chat_id: str = "79998887766", **extra: Any) -> dict[str, Any]:
    return {
        "id": contact_id,
        "responsibleUserId": "1",
        "name": f"Contact {contact_id}",
        "contactData": [{"chatType": "whatsapp", "chatId": chat_id}],
        **extra,
    }


def deal(deal_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": deal_id,
        "responsibleUserId": "1",
        "name": f"Deal {deal_id}",
        "contacts": ["c1"],
        "closed": False,
        **extra,
    }


def refused(response: Any, status: int, code: str) -> V3Error:
    assert response.status_code == status, response.text
    error = V3Error.model_validate(response.json())
    assert error.error == code
    return error


# --- POST -------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["users", "contacts", "deals"])
def test_more_than_100_entities_are_refused_as_too_many(client: TestClient, route: str) -> None:
    body = [contact(str(i)) for i in range(101)]
    error = refused(client.post(f"/v3/{route}", headers=V3, json=body), 400, "TOO_MANY_ENTITIES")
    assert "101" in (error.description or "")


def test_exactly_100_entities_are_accepted(client: TestClient) -> None:
    body = [contact(f"c{i:03}") for i in range(100)]
    assert client.post("/v3/contacts", headers=V3, json=body).status_code == 200
    assert client.get("/v3/contacts", headers=V3).json()["count"] == 100


def test_docs_examples_of_contacts_and_deals_are_accepted(client: TestClient) -> None:
    docs_contact = [
        {
            "id": "1",
            "responsibleUserId": "1",
            "name": "Anthony Stone",
            "contactData": [{"chatType": "whatsapp", "chatId": "79998887766"}],
            "uri": "https://crm.example.com/contacts/1",
        }
    ]
    docs_deal = [
        {
            "id": "1",
            "responsibleUserId": "id007",
            "name": "Daily Deal Test",
            "uri": "https://crm.example.com/deals/1",
            "contacts": ["111-2e0df379-0e3c-470f-9b36"],
            "closed": False,
        }
    ]
    assert client.post("/v3/contacts", headers=V3, json=docs_contact).status_code == 200
    response = client.post("/v3/deals", headers=V3, json=docs_deal)
    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.parametrize(
    ("route", "body", "code", "field"),
    [
        ("users", [{"id": "1"}], "INVALID_USERS_DATA", "name"),
        (
            "contacts",
            [contact("1", chat_id="+7 999")],
            "INVALID_CONTACTS_DATA",
            "contactData.0.chatId",
        ),
        ("contacts", [{**contact("1"), "contactData": []}], "INVALID_CONTACTS_DATA", "contactData"),
        ("deals", [{**deal("1"), "name": "x" * 201}], "INVALID_DEALS_DATA", "name"),
        (
            "deals",
            [{**deal("1"), "responsible_user_id": "1"}],
            "INVALID_DEALS_DATA",
            "responsible_user_id",
        ),
    ],
)
def test_invalid_entities_are_refused_naming_index_and_fields(
    client: TestClient, route: str, body: list[Any], code: str, field: str
) -> None:
    error = refused(client.post(f"/v3/{route}", headers=V3, json=body), 400, code)
    assert error.data == [{"index": 0, "fields": [field]}]
    assert field in (error.description or "")


def test_one_invalid_entity_refuses_the_whole_request(client: TestClient) -> None:
    body = [contact("good"), contact("bad", chat_id="+7")]
    error = refused(
        client.post("/v3/contacts", headers=V3, json=body), 400, "INVALID_CONTACTS_DATA"
    )
    assert error.data == [{"index": 1, "fields": ["contactData.0.chatId"]}]
    assert client.get("/v3/contacts", headers=V3).json()["count"] == 0


def test_invalid_entity_errors_are_read_by_the_shared_problem_parser(client: TestClient) -> None:
    response = client.post("/v3/users", headers=V3, json=[{"id": "1"}])
    code, _, errors = parse_upstream_error(response.status_code, response.content)
    assert (code, errors) == ("INVALID_USERS_DATA", ["item 0: ['name']"])


@pytest.mark.parametrize("body", [b"{}", b"not json", b'{"id": "1"}'])
def test_a_body_that_is_not_an_array_is_refused(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/v3/deals", headers={**V3, "Content-Type": "application/json"}, content=body
    )
    refused(response, 400, "INVALID_DEALS_DATA")


def test_posting_an_existing_id_replaces_the_entity(client: TestClient) -> None:
    client.post("/v3/deals", headers=V3, json=[deal("1")])
    client.post("/v3/deals", headers=V3, json=[deal("1", name="Renamed", closed=True)])
    stored = Deal.model_validate(client.get("/v3/deals/1", headers=V3).json())
    assert (stored.name, stored.closed) == ("Renamed", True)
    assert client.get("/v3/deals", headers=V3).json()["count"] == 1


def test_a_deal_with_link_instead_of_uri_is_stored_with_uri(client: TestClient) -> None:
    body = [{**deal("1"), "link": "https://crm.example.com/deals/1"}]
    client.post("/v3/deals", headers=V3, json=body)
    assert client.get("/v3/deals/1", headers=V3).json()["uri"] == "https://crm.example.com/deals/1"


# --- users ------------------------------------------------------------------------------


def test_users_are_listed_as_a_bare_array_sorted_by_name(client: TestClient) -> None:
    users = [{"id": "1", "name": "Zoe"}, {"id": "2", "name": "adam"}, {"id": 3, "name": "Bob"}]
    client.post("/v3/users", headers=V3, json=users)
    listed = client.get("/v3/users", headers=V3).json()
    assert [User.model_validate(user).name for user in listed] == ["adam", "Bob", "Zoe"]
    assert client.get("/v3/users/3", headers=V3).json() == {"id": "3", "name": "Bob"}


def test_an_invalid_user_phone_is_dropped_silently(client: TestClient) -> None:
    client.post("/v3/users", headers=V3, json=[{"id": "1", "name": "Ann", "phone": "+7 926"}])
    assert client.get("/v3/users/1", headers=V3).json() == {"id": "1", "name": "Ann"}


def test_a_phone_already_used_by_another_user_is_refused(client: TestClient) -> None:
    client.post("/v3/users", headers=V3, json=[{"id": "1", "name": "Ann", "phone": "79261234567"}])
    response = client.post(
        "/v3/users", headers=V3, json=[{"id": "2", "name": "Bob", "phone": "79261234567"}]
    )
    refused(response, 400, "DUPLICATE_PHONE_NUMBER")
    same_user = [{"id": "1", "name": "Ann B.", "phone": "79261234567"}]
    assert client.post("/v3/users", headers=V3, json=same_user).status_code == 200


# --- GET lists, GET/DELETE one, bulk_delete ----------------------------------------------


def test_contacts_are_paged_by_offset_100_per_page_sorted_by_id(client: TestClient) -> None:
    for start in (0, 100):
        body = [contact(f"c{i:03}") for i in range(start, start + 100)][::-1]
        client.post("/v3/contacts", headers=V3, json=body)
    client.post("/v3/contacts", headers=V3, json=[contact("c200")])
    first = client.get("/v3/contacts", headers=V3).json()
    last = client.get("/v3/contacts?offset=200", headers=V3).json()
    assert (first["count"], len(first["data"])) == (201, 100)
    assert [Contact.model_validate(c).id for c in first["data"][:2]] == ["c000", "c001"]
    assert [c["id"] for c in last["data"]] == ["c200"]


def test_a_bad_offset_is_refused(client: TestClient) -> None:
    refused(client.get("/v3/deals?offset=-1", headers=V3), 400, "VALIDATION_FAILED")


@pytest.mark.parametrize("route", ["users", "contacts", "deals"])
def test_getting_or_deleting_a_missing_entity_is_not_found(client: TestClient, route: str) -> None:
    refused(client.get(f"/v3/{route}/nope", headers=V3), 404, "NOT_FOUND")
    refused(client.delete(f"/v3/{route}/nope", headers=V3), 404, "NOT_FOUND")


def test_deleting_an_entity_removes_it(client: TestClient) -> None:
    client.post("/v3/deals", headers=V3, json=[deal("1")])
    response = client.delete("/v3/deals/1", headers=V3)
    assert (response.status_code, response.content) == (200, b"")
    refused(client.get("/v3/deals/1", headers=V3), 404, "NOT_FOUND")


def test_bulk_delete_answers_the_ids_it_did_not_find(client: TestClient) -> None:
    client.post("/v3/contacts", headers=V3, json=[contact("a"), contact("b")])
    response = client.patch("/v3/contacts/bulk_delete", headers=V3, json=["a", "x", 7])
    assert (response.status_code, response.json()) == (200, ["x", "7"])
    assert [c["id"] for c in client.get("/v3/contacts", headers=V3).json()["data"]] == ["b"]


def test_bulk_delete_of_more_than_100_ids_is_refused(client: TestClient) -> None:
    ids = [str(i) for i in range(101)]
    response = client.patch("/v3/deals/bulk_delete", headers=V3, json=ids)
    refused(response, 400, "TOO_MANY_ENTITIES")


def test_entity_routes_need_the_api_key(client: TestClient) -> None:
    refused(client.get("/v3/deals"), 401, "UNAUTHORIZED")
    refused(client.post("/v3/users", json=[]), 401, "UNAUTHORIZED")
