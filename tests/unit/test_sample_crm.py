"""The sample CRM (demo/crm): records, idempotency, faults, CORS, webhooks, pages."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.events import parse_event
from components.records import IDEMPOTENCY_HEADER, CrmAnswer, CrmRecord, record_from_event
from demo.crm import MAX_BODY_BYTES, create_crm_app

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 in its TestClient; the project pins httpx.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PUBLIC_URL = "http://crm.test"
PAGE_ORIGIN = "http://127.0.0.1:8000"
CHAT = {"chatType": "whatsapp", "chatId": "79011112233", "userId": "7"}


# --- fixtures and builders ---------------------------------------------------------------


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "crm" / "records.sqlite3"  # a missing folder is created


def make_client(db_path: Path, *, hang_seconds: float = 60.0) -> TestClient:
    app = create_crm_app(
        db_path, public_url=PUBLIC_URL, allowed_origins=[PAGE_ORIGIN], hang_seconds=hang_seconds
    )
    return TestClient(app)


@pytest.fixture
def crm(db_path: Path) -> Iterator[TestClient]:
    with make_client(db_path) as client:
        yield client


def message_record(chat_id: str = "79011112233", name: str | None = "Anna Petrova") -> CrmRecord:
    data = {**CHAT, "chatId": chat_id, "messageId": "m-1", "name": name}
    return record_from_event(parse_event({"type": "WZ_OUTPUT_MESSAGE", "data": data}))


def deal_request_record(chat_id: str = "79011112233", receipt_id: str = "r1") -> CrmRecord:
    event = parse_event({"type": "WZ_CREATE_ENTITY", "data": {**CHAT, "chatId": chat_id}})
    return record_from_event(event, receipt_id=receipt_id)


def deal_opened_record(link: str = "https://crm.example.com/deals/42") -> CrmRecord:
    entity = {"id": "42", "name": "Deal #42", "link": link}
    event = parse_event({"type": "WZ_OPEN_ENTITY", "data": {**CHAT, "entity": entity}})
    return record_from_event(event, receipt_id="o1")


def post_record(client: TestClient, record: CrmRecord, **headers: str) -> Any:
    return client.post(
        "/records",
        json=record.to_wire(),
        headers={IDEMPOTENCY_HEADER: record.idempotency_key, **headers},
    )


def stored(client: TestClient, **params: str) -> list[dict[str, Any]]:
    response = client.get("/records", params=params)
    assert response.status_code == 200
    return response.json()


# --- records -----------------------------------------------------------------------------


def test_a_contact_record_creates_a_contact_with_a_link_to_its_page(crm: TestClient) -> None:
    response = post_record(crm, message_record())

    assert response.status_code == 201
    answer = CrmAnswer.model_validate(response.json())
    assert answer.status == "created"
    assert answer.contact is not None
    assert answer.contact.id == "c-1"
    assert answer.contact.name == "Anna Petrova"
    assert answer.contact.responsible_user_id == "7"
    assert answer.contact.contact_data[0].chat_id == "79011112233"
    assert answer.link == answer.contact.uri == f"{PUBLIC_URL}/contacts/c-1"
    assert response.json()["contact"]["contactData"] == [
        {"chatType": "whatsapp", "chatId": "79011112233"}
    ]


def test_a_contact_without_a_name_is_named_after_its_chat(crm: TestClient) -> None:
    answer = post_record(crm, message_record(name=None)).json()

    assert answer["contact"]["name"] == "79011112233"


def test_a_deal_request_creates_a_deal_for_the_chats_contact(crm: TestClient) -> None:
    response = post_record(crm, deal_request_record())

    assert response.status_code == 201
    answer = CrmAnswer.model_validate(response.json())
    assert answer.deal is not None and answer.contact is not None
    assert answer.deal.id == "d-1"
    assert answer.deal.name == "Deal #1 · 79011112233"
    assert answer.deal.contacts == [answer.contact.id]
    assert answer.deal.responsible_user_id == "7"
    assert answer.deal.closed is False
    assert answer.link == answer.deal.uri == f"{PUBLIC_URL}/deals/d-1"


def test_a_deal_request_reuses_the_contact_already_made_for_that_chat(crm: TestClient) -> None:
    contact = post_record(crm, message_record()).json()["contact"]

    first = post_record(crm, deal_request_record(receipt_id="r1")).json()
    second = post_record(crm, deal_request_record(receipt_id="r2")).json()

    assert first["contact"]["id"] == second["contact"]["id"] == contact["id"]
    assert [first["deal"]["id"], second["deal"]["id"]] == ["d-1", "d-2"]
    assert first["deal"]["name"] == "Deal #1 · Anna Petrova"


def test_the_first_named_message_names_a_contact_made_by_a_deal_request(
    crm: TestClient,
) -> None:
    post_record(crm, deal_request_record())

    answer = post_record(crm, message_record(name="Anna Petrova")).json()

    assert answer["contact"] == {**answer["contact"], "id": "c-1", "name": "Anna Petrova"}


def test_a_deal_opened_record_is_stored_with_the_entitys_link(crm: TestClient) -> None:
    response = post_record(crm, deal_opened_record())

    assert response.status_code == 201
    assert response.json() == {
        "status": "created",
        "recordId": "r-1",
        "link": "https://crm.example.com/deals/42",
    }
    assert [row["kind"] for row in stored(crm)] == ["deal_opened"]


def test_records_are_listed_with_what_was_posted_and_answered(crm: TestClient) -> None:
    record = message_record()
    answer = post_record(crm, record).json()

    (row,) = stored(crm)

    assert row["id"] == "r-1"
    assert row["idempotencyKey"] == record.idempotency_key
    assert row["kind"] == "contact"
    assert row["receivedAt"]
    assert row["record"] == record.to_wire()
    assert row["answer"] == answer


def test_records_can_be_filtered_by_kind(crm: TestClient) -> None:
    post_record(crm, message_record())
    post_record(crm, deal_request_record())

    assert [row["kind"] for row in stored(crm, kind="deal_request")] == ["deal_request"]


# --- idempotency -------------------------------------------------------------------------


def test_the_same_idempotency_key_twice_stores_one_row_and_answers_the_same(
    crm: TestClient,
) -> None:
    record = deal_request_record()
    first = post_record(crm, record)

    again = post_record(crm, record)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "status": "duplicate"}
    assert len(stored(crm)) == 1


def test_every_message_of_a_chat_maps_to_one_contact_record(crm: TestClient) -> None:
    post_record(crm, message_record(name="Anna"))

    again = post_record(crm, message_record(name="Anna P."))

    assert again.json()["status"] == "duplicate"
    assert len(stored(crm, kind="contact")) == 1


def test_concurrent_posts_of_one_key_store_one_row(crm: TestClient) -> None:
    record = deal_request_record()
    statuses: list[int] = []

    def post() -> None:
        statuses.append(post_record(crm, record).status_code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * 5 + [201]
    assert len(stored(crm)) == 1


def test_a_record_without_the_header_is_accepted_on_its_body_key(crm: TestClient) -> None:
    response = crm.post("/records", json=message_record().to_wire())

    assert response.status_code == 201


def test_a_header_key_that_differs_from_the_body_key_is_rejected_with_400(
    crm: TestClient,
) -> None:
    response = post_record(crm, message_record(), **{IDEMPOTENCY_HEADER: "contact-other-key"})

    assert response.status_code == 400
    assert "does not match" in response.json()["detail"]
    assert stored(crm) == []


# --- rejected bodies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"idempotencyKey": None}, "idempotencyKey: Field required"),
        ({"kind": "invoice"}, "kind: Input should be"),
        ({"idempotencyKey": "short"}, "idempotencyKey: String should have at least 8"),
        ({"chat": {"chatType": "whatsapp", "chatId": "+7 901"}}, "chat.chatId: whatsapp chat id"),
        ({"chat": {"chatType": "fax", "chatId": "1"}}, "chat.chatType: Input should be"),
    ],
)
def test_an_invalid_record_is_rejected_with_422_naming_the_field(
    crm: TestClient, change: dict[str, Any], detail: str
) -> None:
    body = {**message_record().to_wire(), **change}
    body = {key: value for key, value in body.items() if value is not None}

    response = crm.post("/records", json=body)

    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)
    assert stored(crm) == []


@pytest.mark.parametrize(
    ("content", "detail"),
    [(b"{not json", "body: not valid JSON"), (b"[1, 2]", "body: must be a JSON object")],
)
def test_a_body_that_is_not_a_json_object_is_rejected_with_422(
    crm: TestClient, content: bytes, detail: str
) -> None:
    response = crm.post("/records", content=content, headers={"content-type": "application/json"})

    assert (response.status_code, response.json()) == (422, {"detail": detail})


def test_a_body_over_256_kib_is_refused_with_413(crm: TestClient) -> None:
    body = {**message_record().to_wire(), "event": {"padding": "x" * MAX_BODY_BYTES}}

    response = crm.post("/records", json=body)

    assert response.status_code == 413
    assert stored(crm) == []


def test_a_chunked_body_over_256_kib_is_refused_with_413(crm: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 8192  # no Content-Length: counted while streaming

    response = crm.post("/records", content=chunks())

    assert response.status_code == 413


# --- faults ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "status", "detail"),
    [
        ("down", 503, "CRM is down (fault injected)"),
        ("500", 500, "CRM failed with an internal error (fault injected)"),
        ("429", 429, "Too many requests (fault injected)"),
        ("422", 422, "email: field required (fault injected)"),
    ],
)
def test_an_injected_fault_answers_its_status_and_stores_nothing(
    crm: TestClient, mode: str, status: int, detail: str
) -> None:
    assert crm.post("/_faults", json={"mode": mode}).json() == {"mode": mode}

    response = post_record(crm, message_record())

    assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert stored(crm) == []


def test_the_notjson_fault_stores_the_record_and_answers_an_html_page(crm: TestClient) -> None:
    crm.post("/_faults", json={"mode": "notjson"})

    response = post_record(crm, message_record())

    assert response.status_code == 201
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>Saved</title>" in response.text
    assert len(stored(crm)) == 1


def test_the_huge_fault_stores_the_record_and_answers_over_a_mebibyte(crm: TestClient) -> None:
    crm.post("/_faults", json={"mode": "huge"})

    response = post_record(crm, deal_request_record())

    assert response.status_code == 201
    assert len(response.content) > 1024 * 1024
    assert response.json()["deal"]["id"] == stored(crm)[0]["answer"]["deal"]["id"]


def test_stats_count_stored_records_and_repeated_keys(crm: TestClient) -> None:
    record = deal_request_record()
    for _ in range(3):
        post_record(crm, record)
    post_record(crm, message_record())

    assert crm.get("/_stats").json() == {"stored": 2, "duplicates": 2}


def test_the_embed_page_frames_the_chat_page_with_the_query_and_trusts_only_its_origin(
    db_path: Path,
) -> None:
    app = create_crm_app(
        db_path,
        public_url=PUBLIC_URL,
        allowed_origins=[PAGE_ORIGIN],
        page_url=PAGE_ORIGIN,
    )
    with TestClient(app) as client:
        page = client.get("/embed", params={"user": "7", "chat": 'whatsapp:79:"><script>'})

    assert page.status_code == 200
    assert 'src="http://127.0.0.1:8000/?user=7&amp;chat=whatsapp%3A79%3A%22%3E%3Cscript%3E"' in (
        page.text
    )
    assert 'const pageOrigin = "http://127.0.0.1:8000";' in page.text
    assert "event.origin !== pageOrigin" in page.text


def test_without_a_page_url_there_is_no_embed_page(crm: TestClient) -> None:
    assert crm.get("/embed").status_code == 404


def test_the_429_fault_asks_to_retry_after_two_seconds(crm: TestClient) -> None:
    crm.post("/_faults", json={"mode": "429"})

    response = post_record(crm, message_record())

    assert response.headers["Retry-After"] == "2"


def test_switching_faults_back_to_ok_stores_records_again(crm: TestClient) -> None:
    crm.post("/_faults", json={"mode": "down"})
    post_record(crm, message_record())

    crm.post("/_faults", json={"mode": "ok"})
    response = post_record(crm, message_record())

    assert response.status_code == 201
    assert crm.get("/_faults").json() == {"mode": "ok"}
    assert len(stored(crm)) == 1


def test_an_unknown_fault_mode_is_rejected_with_422(crm: TestClient) -> None:
    response = crm.post("/_faults", json={"mode": "slow"})

    assert response.status_code == 422
    assert response.json()["detail"].startswith("mode: Input should be")


def test_a_hanging_crm_answers_504_when_the_hang_runs_out(db_path: Path) -> None:
    with make_client(db_path, hang_seconds=0.3) as client:
        client.post("/_faults", json={"mode": "hang"})

        response = post_record(client, message_record())

        assert response.status_code == 504
        assert stored(client) == []


def test_a_hanging_request_is_answered_normally_once_the_mode_is_back_to_ok(
    crm: TestClient,
) -> None:
    crm.post("/_faults", json={"mode": "hang"})
    answers: list[Any] = []
    hanging = threading.Thread(target=lambda: answers.append(post_record(crm, message_record())))
    hanging.start()
    time.sleep(0.3)
    assert not answers  # still held

    crm.post("/_faults", json={"mode": "ok"})
    hanging.join(timeout=5)

    assert answers[0].status_code == 201
    assert len(stored(crm)) == 1


# --- persistence -------------------------------------------------------------------------


def test_data_survives_recreating_the_app_on_the_same_file(db_path: Path) -> None:
    record = deal_request_record()
    with make_client(db_path) as first_app:
        first = post_record(first_app, record).json()

    with make_client(db_path) as second_app:
        again = post_record(second_app, record)
        next_deal = post_record(second_app, deal_request_record(receipt_id="r2")).json()
        rows = stored(second_app)

    assert again.json() == {**first, "status": "duplicate"}
    assert next_deal["deal"]["id"] == "d-2"  # numbering continues
    assert next_deal["contact"]["id"] == first["contact"]["id"]
    assert len(rows) == 2


# --- CORS --------------------------------------------------------------------------------


def preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/records",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": f"content-type,{IDEMPOTENCY_HEADER.lower()}",
        },
    )


def test_a_preflight_from_the_allowed_origin_passes(crm: TestClient) -> None:
    response = preflight(crm, PAGE_ORIGIN)

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PAGE_ORIGIN
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "idempotency-key" in allowed and "content-type" in allowed


def test_a_preflight_from_another_origin_fails(crm: TestClient) -> None:
    response = preflight(crm, "http://evil.example")

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_a_cross_origin_answer_lets_the_page_read_retry_after(crm: TestClient) -> None:
    crm.post("/_faults", json={"mode": "429"})

    response = post_record(crm, message_record(), Origin=PAGE_ORIGIN)

    assert response.headers["access-control-allow-origin"] == PAGE_ORIGIN
    assert "retry-after" in response.headers["access-control-expose-headers"].lower()


# --- Wazzup webhooks ---------------------------------------------------------------------

CREATE_CONTACT = {
    "createContact": {
        "responsibleUserId": "1",
        "name": "Anthony Stone",
        "contactData": [{"chatType": "whatsapp", "chatId": "79998887766"}],
        "source": "byUser",
    }
}


def test_the_webhook_test_post_is_answered_ok(crm: TestClient) -> None:
    response = crm.post("/wazzup/webhook", json={"test": True})

    assert (response.status_code, response.json()) == (200, {"ok": True})


def test_a_create_contact_webhook_answers_the_bare_contact(crm: TestClient) -> None:
    response = crm.post("/wazzup/webhook", json=CREATE_CONTACT)

    assert response.status_code == 200
    assert response.json() == {
        "id": "c-1",
        "responsibleUserId": "1",
        "name": "Anthony Stone",
        "contactData": [{"chatType": "whatsapp", "chatId": "79998887766"}],
        "uri": f"{PUBLIC_URL}/contacts/c-1",
    }
    assert [row["kind"] for row in stored(crm)] == ["webhook_create_contact"]


def test_a_create_contact_webhook_for_a_known_chat_answers_its_contact(crm: TestClient) -> None:
    known = post_record(crm, message_record(chat_id="79998887766")).json()["contact"]

    response = crm.post("/wazzup/webhook", json=CREATE_CONTACT)

    assert response.json()["id"] == known["id"]


def test_a_create_deal_webhook_answers_the_bare_deal(crm: TestClient) -> None:
    contact = crm.post("/wazzup/webhook", json=CREATE_CONTACT).json()
    body = {"createDeal": {"responsibleUserId": 1, "contacts": [contact["id"]]}}

    response = crm.post("/wazzup/webhook", json=body)

    assert response.status_code == 200
    assert response.json() == {
        "id": "d-1",
        "responsibleUserId": "1",
        "name": "Deal #1 · Anthony Stone",
        "uri": f"{PUBLIC_URL}/deals/d-1",
        "contacts": ["c-1"],
        "closed": False,
    }
    assert stored(crm, kind="webhook_create_deal")[0]["answer"] == response.json()


@pytest.mark.parametrize(
    "body", [{}, {"createDeal": {"responsibleUserId": "1", "contacts": ["c-1"]}, **CREATE_CONTACT}]
)
def test_a_webhook_without_exactly_one_known_key_is_rejected_with_422(
    crm: TestClient, body: dict[str, Any]
) -> None:
    response = crm.post("/wazzup/webhook", json=body)

    assert response.status_code == 422
    assert "createContact" in response.json()["detail"]


def test_a_malformed_create_deal_webhook_names_the_field(crm: TestClient) -> None:
    body = {"createDeal": {"responsibleUserId": "1", "contacts": []}}

    response = crm.post("/wazzup/webhook", json=body)

    assert response.status_code == 422
    assert response.json()["detail"].startswith("createDeal.contacts:")


def test_webhooks_are_not_affected_by_injected_faults(crm: TestClient) -> None:
    crm.post("/_faults", json={"mode": "down"})

    assert crm.post("/wazzup/webhook", json={"test": True}).status_code == 200


# --- pages -------------------------------------------------------------------------------


def test_the_records_page_lists_records_newest_first_and_refreshes_itself(
    crm: TestClient,
) -> None:
    post_record(crm, message_record())
    post_record(crm, deal_request_record())

    page = crm.get("/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert page.text.index('data-kind="deal_request"') < page.text.index('data-kind="contact"')
    assert f"{PUBLIC_URL}/deals/d-1" in page.text
    assert "http://" not in page.text.replace(PUBLIC_URL, "")  # no external resources


def test_the_records_page_says_when_there_are_none(crm: TestClient) -> None:
    assert 'data-records="0"' in crm.get("/").text


def test_entity_pages_show_the_deal_and_its_contact(crm: TestClient) -> None:
    post_record(crm, message_record())
    post_record(crm, deal_request_record())

    deal = crm.get("/deals/d-1")
    contact = crm.get("/contacts/c-1")

    assert deal.status_code == contact.status_code == 200
    assert "Deal #1 · Anna Petrova" in deal.text
    assert f'href="{PUBLIC_URL}/contacts/c-1"' in deal.text
    assert "whatsapp: 79011112233" in contact.text
    assert f'href="{PUBLIC_URL}/deals/d-1"' in contact.text


def test_an_unknown_entity_page_is_404(crm: TestClient) -> None:
    assert crm.get("/deals/d-99").status_code == 404
    assert crm.get("/contacts/c-99").status_code == 404


def test_names_on_pages_are_escaped(crm: TestClient) -> None:
    post_record(crm, message_record(name="<script>alert(1)</script>"))

    page = crm.get("/contacts/c-1").text

    assert "<script>" not in page
    assert "&lt;script&gt;" in page
