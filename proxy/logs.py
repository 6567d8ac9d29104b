"""Log redaction: no log line of this process may contain a secret.

A filter on the root handlers replaces every secret with `[REDACTED]`, whatever logger
wrote it (ours, uvicorn's, httpx's).
"""

from __future__ import annotations

import logging

REDACTED = "[REDACTED]"


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, REDACTED)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_installed: list[RedactSecrets] = []


def install_redaction(secrets: list[str]) -> None:
    """Add the secrets to the redaction filter on every logger that may print them."""
    if not _installed:
        _installed.append(RedactSecrets([]))
        names = ["", "proxy", "uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore"]
        for name in names:
            logging.getLogger(name).addFilter(_installed[0])
    for secret in secrets:
        if secret and secret not in _installed[0].secrets:
            _installed[0].secrets.append(secret)
