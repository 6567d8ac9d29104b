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

from .i18n import t, translate


class WazzupChatError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(WazzupChatError):
    """`message` is English; with a catalog `key` (components/i18n.py), `localized()` says it
    in the page's language: ConfigError("scope", key="config.scope", params={"got": "'x'"})."""

    def __init__(
        self, name: str, message: str = "", *, key: str = "", params: dict | None = None
    ) -> None:
        self.name = name
        self.key = key
        self.params = dict(params or {})
        self.message = translate("en", key, **self.params) if key else message
        super().__init__(f"Setting '{name}': {self.message}")

    def localized(self) -> str:
        return t(self.key, **self.params) if self.key else self.message


class EventRejected(WazzupChatError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class LinkError(WazzupChatError):
    """`title` and `detail` are English; `keys` (title key, detail key) and `params` let
    `localized()` say them in the page's language. Problems the proxy explains stay as sent."""

    def __init__(
        self,
        title: str,
        detail: str,
        *,
        status: int = 0,
        code: str = "",
        keys: tuple[str, str] | None = None,
        params: dict | None = None,
    ) -> None:
        self.title = title
        self.detail = detail
        self.status = status
        self.code = code
        self.keys = keys
        self.params = dict(params or {})
        super().__init__(f"{title}: {detail}")

    def localized(self) -> tuple[str, str]:
        if not self.keys:
            return self.title, self.detail
        return t(self.keys[0], **self.params), t(self.keys[1], **self.params)


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
