"""The page's configuration: one site file (`site.json`) plus URL parameters.

    config = load_page_config(site_json_text, "https://crm.example/chat/?user=7&scope=global")

URL parameters (each overrides the site file's `defaults`):

    user        CRM user id                      user=222555
    userName    CRM user name                    userName=Anna
    scope       global | card                    scope=card
    chat        chatType:chatId[:contact name]   chat=whatsapp:79998887766:Anthony (repeatable)
    active      chatType:chatId                  active=whatsapp:79998887766
    channel     channelId of the active chat     channel=c16tc1c-...
    events      deals,messages | deals | messages | none
    crm         CRM URL; must be listed in the site file's allowedCrmUrls
    mask        on | off: phone numbers masked in the log and exports (site.json maskPhones)
    launch      a launch token signed by the CRM (components/launch.py); it sets user,
                userName, scope, chat and events, so those may not be given with it

A bad value raises `ConfigError` naming the parameter and what is allowed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Literal
from urllib.parse import parse_qs, urljoin, urlsplit

from pydantic import Field, ValidationError, field_validator

from .chat import ChatType
from .errors import ConfigError
from .events import describe_validation_error
from .gate import origin_of
from .i18n import LANGUAGES
from .link import ActiveChat, ChatFilter, LinkOptions, LinkRequest, LinkUser
from .quick_open import URL_PARAMS
from .wire import WireModel

CrmMode = Literal["direct", "proxy", "off"]
Language = Literal["en", "ru", "es", "pt"]
Theme = Literal["light", "dark", "auto"]
THEMES = ("light", "dark", "auto")
EVENT_SWITCHES = ("deals", "messages")
KNOWN_PARAMS = URL_PARAMS  # one list for both paths (components/quick_open.py)


class CardDefaults(WireModel):
    """What the page opens when the URL names nothing (the demo's sample client card)."""

    user_id: str | None = None
    user_name: str | None = None
    scope: Literal["global", "card"] = "global"
    chats: list[str] = Field(default_factory=list)
    active: str | None = None
    events: str = "deals,messages"


class SiteConfig(WireModel):
    """`site.json`: the site-wide settings an integrator edits once."""

    proxy_url: str = ""
    crm_url: str | None = None
    crm_mode: CrmMode = "direct"
    allowed_crm_urls: list[str] = Field(default_factory=list)
    parent_origin: str | None = None
    crm_timeout_s: float = Field(default=15.0, gt=0, le=120)
    # How often the page asks the proxy if its chat link still opens (components/link_watch.py).
    link_check_s: float = Field(default=300.0, ge=1, le=86_400)
    defaults: CardDefaults = CardDefaults()
    lang: Language | None = None  # the page's language when the URL names none
    mask_phones: bool = True  # the log and exports show +7 999 ***-**-66 (components/mask.py)

    @field_validator("parent_origin")
    @classmethod
    def _an_origin(cls, value: str | None) -> str | None:
        # The browser's postMessage throws on a target that is not a URL, and that would break
        # every event once the page is framed: refuse it here, where it is named. A URL's
        # origin is what the browser would use (and what the diagnostics compare).
        if not value or value == "*":
            return value or None
        try:
            return origin_of(value)
        except ValueError:
            raise ValueError(
                f'must be "*" or an origin such as "https://crm.example.com", got {value[:100]!r}'
            ) from None


class PageConfig(WireModel):
    """Everything the page needs for one open, resolved and validated."""

    proxy_url: str
    crm_url: str | None
    crm_mode: CrmMode
    crm_timeout_s: float
    link_check_s: float = 300.0
    parent_origin: str | None
    link_request: LinkRequest
    launch_token: str | None = None
    lang: Language | None = None  # None: the browser's language
    theme: Theme = "auto"
    mask_phones: bool = True  # only what the page shows; CRM records keep the number


def load_page_config(site_text: str, page_url: str) -> PageConfig:
    """Resolve the page's settings from site.json's text and the page's own URL."""
    return resolve_page_config(parse_site_config(site_text), page_url)


def resolve_page_config(site: SiteConfig, page_url: str) -> PageConfig:
    """`load_page_config` for a site file already read (main.py needs its parentOrigin even
    when a URL parameter is wrong)."""
    params = parse_qs(urlsplit(page_url).query, keep_blank_values=True)
    unknown = sorted(set(params) - KNOWN_PARAMS)
    if unknown:
        raise ConfigError(
            unknown[0],
            key="config.unknown_param",
            params={"known": ", ".join(sorted(KNOWN_PARAMS))},
        )

    def one(name: str, default: str | None) -> str | None:
        values = params.get(name)
        if not values:
            return default
        if len(values) > 1:
            raise ConfigError(name, key="config.repeated")
        return values[0].strip()

    lang = one("lang", None) or site.lang
    if lang is not None and lang not in LANGUAGES:
        allowed = ", ".join(LANGUAGES)
        raise ConfigError("lang", key="config.lang", params={"allowed": allowed, "got": repr(lang)})
    theme = one("theme", None) or "auto"
    if theme not in THEMES:
        allowed = ", ".join(THEMES)
        raise ConfigError(
            "theme", key="config.theme", params={"allowed": allowed, "got": repr(theme)}
        )
    mask = one("mask", None)
    if mask not in (None, "on", "off"):
        raise ConfigError("mask", key="config.mask", params={"got": repr(mask)})

    launch_token = one("launch", None) or None
    if launch_token:
        link_request = launch_link_request(launch_token, params, one)
    else:
        link_request = url_link_request(site.defaults, params, one)
    crm_url = resolve_crm_url(site, one("crm", None))
    return PageConfig(
        # "" means the page's own origin; urllib (pyodide-http) needs absolute URLs.
        proxy_url=urljoin(page_url, site.proxy_url or "/").rstrip("/"),
        crm_url=crm_url,
        crm_mode=site.crm_mode if crm_url or site.crm_mode == "proxy" else "off",
        crm_timeout_s=site.crm_timeout_s,
        link_check_s=site.link_check_s,
        parent_origin=site.parent_origin,
        link_request=link_request,
        launch_token=launch_token,
        lang=lang,
        theme=theme,
        mask_phones=site.mask_phones if mask is None else mask == "on",
    )


def url_link_request(
    defaults: CardDefaults, params: dict[str, list[str]], one: Callable[..., str | None]
) -> LinkRequest:
    """The link request named by URL parameters, falling back to the site's sample card."""
    # The defaults are the sample card: when the URL names a user or chats, its name and
    # active chat belong to someone else.
    own_user = "user" in params
    own_chats = own_user or "chat" in params
    user_id = one("user", defaults.user_id)
    if not user_id:
        raise ConfigError("user", key="config.user_required")
    user_name = one("userName", None if own_user else defaults.user_name) or None
    scope = one("scope", defaults.scope)
    if scope not in ("global", "card"):
        raise ConfigError("scope", key="config.scope", params={"got": repr(scope)})
    chat_specs = params.get("chat") or ([] if own_user else defaults.chats)
    chats = [parse_chat(spec) for spec in chat_specs]
    if scope == "card" and not chats:
        raise ConfigError("chat", key="config.card_needs_chat")
    active_spec = one("active", None if own_chats else defaults.active)
    active = parse_active(active_spec, one("channel", None))
    events = parse_events(one("events", defaults.events) or "none")
    try:
        return LinkRequest(
            user=LinkUser(id=user_id, name=user_name),
            scope=scope,
            filter=chats if scope == "card" else None,
            active_chat=active,
            options=LinkOptions(
                use_deals_events="deals" in events, use_message_events="messages" in events
            ),
        )
    except ValidationError as error:
        raise ConfigError("user", describe_validation_error(error)) from None


def launch_link_request(
    token: str, params: dict[str, list[str]], one: Callable[..., str | None]
) -> LinkRequest:
    """The link request a signed launch allows; the URL may only pick the active chat."""
    # Imported here: components.launch builds on this module's chat parsing.
    from .launch import link_request_from_launch, read_launch

    for name in ("user", "userName", "scope", "chat", "events"):
        if name in params:
            raise ConfigError(name, key="config.set_by_launch")
    active_spec, channel = one("active", None), one("channel", None)
    active = parse_active(active_spec, channel) if active_spec or channel else None
    return link_request_from_launch(read_launch(token), active)


def parse_site_config(text: str) -> SiteConfig:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConfigError(
            "site.json", key="config.site_not_json", params={"detail": str(error)}
        ) from None
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError("site.json", describe_validation_error(error)) from None


def parse_chat(spec: str, name: str = "chat") -> ChatFilter:
    chat_type, _, rest = spec.partition(":")
    chat_id, _, contact_name = rest.partition(":")
    if chat_type not in ChatType.__members__.values():
        allowed = ", ".join(t.value for t in ChatType)
        raise ConfigError(
            name, key="config.chat_type", params={"got": repr(chat_type), "allowed": allowed}
        )
    if not chat_id:
        raise ConfigError(name, key="config.chat_format", params={"got": repr(spec)})
    try:
        return ChatFilter(chat_type=chat_type, chat_id=chat_id, name=contact_name or None)
    except ValidationError as error:
        raise ConfigError(name, describe_validation_error(error)) from None


def parse_active(spec: str | None, channel_id: str | None) -> ActiveChat | None:
    chat = parse_chat(spec, "active") if spec else None
    if chat is None and not channel_id:
        return None
    try:
        if chat is None:
            return ActiveChat(channel_id=channel_id)
        return ActiveChat(channel_id=channel_id, chat_type=chat.chat_type, chat_id=chat.chat_id)
    except ValidationError as error:  # the chat passed parse_chat: the channel is what is wrong
        raise ConfigError("channel", describe_validation_error(error)) from None


def parse_events(spec: str) -> set[str]:
    if spec == "none":
        return set()
    events = {part.strip() for part in spec.split(",") if part.strip()}
    bad = events - set(EVENT_SWITCHES)
    if bad:
        raise ConfigError("events", key="config.events", params={"got": repr(sorted(bad)[0])})
    return events


def resolve_crm_url(site: SiteConfig, requested: str | None) -> str | None:
    if requested is None:
        return site.crm_url
    # A URL parameter must not send chat data to an arbitrary server.
    if requested not in site.allowed_crm_urls and requested != site.crm_url:
        raise ConfigError("crm", key="config.crm_not_allowed", params={"got": repr(requested)})
    if urlsplit(requested).scheme not in ("http", "https"):
        raise ConfigError("crm", key="config.crm_scheme")
    return requested
