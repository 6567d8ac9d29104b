"""`make dist` output served by a plain static file server, talking to the demo proxy and CRM
from another origin (docs/hosting.md)."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
from conftest import BOOT_TIMEOUT_MS, ROOT, Demo


class PlainStaticHandler(SimpleHTTPRequestHandler):
    """What a bare static host does: files and MIME types, no CSP, no cache rules."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".mjs": "text/javascript",
    }

    def log_message(self, format: str, *args) -> None:
        pass


@contextmanager
def static_server(root: Path, origin: str) -> Iterator[str]:
    port = urlsplit(origin).port
    handler = functools.partial(PlainStaticHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()


FRAME = "#chat-slot iframe"


def open_page(page, site_url: str, query: str):
    """Like conftest.open_page, for a page that is not on the proxy's origin."""
    page.goto(f"{site_url}/{query}")
    page.wait_for_function(
        "document.body.dataset.ready === '1' || !document.getElementById('problem').hidden",
        timeout=BOOT_TIMEOUT_MS,
    )


def build_dist(out: Path) -> Path:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_dist.py"), "--out", str(out)], check=True
    )
    return out


def point_at_demo(dist: Path, demo: Demo) -> None:
    site_path = dist / "site.json"
    site = json.loads(site_path.read_text())
    records = f"{demo.crm_url}/records"
    site.update(proxyUrl=demo.page_url, crmUrl=records, allowedCrmUrls=[records])
    site_path.write_text(json.dumps(site))


@pytest.fixture
def static_site(demo: Demo, tmp_path: Path) -> Iterator[str]:
    dist = build_dist(tmp_path / "dist")
    point_at_demo(dist, demo)
    with static_server(dist, demo.static_url) as url:
        yield url


def test_dist_served_by_a_plain_static_server_boots_offline(page, network, demo, static_site):
    user = "static-host-user"
    open_page(page, static_site, f"?user={user}&scope=card&chat=whatsapp:79990001122")

    assert page.locator("#problem").is_hidden(), page.locator("#problem").inner_text()
    assert page.locator("body").get_attribute("data-ready") == "1"
    # The link came from the proxy on another origin (CORS), minted by the sandbox.
    assert page.locator(FRAME).get_attribute("src").startswith(f"{demo.sandbox_url}/chat/")
    # ...and a chat event reaches the CRM straight from the static origin.
    chat = page.frame_locator(FRAME)
    chat.locator('[data-testid="deals-toggle"]').click()
    chat.locator('[data-testid="deal-create"]').click()
    page.locator('#records li[data-status="delivered"]').first.wait_for(timeout=30_000)
    assert [row["kind"] for row in demo.records(user)] == ["deal_request"]
    assert network.foreign == []
