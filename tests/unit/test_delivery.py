"""Delivering one CRM record, and how each outcome is classified."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import pytest

from components.delivery import Delivered, deliver, retry_after
from components.errors import PermanentDelivery, TransientDelivery
from components.events import parse_event
from components.http import MAX_ANSWER_BYTES, HttpResult, TransportFailure
from components.records import IDEMPOTENCY_HEADER, CrmAnswer, CrmRecord, record_from_event

CRM = "https://crm.example.com/records"


@dataclass
class FakeSend:
    """An `AsyncSend` that answers from a script and remembers every request."""

    answers: list[HttpResult | Exception]
    requests: list[dict] = field(default_factory=list)

    async def __call__(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
    ) -> HttpResult:
        self.requests.append(
            {"method": method, "url": url, "body": body, "headers": headers, "timeout": timeout}
        )
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def answer(status: int, body: object = b"", truncated: bool = False, **headers: str) -> HttpResult:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {k.lower().replace("_", "-"): v for k, v in headers.items()}
    return HttpResult(status, raw, headers, truncated)


def make_record() -> CrmRecord:
    event = parse_event(
        {
            "type": "WZ_CREATE_ENTITY",
            "data": {"chatType": "whatsapp", "chatId": "79998887766", "userId": "u1"},
        }
    )
    return record_from_event(event, receipt_id="r-1")


def run(send: FakeSend, record: CrmRecord | None = None) -> Delivered:
    return asyncio.run(deliver(record or make_record(), url=CRM, send=send, timeout=7.5))


def failure(send: FakeSend) -> Exception:
    with pytest.raises((TransientDelivery, PermanentDelivery)) as caught:
        run(send)
    return caught.value


def test_created_answer_is_returned() -> None:
    deal = {"id": "501", "responsibleUserId": "1", "name": "Deal #501", "contacts": ["1"]}
    send = FakeSend([answer(201, {"status": "created", "recordId": "r9", "deal": deal})])

    result = run(send).answer

    assert result.status == "created"
    assert result.record_id == "r9"
    assert result.deal is not None and result.deal.id == "501"


def test_record_is_posted_as_json_with_its_idempotency_key() -> None:
    record = make_record()
    send = FakeSend([answer(200, {})])

    run(send, record)

    (request,) = send.requests
    assert (request["method"], request["url"], request["timeout"]) == ("POST", CRM, 7.5)
    assert request["headers"][IDEMPOTENCY_HEADER] == record.idempotency_key
    assert request["headers"]["Content-Type"] == "application/json"
    assert json.loads(request["body"]) == record.to_wire()


@pytest.mark.parametrize("body", [b"", b"   ", b"{}"])
def test_success_with_an_empty_answer_is_delivered_without_a_note(body: bytes) -> None:
    assert run(FakeSend([answer(200, body)])) == Delivered(CrmAnswer())


@pytest.mark.parametrize(
    ("body", "content_type", "note"),
    [
        (b"thanks!", "text/plain", "answer not read: not JSON (thanks!)"),
        (b"<html><title>Saved \n ok</title>", "text/html", "not JSON (an HTML page: Saved ok)"),
        (b"<p>Saved</p>", "", "not JSON (an HTML page)"),
        (b"[1, 2]", "application/json", "not a CRM answer (Input should be a valid dictionary"),
        (b'{"status": "weird"}', "application/json", "not a CRM answer (status: Input should"),
    ],
)
def test_success_with_an_unreadable_answer_is_delivered_with_a_note_saying_why(
    body: bytes, content_type: str, note: str
) -> None:
    result = run(FakeSend([answer(201, body, content_type=content_type)]))

    assert result.answer == CrmAnswer()
    assert result.note is not None and note in result.note


def test_json_answer_with_a_wrong_content_type_is_still_read() -> None:
    body = {"status": "created", "recordId": "r1"}

    result = run(FakeSend([answer(201, body, content_type="text/html")]))

    assert (result.answer.record_id, result.note) == ("r1", None)


def test_success_with_a_huge_answer_is_delivered_with_a_note() -> None:
    cut = b'{"status": "created", "padding": "' + b"x" * MAX_ANSWER_BYTES

    result = run(FakeSend([answer(201, cut[:MAX_ANSWER_BYTES], truncated=True)]))

    assert result.answer == CrmAnswer()
    assert result.note == "answer not read: larger than 256 KiB"


def test_answer_link_that_is_not_a_web_link_is_dropped() -> None:
    body = {"status": "created", "link": "javascript:alert(1)"}

    assert run(FakeSend([answer(201, body)])).answer.link is None


def test_refusal_as_an_html_error_page_is_quoted_by_its_title() -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"

    error = failure(FakeSend([answer(502, page, content_type="text/html")]))

    assert error.reason == "CRM answered 502: an HTML page: 502 Bad Gateway"


def test_redirect_is_a_permanent_failure() -> None:
    error = failure(FakeSend([answer(302, b"", location="https://elsewhere")]))

    assert isinstance(error, PermanentDelivery)
    assert error.reason.startswith("CRM answered 302")


@pytest.mark.parametrize("status", [500, 502, 503, 408, 425, 429])
def test_server_errors_and_throttling_are_transient(status: int) -> None:
    error = failure(FakeSend([answer(status, {"detail": "busy"})]))

    assert isinstance(error, TransientDelivery)
    assert error.status == status
    assert error.reason == f"CRM answered {status}: busy"
    assert error.retry_after is None


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_carried_by_the_transient_error(status: int) -> None:
    error = failure(FakeSend([answer(status, b"", retry_after="12")]))

    assert isinstance(error, TransientDelivery)
    assert error.retry_after == 12.0
    assert "(empty answer)" in error.reason


@pytest.mark.parametrize("status", [422, 400, 404, 409])
def test_client_errors_are_permanent_and_carry_the_crms_detail(status: int) -> None:
    error = failure(FakeSend([answer(status, {"detail": "missing 'email'"})]))

    assert isinstance(error, PermanentDelivery)
    assert error.status == status
    assert error.reason == f"CRM answered {status}: missing 'email'"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"message": "no such pipeline"}, "no such pipeline"),
        ({"error": "BAD_CHAT"}, "BAD_CHAT"),
        ({"title": "Unprocessable"}, "Unprocessable"),
        ({"errors": ["a"]}, '{"errors": ["a"]}'),
        (b"plain text refusal", "plain text refusal"),
    ],
)
def test_permanent_error_reason_uses_the_crms_own_words(body: object, words: str) -> None:
    error = failure(FakeSend([answer(422, body)]))

    assert words in error.reason


def test_very_long_crm_answer_is_cut_in_the_reason() -> None:
    error = failure(FakeSend([answer(422, {"detail": "x" * 5000})]))

    assert len(error.reason) <= 300


def test_transport_failure_is_transient() -> None:
    error = failure(FakeSend([TransportFailure("no answer within 7.5 s")]))

    assert isinstance(error, TransientDelivery)
    assert error.status == 0
    assert error.reason == "CRM not reachable: no answer within 7.5 s"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("99999", 3600.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_header_values(value: str | None, seconds: float | None) -> None:
    assert retry_after(value) == seconds
