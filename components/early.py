"""What the page needs before pydantic has loaded: the browser's fetch, and an inbox that keeps
the chat window's messages until the controller exists (none may be lost in between).

Browser-only, but imports `js` lazily, so CPython can import it (and test `EarlyInbox`).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from dataclasses import dataclass

PACKAGES = ["pydantic", "pyodide-http"]  # resolved by the vendored pyodide-lock.json
# Standard-library modules pydantic imports. They are in the stdlib zip Pyodide loads at start,
# so the page imports them while the wheels are still being read (about 15 ms of that wait).
PYDANTIC_STDLIB = (
    "datetime",
    "decimal",
    "fractions",
    "hashlib",
    "hmac",
    "numbers",
    "secrets",
    "sysconfig",
    "uuid",
    "zoneinfo",
)
MAX_EARLY_MESSAGES = 1000
# What the set-up step names in the lock, under this tool (scripts/vendor_runtime.py):
# - "dynlibs": each wheel's WebAssembly, moved out into a file of its own. Installed from the
#   wheel, pydantic-core's 4.7 MB was compiled anew on every load; compileStreaming lets
#   Chromium keep it compiled between loads (make bench: about 55 ms less to events ready);
# - "zip": the one zip that holds the pure-Python packages (pydantic, ...), put on sys.path as
#   it is. Pyodide unpacked each wheel file by file into its file system on every load (two
#   interleaved A/Bs: 94 and 26 ms less from the chat to events ready, warm).
# A lock without them (Pyodide's CDN) loads its wheels as they are.
LOCK_TOOL = "wazzup-chat-window"
_PRELOAD_SOURCE = """
const module = pyodide._module;  // Emscripten's: its loader takes an instantiated library
const fetchOk = async (url) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response;
};
const load = async (url, path) => {
  const response = await fetchOk(url);
  const wasm = (response.headers.get("Content-Type") ?? "").startsWith("application/wasm")
    ? await WebAssembly.compileStreaming(response)
    : await WebAssembly.compile(await response.arrayBuffer());
  const library = { loadAsync: true, nodelete: true };
  const exports = await module.loadWebAssemblyModule(wasm, library, path, {});
  module.preloadedWasm[path] = exports;  // for Python's import, which opens it synchronously
  return exports;
};
const fetchZip = async (url) => new Uint8Array(await (await fetchOk(url)).arrayBuffer());
return (async () => {
  await pyodide.loadPackage([], { messageCallback() {} });  // the lock has been read
  const base = new URL(pyodide.lockfileBaseUrl, location.href);
  const packages = pyodide.lockfile.packages;
  // The packages asked for and what they depend on: from a zip, or installed by Pyodide.
  const needed = new Set();
  const visit = (name) => {
    if (needed.has(name) || !packages[name]) return;
    needed.add(name);
    packages[name].depends.forEach(visit);
  };
  wanted.forEach(visit);
  const install = wanted.filter((name) => !packages[name]);  // Pyodide says what is wrong
  const zips = new Map();  // file name -> its bytes (a promise)
  for (const name of needed) {
    const zip = packages[name].tool?.[tool]?.zip;
    if (!zip) install.push(name);
    else if (!zips.has(zip)) zips.set(zip, fetchZip(new URL(zip, base).href));
  }
  const loads = [];
  for (const entry of Object.values(packages)) {
    for (const [member, file] of Object.entries(entry.tool?.[tool]?.dynlibs ?? {})) {
      const path = module.PATH.normalize(`${sitePackages}/${member}`);
      const loading = load(new URL(file, base).href, path);
      module.preloadedWasm[path] = loading;  // the wheel's install waits for it
      loads.push(loading);
    }
  }
  const zipped = Promise.all([...zips].map(async ([file, bytes]) => [file, await bytes]));
  return { ready: Promise.all([...loads, zipped]), install, zipped };
})();
"""


@dataclass(frozen=True)
class Answer:
    status: int
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Unreachable(Exception):
    """No HTTP answer at all: refused connection, CORS, timeout."""


_fetch = None  # the JavaScript function every request goes through (made on first use)
_FETCH_SOURCE = """return fetch(url, {method, body, headers: JSON.parse(headers), credentials,
                         cache, signal: AbortSignal.timeout(ms)});"""


def browser_fetch(
    method: str,
    url: str,
    body: str | None,
    headers: dict | None,
    timeout_s: float,
    *,
    credentials: str = "omit",
    cache: str = "default",
):
    """Start the browser's fetch and return its promise (await it for the Response).

    The request leaves in this call. Its options are put together in JavaScript, in one call
    across the boundary with plain strings (the headers as JSON), not field by field (bench:
    event handling); the timeout also covers reading the body. Raises, when awaited, the
    browser's TypeError or TimeoutError.
    """
    global _fetch
    import js

    if _fetch is None:
        names = ("url", "method", "body", "headers", "ms", "credentials", "cache")
        _fetch = js.Function.new(*names, _FETCH_SOURCE)
    header_text = json.dumps(headers or {})
    return _fetch(url, method, body, header_text, int(timeout_s * 1000), credentials, cache)


async def fetch_text(
    method: str,
    url: str,
    body: str | None = None,
    headers: dict | None = None,
    timeout_s: float = 20.0,
    credentials: str = "omit",  # "same-origin" for the page's own files: a preload matches it
) -> Answer:
    try:
        response = await browser_fetch(
            method, url, body, headers, timeout_s, credentials=credentials
        )
        return Answer(int(response.status), str(await response.text()))
    except Exception as error:  # the browser's TypeError/TimeoutError arrive as JsException
        raise Unreachable(str(error)) from None


async def post_link(proxy_url: str, body: dict, launch_token: str | None) -> Answer:
    """`POST /api/link` with the browser's fetch (the v3 link request `body`), presenting the
    signed launch when there is one; raises Unreachable."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if launch_token:
        headers["Authorization"] = f"Bearer {launch_token}"
    text = json.dumps(body, separators=(",", ":"))
    return await fetch_text("POST", f"{proxy_url}/api/link", text, headers)


async def load_packages() -> None:
    """pydantic and pyodide-http, from the lock next to pyodide.mjs (vendored or CDN)."""
    import sysconfig

    import js
    import pyodide_js
    from pyodide.ffi import to_js

    # pydantic looks for plugins at its first validator, in the entry points of every
    # distribution on sys.path (opening every zip there): 6 ms in the page, for no plugin.
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    preload = js.Function.new("pyodide", "tool", "sitePackages", "wanted", _PRELOAD_SOURCE)
    site_packages = sysconfig.get_path("purelib")
    preloads = await preload(pyodide_js, LOCK_TOOL, site_packages, to_js(PACKAGES))
    # No sha256 check of the wheels against the lock: both come from the same place (this site,
    # or the same CDN), so the check guards nothing an attacker there could not change too, and
    # hashing 6.7 MB in the page costs about 40 ms before events are handled (make bench).
    # A damaged wheel still fails loudly (zipfile checks every CRC-32 as it unpacks), and so
    # does a damaged zip of packages, at the import that reads it.
    loading = pyodide_js.loadPackage(preloads.install, to_js({"checkIntegrity": False}))
    await asyncio.sleep(0)  # Pyodide asks for the wheels
    for name in PYDANTIC_STDLIB:
        importlib.import_module(name)
    await loading
    try:
        await preloads.ready
    except Exception as error:  # the browser's or Pyodide's error, as a JsException
        raise RuntimeError(f"{error} (`make setup` vendors the runtime again)") from None
    for file, data in await preloads.zipped:  # [file name, its bytes]
        path = f"{site_packages}/{file}"
        pyodide_js.FS.writeFile(path, data)
        # Read as it is by zipimport, as Pyodide's standard library is; ahead of site-packages.
        at = sys.path.index(site_packages) if site_packages in sys.path else len(sys.path)
        sys.path.insert(at, path)
    loaded = pyodide_js.loadedPackages
    missing = [name for name in preloads.install if not js.Object.hasOwn(loaded, name)]
    if missing:  # Pyodide only logs a package it could not load: say it where it shows
        raise RuntimeError(f"could not load {', '.join(missing)}: see the browser's console")


class EarlyInbox:
    """Takes window messages until the controller is ready, then hands them over in order."""

    def __init__(self, limit: int = MAX_EARLY_MESSAGES) -> None:
        self.pending: list[tuple] = []
        self.dropped = 0
        self.limit = limit
        self.target = None

    def handle_message(self, origin, from_chat_window, data) -> None:
        if self.target is not None:
            self.target.handle_message(origin, from_chat_window, data)
        elif len(self.pending) < self.limit:
            self.pending.append((origin, from_chat_window, data))
        else:  # a flood before the page was ready: counted, and said after the hand-over
            self.dropped += 1

    def hand_over(self, controller) -> int:
        """Returns how many messages beyond the limit were dropped, for the page to say."""
        pending, self.pending = self.pending, []
        for message in pending:
            controller.handle_message(*message)
        self.target = controller
        return self.dropped
