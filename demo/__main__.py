"""`python -m demo`: the page and proxy, the Wazzup sandbox and the sample CRM on loopback.

Each setting has a default in demo/defaults.py and an environment variable::

    PORT=9000 python -m demo
"""

from __future__ import annotations

import asyncio
import os
import sys

from pydantic import ValidationError

from components.errors import ConfigError
from components.events import describe_validation_error

from .apps import MissingPart, build_services
from .config import DemoConfig
from .servers import PortBusy, ServiceFailed, serve_all


def banner(config: DemoConfig) -> str:
    return (
        "Wazzup chat window demo\n"
        f"  Page + proxy   {config.page_url}/\n"
        f"  Wazzup sandbox {config.sandbox_url}\n"
        f"  Sample CRM     {config.crm_url}   (records as JSON: /records)\n"
        f"Open {config.page_url}/ in a browser. Ctrl-C stops everything."
    )


def main() -> int:
    try:
        config = DemoConfig.from_env(os.environ)
        services = build_services(config)
    except ConfigError as error:
        return _fail(str(error), code=2)
    except ValidationError as error:
        return _fail(f"{error.title}: {describe_validation_error(error)}", code=2)
    except MissingPart as error:
        return _fail(str(error))
    try:
        return asyncio.run(
            serve_all(
                services, host=config.host, on_ready=lambda: print(banner(config), flush=True)
            )
        )
    except (PortBusy, ServiceFailed) as error:
        return _fail(str(error))


def _fail(message: str, *, code: int = 1) -> int:
    print(f"demo: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
