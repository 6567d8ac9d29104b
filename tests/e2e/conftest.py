"""End-to-end fixtures: the real demo (proxy + sandbox + sample CRM) on free ports, and
Chromium that may talk to nothing but loopback."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from ensure_browser import find_system_chromium, playwright_chromium  # noqa: E402

from demo.servers import first_silent  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
BOOT_TIMEOUT_MS = 90_000
# Fault injection (page.add_init_script, every frame): the page's last set-up step, after the
# controller took over the chat window's messages, adds an "online" listener; that call throws.
ONLINE_LISTENER_THROWS = """(() => {
  const add = window.addEventListener;
  window.addEventListener = function (type, ...rest) {
    if (type === "online") throw new Error("listener refused by the test");
    return add.call(this, type, ...rest);
  };
})();"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.path):
            item.add_marker(pytest.mark.e2e)


RENDERER_CRASHED = """Chromium's renderer crashed ("Target crashed" / "Page crashed").
One cause is known and fixed: Python on JSPI's stacks (docs/renderer-crash.md). Chromium keeps
a minidump of each crash in its config folder (Debian's chromium:
~/.config/chromium/Crash Reports/pending/); that document says how to read one."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None:
        text = str(call.excinfo.value)
        if "Target crashed" in text or "Page crashed" in text:
            report.sections.append(("renderer crash", RENDERER_CRASHED))


@pytest.fixture(scope="session", autouse=True)
def vendored_runtime() -> None:
    if not (ROOT / "vendor" / ".vendor-stamp.json").exists():
        pytest.exit("The browser runtime is not vendored: run `make test` (or `make setup`).", 2)
    # The page runs components.zip, not components/*.py: rebuild it if a module changed
    # since `make setup` (a no-op when it is up to date).
    from vendor_runtime import build_app_zip

    build_app_zip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Demo:
    page_url: str
    sandbox_url: str
    crm_url: str
    api_key: str
    partner_token: str
    log_path: Path
    crm_db: Path  # the sample CRM's SQLite file: tests may read it directly
    secrets: list[str] = field(default_factory=list)
    # A free loopback origin the proxy and the CRM allow (CORS): tests serve a static copy
    # of the page there (tests/e2e/test_static_build.py).
    static_url: str = ""

    def get_json(self, url: str):
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())

    def post_json(self, url: str, payload) -> int:
        request = urllib.request.Request(
            url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    def records(self, user_id: str | None = None) -> list[dict]:
        rows = self.get_json(f"{self.crm_url}/records")
        if user_id is None:
            return rows
        return [row for row in rows if row["record"].get("userId") == user_id]

    def set_crm_fault(self, mode: str) -> None:
        self.post_json(f"{self.crm_url}/_faults", {"mode": mode})


def _wait_until_up(urls: list[str], process: subprocess.Popen, log_path: Path) -> None:
    silent = first_silent(urls, lambda: process.poll() is None)
    if silent is not None:
        process.kill()
        output = log_path.read_text(errors="replace")[-4000:]
        pytest.fail(f"demo servers did not start ({silent} not answering):\n{output}")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    ports = {name: free_port() for name in ("PORT", "SANDBOX_PORT", "CRM_PORT")}
    workdir = tmp_path_factory.mktemp("demo")
    api_key = "e2e-api-key-" + os.urandom(10).hex()
    partner_token = "e2e-partner-" + os.urandom(10).hex()
    webhook_secret = "e2e-webhook-" + os.urandom(10).hex()
    static_url = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "CRM_DB": str(workdir / "crm.sqlite3"),
        "WAZZUP_API_KEY": api_key,
        "WAZZUP_PARTNER_TOKEN": partner_token,
        "WEBHOOK_SECRET": webhook_secret,
        "ALLOWED_ORIGINS": static_url,
        "PYTHONUNBUFFERED": "1",
    }
    log_path = workdir / "demo.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "demo"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    result = Demo(
        page_url=f"http://127.0.0.1:{ports['PORT']}",
        sandbox_url=f"http://127.0.0.1:{ports['SANDBOX_PORT']}",
        crm_url=f"http://127.0.0.1:{ports['CRM_PORT']}",
        api_key=api_key,
        partner_token=partner_token,
        log_path=log_path,
        crm_db=Path(env["CRM_DB"]),
        secrets=[api_key, partner_token, webhook_secret],
        static_url=static_url,
    )
    _wait_until_up(
        [f"{result.page_url}/api/health", f"{result.crm_url}/records", result.sandbox_url],
        process,
        log_path,
    )
    yield result
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    path = find_system_chromium() or playwright_chromium()
    if path is None:
        pytest.exit("No Chromium found: run `make browser` or set CHROMIUM_PATH.", 2)
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS}


@dataclass
class NetworkLog:
    foreign: list[str] = field(default_factory=list)


@pytest.fixture
def network(context) -> NetworkLog:
    """Every request the browser makes to a host other than loopback is recorded and blocked."""
    log = NetworkLog()

    def guard(route) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and host not in LOOPBACK_HOSTS:
            log.foreign.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    return log


def open_page(page, demo: Demo, query: str = ""):
    """Open the page and wait until it is ready or shows a problem."""
    page.goto(f"{demo.page_url}/{query}")
    page.wait_for_function(
        "document.body.dataset.ready === '1' || !document.getElementById('problem').hidden",
        timeout=BOOT_TIMEOUT_MS,
    )
    return page


def chat_window(page, demo: Demo, timeout_ms: float = 30_000):
    """The sandbox chat window's Frame, once its page has started.

    Polls `page.frames`: the page marks itself ready when it sets the iframe's `src`, a
    moment before Chromium commits the navigation and the frame gets its URL.
    """
    prefix = f"{demo.sandbox_url}/chat/"
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        frame = next((f for f in page.frames if f.url.startswith(prefix)), None)
        if frame is not None:
            frame.locator('body[data-ready="true"]').wait_for(timeout=timeout_ms)
            return frame
        if time.monotonic() > deadline:
            raise AssertionError(f"no frame at {prefix}… in {[f.url for f in page.frames]}")
        page.wait_for_timeout(50)


def new_user() -> str:
    """A CRM user id of the test's own."""
    return f"e2e-{uuid.uuid4().hex[:10]}"


def chat_of(user_id: str) -> str:
    """A WhatsApp chat id of the test's own: a contact record is one per chat, whichever user."""
    return "7999" + str(int(hashlib.sha256(user_id.encode()).hexdigest(), 16))[:7]


def own_card_query(user_id: str, extra: str = "") -> str:
    """The page's URL parameters for a client card of the test's own chat (chat_of)."""
    return f"?user={user_id}&scope=card&chat=whatsapp:{chat_of(user_id)}:Anthony%20Stone{extra}"
