"""The diagnostics panel and the export buttons on the page (browser-only, Pyodide).

    install_diagnostics(config, lambda: controller, lambda: view)

The header's Diagnostics button opens the panel and checks again each time; the rules are in
components/diagnostics.py and components/export.py, this module only observes the browser
and shows what they decide. `controller` and `view` may still be None (the page is starting,
or stopped on a problem): the panel says so instead of failing.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import js
from pyodide.ffi import create_once_callable, create_proxy, to_js

from .browser import fetch_send
from .diagnostics import (
    FEATURES,
    Activity,
    Boot,
    Delivery,
    Framing,
    HealthProbe,
    Observations,
    Permissions,
    Row,
    diagnose,
)
from .export import delivery_table, event_table, export_file
from .gate import origin_of
from .http import TransportFailure
from .i18n import t
from .page_view import CHAT_FRAME, element

document = js.document
HEALTH_TIMEOUT_S = 3.0
EXPORTS = (
    ("events", "json"),
    ("events", "csv"),
    ("deliveries", "json"),
    ("deliveries", "csv"),
)
_TASKS: set = set()  # asyncio holds tasks weakly
_PROXIES: list = []  # event handlers live as long as the page


def install_diagnostics(config, controller_ref, view_ref) -> None:
    panel = document.getElementById("diagnostics")
    button = document.getElementById("diagnostics-button")
    if not panel or not button:
        return
    panel.replaceChildren(*_panel_parts())
    button.textContent = t("diag.button")

    def refresh(_event=None):
        panel.dataset.state = "checking"  # at once: a test (or a person) sees the old rows go
        _TASKS.add(asyncio.ensure_future(_refresh(config, controller_ref, view_ref)))

    def toggle(_event=None):
        opening = bool(panel.hidden)
        panel.hidden = not opening
        button.setAttribute("aria-expanded", "true" if opening else "false")
        if opening:
            panel.querySelector("h2").focus()
            refresh()

    def close(_event=None):
        panel.hidden = True
        button.setAttribute("aria-expanded", "false")
        button.focus()

    def on_key(event):
        if event.key == "Escape":
            close()

    _listen(button, "click", toggle)
    _listen(panel.querySelector('[data-action="diagnostics-refresh"]'), "click", refresh)
    _listen(panel.querySelector('[data-action="diagnostics-close"]'), "click", close)
    _listen(panel, "keydown", on_key)
    for table, fmt in EXPORTS:
        node = panel.querySelector(f'[data-export="{table}-{fmt}"]')
        _listen(node, "click", _exporter(table, fmt, config, controller_ref, view_ref))
    button.hidden = False


def _listen(node, name, handler) -> None:
    proxy = create_proxy(handler)
    _PROXIES.append(proxy)
    node.addEventListener(name, proxy)


def _panel_parts():
    head = element("div", **{"class": "diagnostics-head"})
    head.append(element("h2", t("diag.title"), id="diagnostics-title", tabindex="-1"))
    head.append(
        element("button", t("diag.refresh"), type="button", data_action="diagnostics-refresh")
    )
    head.append(element("button", t("diag.close"), type="button", data_action="diagnostics-close"))
    rows = element("ul", id="diagnostics-rows", aria_live="polite")
    exports = element("div", role="group", aria_label=t("export.title"), **{"class": "exports"})
    exports.append(element("span", t("export.title")))
    for table, fmt in EXPORTS:
        label = t(f"export.{table}_{fmt}")
        exports.append(element("button", label, type="button", data_export=f"{table}-{fmt}"))
    return head, rows, exports


async def _refresh(config, controller_ref, view_ref) -> None:
    panel = document.getElementById("diagnostics")
    panel.dataset.state = "checking"
    try:
        _show_rows(_rows(config, controller_ref(), view_ref(), None))
        probe = await probe_health(config.proxy_url)
        _show_rows(_rows(config, controller_ref(), view_ref(), probe))
    except Exception as error:  # a bug of ours: say so in the panel, never spin
        _show_rows([Row("panel", "bad", t("diag.title"), type(error).__name__)])
        panel.dataset.state = "error"
        raise
    panel.dataset.state = "done"


def _rows(config, controller, view, probe) -> list[Row]:
    if controller is not None:
        target = controller.crm_target
    else:
        target = None if config.crm_mode == "off" else config.crm_url or config.proxy_url
    options = config.link_request.options
    activity = None
    if controller is not None and view is not None:
        last = view.event_log.last()
        activity = Activity(
            last_type=last.event.type if last else None,
            last_at=last.received_at if last else None,
            rejected=view.event_log.rejected,
            events_on=bool(options and (options.use_deals_events or options.use_message_events)),
        )
    seen = Observations(
        health=probe,
        framing=observe_framing(),
        permissions=observe_permissions(),
        boot=Boot(_mark_ms("chat-src-set"), _mark_ms("events-ready")),
        activity=activity,
        delivery=Delivery(controller.outbox.entries() if controller else None, target),
        secrets=tuple(secret for secret in (config.launch_token,) if secret),
    )
    return diagnose(seen, parent_origin=config.parent_origin, now=datetime.now(UTC))


def _show_rows(rows: list[Row]) -> None:
    items = []
    for row in rows:
        item = element("li", data_check=row.check, data_state=row.state)
        item.append(element("span", t(f"diag.state.{row.state}"), **{"class": "diag-state"}))
        item.append(element("strong", row.label))
        item.append(element("span", row.value, **{"class": "diag-value"}))
        if row.fix:
            fix = element("p", **{"class": "diag-fix"})
            fix.append(element("b", t("diag.fix")))
            fix.append(document.createTextNode(" " + row.fix))
            item.append(fix)
        items.append(item)
    document.getElementById("diagnostics-rows").replaceChildren(*items)


async def probe_health(proxy_url: str) -> HealthProbe:
    url = f"{proxy_url}/api/health"
    started = js.performance.now()
    try:
        result = await fetch_send(
            "GET", url, None, {"Accept": "application/json"}, HEALTH_TIMEOUT_S
        )
    except TransportFailure as failure:
        return HealthProbe(url, error=str(failure) or "no answer")
    elapsed = js.performance.now() - started
    try:
        body = json.loads(result.body)
    except ValueError:
        body = None
    return HealthProbe(url, result.status, body, elapsed_ms=elapsed)


def observe_framing() -> Framing:
    framed = not getattr(js.Object, "is")(js.window.parent, js.window)
    origin = None
    if framed:
        ancestors = getattr(js.location, "ancestorOrigins", None)
        if ancestors and ancestors.length:
            origin = str(ancestors.item(0))
        elif js.document.referrer:
            try:
                origin = origin_of(str(js.document.referrer))
            except ValueError:
                origin = None
    return Framing(framed, origin, str(js.location.origin))


def observe_permissions() -> Permissions:
    frame = document.querySelector(CHAT_FRAME)
    if not frame:
        return Permissions(chat_allow=None, page=_allowed(getattr(document, "featurePolicy", None)))
    return Permissions(
        chat_allow=str(frame.getAttribute("allow") or ""),
        page=_allowed(getattr(document, "featurePolicy", None)),
        chat=_allowed(getattr(frame, "featurePolicy", None)),
    )


def _allowed(policy) -> dict[str, bool]:
    """feature → allowed, where the browser has the (Chromium-only) featurePolicy API."""
    if not policy:
        return {}
    found = {}
    for feature in FEATURES:
        try:
            found[feature] = bool(policy.allowsFeature(feature))
        except Exception:  # an unknown feature name, or no such method: unknown
            continue
    return found


def _mark_ms(name: str) -> float | None:
    entries = js.performance.getEntriesByName(name, "mark")
    return float(entries[0].startTime) if entries.length else None


def _exporter(table, fmt, config, controller_ref, view_ref):
    def export(_event=None):
        mask = config.mask_phones
        if table == "events":
            view = view_ref()
            rows = event_table(view.event_log.items() if view else [], mask_phones=mask)
        else:
            controller = controller_ref()
            entries = controller.outbox.entries() if controller else []
            rows = delivery_table(entries, mask_phones=mask)
        download(export_file(table, fmt, rows, datetime.now(UTC)))

    return export


def download(file) -> None:
    """Save `file` (an ExportFile) through a Blob, an object URL and <a download>."""
    options = to_js({"type": file.mime}, dict_converter=js.Object.fromEntries)
    blob = js.Blob.new(to_js([file.text]), options)
    url = js.URL.createObjectURL(blob)
    link = element("a", href=url, download=file.filename, hidden="")
    document.body.append(link)
    link.click()
    link.remove()
    # Revoked a moment later: the download starts after click() returns.
    js.setTimeout(create_once_callable(lambda: js.URL.revokeObjectURL(url)), 10_000)
