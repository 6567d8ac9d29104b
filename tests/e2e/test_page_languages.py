"""The page speaks English, Russian, Spanish and Portuguese: `?lang=`, else the browser's."""

from __future__ import annotations

import uuid

import pytest
from conftest import Demo, chat_window, open_page

FRAME = 'iframe[data-testid="chat-frame"]'
# What a person reads, written out here (not read from the catalog) so a wrong catalog fails.
SPOKEN = {
    "en": {
        "ready": "Ready",
        "events": "Events",
        "records": "CRM records",
        "title": "New deal requested",
        "chat_row": "Chat",
        "invalid": "Invalid setting 'scope'",
        "scope": "must be 'global' or 'card', got 'bogus'",
    },
    "ru": {
        "ready": "Готово",
        "events": "События",
        "records": "Записи в CRM",
        "title": "Запрошена новая сделка",
        "chat_row": "Чат",
        "invalid": "Неверная настройка 'scope'",
        "scope": "должно быть 'global' или 'card', а не 'bogus'",
    },
    "es": {
        "ready": "Listo",
        "events": "Eventos",
        "records": "Registros del CRM",
        "title": "Nueva oferta solicitada",
        "chat_row": "Chat",
        "invalid": "Configuración no válida 'scope'",
        "scope": "debe ser 'global' o 'card', no 'bogus'",
    },
    "pt": {
        "ready": "Pronto",
        "events": "Eventos",
        "records": "Registros no CRM",
        "title": "Novo negócio solicitado",
        "chat_row": "Chat",
        "invalid": "Configuração inválida 'scope'",
        "scope": "deve ser 'global' ou 'card', não 'bogus'",
    },
}


def card_query(user_id: str, extra: str = "") -> str:
    return f"?user={user_id}&scope=card&chat=whatsapp:79991234567:Anthony%20Stone{extra}"


def ask_for_a_deal(page, demo: Demo) -> None:
    chat_window(page, demo)  # started, so its buttons post to this page
    chat = page.frame_locator(FRAME)
    chat.locator('[data-testid="deals-toggle"]').click()
    chat.locator('[data-testid="deal-create"]').click()


@pytest.mark.parametrize("lang", list(SPOKEN))
def test_the_page_speaks_the_language_of_its_lang_parameter(page, demo, lang):
    words = SPOKEN[lang]
    open_page(page, demo, card_query(f"e2e-{uuid.uuid4().hex[:10]}", f"&lang={lang}"))

    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("#status").inner_text().strip() == words["ready"]
    # text_content: the headings are upper-cased by CSS, which inner_text would apply.
    assert page.locator("#events-heading").text_content() == words["events"]
    assert page.locator("#records-heading").text_content() == words["records"]
    ask_for_a_deal(page, demo)
    event = page.locator('#events li[data-event-type="WZ_CREATE_ENTITY"]')
    event.wait_for(timeout=30_000)
    assert event.locator("strong").inner_text() == words["title"]
    assert event.locator("dt").first.inner_text() == words["chat_row"]
    assert page.locator("#live-polite").text_content().endswith(words["title"])


@pytest.mark.parametrize("lang", list(SPOKEN))
def test_a_bad_parameter_is_named_in_the_pages_language(page, demo, lang):
    open_page(page, demo, f"?user=u1&scope=bogus&lang={lang}")

    problem = page.locator("#problem")
    assert problem.get_attribute("data-problem") == "config:scope"
    assert page.locator("#problem-title").inner_text() == SPOKEN[lang]["invalid"]
    assert page.locator("#problem-detail").inner_text() == SPOKEN[lang]["scope"]
    assert page.locator(FRAME).count() == 0


def test_a_wrong_lang_is_itself_named_with_the_languages_there_are(page, demo):
    open_page(page, demo, "?user=u1&scope=global&lang=de")

    assert page.locator("#problem").get_attribute("data-problem") == "config:lang"
    assert page.locator("#problem-title").inner_text() == "Invalid setting 'lang'"
    assert "en, ru, es, pt" in page.locator("#problem-detail").inner_text()


def test_without_lang_the_page_speaks_the_browsers_language(browser, demo):
    context = browser.new_context(locale="pt-BR")
    try:
        page = context.new_page()
        open_page(page, demo, card_query(f"e2e-{uuid.uuid4().hex[:10]}"))
        assert page.locator("html").get_attribute("lang") == "pt"
        assert page.locator("#status").inner_text().strip() == "Pronto"
        assert page.locator('iframe[data-testid="chat-frame"]').get_attribute("title") == (
            "Janela de chat do Wazzup"
        )
    finally:
        context.close()


def test_an_unreachable_proxy_is_explained_in_the_pages_language(page, demo):
    page.route("**/api/link", lambda route: route.abort("connectionrefused"))
    open_page(page, demo, card_query(f"e2e-{uuid.uuid4().hex[:10]}", "&lang=ru"))
    assert page.locator("#problem-title").inner_text() == "Прокси недоступен"
    assert "proxyUrl" in page.locator("#problem-detail").inner_text()
    assert page.locator("#status").inner_text().strip() == "Прокси недоступен"
