"""No log line of the proxy may contain a secret, whichever logger wrote it."""

from __future__ import annotations

import logging

import pytest

from proxy.logs import REDACTED, RedactSecrets, install_redaction

KEY = "k3y-0123456789abcdef0123456789abcdef"


def make_record(message: str, *args: object, name: str = "proxy") -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, __file__, 1, message, args, None)


def test_filter_replaces_the_secret_in_the_message() -> None:
    record = make_record(f"calling Wazzup with Bearer {KEY}")

    assert RedactSecrets([KEY]).filter(record) is True
    assert record.getMessage() == f"calling Wazzup with Bearer {REDACTED}"


def test_filter_replaces_a_secret_passed_as_an_argument() -> None:
    record = make_record("headers: %s", {"Authorization": f"Bearer {KEY}"})

    RedactSecrets([KEY]).filter(record)

    assert KEY not in record.getMessage()
    assert REDACTED in record.getMessage()


def test_filter_leaves_clean_records_untouched() -> None:
    record = make_record("minted a link for user %s", "7")

    RedactSecrets([KEY]).filter(record)

    assert (record.msg, record.args) == ("minted a link for user %s", ("7",))


def test_filter_ignores_empty_secrets() -> None:
    record = make_record("nothing to hide")

    RedactSecrets(["", KEY]).filter(record)

    assert record.getMessage() == "nothing to hide"


@pytest.mark.parametrize(
    "logger_name", ["proxy", "uvicorn.error", "httpx", "proxy.upstream", "httpcore.http11", "app"]
)
def test_installed_redaction_hides_the_key_in_captured_logs(
    caplog: pytest.LogCaptureFixture, logger_name: str
) -> None:
    install_redaction([KEY])

    with caplog.at_level(logging.INFO):
        logging.getLogger(logger_name).warning("upstream said: Authorization: Bearer %s", KEY)

    assert caplog.records, "the log line was not captured"
    assert KEY not in caplog.text
    assert REDACTED in caplog.text


def test_installing_twice_keeps_both_secrets(caplog: pytest.LogCaptureFixture) -> None:
    other = "partner-token-" + "z" * 20
    install_redaction([KEY])
    install_redaction([other, ""])

    with caplog.at_level(logging.INFO):
        logging.getLogger("proxy").error("a=%s b=%s", KEY, other)

    assert KEY not in caplog.text and other not in caplog.text
    assert caplog.text.count(REDACTED) == 2
