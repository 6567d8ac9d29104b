"""The page: DOM wiring only. Every rule lives in components/ (see README, "How it works")."""

import asyncio

import js
import pyodide_http
from pyodide.ffi import create_proxy

from components import bridge
from components.browser import LocalStorage, fetch_send, has_web_locks, web_lock
from components.config import load_page_config
from components.controller import Controller, only_this_tab
from components.errors import ConfigError, LinkError
from components.gate import origin_of
from components.http import TransportFailure, send_sync
from components.launch import ProxyMode, with_launch
from components.link_client import fetch_link
from components.outbox import STALE_SENDING_S, Outbox
from components.page_view import DomView, embed_chat, set_status, show_problem

document = js.document
BACKGROUND = set()  # long-running tasks (the delivery loop)


def load_config():
    site_url = js.URL.new("site.json", js.location.href).href
    result = send_sync("GET", site_url, None, {"Accept": "application/json"})
    if not result.ok:
        raise ConfigError("site.json", f"could not be loaded (HTTP {result.status})")
    return load_page_config(result.body.decode(), str(js.location.href))


def message_listener(controller, frame, chat_origin):
    def on_message(event):
        origin = str(event.origin)
        from_chat_window = bool(getattr(js.Object, "is")(event.source, frame.contentWindow))
        # Any window may post a huge message: copy and serialize only the chat window's own.
        # The others are rejected on origin or source, without their data being read.
        trusted = from_chat_window and origin == chat_origin
        data = message_text(event) if trusted else None
        controller.handle_message(origin, from_chat_window, data)

    return create_proxy(on_message)


def message_text(event):
    data = event.data
    if isinstance(data, str):
        return data
    try:
        return js.JSON.stringify(data)
    except Exception:  # cyclic or otherwise unserializable: rejected as malformed
        return None


def warn_if_unsigned(config):
    """An unsigned proxy gives a chat link to anyone who asks: say so where nobody misses it."""
    try:
        result = send_sync(
            "GET", f"{config.proxy_url}/api/mode", None, {"Accept": "application/json"}, 10.0
        )
        unsigned = result.ok and ProxyMode.model_validate_json(result.body).unsigned
    except (TransportFailure, ValueError):  # the link request reports an unreachable proxy
        return
    document.getElementById("unsigned-banner").hidden = not unsigned


async def main():
    try:
        await start()
    except Exception as error:  # the page must say what broke, never spin forever
        show_problem("Unexpected error", f"{type(error).__name__}: {error}", "internal")
        raise


async def start():
    pyodide_http.patch_all()
    set_status("Reading settings…", "booting")
    try:
        config = load_config()
    except ConfigError as error:
        where = "in site.json" if error.name == "site.json" else f"'{error.name}'"
        show_problem(f"Invalid setting {where}", error.message, f"config:{error.name}")
        return
    except TransportFailure:
        show_problem(
            "Settings unreachable",
            "site.json could not be loaded; check the page's host.",
            "config:site.json",
        )
        return

    set_status("Getting the chat link…", "linking")
    warn_if_unsigned(config)
    try:
        link = fetch_link(
            config.proxy_url, config.link_request, send=with_launch(send_sync, config.launch_token)
        )
    except LinkError as error:
        show_problem(error.title, error.detail, error.code or f"http:{error.status}")
        return

    controller = None
    view = DomView(config, lambda: controller)
    # Web Locks keep two tabs from sending one record; without them, a tab waits longer
    # before it takes over a record another tab left "sending".
    locks = has_web_locks()
    outbox = Outbox(LocalStorage(), stale_sending_s=0 if locks else STALE_SENDING_S)
    controller = Controller(
        config, outbox, fetch_send, view, lock=web_lock if locks else only_this_tab
    )
    controller.chat_opened(link.url)
    frame = embed_chat(link.url)
    js.window.addEventListener("message", message_listener(controller, frame, origin_of(link.url)))
    js.performance.mark("events-ready")  # pydantic loaded, listener on: `make bench` reads it
    js.window.addEventListener(
        "storage", create_proxy(lambda event: controller.storage_changed(event.key or None))
    )
    js.window.addEventListener("online", create_proxy(lambda _event: controller.retry_now()))

    for entry in controller.outbox.entries():
        view.show_entry(entry)
    # Keep a reference: asyncio holds tasks weakly, and this one must run as long as the page.
    BACKGROUND.add(asyncio.ensure_future(controller.run_delivery()))
    set_status("Ready", "ready")
    document.body.dataset.ready = "1"
    view.post_to_parent(bridge.ready_message())


BACKGROUND.add(asyncio.ensure_future(main()))
