"""Proxy settings: environment → `Settings` → `create_app(settings)`.

    WAZZUP_API_KEY=... python -m proxy

Tests build `Settings(...)` directly. Secrets have no default; placeholders are refused
outside the demo.
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REAL_WAZZUP_V3 = "https://api.wazzup24.com"
REAL_WAZZUP_V2 = "https://tech.wazzup24.com"
MIN_WEBHOOK_SECRET = 16
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "token", "xxx", "todo"})
MIN_LAUNCH_SECRET_CHARS = 32
WAZZUP_CHAT_ORIGINS = "https://*.wazzup24.com"  # v3 links: <account>.wazzup24.com, v2: app.
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A CSP source: 'self' / 'none', or an origin whose host may start with "*." (no paths, no ";").
_CSP_SOURCE = re.compile(r"^(?:'self'|'none'|https?://(?:\*\.)?[A-Za-z0-9.-]+(?::[0-9]{1,5})?)$")

# Lists read from the environment as "a,b,c" (a JSON array works too).
CommaList = Annotated[list[str], NoDecode]


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
    upstream_retry_max_wait_s: float = Field(
        default=6.0,
        ge=0,
        le=30,
        description="On a 429 from Wazzup, wait Retry-After (at most this long) and retry once.",
    )
    upsert_users: bool = Field(
        default=True,
        description="POST /v3/users (v2: /v2/users) the link's user before minting its link, "
        "when the request names the user.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret in the URL Wazzup posts webhooks to: "
        "/api/wazzup/webhook/<secret>. Unset: no webhook route.",
    )
    crm_webhook_url: str | None = Field(
        default=None,
        description="Where createContact / createDeal webhooks are forwarded (the CRM's "
        "webhook endpoint).",
    )
    crm_webhook_timeout_s: float = Field(
        default=25.0, gt=0, le=29, description="Wazzup waits 30 s for a webhook's answer."
    )

    crm_url: str | None = Field(default=None, description="CRM URL records are relayed to.")
    crm_headers: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='Headers the relay adds for the CRM, as JSON: {"Authorization": "Bearer …"}.'
        " Never sent to the browser; redacted in logs.",
    )
    crm_timeout_s: float = Field(
        default=10.0, gt=0, le=60, description="How long the relay waits for the CRM."
    )
    allowed_origins: CommaList = Field(
        default_factory=list, description="Origins allowed to call the API (CORS)."
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    static_dir: Path = PROJECT_ROOT
    site_config: Path | None = Field(
        default=None, description="A site.json to serve instead of the page's own."
    )

    allow_unsigned: bool = Field(
        default=False, description="Mint links without a signed launch (local demo only)."
    )
    demo: bool = False

    # Signed launches (proxy/launch.py, docs/security.md).
    launch_keys: Annotated[dict[str, SecretStr], NoDecode] = Field(
        default_factory=dict,
        description="Keys that sign launches, as kid1:secret1,kid2:secret2 (several at once "
        "for rotation).",
    )
    launch_reusable_keys: CommaList = Field(
        default_factory=list, description="Key ids that may sign reusable (long-lived) launches."
    )
    launch_max_ttl_s: float = Field(
        default=900, gt=0, le=86_400, description="Longest life of a single-use launch."
    )
    launch_leeway_s: float = Field(default=30, ge=0, le=300, description="Clock skew allowed.")
    launch_nonce_db: Path | None = Field(
        default=None, description="SQLite file for used nonces (default: in memory)."
    )

    # The page's Content-Security-Policy (proxy/security.py).
    frame_origins: CommaList = Field(
        default_factory=lambda: [WAZZUP_CHAT_ORIGINS],
        description="Origins the chat iframe may load from (the chat links' origin).",
    )
    frame_ancestors: CommaList = Field(
        default_factory=lambda: ["'self'"], description="Origins that may embed the page."
    )
    connect_origins: CommaList = Field(
        default_factory=list,
        description="Origins the page may fetch besides its own and CRM_URL's (a CRM it "
        "posts to directly).",
    )

    # Rate limits (proxy/ratelimit.py).
    client_rate_limit: int = Field(default=300, ge=1, description="API requests per client IP…")
    client_rate_window_s: float = Field(default=60, gt=0, description="…per this many seconds.")
    upstream_rate_limit: int = Field(default=500, ge=1, description="Wazzup calls, all clients…")
    upstream_rate_window_s: float = Field(default=5, gt=0, description="…per this many seconds.")

    @field_validator(
        "allowed_origins",
        "launch_reusable_keys",
        "frame_origins",
        "frame_ancestors",
        "connect_origins",
        mode="before",
    )
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("frame_origins", "frame_ancestors", "connect_origins")
    @classmethod
    def _csp_sources(cls, sources: list[str]) -> list[str]:
        for source in sources:
            if not _CSP_SOURCE.match(source):
                raise ValueError(
                    f"{source[:80]!r} is not an origin like https://chat.example.com or "
                    "https://*.example.com (or 'self', 'none')"
                )
        return sources

    @field_validator("launch_keys", mode="before")
    @classmethod
    def _parse_launch_keys(cls, value: Any) -> Any:
        return parse_launch_keys(value) if isinstance(value, str) else value

    @field_validator("wazzup_base_url", "wazzup_partner_base_url")
    @classmethod
    def _no_trailing_slash(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL, got {url!r}")
        return url.rstrip("/")

    @field_validator("crm_url")
    @classmethod
    def _crm_url_is_http(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL, got {url!r}")
        return url

    @field_validator("crm_webhook_url")
    @classmethod
    def _crm_webhook_url_is_http(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL, got {url!r}")
        return url

    @model_validator(mode="after")
    def _check_secrets_and_mode(self) -> Self:
        credential = self.wazzup_api_key if self.wazzup_api == "v3" else self.wazzup_partner_token
        name = "WAZZUP_API_KEY" if self.wazzup_api == "v3" else "WAZZUP_PARTNER_TOKEN"
        if credential is None:
            raise ValueError(f"{name} is required when WAZZUP_API={self.wazzup_api}")
        if not self.demo and credential.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(f"{name} is empty or a placeholder; set the real credential")
        self._check_launch_keys()
        if self.webhook_secret is not None and not self.demo:
            secret = self.webhook_secret.get_secret_value()
            if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_WEBHOOK_SECRET:
                raise ValueError(
                    f"WEBHOOK_SECRET must be at least {MIN_WEBHOOK_SECRET} random characters"
                )
        if self.allow_unsigned and not _is_loopback(self.host):
            raise ValueError(
                f"ALLOW_UNSIGNED is for the local demo only and needs a loopback HOST, "
                f"got {self.host!r}"
            )
        return self

    def _check_launch_keys(self) -> None:
        for kid, secret in self.launch_keys.items():
            if not _KEY_ID.match(kid):
                raise ValueError(
                    f"LAUNCH_KEYS: key id {kid[:80]!r} must be 1-64 of A-Z a-z 0-9 . _ -"
                )
            value = secret.get_secret_value()
            if self.demo:
                continue
            if value.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(f"LAUNCH_KEYS: key {kid!r} has an empty or placeholder secret")
            if len(value) < MIN_LAUNCH_SECRET_CHARS:
                raise ValueError(
                    f"LAUNCH_KEYS: key {kid!r} has a secret of {len(value)} characters; use at "
                    f"least {MIN_LAUNCH_SECRET_CHARS} random ones (python -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))')"
                )
        unknown = sorted(set(self.launch_reusable_keys) - set(self.launch_keys))
        if unknown:
            raise ValueError(
                f"LAUNCH_REUSABLE_KEYS names {unknown[0]!r}, which is not in LAUNCH_KEYS"
            )

    def launch_secrets(self) -> dict[str, str]:
        return {kid: secret.get_secret_value() for kid, secret in self.launch_keys.items()}

    def upstream_credential(self) -> str:
        credential = self.wazzup_api_key if self.wazzup_api == "v3" else self.wazzup_partner_token
        assert credential is not None  # checked by _check_secrets_and_mode
        return credential.get_secret_value()

    def secrets(self) -> list[str]:
        """Every secret value, for log redaction and leak checks."""
        return [
            secret.get_secret_value()
            for secret in (
                self.wazzup_api_key,
                self.wazzup_partner_token,
                self.webhook_secret,
                *self.crm_headers.values(),
                *self.launch_keys.values(),
            )
            if secret is not None and secret.get_secret_value()
        ]


def parse_launch_keys(text: str) -> dict[str, str]:
    """`kid1:secret1,kid2:secret2` → {kid: secret}; ValueError saying how to write it."""
    keys: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kid, separator, secret = item.partition(":")
        if not separator or not _KEY_ID.match(kid):
            raise ValueError(
                "write LAUNCH_KEYS as kid1:secret1,kid2:secret2 (kid: 1-64 of A-Z a-z 0-9 . _ -)"
            )
        if kid in keys:
            raise ValueError(f"key id {kid!r} is given twice")
        keys[kid] = secret
    return keys


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
