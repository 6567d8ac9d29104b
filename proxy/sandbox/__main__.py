"""Run the Wazzup sandbox alone, to try the proxy in production mode against it::

    WAZZUP_API_KEY=sandbox-key-0123456789 python -m proxy.sandbox     # on 127.0.0.1:8001

Environment: WAZZUP_API_KEY and WAZZUP_PARTNER_TOKEN (the credentials it accepts; give the
proxy the same), SANDBOX_HOST (127.0.0.1), SANDBOX_PORT (8001).
"""

from __future__ import annotations

import os
import sys

import uvicorn

from . import SandboxSettings, create_sandbox_app

DEMO_PARTNER_TOKEN = "sandbox-partner-token-0123456789"


def main() -> int:
    api_key = os.environ.get("WAZZUP_API_KEY")
    if not api_key:
        print("sandbox: set WAZZUP_API_KEY (the key the sandbox accepts)", file=sys.stderr)
        return 2
    host = os.environ.get("SANDBOX_HOST", "127.0.0.1")
    port = int(os.environ.get("SANDBOX_PORT", "8001"))
    settings = SandboxSettings(
        api_key=api_key,
        partner_token=os.environ.get("WAZZUP_PARTNER_TOKEN") or DEMO_PARTNER_TOKEN,
        public_url=f"http://{host}:{port}",
    )
    print(f"Wazzup sandbox on http://{host}:{port} (Ctrl-C stops it)", flush=True)
    uvicorn.run(create_sandbox_app(settings), host=host, port=port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
