"""docs/embedding.md recipe (a), taken from the doc as written: a plain host page receives the
chat window page's messages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BOOT_TIMEOUT_MS, ROOT, Demo
from test_static_build import static_server

DOC_CHAT_ORIGIN = "https://chat.example.com"


def recipe(marker: str) -> str:
    """The fenced block right after `<!-- recipe:NAME -->`, so the doc and the test cannot drift."""
    text = (ROOT / "docs" / "embedding.md").read_text()
    match = re.search(rf"<!-- recipe:{marker} -->\n```html\n(.*?)\n```", text, flags=re.DOTALL)
    assert match, f"recipe {marker!r} not found in docs/embedding.md"
    return match.group(1)


@pytest.fixture
def host_page(demo: Demo, tmp_path: Path) -> Iterator[str]:
    """The recipe on a static server of its own origin (demo.static_url: the demo proxy's
    FRAME_ANCESTORS names it), with the served site.json's parentOrigin set to it."""
    html = recipe("plain-html").replace(DOC_CHAT_ORIGIN, demo.page_url)
    (tmp_path / "card.html").write_text(html.replace("user=222555", "user=embedding-recipe"))
    # The demo proxy serves this file as site.json (demo/apps.py, demo_site_config).
    site_path = demo.crm_db.with_name(demo.crm_db.stem + "-site.json")
    original = site_path.read_text()
    site_path.write_text(json.dumps({**json.loads(original), "parentOrigin": demo.static_url}))
    try:
        with static_server(tmp_path, demo.static_url) as url:
            yield f"{url}/card.html"
    finally:
        site_path.write_text(original)


def test_plain_html_host_page_receives_ready_and_an_event(page, demo, network, host_page):
    page.goto(host_page)

    page.locator('#chat-messages li[data-type="ready"]').wait_for(timeout=BOOT_TIMEOUT_MS)
    chat = page.frame_locator("#wazzup-chat").frame_locator("#chat-slot iframe")
    chat.locator('[data-testid="deals-toggle"]').click()
    chat.locator('[data-testid="deal-create"]').click()
    event = page.locator('#chat-messages li[data-type="event"]').first
    event.wait_for(timeout=30_000)
    assert event.inner_text() == "event: WZ_CREATE_ENTITY"
    assert network.foreign == []
