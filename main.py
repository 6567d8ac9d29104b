"""The page: DOM wiring only. Every rule lives in components/ (see README, "How it works")."""

import asyncio

import js
import pyodide_http
from pyodide.ffi import create_proxy, to_js

from components import bridge
from components.browser import LocalStorage, fetch_send, has_web_locks, web_lock
from components.config import PageConfig, load_page_config
from components.controller import Controller, only_this_tab
from components.errors import ConfigError, LinkError
from components.gate import origin_of
from components.http import TransportFailure, send_sync
from components.launch import ProxyMode, with_launch
from components.link_client import fetch_link
from components.outbox import STALE_SENDING_S, Outbox, OutboxEntry
from components.render import EVENT_TITLES, entry_status

document = js.document
IFRAME_ALLOW = "microphone *; clipboard-write *"
BACKGROUND = set()  # long-running tasks (the delivery loop)


def element(tag, text="", **attributes):
    node = document.createElement(tag)
    if text:
        node.textContent = text
    for name, value in attributes.items():
        node.setAttribute(name.replace("_", "-"), value)
    return node


def set_status(text, state):
    status = document.getElementById("status")
    status.textContent = text
    status.dataset.state = state


def show_problem(title, detail, code):
    box = document.getElementById("problem")
    document.getElementById("problem-title").textContent = title
    document.getElementById("problem-detail").textContent = detail
    box.dataset.problem = code
    box.hidden = False
    set_status(title, "error")
    placeholder = element(
        "div", "No chat window: see the message above.", **{"class": "placeholder"}
    )
    document.getElementById("chat-slot").replaceChildren(placeholder)


class DomView:
    """Shows events, rejections and records; talks to the hosting CRM page."""

    def __init__(self, config: PageConfig, controller_ref):
        self.config = config
        self.controller_ref = controller_ref

    def show_event(self, key, event, rows):
        item = element("li", data_event_type=event.type, data_key=key, tabindex="0")
        item.append(element("strong", EVENT_TITLES[event.type]))
        item.append(element("span", event.type, **{"class": "tag"}))
        details = element("dl")
        for label, value in rows:
            details.append(element("dt", label))
            details.append(element("dd", value))
        item.append(details)
        document.getElementById("events").prepend(item)

    def show_rejected(self, reason):
        item = element("li", reason, data_rejected="1")
        document.getElementById("rejected").prepend(item)

    def show_entry(self, entry: OutboxEntry):
        records = document.getElementById("records")
        item = records.querySelector(f'li[data-key="{entry.key}"]')
        if not item:  # JS null arrives as JsNull, which is falsy
            item = element("li", data_key=entry.key)
            records.prepend(item)
        item.dataset.status = entry.status
        item.dataset.kind = entry.record.kind
        item.replaceChildren()
        item.append(element("strong", entry.record.kind.replace("_", " ")))
        item.append(element("span", entry_status(entry), **{"class": "status"}))
        if entry.answer and entry.answer.link:
            item.append(
                element(
                    "a",
                    "open in CRM",
                    href=entry.answer.link,
                    target="_blank",
                    rel="noopener noreferrer",
                )
            )
        if entry.status == "failed":
            self._button(item, "Retry", "retry", lambda: self.controller_ref().retry(entry.key))
            self._button(
                item, "Discard", "discard", lambda: self.controller_ref().discard(entry.key)
            )

    def _button(self, item, label, action, callback):
        button = element("button", label, type="button", data_action=action)
        button.addEventListener("click", create_proxy(lambda _event: callback()))
        item.append(button)

    def forget_entry(self, key):
        item = document.getElementById("records").querySelector(f'li[data-key="{key}"]')
        if item:
            item.remove()

    def show_note(self, text):
        document.getElementById("notes").prepend(element("li", text))

    def open_link(self, url):
        js.window.open(url, "_blank", "noopener,noreferrer")
        self.show_note(f"Opened {url}")

    def post_to_parent(self, message):
        origin = self.config.parent_origin
        if origin and js.window.parent != js.window:
            payload = to_js(message, dict_converter=js.Object.fromEntries)
            js.window.parent.postMessage(payload, origin)


def load_config():
    site_url = js.URL.new("site.json", js.location.href).href
    result = send_sync("GET", site_url, None, {"Accept": "application/json"})
    if not result.ok:
        raise ConfigError("site.json", f"could not be loaded (HTTP {result.status})")
    return load_page_config(result.body.decode(), str(js.location.href))


def embed_chat(url):
    frame = element(
        "iframe",
        src=url,
        allow=IFRAME_ALLOW,
        referrerpolicy="no-referrer",
        title="Wazzup chat window",
        data_testid="chat-frame",
    )
    slot = document.getElementById("chat-slot")
    slot.replaceChildren(frame)
    js.performance.mark("chat-src-set")
    return frame


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
