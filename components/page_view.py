"""The page's DOM: the status line, the problem box, the chat slot and the event log.

Browser-only (Pyodide): `js` is the page's global scope. Rules live in the other
components; this module only shows what they decide.
"""

import js
from pyodide.ffi import create_proxy, to_js

from .config import PageConfig
from .outbox import OutboxEntry
from .render import EVENT_TITLES, entry_status

document = js.document
IFRAME_ALLOW = "microphone *; clipboard-write *"


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
