"""Phone numbers on the page and in exports: masked by default, in full when the site says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.config import load_page_config
from components.errors import ConfigError
from components.events import parse_event
from components.mask import mask_chat_id, mask_phone
from components.records import record_from_event
from components.render import event_rows

SITE = (Path(__file__).resolve().parents[2] / "site.json").read_text()
MESSAGE = {
    "type": "WZ_OUTPUT_MESSAGE",
    "data": {
        "chatType": "whatsapp",
        "chatId": "79998887766",
        "userId": "u1",
        "telephone": "+7 (916) 123-45-67",
    },
}


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("79998887766", "+7 999 ***-**-66"),
        ("+7 (999) 888-77-66", "+7 999 ***-**-66"),
        ("89161234567", "8 916 ***-**-67"),
        ("380501234567", "+3805 ****-**-67"),
        ("+1 202 555 0123", "+1202 ***-**-23"),
        ("1234567", "***-**-67"),
        ("12345", "***-45"),
    ],
)
def test_a_phone_keeps_only_where_it_is_from_and_its_last_two_digits(number, shown) -> None:
    assert mask_phone(number) == shown


@pytest.mark.parametrize("text", ["anthony_stone", "1234", "", "+7 999 call me", "٧٩٩٩٨٨٨٧٧٦٦"])
def test_text_that_is_no_phone_number_is_left_alone(text) -> None:
    assert mask_phone(text) == text


def test_only_chats_named_by_phone_are_masked() -> None:
    assert mask_chat_id("whatsapp", "79998887766") == "+7 999 ***-**-66"
    assert mask_chat_id("viber", "79998887766") == "+7 999 ***-**-66"
    assert mask_chat_id("telegram", "79998887766") == "79998887766"
    assert mask_chat_id("whatsgroup", "120363025246125486") == "120363025246125486"


def test_the_event_log_shows_the_chat_and_phone_masked() -> None:
    rows = dict(event_rows(parse_event(MESSAGE)))

    assert rows["Chat"] == "whatsapp +7 999 ***-**-66"
    assert rows["Phone"] == "+7 916 ***-**-67"


def test_the_event_log_shows_numbers_in_full_when_masking_is_off() -> None:
    rows = dict(event_rows(parse_event(MESSAGE), mask_phones=False))

    assert rows["Chat"] == "whatsapp 79998887766"
    assert rows["Phone"] == "+7 (916) 123-45-67"


def test_the_crm_record_keeps_the_real_number() -> None:
    record = record_from_event(parse_event(MESSAGE), receipt_id="r1")

    assert record.chat.chat_id == "79998887766"
    assert record.event["data"]["telephone"] == "+7 (916) 123-45-67"


def test_masking_is_on_unless_the_url_or_site_turns_it_off() -> None:
    site_off = SITE.replace('"proxyUrl": ""', '"proxyUrl": "", "maskPhones": false')

    assert load_page_config(SITE, "https://chat.example/").mask_phones is True
    assert load_page_config(SITE, "https://chat.example/?mask=off").mask_phones is False
    assert load_page_config(site_off, "https://chat.example/").mask_phones is False
    assert load_page_config(site_off, "https://chat.example/?mask=on").mask_phones is True


def test_a_bad_mask_value_names_the_parameter() -> None:
    with pytest.raises(ConfigError) as raised:
        load_page_config(SITE, "https://chat.example/?mask=no")

    assert raised.value.name == "mask"
    assert "'on' or 'off'" in raised.value.message
