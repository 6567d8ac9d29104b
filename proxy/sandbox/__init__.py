"""A local Wazzup sandbox that follows Wazzup's documented contract (shared/wazzup-api.md).

It mints chat-window links on `POST /v3/iframe` and `POST /v2/iframe-links/chats`, keeps
users, contacts, deals (v3 routes, and the v2 uploads `POST /v2/{users,contacts,deals}`) and
webhook settings in memory, and serves a chat-window page that posts the three documented
events to the page embedding it, or in webhook mode asks the CRM through webhooks::

    from proxy.sandbox import SandboxSettings, create_sandbox_app

    app = create_sandbox_app(SandboxSettings(
        api_key="sandbox-key", partner_token="sandbox-token", public_url="http://127.0.0.1:8001"))
    # uvicorn.run(app, host="127.0.0.1", port=8001)

It is built from the same `components` models as the client, so the two cannot drift apart.
"""

from .app import create_sandbox_app
from .settings import SandboxSettings

__all__ = ["SandboxSettings", "create_sandbox_app"]
