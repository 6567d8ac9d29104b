"""Light and dark, sidebar and full width: the README's screenshots, taken from the real page
after a message and a deal request, and the accessibility of the event log.

The pictures go to build/screenshots/, so a test run leaves the tree clean; `make screenshots`
(UPDATE_SCREENSHOTS=1) writes them over the README's, in docs/screenshots/."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from conftest import ROOT, Demo, chat_window, open_page

FRAME = 'iframe[data-testid="chat-frame"]'
SHOTS = ROOT / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") else "build") / "screenshots"
SIZES = {"sidebar": {"width": 360, "height": 780}, "full": {"width": 1280, "height": 800}}


def card_query(extra: str = "") -> str:
    user_id = f"e2e-{uuid.uuid4().hex[:10]}"
    chat = "whatsapp:79991234567:Anthony%20Stone"
    return f"?user={user_id}&userName=Anna%20Lee&scope=card&chat={chat}{extra}"


def fire_two_events(page, demo: Demo) -> None:
    """A message, then a deal request, from the chat window's own buttons."""
    chat_window(page, demo)
    chat = page.frame_locator(FRAME)
    chat.locator('[data-testid="message-input"]').fill("Hello! Your order is ready.")
    chat.locator('[data-testid="message-send"]').click()
    chat.locator('[data-testid="deals-toggle"]').click()
    chat.locator('[data-testid="deal-create"]').click()
    page.locator("#events li").nth(1).wait_for(timeout=30_000)
    page.locator('#records li[data-status="delivered"]').nth(1).wait_for(timeout=30_000)
    chat.locator('[data-testid="deals-toggle"]').click()  # close the dropdown for the picture


def luminance(css_color: str) -> float:
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def background(page, selector: str) -> float:
    color = page.locator(selector).evaluate("node => getComputedStyle(node).backgroundColor")
    return luminance(color)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_screenshot_of_the_page_with_two_events(browser, demo, size, theme):
    context = browser.new_context(viewport=SIZES[size], locale="en-US")
    try:
        page = context.new_page()
        open_page(page, demo, card_query(f"&theme={theme}"))
        fire_two_events(page, demo)

        assert page.locator("html").get_attribute("data-theme") == theme
        if theme == "dark":
            assert background(page, "body") < 0.15 and background(page, ".log") < 0.2
        else:
            assert background(page, "body") > 0.9 and background(page, ".log") > 0.9
        types = page.eval_on_selector_all(
            "#events li", "items => items.map(i => i.dataset.eventType)"
        )
        assert sorted(types) == ["WZ_CREATE_ENTITY", "WZ_OUTPUT_MESSAGE"]
        # Nothing wider than the viewport: no sideways scrolling, down to the sidebar.
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        if size == "sidebar":  # the log is under the chat: show it
            page.locator("aside.log").scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{size}-{theme}.png"
        page.screenshot(path=str(path), animations="disabled")
        assert Path(path).stat().st_size > 10_000
    finally:
        context.close()


def test_auto_theme_follows_the_hosts_dark_mode(browser, demo):
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        open_page(page, demo, card_query("&theme=auto"))
        assert page.locator("html").get_attribute("data-theme") is None
        assert background(page, "body") < 0.15
        page.emulate_media(color_scheme="light")
        assert background(page, "body") > 0.9
    finally:
        context.close()


def test_the_page_works_320_px_wide(browser, demo):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        open_page(page, demo, card_query())
        assert page.locator("body").get_attribute("data-ready") == "1"
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert page.locator(FRAME).bounding_box()["width"] <= 320
    finally:
        context.close()


def test_the_event_log_is_keyboard_navigable_and_announced(page, demo):
    open_page(page, demo, card_query())
    fire_two_events(page, demo)
    items = page.locator("#events li")
    assert page.locator("#live-polite").text_content().startswith("New event: ")
    assert page.locator("#events").get_attribute("aria-labelledby") == "events-heading"

    items.first.focus()
    page.keyboard.press("ArrowDown")
    assert items.nth(1).evaluate("node => node === document.activeElement")
    page.keyboard.press("Home")
    assert items.first.evaluate("node => node === document.activeElement")
    page.keyboard.press("End")
    assert items.nth(1).evaluate("node => node === document.activeElement")
    page.keyboard.press("ArrowUp")
    assert items.first.evaluate("node => node === document.activeElement")
    outline = items.first.evaluate("node => getComputedStyle(node).outlineStyle")
    assert outline != "none"  # the focus is visible


def test_a_refused_record_is_announced_at_once_and_its_buttons_are_named(page, demo):
    demo.set_crm_fault("422")
    try:
        open_page(page, demo, card_query("&lang=es"))
        chat_window(page, demo)
        chat = page.frame_locator(FRAME)
        chat.locator('[data-testid="deals-toggle"]').click()
        chat.locator('[data-testid="deal-create"]').click()
        failed = page.locator('#records li[data-status="failed"]')
        failed.wait_for(timeout=30_000)
        alert = page.locator("#live-alert").text_content()
        assert alert.startswith("Entrega fallida: solicitud de oferta: fallido")
        retry = failed.locator('button[data-action="retry"]')
        assert retry.inner_text() == "Reintentar"
        assert (
            retry.get_attribute("aria-label")
            == "Reintentar el envío del registro «solicitud de oferta»"
        )
    finally:
        demo.set_crm_fault("ok")
