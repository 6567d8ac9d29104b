"""Log redaction: no log line of this process may contain a secret.

Every log record is redacted as it is made, so `[REDACTED]` replaces each secret whatever
logger wrote it (ours, uvicorn's, httpx's, their child loggers) and whatever handler prints it.
"""

from __future__ import annotations

import logging
from typing import Any

REDACTED = "[REDACTED]"


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is reported by logging when it is emitted
            return True
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, REDACTED)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_installed: list[RedactSecrets] = []


def install_redaction(secrets: list[str]) -> None:
    """Add the secrets to the redaction every new log record goes through."""
    if not _installed:
        redact = RedactSecrets([])
        _installed.append(redact)
        # A logger's own filter never sees its children's records ("proxy.upstream",
        # "httpcore.http11"), so redact where every record is made instead.
        make_record = logging.getLogRecordFactory()

        def make_redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            redact.filter(record)
            return record

        logging.setLogRecordFactory(make_redacted_record)
    for secret in secrets:
        if secret and secret not in _installed[0].secrets:
            _installed[0].secrets.append(secret)
