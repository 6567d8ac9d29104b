"""The page's four languages stay in step, and settings errors can be said in each."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from components import i18n
from components.config import load_page_config
from components.errors import ConfigError
from components.i18n import CATALOG, LANGUAGES, choose_language, t, translate, url_language

ROOT = Path(__file__).resolve().parents[2]
SITE = '{"defaults": {"userId": "u1", "chats": ["whatsapp:79998887766"], "scope": "card"}}'
PAGE = "https://chat.example/"


@pytest.fixture(autouse=True)
def english_again():
    yield
    i18n.set_language("en")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_key() -> None:
    english = set(CATALOG["en"])
    for lang in LANGUAGES:
        assert set(CATALOG[lang]) == english, lang


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_translation_has_the_same_placeholders(lang: str) -> None:
    for key, english in CATALOG["en"].items():
        assert placeholders(CATALOG[lang][key]) == placeholders(english), (lang, key)
        assert CATALOG[lang][key].strip(), (lang, key)


def test_every_key_the_code_and_the_page_use_is_in_the_catalog() -> None:
    used: set[str] = set()
    sources = [*(ROOT / "components").glob("*.py"), ROOT / "main.py", ROOT / "config.py"]
    for source in sources:
        text = source.read_text()
        used |= set(re.findall(r'\bt\("([a-z_]+\.[A-Za-z_]+)"', text))
        used |= set(re.findall(r'key="([a-z_]+\.[A-Za-z_]+)"', text))
        used |= set(re.findall(r'translate\("en", "([a-z_]+\.[A-Za-z_]+)"', text))
    for page in ("index.html", "config.html"):
        html = (ROOT / page).read_text()
        used |= set(re.findall(r'data-i18n(?:-label)?="([^"]+)"', html))
    assert used, "the scan found no keys"
    assert sorted(used - set(CATALOG["en"])) == []


def test_the_language_is_the_urls_then_the_sites_then_the_browsers() -> None:
    assert choose_language(url_language(PAGE + "?lang=es"), "ru", "pt-BR") == "es"
    assert choose_language(url_language(PAGE), "ru", "pt-BR") == "ru"
    assert choose_language(None, None, "pt-BR", "en-US") == "pt"
    assert choose_language(None, None, "de-DE", "ru_RU") == "ru"
    assert choose_language(None, None, "de-DE") == "en"
    assert url_language(PAGE + "?lang=de") is None


def test_t_speaks_the_current_language_and_fills_placeholders() -> None:
    i18n.set_language("pt")
    assert t("status.ready") == "Pronto"
    assert t("record.retrying", attempt=3) == "tentando de novo (tentativa 3)"
    assert translate("ru", "record.retrying", attempt=2) == "повтор (попытка 2)"
    assert i18n.set_language("xx") == "en"


def test_a_settings_error_is_english_for_python_and_localized_for_the_page() -> None:
    with pytest.raises(ConfigError) as caught:
        load_page_config(SITE, PAGE + "?scope=bogus")
    error = caught.value
    assert error.name == "scope"
    assert error.message == "must be 'global' or 'card', got 'bogus'"
    i18n.set_language("ru")
    assert error.localized() == "должно быть 'global' или 'card', а не 'bogus'"
    i18n.set_language("es")
    assert error.localized() == "debe ser 'global' o 'card', no 'bogus'"


def test_a_wrong_lang_says_which_languages_there_are() -> None:
    with pytest.raises(ConfigError) as caught:
        load_page_config(SITE, PAGE + "?lang=de")
    assert caught.value.name == "lang"
    assert caught.value.message == "must be one of en, ru, es, pt, got 'de'"


def test_a_wrong_theme_says_which_themes_there_are() -> None:
    with pytest.raises(ConfigError) as caught:
        load_page_config(SITE, PAGE + "?theme=blue")
    assert caught.value.name == "theme"
    assert caught.value.message == "must be one of light, dark, auto, got 'blue'"


def test_lang_and_theme_reach_the_page_config() -> None:
    config = load_page_config(SITE, PAGE + "?lang=pt&theme=dark")
    assert (config.lang, config.theme) == ("pt", "dark")
    site_in_russian = SITE[:-1] + ', "lang": "ru"}'
    assert load_page_config(site_in_russian, PAGE).lang == "ru"
    assert load_page_config(site_in_russian, PAGE + "?lang=en").lang == "en"
    assert load_page_config(SITE, PAGE).lang is None
    assert load_page_config(SITE, PAGE).theme == "auto"


def test_a_site_lang_the_page_does_not_speak_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        load_page_config(SITE[:-1] + ', "lang": "de"}', PAGE)
    assert caught.value.name == "site.json"
    assert "lang" in caught.value.message


def test_the_pages_own_link_errors_match_the_catalog_and_localize() -> None:
    from components.errors import LinkRefused
    from components.link_client import link_from_answer, unreachable

    where = "http://127.0.0.1:9"
    error = unreachable(where)
    assert error.title == translate("en", "link.unreachable")
    assert error.detail == translate("en", "link.unreachable_detail", where=where)
    refusals = []
    for status, body in ((200, b"<html>"), (502, b"<html>")):
        with pytest.raises(LinkRefused) as caught:
            link_from_answer(status, body)
        refusals.append(caught.value)
    assert [(e.title, e.detail) for e in refusals] == [
        (translate("en", "link.unexpected"), translate("en", "link.unexpected_detail")),
        (translate("en", "link.http", status=502), translate("en", "link.http_detail")),
    ]
    i18n.set_language("ru")
    assert error.localized()[0] == "Прокси недоступен"
    assert refusals[1].localized()[0] == "Прокси ответил HTTP 502"
