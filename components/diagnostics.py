"""The diagnostics panel's rules: what the page observed → rows with a state and a fix.

    rows = diagnose(Observations(health=..., framing=..., ...), parent_origin=None, now=now)
    for row in rows:
        row.check, row.state, row.label, row.value, row.fix   # state: "ok" | "warn" | "bad"

Plain Python; components/diagnostics_view.py gathers the observations in the browser. Every
text passes `scrub`: a row never shows a launch token, a key or a URL's query string, whatever
the observations hold. A row that is not "ok" always says what to do.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from .i18n import t
from .outbox import OutboxEntry

State = Literal["ok", "warn", "bad"]
CHECKS = ("proxy", "upstream", "framing", "permissions", "boot", "events", "outbox")
FEATURES = ("microphone", "clipboard-write")
SLOW_BOOT_MS = 8_000  # a cold start here takes ~2 s; four times that is worth a look
HIDDEN = "[hidden]"
# A JWT (a launch token) anywhere in a text: three base64url parts, the first a JSON header.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_URL = re.compile(r"https?://[^\s\"'<>]+")


@dataclass(frozen=True)
class Row:
    check: str
    state: State
    label: str
    value: str
    fix: str = ""


@dataclass(frozen=True)
class HealthProbe:
    """The answer to GET {proxyUrl}/api/health: `status` None when nothing answered."""

    url: str
    status: int | None = None
    body: Any = None  # the JSON answer, None when it was not JSON
    error: str = ""
    elapsed_ms: float | None = None


@dataclass(frozen=True)
class Framing:
    framed: bool
    parent_origin: str | None = None  # location.ancestorOrigins[0], else document.referrer's
    page_origin: str = ""


@dataclass(frozen=True)
class Permissions:
    """`chat_allow`: the chat iframe's allow attribute (None: no chat iframe yet).
    `page` and `chat`: feature → allowed, from document.featurePolicy and the iframe's
    featurePolicy, where the browser has them (missing keys: unknown)."""

    chat_allow: str | None
    page: dict[str, bool] = field(default_factory=dict)
    chat: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Boot:
    """performance marks, ms after navigation start (None: not reached yet)."""

    chat_src_set_ms: float | None = None
    events_ready_ms: float | None = None


@dataclass(frozen=True)
class Activity:
    """None: the page does not listen for events yet (still starting, or stopped)."""

    last_type: str | None = None
    last_at: datetime | None = None
    rejected: int = 0
    events_on: bool = True


@dataclass(frozen=True)
class Delivery:
    """The outbox; `entries` None: not started. `crm_target` None: delivery is off."""

    entries: list[OutboxEntry] | None
    crm_target: str | None


@dataclass(frozen=True)
class Observations:
    health: HealthProbe | None  # None: still checking
    framing: Framing
    permissions: Permissions
    boot: Boot
    activity: Activity | None
    delivery: Delivery
    secrets: tuple[str, ...] = ()  # texts no row may show (the launch token)


def diagnose(seen: Observations, *, parent_origin: str | None, now: datetime) -> list[Row]:
    rows = [
        *health_rows(seen.health),
        framing_row(seen.framing, parent_origin),
        permissions_row(seen.permissions),
        boot_row(seen.boot),
        events_row(seen.activity, now),
        outbox_row(seen.delivery),
    ]
    return [scrub(row, seen.secrets) for row in rows]


def health_rows(probe: HealthProbe | None) -> list[Row]:
    proxy, upstream = t("diag.proxy"), t("diag.upstream")
    if probe is None:
        checking = t("diag.checking")
        return [Row("proxy", "warn", proxy, checking), Row("upstream", "warn", upstream, checking)]
    url = public_url(probe.url)
    unknown = Row(
        "upstream", "warn", upstream, t("diag.upstream.unknown"), t("diag.upstream.unknown_fix")
    )
    if probe.status is None:
        value = t("diag.proxy.down", url=url, reason=probe.error or "?")
        fix = t("diag.proxy.down_fix")
        return [Row("proxy", "bad", proxy, value, fix), unknown]
    body = probe.body if isinstance(probe.body, dict) else None
    if not 200 <= probe.status < 300 or body is None or body.get("proxy") != "ok":
        value = t("diag.proxy.http", url=url, status=probe.status)
        return [Row("proxy", "bad", proxy, value, t("diag.proxy.http_fix")), unknown]
    ms = f"{probe.elapsed_ms:.0f}" if probe.elapsed_ms is not None else "?"
    rows = [Row("proxy", "ok", proxy, t("diag.proxy.ok", url=url, ms=ms))]
    upstream_state = body.get("upstream")
    api = str(body.get("api", "?"))
    if isinstance(upstream_state, dict) and upstream_state.get("ok") is True:
        detail = upstream_state.get("detail")
        value = t("diag.upstream.ok", api=api) + (f" ({detail})" if detail else "")
        rows.append(Row("upstream", "ok", upstream, value))
    else:
        detail = upstream_state.get("detail") if isinstance(upstream_state, dict) else None
        value = t("diag.upstream.bad", detail=detail or "?")
        rows.append(Row("upstream", "bad", upstream, value, t("diag.upstream.bad_fix")))
    return rows


def framing_row(framing: Framing, expected: str | None) -> Row:
    label = t("diag.framing")
    if not framing.framed:
        return Row("framing", "ok", label, t("diag.framing.top"))
    origin = framing.parent_origin
    if not origin or origin == "null":
        fix = t("diag.framing.unknown_fix", expected=expected or t("diag.not_set"))
        return Row("framing", "warn", label, t("diag.framing.unknown"), fix)
    if origin == expected:
        return Row("framing", "ok", label, t("diag.framing.ok", origin=origin))
    fix = t("diag.framing.set_fix", origin=origin)
    if expected is None:
        return Row("framing", "warn", label, t("diag.framing.unset", origin=origin), fix)
    value = t("diag.framing.mismatch", origin=origin, expected=expected)
    return Row("framing", "bad", label, value, fix)


def permissions_row(permissions: Permissions) -> Row:
    label = t("diag.permissions")
    if permissions.chat_allow is None:
        return Row("permissions", "warn", label, t("diag.no_chat"), t("diag.no_chat_fix"))
    allow = permissions.chat_allow
    own_missing = [f for f in FEATURES if f not in allow or permissions.chat.get(f) is False]
    host_missing = [f for f in FEATURES if permissions.page.get(f) is False]
    if host_missing:
        features = ", ".join(host_missing)
        value = t("diag.permissions.host_missing", features=features)
        return Row("permissions", "bad", label, value, t("diag.permissions.host_missing_fix"))
    if own_missing:
        features = ", ".join(own_missing)
        value = t("diag.permissions.chat_missing", features=features)
        return Row("permissions", "bad", label, value, t("diag.permissions.chat_missing_fix"))
    return Row("permissions", "ok", label, t("diag.permissions.ok"))


def boot_row(boot: Boot) -> Row:
    label = t("diag.boot")
    chat, events = _seconds(boot.chat_src_set_ms), _seconds(boot.events_ready_ms)
    if boot.events_ready_ms is None:
        value = t("diag.boot.starting", chat=chat) if chat else t("diag.boot.not_yet")
        return Row("boot", "warn", label, value, t("diag.boot.starting_fix"))
    value = t("diag.boot.ok", chat=chat or "?", events=events)
    if boot.events_ready_ms > SLOW_BOOT_MS:
        return Row("boot", "warn", label, value, t("diag.boot.slow_fix"))
    return Row("boot", "ok", label, value)


def events_row(activity: Activity | None, now: datetime) -> Row:
    label = t("diag.events")
    if activity is None:
        return Row(
            "events", "warn", label, t("diag.events.not_started"), t("diag.boot.starting_fix")
        )
    if activity.last_type and activity.last_at:
        ago = max(0, round((now - activity.last_at).total_seconds()))
        when = activity.last_at.astimezone().strftime("%H:%M:%S")
        return Row(
            "events",
            "ok",
            label,
            t("diag.events.last", type=activity.last_type, time=when, ago=ago),
        )
    if activity.rejected:
        value = t("diag.events.rejected", count=activity.rejected)
        return Row("events", "bad", label, value, t("diag.events.rejected_fix"))
    if not activity.events_on:
        return Row("events", "ok", label, t("diag.events.off"))
    return Row("events", "warn", label, t("diag.events.none"), t("diag.events.none_fix"))


def outbox_counts(entries: list[OutboxEntry]) -> dict[str, int]:
    counts = Counter(entry.status for entry in entries)
    return {status: counts[status] for status in ("queued", "sending", "failed", "delivered")}


def outbox_row(delivery: Delivery) -> Row:
    label = t("diag.outbox")
    if delivery.crm_target is None:
        return Row("outbox", "warn", label, t("diag.outbox.off"), t("diag.outbox.off_fix"))
    if delivery.entries is None:
        return Row(
            "outbox", "warn", label, t("diag.outbox.not_started"), t("diag.boot.starting_fix")
        )
    entries = delivery.entries
    value = t("diag.outbox.counts", **outbox_counts(entries))
    failed = [e for e in entries if e.status == "failed"]
    if failed:
        error = failed[-1].last_error or "?"
        fix = t("diag.outbox.failed_fix", count=len(failed), error=error)
        return Row("outbox", "bad", label, value, fix)
    retrying = [e for e in entries if e.status == "queued" and e.attempts]
    if retrying:
        error = max(retrying, key=lambda e: e.updated_at).last_error or "?"
        url = public_url(delivery.crm_target)
        fix = t("diag.outbox.retrying_fix", count=len(retrying), error=error, url=url)
        return Row("outbox", "warn", label, value, fix)
    return Row("outbox", "ok", label, value)


def public_url(url: str) -> str:
    """The URL without what may be secret: user info, query string, fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:  # not a port: drop it with the rest
        port = None
    if port:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}{parts.path}" if parts.scheme else parts.path


def scrub(row: Row, secrets: tuple[str, ...] = ()) -> Row:
    def clean(text: str) -> str:
        for secret in secrets:
            if secret:
                text = text.replace(secret, HIDDEN)
        text = _JWT.sub(HIDDEN, text)
        return _URL.sub(_public_in_text, text)

    return Row(row.check, row.state, row.label, clean(row.value), clean(row.fix))


def _public_in_text(match: re.Match[str]) -> str:
    url = match.group(0)
    core = url.rstrip(".,;:!?)")  # the sentence's punctuation is not the URL's
    return public_url(core) + url[len(core) :]


def _seconds(ms: float | None) -> str:
    return f"{ms / 1000:.1f}" if ms is not None else ""
