"""Event handling latency: from a window message arriving to the CRM request being sent.

A script injected into every frame does the timing inside the browser. In the chat iframe it
relays `{"__benchEmit": message}` from the page to `window.parent`, so each event comes from
the chat window's own window and origin, as the real ones do. In the page it stamps
`performance.now()` when a message arrives (a capturing listener, so before the page's own)
and when `fetch` is called for the CRM. Events go one at a time: the next is sent only when
the page has gone quiet (no request in flight for QUIET_MS), so no event waits for another.
"""

from __future__ import annotations

import json

from playwright.sync_api import Playwright

from .browser import COLD_MODULES_JS, PageSpec, fresh_profile, wait_loaded

QUIET_MS = 8

HOOKS = """
(() => {
  if (window.top !== window) {
    window.addEventListener("message", (e) => {
      if (e.data && e.data.__benchEmit) window.parent.postMessage(e.data.__benchEmit, "*");
    });
    return;
  }
  const b = window.__bench = { arrived: new Map(), sent: [], open: 0, lastDone: 0 };
  window.addEventListener("message", (e) => {
    const seq = e.data && typeof e.data === "object" ? e.data.benchSeq : undefined;
    if (seq !== undefined) b.arrived.set(seq, performance.now());
  }, true);
  const realFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = String((input && input.url) || input);
    if (url.startsWith(CRM_URL)) b.sent.push(performance.now());
    b.open++;
    const done = () => { b.open--; b.lastDone = performance.now(); };
    return realFetch.apply(this, arguments).then(
      (r) => { done(); return r; }, (e) => { done(); throw e; });
  };
})();
"""

DRIVE = """
async ({ n, message, quietMs }) => {
  const b = window.__bench;
  const frame = document.querySelector("iframe");
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const latencies = [];
  for (let i = 0; i < n; i++) {
    const before = b.sent.length;
    frame.contentWindow.postMessage({ __benchEmit: { ...message, benchSeq: i } }, "*");
    const deadline = performance.now() + 10000;
    while (!(b.sent.length > before && b.open === 0
             && performance.now() - b.lastDone >= quietMs)) {
      if (performance.now() > deadline) throw new Error(`event ${i}: no CRM request in 10 s`);
      await sleep(2);
    }
    latencies.push(b.sent[before] - b.arrived.get(i));
  }
  return latencies;
}
"""


def chat_event(user_id: str, chat_id: str) -> dict:
    return {
        "type": "WZ_CREATE_ENTITY",
        "data": {
            "chatType": "whatsapp",
            "chatId": chat_id,
            "channelId": "b3f1c5a0-0000-4000-8000-000000000001",
            "userId": user_id,
        },
    }


def handling_latencies(
    pw: Playwright, chromium: str, spec: PageSpec, crm_url: str, count: int
) -> list[float]:
    """Milliseconds from arrival to CRM request, for `count` events sent one at a time."""
    with fresh_profile(pw, chromium) as context:
        context.add_init_script(HOOKS.replace("CRM_URL", json.dumps(crm_url)))
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(spec.url, wait_until="commit")
        wait_loaded(page, spec)
        page.frame_locator("iframe").locator("body").wait_for()
        page.wait_for_timeout(500)  # let the chat window and the page settle
        message = chat_event("bench-user", "79990000001")
        latencies = page.evaluate(DRIVE, {"n": count, "message": message, "quietMs": QUIET_MS})
        cold = page.evaluate(COLD_MODULES_JS)
        if cold:
            print(f"bench: {spec.name} fetched python_cold.zip for 'import {cold}'", flush=True)
        return latencies
