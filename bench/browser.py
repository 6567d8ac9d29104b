"""Headless Chromium measurements: page loads (time to chat, events ready, bytes) and event
handling. Times come from marks the pages record themselves (`performance.mark`), relative to
navigation start, so the browser driver's own overhead is not in them.

Each load runs in a fresh browser profile (a persistent context in a new folder, like a real
user's browser, where Chromium keeps compiled code); "warm" is a reload in the same profile
after the first load has settled, so the HTTP cache and Chromium's code caches are filled.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, Playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
LOAD_TIMEOUT_MS = 90_000
QUIET_S = 0.5  # no request in flight for this long: the load is over
# After a load, before the warm reload. Not shorter: the first load's background work (V8's
# optimizing compiler, the code caches) lingers, and it slowed the stock page's reload more
# than ours. With 3 s the stock floor's warm median came out 1,913 ms, with 10 s 1,717 ms (8
# loads each, interleaved), while ours stayed at 576 vs 581 ms: 3 s flattered our ratios by
# about 10 %. The issue measured the stock floor at ~1.6 s warm; a salesperson's next card
# comes seconds after the first, too.
SETTLE_S = 10.0

# Records when PyScript says Python is ready (its "py:ready" event) and when the page says it
# is ready in its DOM (data-ready="1"), for pages that have no "events-ready" mark, and makes
# the marks easy to read.
MARKS_SCRIPT = """
(() => {
  if (window.top !== window) return;
  addEventListener("py:ready", () => performance.mark("bench:python-ready"), { once: true });
  new MutationObserver(() => {
    if (document.body && document.body.dataset.ready === "1"
        && !performance.getEntriesByName("bench:data-ready").length) {
      performance.mark("bench:data-ready");
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
})();
"""
MARKS_JS = """() => Object.fromEntries(
  performance.getEntriesByType("mark").map((m) => [m.name, m.startTime]))"""
COLD_MODULES_JS = """() => performance.getEntriesByName("cold-modules-loaded")[0]?.detail ?? null"""
PROBLEM_JS = """() => { const p = document.getElementById("problem");
  return p && !p.hidden ? p.textContent.trim().slice(0, 300) : null; }"""


class PageFailed(Exception):
    pass


@dataclass
class Load:
    chat_ms: float
    events_ms: float | None
    cold_modules: str | None = None  # the import that fetched python_cold.zip, if any
    marks: dict[str, float] = field(default_factory=dict)  # every mark, ms from navigation


@dataclass
class Transfer:
    requests: int = 0
    wire_bytes: int = 0  # what crossed the network: compressed bodies and headers
    body_bytes: int = 0  # the same bodies decoded
    by_url: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class PageSpec:
    name: str
    url: str
    wait_for_events: bool  # wait for the "events-ready" mark, not only the chat


@contextmanager
def fresh_profile(pw: Playwright, chromium: str) -> Iterator[BrowserContext]:
    folder = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    context = pw.chromium.launch_persistent_context(
        str(folder),
        executable_path=chromium,
        headless=True,
        args=CHROMIUM_ARGS,
        service_workers="block",
    )
    try:
        context.add_init_script(MARKS_SCRIPT)
        yield context
    finally:
        context.close()
        shutil.rmtree(folder, ignore_errors=True)


def wait_loaded(page: Page, spec: PageSpec) -> Load:
    wanted = "events-ready" if spec.wait_for_events else "chat-src-set"
    page.wait_for_function(
        f"""() => performance.getEntriesByName("{wanted}").length > 0
                  || performance.getEntriesByName("bench:data-ready").length > 0
                  || ({PROBLEM_JS})() !== null""",
        timeout=LOAD_TIMEOUT_MS,
    )
    problem = page.evaluate(PROBLEM_JS)
    if problem:
        raise PageFailed(f"{spec.name}: the page shows a problem: {problem}")
    marks = page.evaluate(MARKS_JS)
    if "chat-src-set" not in marks:
        raise PageFailed(f"{spec.name}: no chat-src-set mark (marks: {sorted(marks)})")
    events = marks.get("events-ready", marks.get("bench:data-ready"))
    cold = page.evaluate(COLD_MODULES_JS)
    return Load(marks["chat-src-set"], events if spec.wait_for_events else None, cold, marks)


class NetworkMeter:
    """Counts the bytes of the main frame's requests with CDP Network events."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.cdp = context.new_cdp_session(page)
        self.urls: dict[str, str] = {}
        self.frames: dict[str, str] = {}
        self.decoded: dict[str, int] = {}
        self.encoded: dict[str, int] = {}
        self.open: set[str] = set()
        self.last_activity = time.monotonic()
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.dataReceived", self._data)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.loadingFailed", self._failed)
        self.cdp.send("Network.enable")

    def _sent(self, event: dict) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]
        self.frames[event["requestId"]] = event.get("frameId", "")
        self.open.add(event["requestId"])
        self.last_activity = time.monotonic()

    def _data(self, event: dict) -> None:
        rid = event["requestId"]
        self.decoded[rid] = self.decoded.get(rid, 0) + event["dataLength"]
        self.last_activity = time.monotonic()

    def _finished(self, event: dict) -> None:
        self.encoded[event["requestId"]] = int(event["encodedDataLength"])
        self.open.discard(event["requestId"])
        self.last_activity = time.monotonic()

    def _failed(self, event: dict) -> None:
        self.open.discard(event["requestId"])
        self.last_activity = time.monotonic()

    def wait_quiet(self, page: Page, limit_s: float = 15.0) -> None:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if not self.open and time.monotonic() - self.last_activity >= QUIET_S:
                return
            page.wait_for_timeout(100)  # lets Playwright deliver the CDP events

    def transfer(self, main_frame: str) -> Transfer:
        result = Transfer()
        for rid, url in self.urls.items():
            if self.frames.get(rid) != main_frame or rid not in self.encoded:
                continue
            result.requests += 1
            result.wire_bytes += self.encoded[rid]
            result.body_bytes += self.decoded.get(rid, 0)
            short = url.split("?")[0].rsplit("/", 1)[-1] or url
            wire, body = result.by_url.get(short, (0, 0))
            result.by_url[short] = (wire + self.encoded[rid], body + self.decoded.get(rid, 0))
        return result


def load_twice(
    pw: Playwright, chromium: str, spec: PageSpec, measure_bytes: bool = False
) -> tuple[Load, Load, Transfer | None]:
    """A cold load in a fresh profile, then a warm reload: (cold, warm, cold bytes)."""
    with fresh_profile(pw, chromium) as context:
        page = context.pages[0] if context.pages else context.new_page()
        meter = NetworkMeter(context, page) if measure_bytes else None
        page.goto(spec.url, wait_until="commit")
        cold = wait_loaded(page, spec)
        transfer = None
        if meter is not None:
            meter.wait_quiet(page)
            frame_id = meter.cdp.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
            transfer = meter.transfer(frame_id)
        page.wait_for_timeout(SETTLE_S * 1000)
        page.reload(wait_until="commit")
        warm = wait_loaded(page, spec)
        return cold, warm, transfer
