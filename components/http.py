"""One small HTTP shape for CPython and the browser.

`send_sync` uses `urllib.request`, which pyodide-http patches in the browser (a synchronous
XMLHttpRequest), so the same code fetches the chat link in tests and on the page. Delivery to
the CRM must never block the page, so it takes an async `AsyncSend` instead (browser: fetch;
CPython: httpx) — see `components/browser.py`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

MAX_ANSWER_BYTES = 256 * 1024


class TransportFailure(Exception):
    """No HTTP answer at all: refused connection, DNS, CORS, timeout."""


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    truncated: bool = False  # the answer was longer than MAX_ANSWER_BYTES and was cut

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)


AsyncSend = Callable[[str, str, bytes | None, dict[str, str], float], Awaitable[HttpResult]]
"""(method, url, body, headers, timeout_s) -> HttpResult, raising TransportFailure."""


def send_sync(
    method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float = 20.0
) -> HttpResult:
    # Imported here: urllib.request (http.client, email, ...) costs the page ~30 ms at start,
    # and only the configuration page and the page's fallback path send this way.
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:  # CPython raises for 4xx/5xx; pyodide-http does not
        return HttpResult(error.code, error.read(MAX_ANSWER_BYTES), _lower(error.headers))
    except Exception as error:  # URLError, socket errors, and the browser's NetworkError
        raise TransportFailure(str(error) or type(error).__name__) from None
    with response:
        return HttpResult(
            response.status, response.read(MAX_ANSWER_BYTES), _lower(response.headers)
        )


def json_body(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _lower(headers: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in (headers or {}).items()}


def with_launch(send: Any, token: str | None) -> Any:
    """`send` (see components.http) that also presents the launch token to the proxy."""
    if token is None:
        return send

    def send_with_launch(
        method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float = 20.0
    ) -> HttpResult:
        return send(method, url, body, {**headers, "Authorization": f"Bearer {token}"}, timeout)

    return send_with_launch
