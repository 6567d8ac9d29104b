"""Proxy settings: environment → `Settings` → `create_app(settings)`.

    WAZZUP_API_KEY=... python -m proxy

Tests build `Settings(...)` directly. Secrets have no default; placeholders are refused
outside the demo.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REAL_WAZZUP_V3 = "https://api.wazzup24.com"
REAL_WAZZUP_V2 = "https://tech.wazzup24.com"
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "token", "xxx", "todo"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    wazzup_api: Literal["v3", "v2"] = Field(
        default="v3", description="Which link API generation mints chat links."
    )
    wazzup_api_key: SecretStr | None = None
    wazzup_partner_token: SecretStr | None = None
    wazzup_base_url: str = REAL_WAZZUP_V3
    wazzup_partner_base_url: str = REAL_WAZZUP_V2
    upstream_timeout_s: float = Field(default=10.0, gt=0, le=60)

    crm_url: str | None = Field(default=None, description="CRM URL records are relayed to.")
    allowed_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    static_dir: Path = PROJECT_ROOT
    site_config: Path | None = Field(
        default=None, description="A site.json to serve instead of the page's own."
    )

    allow_unsigned: bool = Field(
        default=False, description="Mint links without a signed launch (local demo only)."
    )
    demo: bool = False

    @field_validator("wazzup_base_url", "wazzup_partner_base_url")
    @classmethod
    def _no_trailing_slash(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL, got {url!r}")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _check_secrets_and_mode(self) -> Self:
        credential = (
            self.wazzup_api_key if self.wazzup_api == "v3" else self.wazzup_partner_token
        )
        name = "WAZZUP_API_KEY" if self.wazzup_api == "v3" else "WAZZUP_PARTNER_TOKEN"
        if credential is None:
            raise ValueError(f"{name} is required when WAZZUP_API={self.wazzup_api}")
        if not self.demo and credential.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(f"{name} is empty or a placeholder; set the real credential")
        if self.allow_unsigned and not _is_loopback(self.host):
            raise ValueError(
                f"ALLOW_UNSIGNED is for the local demo only and needs a loopback HOST, "
                f"got {self.host!r}"
            )
        return self

    def upstream_credential(self) -> str:
        credential = (
            self.wazzup_api_key if self.wazzup_api == "v3" else self.wazzup_partner_token
        )
        assert credential is not None  # checked by _check_secrets_and_mode
        return credential.get_secret_value()

    def secrets(self) -> list[str]:
        """Every secret value, for log redaction and leak checks."""
        return [
            secret.get_secret_value()
            for secret in (self.wazzup_api_key, self.wazzup_partner_token)
            if secret is not None and secret.get_secret_value()
        ]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
