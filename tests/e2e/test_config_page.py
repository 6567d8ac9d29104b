"""The configuration page (config.html): fill the form, take the URL it builds, open it."""

from __future__ import annotations

from conftest import BOOT_TIMEOUT_MS, open_page


def open_config(page, demo):
    page.goto(f"{demo.page_url}/config.html")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=BOOT_TIMEOUT_MS)


def test_the_form_builds_a_url_the_page_opens(page, demo, network):
    open_config(page, demo)
    page.fill("#user", "config-page-user")
    page.fill("#user-name", "Config Tester")
    page.select_option("#scope", "card")
    page.fill("#chats", "whatsapp:79990002233:Ann Lee\ntelegram:1670185")
    page.fill("#active", "telegram:1670185")
    page.uncheck('#events input[value="messages"]')

    url = page.locator("#embed-url").inner_text()
    assert url == (
        f"{demo.page_url}/?user=config-page-user&userName=Config%20Tester&scope=card"
        "&chat=whatsapp:79990002233:Ann%20Lee&chat=telegram:1670185"
        "&active=telegram:1670185&events=deals"
    )
    assert page.locator("#iframe-tag").inner_text().startswith('<iframe src="http://127.0.0.1')
    assert page.locator("#form-error").is_hidden()

    page.click("#test-proxy")
    page.locator('#test-results li[data-step="link"]').wait_for()
    assert page.locator('#test-results li[data-ok="0"]').count() == 0

    open_page(page, demo, url.removeprefix(demo.page_url + "/"))
    assert page.locator("body").get_attribute("data-ready") == "1"
    assert page.locator("#problem").is_hidden()
    assert network.foreign == []


def test_a_bad_chat_is_named_and_marked_live(page, demo, network):
    open_config(page, demo)
    page.fill("#user", "7")
    page.fill("#chats", "fax:123")

    error = page.locator("#form-error")
    assert error.get_attribute("data-field") == "chats"
    assert "unknown chat type 'fax'" in error.inner_text()
    assert page.locator("#chats").get_attribute("aria-invalid") == "true"
    assert page.locator("#embed-url").inner_text() == ""
    assert network.foreign == []


def test_the_form_speaks_the_chosen_language(page, demo):
    page.goto(f"{demo.page_url}/config.html?lang=ru")
    page.wait_for_function("document.body.dataset.ready === '1'", timeout=BOOT_TIMEOUT_MS)

    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator('label[for="user"]').inner_text() == "ID пользователя"
    assert page.locator("#test-proxy").inner_text() == "Проверить"
    page.fill("#user", "u1")
    page.select_option("#scope", "global")
    page.fill("#active", "fax:1")
    error = page.locator("#form-error")
    error.wait_for()
    assert "fax" in error.inner_text()
    assert page.locator("#status").inner_text() == "Готово"
