"""Keeps the chat link fresh: the browser side of components/link_watch.py.

When the proxy says the link no longer opens (`POST /api/link/check`), the page asks for a new
one and points the same iframe at it, focused on the chat last used. The event log, the outbox
and the delivery loop carry on untouched: only the iframe's address changes.

Browser-only; imports `js` lazily.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress

from .early import Unreachable, fetch_text, post_link
from .errors import LinkError
from .i18n import t
from .link import LinkStatus
from .link_client import link_from_answer
from .link_watch import LinkWatch, refreshed_request

TICK_S = 5.0  # how often the loop looks at the clock; the checks themselves are far rarer


async def keep_link_fresh(config, controller, view, opened, on_refused) -> None:
    """Runs as long as the page: checks the link when due, and replaces it once expired."""
    import js
    from pyodide.ffi import create_proxy

    def now() -> float:
        return js.performance.now() / 1000

    watch = LinkWatch(now(), config.link_check_s)
    wake = asyncio.Event()

    def on_visibility(_event) -> None:
        if str(js.document.visibilityState) == "hidden":
            watch.hidden(now())
        elif watch.shown(now()):
            wake.set()

    js.document.addEventListener("visibilitychange", create_proxy(on_visibility))
    while True:
        with suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), TICK_S)
        back, _ = wake.is_set(), wake.clear()
        if not (back or watch.due(now())):
            continue
        watch.checked(now())
        if await link_state(config.proxy_url, opened.url) != "expired":
            continue
        try:
            url = await fresh_link(
                config, refreshed_request(config.link_request, controller.last_chat)
            )
        except Unreachable:
            view.show_note(t("note.link_refresh_later"))
            continue
        except LinkError as error:  # e.g. a one-time launch: only the CRM can open it again
            on_refused(error)
            return
        opened.reopen(url)
        controller.chat_opened(url)
        view.show_note(t("note.link_refreshed"))


async def link_state(proxy_url: str, url: str) -> str:
    body = json.dumps({"url": url})
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    try:
        answer = await fetch_text("POST", f"{proxy_url}/api/link/check", body, headers, 10.0)
        return LinkStatus.model_validate_json(answer.text).state if answer.ok else "unknown"
    except (Unreachable, ValueError):
        return "unknown"


async def fresh_link(config, request) -> str:
    answer = await post_link(config.proxy_url, request.to_v3(), config.launch_token)
    return link_from_answer(answer.status, answer.text).url
