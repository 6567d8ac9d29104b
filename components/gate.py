"""Decides whether a window message may be handled at all.

A message counts only when it comes from the chat window we embedded: the origin of the
link we got **and** that iframe's own window. Everything else is rejected with a reason.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .errors import EventRejected
from .events import WazzupEvent, parse_event

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """`https://host[:port]` of a URL, as browsers write `event.origin`."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url[:80]!r}")
    port = parts.port
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def accept_message(
    *, origin: str, expected_origin: str | None, from_chat_window: bool, data: Any
) -> WazzupEvent:
    if expected_origin is None:
        raise EventRejected("no chat window is open yet")
    if origin != expected_origin:
        raise EventRejected(
            f"origin {origin[:100]!r} is not the chat window's origin {expected_origin!r}"
        )
    if not from_chat_window:
        raise EventRejected("sent by a window other than the chat window, from its origin")
    return parse_event(data)
