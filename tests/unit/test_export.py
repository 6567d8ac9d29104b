"""Exports of the event log and the delivery log: JSON and CSV, safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from components.errors import PermanentDelivery
from components.events import parse_event
from components.export import (
    CSV_BOM,
    DELIVERY_COLUMNS,
    EVENT_COLUMNS,
    EventLog,
    delivery_table,
    event_table,
    export_file,
    safe_cell,
    to_csv,
)
from components.outbox import Outbox
from components.records import CrmAnswer, record_from_event

AT = datetime(2026, 11, 21, 13, 34, 40, tzinfo=UTC)
MESSAGE = {
    "type": "WZ_OUTPUT_MESSAGE",
    "data": {
        "chatType": "whatsapp",
        "chatId": "79998887766",
        "userId": "u1",
        "name": 'Анна «Ёлка», "VIP"',
        "telephone": "+79161234567",
        "messageId": "m1",
    },
}
OPEN = {
    "type": "WZ_OPEN_ENTITY",
    "data": {
        "chatType": "telegram",
        "chatId": "anthony_stone",
        "userId": "u1",
        "entity": {"id": "d7", "name": '=HYPERLINK("http://evil")'},
    },
}


def logged(*messages: dict) -> EventLog:
    log = EventLog()
    for number, message in enumerate(messages):
        log.add(f"key-{number}", parse_event(message), AT)
    return log


def parse_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith(CSV_BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(CSV_BOM), newline="")))


def test_the_event_log_keeps_the_newest_and_counts_rejections() -> None:
    log = EventLog(limit=2)
    for number in range(3):
        log.add(f"k{number}", parse_event(MESSAGE), AT)
    log.rejected += 1

    assert [item.key for item in log.items()] == ["k1", "k2"]
    assert log.last().key == "k2"
    assert EventLog().last() is None


def test_event_rows_mask_the_chat_id_and_phone() -> None:
    (row,) = event_table(logged(MESSAGE).items())

    assert row["chatId"] == "+7 999 ***-**-66"
    assert row["phone"] == "+7 916 ***-**-67"
    assert row["receivedAt"] == "2026-11-21T13:34:40Z"
    assert row["type"] == "WZ_OUTPUT_MESSAGE"
    assert set(row) == set(EVENT_COLUMNS)


def test_event_rows_in_full_when_masking_is_off() -> None:
    (row,) = event_table(logged(MESSAGE).items(), mask_phones=False)

    assert (row["chatId"], row["phone"]) == ("79998887766", "+79161234567")


def test_csv_quotes_commas_and_quotes_and_keeps_unicode() -> None:
    rows = event_table(logged(MESSAGE).items())

    file = export_file("events", "csv", rows, AT)
    (back,) = parse_csv(file.text)

    assert back["contactName"] == 'Анна «Ёлка», "VIP"'
    assert '"Анна «Ёлка», ""VIP"""' in file.text  # RFC 4180: quoted, quotes doubled
    assert file.text.encode().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    assert "\r\n" in file.text
    assert file.filename == "wazzup-events-20261121-133440.csv"
    assert file.mime == "text/csv;charset=utf-8"


def test_csv_cells_that_a_spreadsheet_would_run_get_a_quote() -> None:
    rows = event_table(logged(OPEN, MESSAGE).items())

    opened, message = parse_csv(to_csv_file(rows))

    assert opened["dealName"] == '\'=HYPERLINK("http://evil")'
    assert message["phone"] == "'+7 916 ***-**-67"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell("1+1") == "1+1"
    assert safe_cell(None) == ""
    assert safe_cell(3) == "3"


def to_csv_file(rows: list[dict]) -> str:
    return export_file("events", "csv", rows, AT).text


def test_json_export_is_the_same_rows_unescaped() -> None:
    rows = event_table(logged(MESSAGE, OPEN).items())

    file = export_file("events", "json", rows, AT)

    assert json.loads(file.text) == rows
    assert "Анна" in file.text
    assert "79998887766" not in file.text
    assert file.filename.endswith(".json") and file.mime == "application/json"


def test_delivery_rows_show_status_errors_and_masked_numbers() -> None:
    outbox = Outbox({}, clock=lambda: AT.timestamp())
    message = record_from_event(parse_event(MESSAGE), received_at=AT, receipt_id="r1")
    opened = record_from_event(parse_event(OPEN), received_at=AT, receipt_id="r2")
    outbox.add(message)
    outbox.add(opened)
    outbox.sending(message.idempotency_key)
    outbox.delivered(message.idempotency_key, CrmAnswer(record_id="c1", link="https://crm/c1"))
    outbox.sending(opened.idempotency_key)
    outbox.failed(opened.idempotency_key, PermanentDelivery("CRM answered 422: no deal"))

    rows = {row["kind"]: row for row in delivery_table(outbox.entries())}

    contact = rows["contact"]
    assert (contact["status"], contact["attempts"]) == ("delivered", 1)
    assert (contact["chatId"], contact["phone"]) == ("+7 999 ***-**-66", "+7 916 ***-**-67")
    assert (contact["crmRecordId"], contact["crmLink"]) == ("c1", "https://crm/c1")
    assert contact["updatedAt"] == "2026-11-21T13:34:40Z"
    deal = rows["deal_opened"]
    assert (deal["status"], deal["lastError"]) == ("failed", "CRM answered 422: no deal")
    assert (deal["chatId"], deal["dealId"]) == ("anthony_stone", "d7")
    assert set(contact) == set(DELIVERY_COLUMNS)
    text = export_file("deliveries", "csv", list(rows.values()), AT).text
    assert "79998887766" not in text and "9161234567" not in text
    assert outbox.get(message.idempotency_key).record.chat.chat_id == "79998887766"


def test_csv_of_no_rows_is_the_header() -> None:
    assert to_csv([], ("a", "b")) == "a,b\r\n"
