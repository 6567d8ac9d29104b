"""Every default of the demo in one place; each can be overridden by the environment variable
named next to it (see `demo.config`)."""

from __future__ import annotations

from pathlib import Path

HOST = "127.0.0.1"  # the demo runs unsigned, so it never listens beyond loopback

PORT = 8000  # PORT: the page and the proxy
SANDBOX_PORT = 8001  # SANDBOX_PORT: the Wazzup sandbox
CRM_PORT = 8002  # CRM_PORT: the sample CRM

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CRM_DB = PROJECT_ROOT / "var" / "demo-crm.sqlite3"  # CRM_DB

# Demo-only credentials, shared by the proxy and the sandbox so that they match.
WAZZUP_API_KEY = "demo-api-key-0123456789abcdef0123"  # WAZZUP_API_KEY
WAZZUP_PARTNER_TOKEN = "demo-partner-token-0123456789abcdef"  # WAZZUP_PARTNER_TOKEN
# The secret in the proxy's webhook URL; the sandbox account starts subscribed to it.
WEBHOOK_SECRET = "demo-webhook-secret-0123456789abcdef"  # WEBHOOK_SECRET
