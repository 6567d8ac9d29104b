"""The demo's configuration, read once from the environment::

    config = DemoConfig.from_env(os.environ)
    config.page_url        # "http://127.0.0.1:8000"

A bad value raises `ConfigError` naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from components.errors import ConfigError

from . import defaults


@dataclass(frozen=True)
class DemoConfig:
    port: int = defaults.PORT
    sandbox_port: int = defaults.SANDBOX_PORT
    crm_port: int = defaults.CRM_PORT
    crm_db: Path = defaults.CRM_DB
    wazzup_api_key: str = defaults.WAZZUP_API_KEY
    wazzup_partner_token: str = defaults.WAZZUP_PARTNER_TOKEN
    webhook_secret: str = defaults.WEBHOOK_SECRET
    host: str = defaults.HOST
    # ALLOWED_ORIGINS: more origins that may call the proxy's API and the sample CRM (CORS)
    # and embed the page, e.g. a static host serving dist/ (docs/hosting.md).
    allowed_origins: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DemoConfig:
        config = cls(
            port=_port(env, "PORT", defaults.PORT),
            sandbox_port=_port(env, "SANDBOX_PORT", defaults.SANDBOX_PORT),
            crm_port=_port(env, "CRM_PORT", defaults.CRM_PORT),
            crm_db=Path(env.get("CRM_DB") or defaults.CRM_DB),
            wazzup_api_key=env.get("WAZZUP_API_KEY") or defaults.WAZZUP_API_KEY,
            wazzup_partner_token=env.get("WAZZUP_PARTNER_TOKEN") or defaults.WAZZUP_PARTNER_TOKEN,
            webhook_secret=env.get("WEBHOOK_SECRET") or defaults.WEBHOOK_SECRET,
            allowed_origins=_origins(env, "ALLOWED_ORIGINS"),
        )
        ports = {
            config.port: "PORT",
            config.sandbox_port: "SANDBOX_PORT",
            config.crm_port: "CRM_PORT",
        }
        if len(ports) < 3:
            raise ConfigError(
                "PORT", "PORT, SANDBOX_PORT and CRM_PORT must be three different ports"
            )
        return config

    @property
    def page_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://{self.host}:{self.sandbox_port}"

    @property
    def crm_url(self) -> str:
        return f"http://{self.host}:{self.crm_port}"

    @property
    def webhook_url(self) -> str:
        """Where the sandbox posts Wazzup's webhooks: the proxy's secret webhook route."""
        return f"{self.page_url}/api/wazzup/webhook/{self.webhook_secret}"


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(name, f"must be a port number from 1 to 65535, got {raw!r}")
    return int(raw)


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    origins = tuple(
        part.strip().rstrip("/") for part in env.get(name, "").split(",") if part.strip()
    )
    for origin in origins:
        if not origin.startswith(("http://", "https://")) or "/" in origin.split("://", 1)[1]:
            raise ConfigError(name, f"needs origins like http://127.0.0.1:9000, got {origin!r}")
    return origins
