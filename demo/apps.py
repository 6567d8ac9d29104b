"""The demo's three apps, built from one `DemoConfig`::

    services = build_services(DemoConfig.from_env(os.environ))

The proxy and the sandbox are imported here only, so a missing part fails with one clear
`MissingPart` message instead of a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .config import DemoConfig
from .crm import create_crm_app
from .servers import Service


class MissingPart(Exception):
    """The proxy or the sandbox cannot be imported (yet)."""


def build_services(config: DemoConfig) -> list[Service]:
    return [
        Service("Page + proxy", proxy_app(config), config.port, "PORT"),
        Service("Wazzup sandbox", sandbox_app(config), config.sandbox_port, "SANDBOX_PORT"),
        crm_service(config),
    ]


def proxy_settings(config: DemoConfig) -> Any:
    """The proxy's settings for the demo: unsigned on loopback, upstream = the sandbox."""
    from proxy.settings import Settings

    return Settings(
        host=config.host,
        port=config.port,
        wazzup_api_key=config.wazzup_api_key,
        wazzup_partner_token=config.wazzup_partner_token,
        wazzup_base_url=config.sandbox_url,
        wazzup_partner_base_url=config.sandbox_url,
        crm_url=f"{config.crm_url}/records",
        webhook_secret=config.webhook_secret,
        crm_webhook_url=f"{config.crm_url}/wazzup/webhook",
        site_config=demo_site_config(config),
        frame_origins=[config.sandbox_url],  # the sandbox's chat window, not *.wazzup24.com
        # The sample CRM's /embed client card, and any ALLOWED_ORIGINS host page.
        frame_ancestors=["'self'", config.crm_url, *config.allowed_origins],
        allowed_origins=list(config.allowed_origins),  # CORS, for a page on a static host
        allow_unsigned=True,
        demo=True,
    )


def demo_site_config(config: DemoConfig) -> Path:
    """The page's site.json with this run's CRM address (ports may differ from the defaults)."""
    from proxy.settings import PROJECT_ROOT

    site = json.loads((PROJECT_ROOT / "site.json").read_text())
    records_url = f"{config.crm_url}/records"
    # The sample CRM's /embed page hosts the chat window: let the page post to it.
    site.update(crmUrl=records_url, allowedCrmUrls=[records_url], parentOrigin=config.crm_url)
    path = config.crm_db.with_name(config.crm_db.stem + "-site.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(site, indent=2))
    return path


def proxy_app(config: DemoConfig) -> Any:
    try:
        from proxy.app import create_app
        from proxy.settings import Settings  # noqa: F401  (fail here, not in proxy_settings)
    except ImportError as error:
        raise MissingPart(
            f"the proxy (proxy.app, proxy.settings) cannot be imported: {error}"
        ) from error
    return create_app(proxy_settings(config))


def sandbox_app(config: DemoConfig) -> Any:
    try:
        from components.entities import WebhookSettings, WebhookSubscriptions
        from proxy.sandbox import SandboxSettings, create_sandbox_app
    except ImportError as error:
        raise MissingPart(
            f"the Wazzup sandbox (proxy.sandbox) cannot be imported: {error}"
        ) from error
    return create_sandbox_app(
        SandboxSettings(
            api_key=config.wazzup_api_key,
            partner_token=config.wazzup_partner_token,
            public_url=config.sandbox_url,
            # Webhook mode of the Deals dropdown works out of the box: a link without deal
            # events (?events=messages) makes "+" ask the CRM through the proxy's webhook.
            webhooks=WebhookSettings(
                webhooks_uri=config.webhook_url,
                subscriptions=WebhookSubscriptions(contacts_and_deals_creation=True),
            ),
        )
    )


def crm_service(config: DemoConfig) -> Service:
    # The page (served by the proxy) posts records straight to the CRM: allow its origin.
    app = create_crm_app(
        config.crm_db,
        public_url=config.crm_url,
        allowed_origins=[config.page_url, *config.allowed_origins],
        page_url=config.page_url,
    )
    # A request held by the "hang" fault would otherwise delay Ctrl-C.
    return Service(
        "Sample CRM", app, config.crm_port, "CRM_PORT", on_stop=app.state.faults.shut_down
    )
