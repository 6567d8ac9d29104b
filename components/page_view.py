"""The page's DOM: the status line, the problem box, the chat slot and the event log.

Browser-only (Pyodide): `js` is the page's global scope. Rules live in the other
components; this module only shows what they decide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import js
from pyodide.ffi import create_proxy, to_js

from . import bridge
from .i18n import choose_language, set_language, t, url_language

if TYPE_CHECKING:  # pydantic is not loaded yet when the page sets the chat iframe
    from .config import PageConfig
    from .outbox import OutboxEntry

document = js.document
IFRAME_ALLOW = "microphone *; clipboard-write *"
_host_origin = None  # site.json's parentOrigin, once the settings are read (tell_host_at)


def element(tag, text="", **attributes):
    node = document.createElement(tag)
    if text:
        node.textContent = text
    for name, value in attributes.items():
        node.setAttribute(name.replace("_", "-"), value)
    return node


def set_status(text, state):
    status = document.getElementById("status")
    # The text has its own span, so the spinner beside it stays while booting or linking.
    target = document.getElementById("status-text") or status
    target.textContent = text
    status.dataset.state = state


def browser_languages():
    languages = [str(lang) for lang in (js.navigator.languages or [])]
    return [*languages, str(js.navigator.language or "")]


def apply_language(site_lang=None, title="page.title"):
    """Choose the page's language (URL `lang`, site.json's, the browser's, English) and say
    every static text of the page in it; returns the language's code."""
    url_lang = url_language(str(js.location.href))
    lang = set_language(choose_language(url_lang, site_lang, *browser_languages()))
    document.documentElement.lang = lang
    document.title = t(title)
    for node in document.querySelectorAll("[data-i18n]"):
        node.textContent = t(node.dataset.i18n)
    for node in document.querySelectorAll("[data-i18n-label]"):
        node.setAttribute("aria-label", t(node.dataset.i18nLabel))
    return lang


def announce(text, urgent=False):
    """Say `text` to screen readers: politely, or at once when `urgent` (a failure)."""
    region = document.getElementById("live-alert" if urgent else "live-polite")
    if region:
        region.textContent = ""
        region.textContent = text


def show_config_problem(error):
    """A ConfigError, in the page's language, naming the setting."""
    if error.name == "site.json":
        title = t("problem.invalid_site")
    else:
        title = t("problem.invalid_setting", name=error.name)
    show_problem(title, error.localized(), f"config:{error.name}")


def show_link_problem(error):
    title, detail = error.localized()
    show_problem(title, detail, error.code or f"http:{error.status}")


def show_problem(title, detail, code, *, keep_chat=False):
    """Say what is wrong above the chat, in its place unless `keep_chat` (it still works),
    and tell the CRM page hosting this one."""
    box = document.getElementById("problem")
    document.getElementById("problem-title").textContent = title
    document.getElementById("problem-detail").textContent = detail
    box.dataset.problem = code
    box.hidden = False
    set_status(title, "error")
    if not keep_chat:
        placeholder = element("div", t("chat.none"), **{"class": "placeholder"})
        document.getElementById("chat-slot").replaceChildren(placeholder)
    post_to_host(bridge.problem_message(code, title, chat_kept=keep_chat))


def tell_host_at(origin):
    """Where post_to_host sends from now on: site.json's validated parentOrigin, or None.
    Until then nothing is posted: a page without valid settings cannot know its host."""
    global _host_origin
    _host_origin = origin


def post_to_host(message):
    """A bridge message (components/bridge.py) to the page framing this one, if any."""
    if _host_origin and js.window.parent != js.window:
        payload = to_js(message, dict_converter=js.Object.fromEntries)
        js.window.parent.postMessage(payload, _host_origin)


def chat_is_shown():
    return document.querySelector(CHAT_FRAME) is not None


LOG_KEYS = ("ArrowDown", "ArrowUp", "Home", "End")
# Rows the event log and the record list keep on the page; the exports (components/export.py,
# EventLog) keep every event. Each new row moves every row below it: with 1,000 rows the
# browser's layout and paint after an event took up to 100 ms and held up the next CRM
# request (bench: event handling p99).
LOG_ROWS = 100


def on_log_key(event):
    """Arrow keys, Home and End move the focus between the items of one log list."""
    item = event.target
    if event.key not in LOG_KEYS or str(item.tagName) != "LI" or event.altKey or event.ctrlKey:
        return
    items = list(item.parentElement.children)
    index = next((n for n, other in enumerate(items) if other == item), 0)
    target = {
        "ArrowDown": min(index + 1, len(items) - 1),
        "ArrowUp": max(index - 1, 0),
        "Home": 0,
        "End": len(items) - 1,
    }[event.key]
    event.preventDefault()
    items[target].focus()


_LOG_KEY_HANDLER = []  # the proxy must live as long as the page


def install_log_keys():
    if not _LOG_KEY_HANDLER:
        _LOG_KEY_HANDLER.append(create_proxy(on_log_key))
        document.querySelector(".log").addEventListener("keydown", _LOG_KEY_HANDLER[0])


def trim_rows(log_list, keep, selector="li"):
    """Remove the oldest rows (the last: rows are prepended) matching `selector` beyond
    `keep` rows in all; a row that has the keyboard focus stays."""
    extra = log_list.childElementCount - keep
    if extra <= 0:
        return
    rows = log_list.querySelectorAll(selector)
    focused = document.activeElement
    for index in range(rows.length - 1, -1, -1):
        if extra <= 0:
            break
        row = rows.item(index)
        if row != focused:
            row.remove()
            extra -= 1


class DomView:
    """Shows events, rejections and records; talks to the hosting CRM page."""

    def __init__(self, config: PageConfig, controller_ref):
        self.config = config
        self.controller_ref = controller_ref
        self.announced = {}  # record key → the failure state last announced
        from .export import EventLog  # needs pydantic, loaded by the time a DomView exists

        self.event_log = EventLog()  # read by the diagnostics panel and the exports
        install_log_keys()

    def show_event(self, key, event, rows):
        self.event_log.add(key, event)
        if not self.config.mask_phones:  # the controller's rows are masked (components/mask.py)
            from .render import event_rows

            rows = event_rows(event, mask_phones=False)
        item = element("li", data_event_type=event.type, data_key=key, tabindex="0")
        title = t(f"event.{event.type}")
        item.append(element("strong", title))
        item.append(element("span", event.type, **{"class": "tag"}))
        details = element("dl")
        for label, value in rows:
            details.append(element("dt", label))
            details.append(element("dd", value))
        item.append(details)
        events = document.getElementById("events")
        events.prepend(item)
        trim_rows(events, LOG_ROWS)
        announce(t("announce.event", title=title))

    def show_rejected(self, reason):
        self.event_log.rejected += 1
        item = element("li", reason, data_rejected="1", tabindex="0")
        document.getElementById("rejected").prepend(item)

    def show_entry(self, entry: OutboxEntry):
        records = document.getElementById("records")
        item = records.querySelector(f'li[data-key="{entry.key}"]')
        if not item:  # JS null arrives as JsNull, which is falsy
            item = element("li", data_key=entry.key, tabindex="0")
            records.prepend(item)
        item.dataset.status = entry.status
        item.dataset.kind = entry.record.kind
        if entry.status == "delivered":  # only delivered rows go: the others need a hand
            trim_rows(records, LOG_ROWS, 'li[data-status="delivered"]')
        item.replaceChildren()
        kind = t(f"kind.{entry.record.kind}")
        item.append(element("strong", kind))
        from .render import entry_status

        status = entry_status(entry)
        item.append(element("span", status, **{"class": "status"}))
        self._announce_failure(entry, kind, status)
        if entry.answer and entry.answer.link:
            item.append(
                element(
                    "a",
                    t("record.open_in_crm"),
                    href=entry.answer.link,
                    target="_blank",
                    rel="noopener noreferrer",
                )
            )
        if entry.status == "failed":
            controller = self.controller_ref
            self._button(item, "retry", kind, lambda: controller().retry(entry.key))
            self._button(item, "discard", kind, lambda: controller().discard(entry.key))

    def _announce_failure(self, entry, kind, status):
        """Failures are said at once: a record's first retry, and its final failure."""
        if entry.status == "failed" or (entry.status == "queued" and entry.attempts):
            if self.announced.get(entry.key) != entry.status:
                announce(t("announce.failed", kind=kind, reason=status), urgent=True)
            self.announced[entry.key] = entry.status
        elif entry.status == "delivered":
            self.announced.pop(entry.key, None)

    def _button(self, item, action, kind, callback):
        button = element(
            "button",
            t(f"record.{action}"),
            type="button",
            data_action=action,
            aria_label=t(f"record.{action}_label", kind=kind),
        )
        button.addEventListener("click", create_proxy(lambda _event: callback()))
        item.append(button)

    def forget_entry(self, key):
        item = document.getElementById("records").querySelector(f'li[data-key="{key}"]')
        if item:
            item.remove()

    def show_note(self, text):
        document.getElementById("notes").prepend(element("li", text, tabindex="0"))

    def open_link(self, url):
        js.window.open(url, "_blank", "noopener,noreferrer")
        self.show_note(t("note.opened", url=url))

    def post_to_parent(self, message):
        post_to_host(message)


CHAT_FRAME = 'iframe[data-testid="chat-frame"]'  # the iframe embed_chat sets


def embed_chat(url):
    frame = element(
        "iframe",
        src=url,
        allow=IFRAME_ALLOW,
        referrerpolicy="no-referrer",
        title=t("chat.frame_title"),
        data_testid="chat-frame",
    )
    slot = document.getElementById("chat-slot")
    slot.replaceChildren(frame)
    js.performance.mark("chat-src-set")
    return frame
