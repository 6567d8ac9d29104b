"""Settings of the Wazzup sandbox. No environment reading here: the caller builds them.

SandboxSettings(api_key="k", partner_token="t", public_url="http://127.0.0.1:8001")
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from components.entities import WebhookSettings


class SandboxSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: str = Field(min_length=1, description="The v3 API key (Bearer).")
    partner_token: str = Field(min_length=1, description="The v2 client access token (Bearer).")
    public_url: str = Field(description="Base URL the sandbox is reachable at; chat links use it.")
    rate_limit: int = Field(default=500, ge=1, description="Requests per window, per credential.")
    rate_window_s: float = Field(default=5.0, gt=0)
    webhook_timeout_s: float = Field(default=30.0, gt=0)
    account_id: str = Field(default="12345678", min_length=1)
    enable_test_routes: bool = Field(
        default=True, description="Mount /_sandbox/* (faults, state) and fault injection."
    )
    webhooks: WebhookSettings | None = Field(
        default=None,
        description="The account's webhook settings at start (and after a state reset), as "
        "if PATCH /v3/webhooks had been called: the demo subscribes its proxy this way, "
        "without a startup race against the proxy's test POST.",
    )

    @field_validator("public_url")
    @classmethod
    def _http_url_without_trailing_slash(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"public_url must be an http(s) URL, got {url!r}")
        return url.rstrip("/")
