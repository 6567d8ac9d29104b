"""Run the proxy: `python -m proxy` (configured by environment variables, see README)."""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError

from .app import create_app
from .settings import Settings


def main() -> int:
    try:
        settings = Settings()
    except ValidationError as error:
        for item in error.errors():
            name = ".".join(str(p) for p in item["loc"]).upper() or "settings"
            print(f"proxy: {name}: {item['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
