"""The configuration page (config.html): DOM wiring only, started by config.py once pydantic
has loaded. The rules are components/embed.py, and the URL is checked with the chat window
page's own parsing (components/config.py)."""

from urllib.parse import urljoin

import js
import pyodide_http
from pyodide.ffi import create_proxy

from components.embed import FORM_FIELDS, EmbedForm, check_embed_url, embed_url, iframe_tag
from components.errors import ConfigError, LinkError
from components.http import TransportFailure, send_sync
from components.i18n import t
from components.link_client import fetch_link
from components.page_view import apply_language, set_status

document = js.document
STATE = {"url": "", "config": None, "site": ""}  # site: site.json as text
HANDLERS = []  # the event proxies must outlive this module's start-up


def value(field_id):
    return document.getElementById(field_id).value


def read_form():
    checked = document.querySelectorAll('#events input[name="events"]:checked')
    return EmbedForm(
        page_url=value("proxy"),
        crm_url=value("crm"),
        user_id=value("user"),
        user_name=value("user-name"),
        scope=value("scope"),
        chats=value("chats"),
        active=value("active"),
        events=tuple(box.value for box in checked),
        theme=value("theme"),
        lang=value("lang"),
    )


def mark_invalid(field_id):
    for name in FORM_FIELDS.values():
        document.getElementById(name).removeAttribute("aria-invalid")
    if field_id:
        document.getElementById(field_id).setAttribute("aria-invalid", "true")


def show_result(url, error):
    box = document.getElementById("form-error")
    box.hidden = error is None
    box.textContent = (
        "" if error is None else f"{FORM_FIELDS.get(error.name, error.name)}: {error.localized()}"
    )
    box.dataset.field = "" if error is None else FORM_FIELDS.get(error.name, error.name)
    mark_invalid(None if error is None else FORM_FIELDS.get(error.name))
    document.getElementById("embed-url").textContent = url
    document.getElementById("iframe-tag").textContent = iframe_tag(url) if url else ""


def update(_event=None):
    """Validate on every keystroke: the same rules, the same messages as the page."""
    STATE["url"], STATE["config"] = "", None
    try:
        url = embed_url(read_form())
        STATE["config"] = check_embed_url(STATE["site"], url)
        STATE["url"] = url
        show_result(url, None)
    except ConfigError as error:
        show_result("", error)


def copy(source_id):
    def handler(_event):
        text = document.getElementById(source_id).textContent
        if text:
            js.navigator.clipboard.writeText(text)

    return handler


def report(step, ok, text):
    item = document.createElement("li")
    item.textContent = f"{step}: {text}"
    item.dataset.step = step
    item.dataset.ok = "1" if ok else "0"
    document.getElementById("test-results").append(item)


def test_proxy(_event):
    document.getElementById("test-results").replaceChildren()
    proxy = value("proxy").strip().rstrip("/")
    try:
        health = send_sync("GET", f"{proxy}/api/health", None, {"Accept": "application/json"}, 10.0)
    except TransportFailure as error:
        report("health", False, t("embed.no_answer", proxy=proxy, error=error))
        return
    if not health.ok:
        report("health", False, f"HTTP {health.status}")
        return
    upstream = health.json().get("upstream", {})
    ok = upstream.get("ok", True)
    detail = str(upstream.get("detail"))
    report("health", ok, t("embed.health_ok") if ok else t("embed.health_upstream", detail=detail))
    # Only an unsigned (demo) proxy mints links without a signed launch: try one there.
    if health.json().get("unsigned") is not True or STATE["config"] is None:
        return
    try:
        link = fetch_link(proxy, STATE["config"].link_request)
        report("link", True, t("embed.link_minted", url=link.url.split("?")[0]))
    except LinkError as error:
        title, detail = error.localized()
        report("link", False, f"{title}: {detail}")


def listen(selector, event, handler):
    proxy = create_proxy(handler)
    HANDLERS.append(proxy)
    document.querySelector(selector).addEventListener(event, proxy)


def start():
    pyodide_http.patch_all()
    apply_language(title="embed.title")
    STATE["site"] = send_sync(
        "GET", urljoin(str(js.location.href), "site.json"), None, {}, 10.0
    ).body.decode()
    document.getElementById("proxy").value = str(js.location.origin)
    listen("#embed-form", "input", update)
    listen("#embed-form", "change", update)
    listen("#copy-url", "click", copy("embed-url"))
    listen("#copy-tag", "click", copy("iframe-tag"))
    listen("#test-proxy", "click", test_proxy)
    update()
    set_status(t("status.ready"), "ready")
    document.body.dataset.ready = "1"
