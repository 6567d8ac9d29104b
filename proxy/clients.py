"""An httpx client shared by a router's routes.

    client = SharedClient(http)              # http: the app's client, or None
    router = APIRouter(lifespan=client.lifespan)
    await client().post(...)

Uses the app's own client when given (tests pass a mock one); otherwise makes one on first use
and closes it with the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI


class SharedClient:
    def __init__(self, http: httpx.AsyncClient | None = None) -> None:
        self._given = http
        self._own: httpx.AsyncClient | None = None

    def __call__(self) -> httpx.AsyncClient:
        if self._given is not None:
            return self._given
        if self._own is None:
            self._own = httpx.AsyncClient(follow_redirects=False)
        return self._own

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if self._own is not None:
                await self._own.aclose()
                self._own = None
