"""Proxy settings: required secrets, placeholder refusal, and the unsigned-mode guard."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from proxy.settings import REAL_WAZZUP_V2, REAL_WAZZUP_V3, Settings

KEY = "0123456789abcdef0123456789abcdef"
PARTNER = "client-access-token-0123456789"
ENVIRONMENT = (
    "HOST",
    "PORT",
    "WAZZUP_API",
    "WAZZUP_API_KEY",
    "WAZZUP_PARTNER_TOKEN",
    "WAZZUP_BASE_URL",
    "WAZZUP_PARTNER_BASE_URL",
    "ALLOW_UNSIGNED",
    "DEMO",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def refusal(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(**values)  # type: ignore[arg-type]
    return str(caught.value)


def test_real_key_gives_safe_defaults() -> None:
    settings = Settings(wazzup_api_key=KEY)

    assert (settings.host, settings.wazzup_api, settings.allow_unsigned) == (
        "127.0.0.1",
        "v3",
        False,
    )
    assert settings.wazzup_base_url == REAL_WAZZUP_V3
    assert settings.wazzup_partner_base_url == REAL_WAZZUP_V2
    assert settings.upstream_credential() == KEY
    assert settings.secrets() == [KEY]


def test_key_never_shows_in_the_settings_repr() -> None:
    settings = Settings(wazzup_api_key=KEY, wazzup_partner_token=PARTNER)

    assert KEY not in repr(settings) and KEY not in str(settings)
    assert PARTNER not in repr(settings)


def test_missing_key_is_refused_naming_it() -> None:
    assert "WAZZUP_API_KEY is required when WAZZUP_API=v3" in refusal()


@pytest.mark.parametrize("placeholder", ["", "changeme", "CHANGE-ME", " secret ", "token", "xxx"])
def test_placeholder_key_is_refused_outside_the_demo(placeholder: str) -> None:
    message = refusal(wazzup_api_key=placeholder)

    assert "WAZZUP_API_KEY is empty or a placeholder" in message


def test_placeholder_key_is_allowed_in_the_demo() -> None:
    settings = Settings(wazzup_api_key="changeme", demo=True)

    assert settings.upstream_credential() == "changeme"


def test_v2_needs_the_partner_token() -> None:
    message = refusal(wazzup_api="v2", wazzup_api_key=KEY)

    assert "WAZZUP_PARTNER_TOKEN is required when WAZZUP_API=v2" in message


def test_v2_refuses_a_placeholder_partner_token() -> None:
    assert "WAZZUP_PARTNER_TOKEN is empty or a placeholder" in refusal(
        wazzup_api="v2", wazzup_partner_token="todo"
    )


def test_v2_uses_the_partner_token_as_its_credential() -> None:
    settings = Settings(wazzup_api="v2", wazzup_partner_token=PARTNER)

    assert settings.upstream_credential() == PARTNER
    assert settings.secrets() == [PARTNER]


def test_every_secret_is_listed_for_redaction() -> None:
    settings = Settings(wazzup_api_key=KEY, wazzup_partner_token=PARTNER)

    assert settings.secrets() == [KEY, PARTNER]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "proxy.example.com"])
def test_unsigned_mode_on_a_non_loopback_host_is_refused(host: str) -> None:
    message = refusal(wazzup_api_key=KEY, allow_unsigned=True, host=host)

    assert "ALLOW_UNSIGNED is for the local demo only" in message
    assert repr(host) in message


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_unsigned_mode_on_a_loopback_host_is_allowed(host: str) -> None:
    assert Settings(wazzup_api_key=KEY, allow_unsigned=True, host=host).allow_unsigned


def test_signed_mode_may_listen_on_every_interface() -> None:
    assert Settings(wazzup_api_key=KEY, host="0.0.0.0").host == "0.0.0.0"


def test_base_urls_lose_their_trailing_slash() -> None:
    settings = Settings(
        wazzup_api_key=KEY,
        wazzup_base_url="http://127.0.0.1:8001/",
        wazzup_partner_base_url="http://127.0.0.1:8001//",
    )

    assert settings.wazzup_base_url == "http://127.0.0.1:8001"
    assert settings.wazzup_partner_base_url == "http://127.0.0.1:8001"


def test_base_url_that_is_not_http_is_refused_naming_it() -> None:
    message = refusal(wazzup_api_key=KEY, wazzup_base_url="api.wazzup24.com")

    assert "wazzup_base_url" in message
    assert "must be an http(s) URL" in message


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAZZUP_API_KEY", KEY)
    monkeypatch.setenv("WAZZUP_BASE_URL", "http://127.0.0.1:8001")
    monkeypatch.setenv("PORT", "8123")

    settings = Settings()

    assert settings.upstream_credential() == KEY
    assert (settings.wazzup_base_url, settings.port) == ("http://127.0.0.1:8001", 8123)


def test_settings_are_frozen() -> None:
    settings = Settings(wazzup_api_key=KEY)

    with pytest.raises(ValidationError):
        settings.allow_unsigned = True  # type: ignore[misc]
