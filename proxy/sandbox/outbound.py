"""Calls from the sandbox to the CRM's webhook address (wazzup-api.md §5).

POST JSON, no Authorization header (the sandbox holds no crmKey), 200 expected, timeout
`webhook_timeout_s` (Wazzup: 30 s). The transport is injectable so tests can answer with
`httpx.MockTransport` instead of a real server.
"""

from __future__ import annotations

from typing import Any

import httpx

# The docs print "application/json; charset-utf-8", a typo of the standard parameter.
WEBHOOK_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


class WebhookFailed(Exception):
    """The webhook address could not be reached or did not answer in time."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class WebhookClient:
    def __init__(self, timeout_s: float, transport: httpx.AsyncBaseTransport | None = None):
        self._timeout_s = timeout_s
        self._transport = transport

    async def post(self, uri: str, body: Any) -> httpx.Response:
        # A client per call: webhooks are rare, and this needs no lifespan to open and close.
        async with httpx.AsyncClient(
            transport=self._transport, timeout=self._timeout_s, follow_redirects=False
        ) as client:
            try:
                response = await client.post(uri, json=body, headers=WEBHOOK_HEADERS)
            except httpx.TimeoutException:
                raise WebhookFailed(f"no answer within {self._timeout_s:g} s") from None
            except httpx.HTTPError as error:
                raise WebhookFailed(f"could not connect ({type(error).__name__})") from None
            await response.aread()
            return response
