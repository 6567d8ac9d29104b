"""Only messages from the chat window we embedded are handled; others are rejected with a reason."""

from __future__ import annotations

import pytest

from components.errors import EventRejected
from components.events import CreateEntityEvent
from components.gate import accept_message, origin_of

LINK = "https://12345678.wazzup24.com/chat/0e812899?token=TOKEN"
ORIGIN = "https://12345678.wazzup24.com"
EVENT = {
    "type": "WZ_CREATE_ENTITY",
    "data": {"chatType": "whatsapp", "chatId": 79998887766, "userId": "u1"},
}


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        (LINK, ORIGIN),
        ("https://app.wazzup24.com:443/chat?token=t", "https://app.wazzup24.com"),
        ("http://127.0.0.1:80/x", "http://127.0.0.1"),
        ("http://127.0.0.1:8001/chat", "http://127.0.0.1:8001"),
        ("https://app.wazzup24.com:8443/", "https://app.wazzup24.com:8443"),
        ("https://APP.Wazzup24.com/chat", "https://app.wazzup24.com"),
        ("http://[::1]:8001/chat", "http://[::1]:8001"),
        ("https://user:pass@app.wazzup24.com/chat", "https://app.wazzup24.com"),
    ],
)
def test_origin_of_writes_the_origin_as_browsers_do(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://x.example/", "/relative", "https://"]
)
def test_origin_of_refuses_non_http_urls(url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        origin_of(url)


def reject(**overrides: object) -> str:
    arguments = {
        "origin": ORIGIN,
        "expected_origin": ORIGIN,
        "from_chat_window": True,
        "data": EVENT,
    } | overrides
    with pytest.raises(EventRejected) as caught:
        accept_message(**arguments)  # type: ignore[arg-type]
    return caught.value.reason


def test_message_from_the_chat_window_is_accepted() -> None:
    event = accept_message(
        origin=origin_of(LINK), expected_origin=origin_of(LINK), from_chat_window=True, data=EVENT
    )

    assert isinstance(event, CreateEntityEvent)
    assert event.data.chat_id == "79998887766"


def test_message_before_a_chat_is_open_is_rejected() -> None:
    assert reject(expected_origin=None) == "no chat window is open yet"


def test_message_from_a_wrong_origin_is_rejected_naming_both_origins() -> None:
    reason = reject(origin="https://evil.example.com")

    assert "'https://evil.example.com'" in reason
    assert repr(ORIGIN) in reason


def test_message_from_a_look_alike_origin_is_rejected() -> None:
    assert "not the chat window's origin" in reject(origin=ORIGIN + ".evil.example.com")


def test_message_from_the_right_origin_but_another_window_is_rejected() -> None:
    assert reject(from_chat_window=False) == (
        "sent by a window other than the chat window, from its origin"
    )


def test_wrong_origin_is_rejected_before_the_data_is_read() -> None:
    reason = reject(origin="https://evil.example.com", data="not json at all")

    assert "origin" in reason


def test_accepted_origin_with_bad_data_is_rejected_by_the_parser() -> None:
    assert reject(data={"type": "WZ_NOPE"}).startswith("unknown message type")
