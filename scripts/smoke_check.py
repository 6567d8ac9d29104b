#!/usr/bin/env python3
"""Prove the vendored PyScript/Pyodide runtime boots offline in headless Chromium.

Serves the repo root with a plain static server (http.server) on 127.0.0.1 and
a free port, opens /scripts/smoke/index.html in Chromium via Playwright,
aborts and records every request to a host other than 127.0.0.1, and waits
for ``document.body.dataset.ready == "1"`` (set by scripts/smoke/main.py after
``import pydantic`` / ``import pyodide_http`` and two imports that are not
loaded at start, so python_cold.zip is fetched). A plain static server, no
proxy: this is the hosted static build.

Prints the pydantic version the page reports, the foreign requests (must be
none) and the boot time. Exit status 0 only if the page became ready, no
foreign request was attempted and no local request failed.

Needs: vendor/ (python scripts/vendor_runtime.py), Python Playwright
(pip install playwright; no browser download needed) and a Chromium binary
(Debian: apt-get install -y chromium -> /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from vendor_runtime import load_pins, runtime_dirs  # scripts/, next to this file

REPO = Path(__file__).resolve().parents[1]
PAGE = "/scripts/smoke/index.html"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
READY_JS = (
    "() => !!document.body && "
    "(document.body.dataset.ready === '1' || !!document.body.dataset.error)"
)
# MIME types the runtime needs from any static server. Module scripts (.mjs,
# .js) must be served as JavaScript; .wasm as application/wasm for streaming
# compilation. Set explicitly so the check does not depend on /etc/mime.types.
MIME_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".toml": "text/plain",
    ".py": "text/plain",
    ".css": "text/css",
    ".html": "text/html",
    ".map": "application/json",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **MIME_TYPES,
    }
    served: ClassVar[list[tuple[int, str]]] = []

    def log_request(self, code="-", size="-"):
        try:
            code = int(code)
        except (TypeError, ValueError):
            code = 0
        self.served.append((code, self.path))

    def log_message(self, *args):  # keep stdout clean
        pass

    def end_headers(self):
        # Always revalidate so each run exercises the real files.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


def find_chromium(explicit: str | None) -> str:
    for cand in (
        explicit,
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if cand and Path(cand).is_file():
            return cand
    sys.exit("smoke_check: no Chromium (apt-get install -y chromium, or pass --chromium PATH)")


def main() -> int:
    ap = argparse.ArgumentParser(description="Offline boot check of the vendored runtime.")
    ap.add_argument("--chromium", help="Chromium executable (default /usr/bin/chromium)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for ready")
    ap.add_argument("--page", default=PAGE, help="page path under the repo root")
    ap.add_argument(
        "--warm", action="store_true", help="also time a reload in the same browser context"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="list every local request")
    args = ap.parse_args()

    dirs = runtime_dirs(load_pins()[0])
    pyscript_dir, pyodide_dir = f"vendor/{dirs['pyscript']}", f"vendor/{dirs['pyodide']}"
    for f in (
        f"{pyscript_dir}/core.js",
        f"{pyodide_dir}/pyodide.mjs",
        f"{pyodide_dir}/pyodide-lock.json",
        f"{pyodide_dir}/python_cold.zip",
    ):
        if not (REPO / f).is_file():
            print(f"smoke_check: FAIL: {f} missing; run: python scripts/vendor_runtime.py")
            return 1
    try:
        from playwright.sync_api import Error as PWError
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("smoke_check: FAIL: Playwright missing (pip install playwright)")
        return 1
    chromium = find_chromium(args.chromium)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(REPO))
    )
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{port}{args.page}"

    foreign: list[str] = []
    console_errors: list[str] = []
    failed: list[str] = []
    ok = False
    result: dict = {}
    timings: list[tuple[str, float]] = []

    def route(route_obj):
        req = route_obj.request
        parts = urlsplit(req.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
            foreign.append(f"{req.method} {req.url}")
            route_obj.abort("blockedbyclient")
        else:
            route_obj.continue_()

    def load(page, label: str, reload: bool = False) -> bool:
        t0 = time.monotonic()
        if reload:
            page.reload(wait_until="commit")
        else:
            page.goto(url, wait_until="commit")
        page.wait_for_function(READY_JS, timeout=args.timeout * 1000)
        timings.append((label, time.monotonic() - t0))
        result.update(page.evaluate("() => ({...document.body.dataset})"))
        return result.get("ready") == "1"

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
            )
            context = browser.new_context(service_workers="block")
            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
            page.on("pageerror", lambda e: console_errors.append(f"pageerror: {e}"))
            page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
            try:
                ok = load(page, "cold")
                if ok and args.warm:
                    result.clear()
                    ok = load(page, "warm (reload)", reload=True)
            except PWError as e:
                print(f"smoke_check: page did not become ready: {str(e).splitlines()[0]}")
            browser.close()
    finally:
        server.shutdown()

    local_errors = [f"{code} {path}" for code, path in Handler.served if code >= 400]
    print(f"smoke_check: page {url}")
    print(
        f"smoke_check: pydantic version reported: {result.get('pydantic', '-')}"
        f" (pydantic-core {result.get('pydanticCore', '-')})"
    )
    for label, secs in timings:
        print(f"smoke_check: boot time {label}: {secs:.2f} s")
    print(f"smoke_check: foreign requests ({len(foreign)}): {foreign}")
    print(f"smoke_check: local requests: {len(Handler.served)}, failed: {local_errors}")
    if args.verbose:
        for code, path in Handler.served:
            print(f"  {code} {path}")
    if result.get("error"):
        print("smoke_check: Python error in page:\n" + result["error"])
    if console_errors:
        print("smoke_check: console errors:\n  " + "\n  ".join(console_errors[:20]))
    if failed:
        print("smoke_check: failed requests:\n  " + "\n  ".join(failed[:20]))

    passed = ok and not foreign and not local_errors
    print("smoke_check: " + ("PASS" if passed else "FAIL"))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
