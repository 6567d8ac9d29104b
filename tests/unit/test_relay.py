"""The CRM relay (proxy/relay.py): only to CRM_URL, with its secret headers, answers mapped
faithfully. The CRM is a `httpx.MockTransport` or the sample CRM in process."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from components.events import parse_event
from components.http import MAX_ANSWER_BYTES
from components.problems import PROBLEM_CONTENT_TYPE
from components.records import IDEMPOTENCY_HEADER, CrmRecord, record_from_event
from demo.crm import create_crm_app
from proxy.app import create_app
from proxy.relay import RELAY_PATH
from proxy.settings import Settings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CRM_URL = "https://crm.example.com/hooks/wazzup"
WHEN = datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC)
SECRET = "Bearer crm-secret-0123456789"
DEAL = {"id": "d-1", "responsibleUserId": "7", "name": "Deal #1", "contacts": ["c-1"]}

Handler = Callable[[httpx.Request], httpx.Response]


class FakeCrm:
    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler or (lambda _request: httpx.Response(201, json={"status": "created"}))
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def record(receipt_id: str = "r1") -> CrmRecord:
    event = parse_event(
        {
            "type": "WZ_CREATE_ENTITY",
            "data": {"chatType": "whatsapp", "chatId": "79011112233", "userId": "7"},
        }
    )
    return record_from_event(event, receipt_id=receipt_id, received_at=WHEN)


def relay(
    crm: FakeCrm | None = None, transport: httpx.AsyncBaseTransport | None = None, **changes: Any
) -> TestClient:
    values: dict[str, Any] = {
        "wazzup_api_key": "0123456789abcdef0123456789abcdef",
        "allow_unsigned": True,
        "crm_url": CRM_URL,
        "crm_headers": {"Authorization": SECRET},
    } | changes
    http = httpx.AsyncClient(transport=transport or httpx.MockTransport(crm or FakeCrm()))
    return TestClient(create_app(Settings(**values), http=http))


def post(client: TestClient, body: Any = None, **headers: str) -> httpx.Response:
    the_record = record()
    payload = the_record.to_wire() if body is None else body
    return client.post(
        RELAY_PATH,
        content=json.dumps(payload),
        headers={
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: the_record.idempotency_key,
            **headers,
        },
    )


# --- forwarding ----------------------------------------------------------------------------


def test_record_is_forwarded_to_crm_url_with_the_key_and_the_secret_header() -> None:
    crm = FakeCrm()

    response = post(relay(crm), Cookie="session=abc", Origin="http://127.0.0.1:8000")

    assert response.status_code == 201
    assert response.json() == {"status": "created"}
    (sent,) = crm.requests
    assert str(sent.url) == CRM_URL
    assert sent.headers[IDEMPOTENCY_HEADER] == record().idempotency_key
    assert sent.headers["Authorization"] == SECRET
    assert sent.headers["Content-Type"] == "application/json"
    assert "cookie" not in sent.headers and "origin" not in sent.headers
    assert json.loads(sent.content) == record().to_wire()


def test_only_the_records_fields_travel() -> None:
    crm = FakeCrm()

    post(relay(crm), {**record().to_wire(), "crmUrl": "https://evil.example.com", "x": 1})

    assert json.loads(crm.requests[0].content) == record().to_wire()


def test_the_browser_cannot_name_another_target() -> None:
    crm = FakeCrm()
    client = relay(crm)

    client.post(
        f"{RELAY_PATH}?url=https://evil.example.com/steal",
        json=record().to_wire(),
        headers={"X-Crm-Url": "https://evil.example.com", "Host": "evil.example.com"},
    )

    assert [str(r.url) for r in crm.requests] == [CRM_URL]


def test_a_configured_header_cannot_change_the_idempotency_key() -> None:
    crm = FakeCrm()

    post(relay(crm, crm_headers={IDEMPOTENCY_HEADER: "forged", "X-Api-Key": "k-123456"}))

    assert crm.requests[0].headers[IDEMPOTENCY_HEADER] == record().idempotency_key
    assert crm.requests[0].headers["X-Api-Key"] == "k-123456"


def test_crm_headers_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_HEADERS", json.dumps({"Authorization": SECRET}))
    monkeypatch.setenv("WAZZUP_API_KEY", "0123456789abcdef0123456789abcdef")

    settings = Settings()

    assert settings.crm_headers["Authorization"].get_secret_value() == SECRET
    assert SECRET in settings.secrets()
    assert SECRET not in repr(settings)


def test_crm_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="crm_url"):
        Settings(wazzup_api_key="0123456789abcdef0123456789abcdef", crm_url="file:///etc/passwd")


def test_the_secret_header_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    def echo_secret(request: httpx.Request) -> httpx.Response:
        logging.getLogger("proxy.relay").warning("CRM saw %s", request.headers["Authorization"])
        return httpx.Response(201, json={})

    caplog.set_level(logging.INFO)
    post(relay(FakeCrm(echo_secret)))

    assert "crm-secret" not in caplog.text
    assert "[REDACTED]" in caplog.text
    assert "relayed" in caplog.text


def test_without_crm_url_the_relay_says_so_with_404() -> None:
    crm = FakeCrm()

    response = post(relay(crm, crm_url=None))

    assert response.status_code == 404
    assert response.json()["code"] == "CRM_RELAY_OFF"
    assert crm.requests == []


# --- what the page sends -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        ({"kind": "contact"}, {}, 400, "VALIDATION_FAILED"),
        ("not a record", {}, 400, "VALIDATION_FAILED"),
        (None, {IDEMPOTENCY_HEADER: "another-key-123"}, 400, "IDEMPOTENCY_KEY_MISMATCH"),
        (None, {"Content-Type": "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_a_bad_request_is_refused_and_never_forwarded(
    body: Any, headers: dict[str, str], status: int, code: str
) -> None:
    crm = FakeCrm()

    response = post(relay(crm), body, **headers)

    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["code"] == code
    assert crm.requests == []


def test_a_body_over_the_limit_is_refused_with_413() -> None:
    huge = {**record().to_wire(), "event": {"padding": "x" * 70_000}}

    response = post(relay(), huge)

    assert response.status_code == 413


def test_invalid_record_says_which_field() -> None:
    body = record().to_wire()
    del body["idempotencyKey"]

    response = post(relay(), body, **{IDEMPOTENCY_HEADER: ""})

    assert "idempotencyKey" in response.json()["detail"]


# --- what the CRM answers ------------------------------------------------------------------


def test_the_crms_json_answer_and_status_are_passed_on() -> None:
    answer = {"status": "duplicate", "recordId": "r-1", "deal": DEAL, "extra": [1, 2]}
    crm = FakeCrm(lambda _r: httpx.Response(200, json=answer, headers={"Set-Cookie": "a=b"}))

    response = post(relay(crm))

    assert response.status_code == 200
    assert response.json() == answer
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"


def test_an_empty_answer_is_passed_on_empty() -> None:
    response = post(relay(FakeCrm(lambda _r: httpx.Response(204))))

    assert (response.status_code, response.content) == (204, b"")


@pytest.mark.parametrize(
    ("crm_answer", "words"),
    [
        (httpx.Response(200, html="<html><script>alert(1)</script></html>"), "text/html"),
        (httpx.Response(201, content=b"x" * (MAX_ANSWER_BYTES + 10)), "over 256 KiB"),
    ],
)
def test_an_unreadable_success_is_passed_on_as_short_plain_text(
    crm_answer: httpx.Response, words: str
) -> None:
    response = post(relay(FakeCrm(lambda _r: crm_answer)))

    assert response.status_code == crm_answer.status_code
    assert response.headers["content-type"].startswith("text/plain")
    assert "not JSON" in response.text and words in response.text
    assert "<script>" not in response.text


@pytest.mark.parametrize("status", [400, 401, 409, 422, 500, 503])
def test_a_refusal_keeps_the_crms_status_and_message(status: int) -> None:
    crm = FakeCrm(lambda _r: httpx.Response(status, json={"detail": "email: field required"}))

    response = post(relay(crm))

    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    problem = response.json()
    assert (problem["status"], problem["code"]) == (status, "CRM_ANSWERED")
    assert problem["detail"] == "email: field required"


def test_throttling_keeps_retry_after() -> None:
    crm = FakeCrm(lambda _r: httpx.Response(429, headers={"Retry-After": "7"}, text="slow down"))

    response = post(relay(crm))

    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["detail"] == "slow down"


def test_a_redirect_is_not_followed() -> None:
    crm = FakeCrm(lambda _r: httpx.Response(302, headers={"Location": "https://elsewhere.test"}))

    response = post(relay(crm))

    assert response.status_code == 502
    assert response.json()["code"] == "CRM_REDIRECT"
    assert len(crm.requests) == 1


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (httpx.ReadTimeout("slow"), 504, "CRM_TIMEOUT"),
        (httpx.ConnectTimeout("slow"), 504, "CRM_TIMEOUT"),
        (httpx.ConnectError("refused: 10.0.0.7:443"), 502, "CRM_UNREACHABLE"),
    ],
)
def test_an_unreachable_or_slow_crm_is_502_or_504_without_internals(
    error: Exception, status: int, code: str
) -> None:
    def fail(_request: httpx.Request) -> httpx.Response:
        raise error

    response = post(relay(FakeCrm(fail)))

    assert response.status_code == status
    assert response.json()["code"] == code
    assert "10.0.0.7" not in response.text


def test_the_answer_schema_is_published() -> None:
    schema = relay().get("/api/schema/answer").json()

    assert {"status", "recordId", "link", "deal", "contact"} <= set(schema["properties"])


# --- against the sample CRM, in process ----------------------------------------------------


def test_relayed_twice_the_sample_crm_stores_one_record(tmp_path: Path) -> None:
    crm_app = create_crm_app(
        tmp_path / "crm.sqlite3", public_url="http://crm.test", allowed_origins=[]
    )
    client = relay(transport=httpx.ASGITransport(app=crm_app), crm_url="http://crm.test/records")

    first, again = post(client), post(client)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["deal"]["uri"].startswith("http://crm.test/deals/")
    assert again.json() == {**first.json(), "status": "duplicate"}
    assert len(crm_app.state.store.records()) == 1
