"""The page's configuration: site.json defaults, URL parameters, and errors that name them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.config import KNOWN_PARAMS, load_page_config, parse_site_config
from components.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PAGE = "https://chat.example.com/wazzup/index.html"
CRM = "https://crm.example.com/records"
OTHER_CRM = "https://other-crm.example.com/records"

SITE = {
    "proxyUrl": "https://proxy.example.com/",
    "crmUrl": CRM,
    "crmMode": "direct",
    "allowedCrmUrls": [CRM, OTHER_CRM, "ftp://files.example.com/"],
    "parentOrigin": "https://crm.example.com",
    "crmTimeoutS": 5,
    "defaults": {
        "userId": "demo-user",
        "userName": "Demo Manager",
        "scope": "card",
        "chats": ["whatsapp:79998887766:Anthony Stone", "telegram:1670185"],
        "active": "whatsapp:79998887766",
        "events": "deals,messages",
    },
}


def load(query: str = "", **site_changes: object):
    return load_page_config(json.dumps({**SITE, **site_changes}), PAGE + query)


def config_error(query: str, site: dict | str | None = None) -> ConfigError:
    text = site if isinstance(site, str) else json.dumps(site if site is not None else SITE)
    with pytest.raises(ConfigError) as caught:
        load_page_config(text, PAGE + query)
    return caught.value


def test_no_url_parameters_open_the_sample_card_of_site_json() -> None:
    config = load("")

    request = config.link_request
    assert (request.user.id, request.user.name, request.scope) == (
        "demo-user",
        "Demo Manager",
        "card",
    )
    assert request.filter is not None
    assert [(c.chat_type, c.chat_id, c.name) for c in request.filter] == [
        ("whatsapp", "79998887766", "Anthony Stone"),
        ("telegram", "1670185", None),
    ]
    assert request.active_chat is not None and request.active_chat.chat_id == "79998887766"
    assert request.use_deals_events and request.use_message_events


def test_site_settings_are_carried_into_the_page_config() -> None:
    config = load("")

    assert config.proxy_url == "https://proxy.example.com"  # trailing slash dropped
    assert config.crm_url == CRM
    assert config.crm_mode == "direct"
    assert config.crm_timeout_s == 5
    assert config.parent_origin == "https://crm.example.com"


def test_shipped_site_json_is_valid_and_opens_its_sample_card() -> None:
    config = load_page_config((ROOT / "site.json").read_text(), PAGE)

    assert config.link_request.user.id
    if config.link_request.scope == "card":
        assert config.link_request.filter


def test_every_url_parameter_is_applied() -> None:
    config = load(
        "?user=42&userName=Anna&scope=card"
        "&chat=whatsapp:79011112233:Ann&chat=instagram:some.account"
        "&active=whatsapp:79011112233&channel=c-1&events=deals"
        f"&crm={OTHER_CRM}&lang=en&theme=dark"
    )

    request = config.link_request
    assert (request.user.id, request.user.name, request.scope) == ("42", "Anna", "card")
    assert request.filter is not None
    assert [(c.chat_type, c.chat_id, c.name) for c in request.filter] == [
        ("whatsapp", "79011112233", "Ann"),
        ("instagram", "some.account", None),
    ]
    active = request.active_chat
    assert active is not None
    assert (active.chat_type, active.chat_id, active.channel_id) == (
        "whatsapp",
        "79011112233",
        "c-1",
    )
    assert request.use_deals_events and not request.use_message_events
    assert config.crm_url == OTHER_CRM


def test_global_scope_from_the_url_sends_no_chats() -> None:
    request = load("?user=42&scope=global").link_request

    assert request.scope == "global"
    assert request.filter is None
    assert request.to_v3() == {
        "user": {"id": "42"},
        "scope": "global",
        "options": {"useDealsEvents": True, "useMessageEvents": True},
    }


def test_url_user_does_not_inherit_the_sample_cards_name_or_chats() -> None:
    request = load("?user=42&scope=card&chat=telegram:555").link_request

    assert request.user.name is None
    assert request.filter is not None and [c.chat_id for c in request.filter] == ["555"]
    assert request.active_chat is None


def test_url_chats_do_not_inherit_the_sample_cards_active_chat() -> None:
    request = load("?chat=viber:79011112233").link_request

    assert request.user.id == "demo-user"
    assert request.filter is not None and [c.chat_id for c in request.filter] == ["79011112233"]
    assert request.active_chat is None


def test_channel_alone_focuses_that_channel() -> None:
    active = load("?user=42&scope=global&channel=c-9").link_request.active_chat

    assert active is not None
    assert (active.channel_id, active.chat_id) == ("c-9", None)


@pytest.mark.parametrize(
    ("events", "deals", "messages"),
    [
        ("deals,messages", True, True),
        ("messages", False, True),
        ("deals", True, False),
        ("none", False, False),
        ("", False, False),
        (" deals , messages ", True, True),
    ],
)
def test_events_switches(events: str, deals: bool, messages: bool) -> None:
    request = load(f"?events={events}").link_request

    assert (request.use_deals_events, request.use_message_events) == (deals, messages)


@pytest.mark.parametrize(
    ("proxy_url", "resolved"),
    [
        ("", "https://chat.example.com"),
        ("/", "https://chat.example.com"),
        ("/wz-proxy/", "https://chat.example.com/wz-proxy"),
        ("https://proxy.example.com", "https://proxy.example.com"),
    ],
)
def test_proxy_url_is_made_absolute_against_the_page(proxy_url: str, resolved: str) -> None:
    assert load("", proxyUrl=proxy_url).proxy_url == resolved


def test_no_crm_url_turns_delivery_off() -> None:
    config = load("", crmUrl=None)

    assert (config.crm_url, config.crm_mode) == (None, "off")


def test_proxy_mode_stays_on_without_a_crm_url() -> None:
    assert load("", crmUrl=None, crmMode="proxy").crm_mode == "proxy"


def test_missing_user_is_an_error_naming_user() -> None:
    error = config_error("?user=", {**SITE, "defaults": {}})

    assert error.name == "user"
    assert "user=" in error.message


def test_bad_scope_is_an_error_naming_scope() -> None:
    error = config_error("?scope=everything")

    assert error.name == "scope"
    assert "'everything'" in str(error)


def test_card_without_chats_is_an_error_naming_chat() -> None:
    assert config_error("?user=42&scope=card").name == "chat"


@pytest.mark.parametrize(
    ("chat", "words"),
    [
        ("sms:79011112233", "unknown chat type 'sms'"),
        ("whatsapp", "needs chatType:chatId"),
        ("whatsapp:+79011112233", "digits only"),
        ("instagram:@acc", "must not start with '@'"),
    ],
)
def test_bad_chat_is_an_error_naming_chat(chat: str, words: str) -> None:
    error = config_error(f"?chat={chat}")

    assert error.name == "chat"
    assert words in error.message


@pytest.mark.parametrize("active", ["sms:1", "whatsapp", "whatsapp:abc"])
def test_bad_active_is_an_error_naming_active(active: str) -> None:
    assert config_error(f"?active={active}").name == "active"


@pytest.mark.parametrize("events", ["deals,calls", "all"])
def test_bad_events_is_an_error_naming_events(events: str) -> None:
    error = config_error(f"?events={events}")

    assert error.name == "events"
    assert "unknown switch" in error.message


def test_crm_not_allow_listed_is_an_error_naming_crm() -> None:
    error = config_error("?crm=https://evil.example.com/steal")

    assert error.name == "crm"
    assert "allowedCrmUrls" in error.message


def test_allow_listed_crm_that_is_not_http_is_an_error_naming_crm() -> None:
    error = config_error("?crm=ftp://files.example.com/")

    assert error.name == "crm"
    assert "http" in error.message


def test_unknown_parameter_is_an_error_naming_it() -> None:
    error = config_error("?user=42&colour=red")

    assert error.name == "colour"
    assert "unknown URL parameter" in error.message
    assert all(name in error.message for name in KNOWN_PARAMS)


@pytest.mark.parametrize("name", ["user", "scope", "active", "events", "crm"])
def test_parameter_given_twice_is_an_error_naming_it(name: str) -> None:
    error = config_error(f"?{name}=a&{name}=b")

    assert error.name == name
    assert "more than once" in error.message


def test_user_id_longer_than_allowed_is_an_error_naming_user() -> None:
    assert config_error("?scope=global&user=" + "x" * 201).name == "user"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "valid dictionary"),
        (json.dumps({"crmMode": "sometimes"}), "crmMode"),
        (json.dumps({"crmTimeoutS": 0}), "crmTimeoutS"),
    ],
)
def test_invalid_site_json_is_an_error_naming_site_json(text: str, words: str) -> None:
    error = config_error("", text)

    assert error.name == "site.json"
    assert words in error.message
    assert str(error).startswith("Setting 'site.json': ")


@pytest.mark.parametrize(
    "value",
    [
        "crm.example.com",  # no scheme: the browser's postMessage throws a SyntaxError
        "ftp://crm.example.com",
        "https://crm.example.com:99999",
        "https://",
    ],
)
def test_a_parent_origin_that_is_not_an_origin_is_an_error_that_shows_one(value: str) -> None:
    error = config_error("", {**SITE, "parentOrigin": value})

    assert error.name == "site.json"
    assert "parentOrigin" in error.message
    assert 'origin such as "https://crm.example.com"' in error.message
    assert repr(value) in error.message


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("*", "*"),
        ("https://crm.example.com", "https://crm.example.com"),
        ("https://crm.example.com/", "https://crm.example.com"),
        ("https://CRM.Example.com:443", "https://crm.example.com"),
        ("https://crm.example.com/deals/5?tab=chat", "https://crm.example.com"),  # as browsers do
        ("http://127.0.0.1:8002", "http://127.0.0.1:8002"),
        ("", None),  # not set: nothing is posted
    ],
)
def test_parent_origin_is_kept_as_the_origin_browsers_compare(value: str, kept: str | None) -> None:
    assert load("", parentOrigin=value).parent_origin == kept


def test_empty_site_json_object_uses_built_in_defaults() -> None:
    site = parse_site_config("{}")

    assert (site.proxy_url, site.crm_mode, site.crm_timeout_s) == ("", "direct", 15.0)
    assert site.defaults.scope == "global"


def test_a_too_long_channel_is_an_error_naming_channel() -> None:
    error = config_error("?user=7&scope=global&channel=" + "c" * 101)

    assert error.name == "channel"
    assert "100 characters" in error.message
