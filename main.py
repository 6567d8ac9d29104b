"""The page's boot: the chat first, then everything else (README, "How it works").

1. Light start (no pydantic yet): read site.json and the URL with components.quick_open, ask
   the proxy for the link with the browser's fetch, set the chat iframe. An EarlyInbox keeps
   the chat window's messages from that moment on.
2. Then load pydantic, validate the whole configuration, and start the controller, which takes
   over the inbox. Anything unusual skips step 1 and is decided here, with the full models.
Every rule lives in components/; this file only wires them to the page.
"""

import asyncio
import gc

import js
from pyodide.ffi import create_proxy

from components.early import EarlyInbox, Unreachable, fetch_text, load_packages, post_link
from components.i18n import t
from components.page_view import (
    apply_language,
    chat_is_shown,
    embed_chat,
    set_status,
    show_problem,
)
from components.quick_open import quick_open

document = js.document
BACKGROUND = set()  # long-running tasks (the delivery loop)
# A record another tab left "sending" is taken over only after its whole CRM timeout and this
# much more: localStorage reaches other tabs a little late (the "delivered" that tab wrote may
# be on its way: e2e, two tabs), and a new record's first attempt starts before its lock is
# granted (Controller send_at_once).
SENDING_GRACE_S = 5.0


def message_listener(inbox, frame, chat_origin):
    """The window's "message" listener: a JavaScript function that tells the chat window's
    messages apart and writes them out as text, then calls Python once with plain values
    (bench: event handling, no proxy of the event). Any window may post a huge message: only
    the chat window's is read. PyScript's core needs `Function` anyway (CSP 'unsafe-eval')."""
    handle = create_proxy(inbox.handle_message)
    listener = js.Function.new("frame", "origin", "handle", LISTENER_SOURCE)
    return listener(frame, chat_origin, handle), handle


# handle(origin, from the chat window, its text or undefined, which Python gets as None, where
# null would be JsNull): undefined when it is not the chat window's (refused, unread) or cannot
# be written out (cyclic: rejected as malformed).
LISTENER_SOURCE = """
return (e) => {
  const fromFrame = e.source === frame.contentWindow;
  if (!fromFrame || e.origin !== origin) return handle(e.origin, fromFrame, undefined);
  let text;
  if (typeof e.data === "string") text = e.data;
  else try { text = JSON.stringify(e.data); } catch {}
  handle(origin, true, text);
};
"""


async def warn_if_unsigned(proxy_url):
    """An unsigned proxy gives a chat link to anyone who asks: say so where nobody misses it."""
    from components.link import ProxyMode

    try:
        answer = await fetch_text(
            "GET", f"{proxy_url}/api/mode", None, {"Accept": "application/json"}, 10.0
        )
        unsigned = answer.ok and ProxyMode.model_validate_json(answer.text).unsigned
    except (Unreachable, ValueError):  # the link request reports an unreachable proxy
        return
    document.getElementById("unsigned-banner").hidden = not unsigned


async def main():
    try:
        await start()
    except Exception as error:  # the page must say what broke, never spin forever
        detail = f"{type(error).__name__}: {error}"
        # A chat set before the failure (pydantic's load, say) still works: keep it, and say
        # that its events are not recorded, unless the controller had taken them over.
        kept = chat_is_shown()
        if kept and document.body.getAttribute("data-events") != "handled":
            detail = f"{detail} {t('problem.chat_kept')}"
        show_problem(t("problem.unexpected"), detail, "internal", keep_chat=kept)
        raise


class OpenedChat:
    """The chat iframe the page set, and the inbox holding its early messages."""

    def __init__(self, url):
        self.frame = embed_chat(url)
        self.inbox = EarlyInbox()
        self.url, self.listener, self.handle = url, None, None
        self._listen(url)

    def reopen(self, url):
        """A fresh link in the same iframe (components/link_refresh.py): the log stays."""
        if origin_of_url(url) != origin_of_url(self.url):
            js.window.removeEventListener("message", self.listener)
            self.handle.destroy()
            self._listen(url)
        self.url = url
        self.frame.src = url

    def _listen(self, url):
        self.listener, self.handle = message_listener(self.inbox, self.frame, origin_of_url(url))
        js.window.addEventListener("message", self.listener)


def origin_of_url(url):
    return str(js.URL.new(url).origin)


async def start():
    apply_language()  # the URL's or the browser's; site.json's once the settings are read
    set_status(t("status.reading"), "booting")
    page_url = str(js.location.href)
    try:
        site_url = js.URL.new("site.json", page_url).href
        site = await fetch_text("GET", site_url, timeout_s=10.0, credentials="same-origin")
    except Unreachable:
        site = None
    quick = quick_open(site.text, page_url) if site and site.ok else None
    answer, opened = None, None
    if quick:
        set_status(t("status.linking"), "linking")
        answer = await request_link(quick)
        url = chat_url(answer)
        if url:
            opened = OpenedChat(url)
    await load_packages()
    js.performance.mark("packages-loaded")  # with chat-src-set and events-ready: see bench/
    await finish(page_url, site, quick is not None, answer, opened)


async def request_link(quick):
    """The proxy's answer to the quick link request, or None when it is unreachable."""
    try:
        return await post_link(quick.proxy_url, quick.body, quick.launch_token)
    except Unreachable:
        return None


def chat_url(answer):
    """The link in a good answer; anything else is explained by the full path."""
    if answer is None or not answer.ok:
        return None
    try:
        url = js.JSON.parse(answer.text).url
    except Exception:
        return None
    url = str(url) if isinstance(url, str) else ""
    return url if url.startswith(("https://", "http://")) else None


async def finish(page_url, site, asked, answer, opened):
    # Imported now: they need pydantic, which the chat did not wait for. What handling events
    # does not need (the diagnostics panel, the link's refresh and the fallback link request)
    # is imported once events are handled, or when it is needed (bench: events ready).
    from components import bridge
    from components.browser import LocalStorage, fetch_send, has_web_locks, web_lock
    from components.config import parse_site_config, resolve_page_config
    from components.controller import Controller, only_this_tab
    from components.errors import ConfigError, LinkError
    from components.outbox import STALE_SENDING_S, Outbox
    from components.page_view import (
        DomView,
        show_config_problem,
        show_link_problem,
        tell_host_at,
    )

    js.performance.mark("app-imported")
    if site is None or not site.ok:
        detail = t("problem.settings_unreachable_detail")
        if site is not None:
            detail = t("problem.settings_http_detail", status=site.status)
        show_problem(t("problem.settings_unreachable"), detail, "config:site.json")
        return
    try:
        site_config = parse_site_config(site.text)
        # From now on a problem is posted to the host too, a wrong URL parameter included.
        tell_host_at(site_config.parent_origin)
        config = resolve_page_config(site_config, page_url)
    except ConfigError as error:
        show_config_problem(error)
        return
    apply_language(config.lang)
    controller = view = None  # set below; the diagnostics panel works before and without them

    def diagnostics():
        from components.diagnostics_view import install_diagnostics

        install_diagnostics(config, lambda: controller, lambda: view)

    BACKGROUND.add(asyncio.ensure_future(warn_if_unsigned(config.proxy_url)))
    try:
        if opened is None:
            from components.link_client import fetch_link, link_from_answer, unreachable

            if asked:  # never ask twice: a launch token mints one link
                if answer is None:
                    raise unreachable(config.proxy_url)
                link_from_answer(answer.status, answer.text)  # raises what went wrong
            import pyodide_http  # urllib through the browser, for this fallback only

            from components.http import send_sync, with_launch

            pyodide_http.patch_all()
            set_status(t("status.linking"), "linking")
            send = with_launch(send_sync, config.launch_token)
            opened = OpenedChat(fetch_link(config.proxy_url, config.link_request, send=send).url)
    except LinkError as error:
        diagnostics()
        show_link_problem(error)
        return

    controller = None
    view = DomView(config, lambda: controller)
    # Web Locks keep two tabs from sending one record; without them, a tab waits longer
    # before it takes over a record another tab left "sending".
    locks = has_web_locks()
    grace = config.crm_timeout_s + SENDING_GRACE_S
    outbox = Outbox(LocalStorage(), stale_sending_s=grace if locks else STALE_SENDING_S)
    controller = Controller(
        config,
        outbox,
        fetch_send,
        view,
        lock=web_lock if locks else only_this_tab,
        send_at_once=True,  # straight from the event to the CRM (bench: event handling)
    )
    controller.chat_opened(opened.url)
    dropped = opened.inbox.hand_over(controller)
    document.body.dataset.events = "handled"  # what main() says if a later step fails
    if dropped:
        view.show_note(t("note.early_dropped", count=dropped))
    js.performance.mark("events-ready")  # pydantic loaded, listener on: `make bench` reads it
    diagnostics()
    from components.link_refresh import keep_link_fresh

    js.window.addEventListener(
        "storage", create_proxy(lambda event: controller.storage_changed(event.key or None))
    )
    js.window.addEventListener("online", create_proxy(lambda _event: controller.retry_now()))

    for entry in controller.outbox.entries():
        view.show_entry(entry)
    # Keep a reference: asyncio holds tasks weakly, and this one must run as long as the page.
    BACKGROUND.add(asyncio.ensure_future(controller.run_delivery()))
    link_watch = keep_link_fresh(config, controller, view, opened, show_link_problem)
    BACKGROUND.add(asyncio.ensure_future(link_watch))
    BACKGROUND.add(asyncio.ensure_future(settle()))
    set_status(t("status.ready"), "ready")
    document.body.dataset.ready = "1"
    view.post_to_parent(bridge.ready_message())


async def settle():
    """Once the page is ready: build the models left for their first use (records, entities:
    the first event would pay for them) and rehearse an event, then keep all that lasts out
    of the garbage collector's scans, which would otherwise pause event handling."""
    await asyncio.sleep(0)
    from components import entities, events, link, outbox, problems, records
    from components.controller import rehearse_event_path
    from components.wire import build_now

    build_now(records, entities, events, outbox, link, problems)
    rehearse_event_path()
    gc.freeze()


BACKGROUND.add(asyncio.ensure_future(main()))
