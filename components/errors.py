"""Errors of the page and the proxy.

WazzupChatError
├── ConfigError            a site setting or URL parameter is invalid (names it)
├── EventRejected          a window message was not accepted (says why)
├── LinkError              no chat link could be had
│   ├── ProxyUnreachable   the proxy did not answer
│   └── LinkRefused        the proxy or Wazzup answered with a problem
└── DeliveryError          a CRM record could not be delivered
    ├── TransientDelivery  worth retrying (5xx, 429, timeout, network)
    └── PermanentDelivery  will fail again until someone fixes it (4xx, bad answer)
"""

from __future__ import annotations


class WazzupChatError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(WazzupChatError):
    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.message = message
        super().__init__(f"Setting '{name}': {message}")


class EventRejected(WazzupChatError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class LinkError(WazzupChatError):
    def __init__(self, title: str, detail: str, *, status: int = 0, code: str = "") -> None:
        self.title = title
        self.detail = detail
        self.status = status
        self.code = code
        super().__init__(f"{title}: {detail}")


class ProxyUnreachable(LinkError):
    pass


class LinkRefused(LinkError):
    pass


class DeliveryError(WazzupChatError):
    def __init__(self, reason: str, *, status: int = 0, retry_after: float | None = None) -> None:
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        super().__init__(reason)


class TransientDelivery(DeliveryError):
    pass


class PermanentDelivery(DeliveryError):
    pass
