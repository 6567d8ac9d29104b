"""The chat link request for the page's first moments, before pydantic has loaded.

The page sets the chat iframe first and loads pydantic afterwards (issue 6: the chat must not
wait for what it does not need). This module reads the same inputs as `components.config`
(site.json's text and the page URL) with the standard library only::

    quick = quick_open(site_text, "https://crm.example/chat/?user=7&scope=global")
    quick.proxy_url, quick.body, quick.launch_token

It answers only the plain cases and returns None for anything unusual (an unknown or
repeated parameter, a value `components.config` would refuse, ...), so the page then takes
the full path, where the pydantic models decide and a bad value gets its ConfigError. The
proxy validates every link request with those same models, and tests/unit/test_quick_open.py
checks that wherever both answer, the body is the one `load_page_config` builds.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from .chat import V3_FIELDS, ChatType, check_chat_ref
from .i18n import LANGUAGES

# Every URL parameter the page knows: components.config uses this same set.
URL_PARAMS = frozenset(
    {
        "user",
        "userName",
        "scope",
        "chat",
        "active",
        "channel",
        "events",
        "crm",
        "lang",
        "theme",
        "mask",
        "launch",
    }
)
# Values the full path allows; anything else is left to it, to be refused with its message.
# (An empty lang or theme means the default, as there.)
CHOICES = {
    "lang": ("", *LANGUAGES),
    "theme": ("", "light", "dark", "auto"),
    "mask": ("on", "off"),
}
LAUNCH_PARAM = "launch"
SET_BY_LAUNCH = ("user", "userName", "scope", "chat", "events")
EVENT_SWITCHES = frozenset({"deals", "messages"})
MAX_TOKEN_CHARS = 8 * 1024
MAX_TEXT = 200  # user id, user name and contact name limits of the link request models


@dataclass(frozen=True)
class QuickOpen:
    proxy_url: str  # absolute, no trailing slash
    body: dict[str, Any]  # the v3 link request, as LinkRequest.to_v3() writes it
    launch_token: str | None


class NotQuick(Exception):
    """Not a plain case: let the full path decide."""


def quick_open(site_text: str, page_url: str) -> QuickOpen | None:
    try:
        return _quick_open(site_text, page_url, URL_PARAMS)
    except (NotQuick, ValueError, TypeError, AttributeError, KeyError):
        return None


def _quick_open(site_text: str, page_url: str, known: frozenset[str]) -> QuickOpen:
    site = json.loads(site_text)
    _require(isinstance(site, dict))
    params = parse_qs(urlsplit(page_url).query, keep_blank_values=True)
    _require(set(params) <= known)
    _require(all(len(values) == 1 for name, values in params.items() if name != "chat"))
    one = {name: values[0].strip() for name, values in params.items()}
    _require(all(one[name] in allowed for name, allowed in CHOICES.items() if name in one))
    _check_crm(site, one.get("crm"))
    token = one.get(LAUNCH_PARAM) or None
    if token:
        _require(not any(name in params for name in SET_BY_LAUNCH))
        body = _launch_request(token, one)
    else:
        body = _url_request(site.get("defaults") or {}, params, one)
    proxy_url = urljoin(page_url, site.get("proxyUrl") or "/").rstrip("/")
    return QuickOpen(proxy_url=proxy_url, body=body, launch_token=token)


def _url_request(defaults: dict, params: dict[str, list[str]], one: dict[str, str]) -> dict:
    _require(isinstance(defaults, dict))
    own_user = "user" in params
    own_chats = own_user or "chat" in params
    user_id = one["user"] if own_user else defaults.get("userId")
    user_name = one.get("userName") if own_user or "userName" in one else defaults.get("userName")
    scope = one.get("scope", defaults.get("scope", "global"))
    specs = params.get("chat") or ([] if own_user else defaults.get("chats", []))
    active = one.get("active") if own_chats or "active" in one else defaults.get("active")
    events = one.get("events", defaults.get("events", "deals,messages")) or "none"
    return _request(user_id, user_name, scope, specs, _active(active, one.get("channel")), events)


def _launch_request(token: str, one: dict[str, str]) -> dict:
    _require(len(token) <= MAX_TOKEN_CHARS)
    segments = token.split(".")
    _require(len(segments) == 3)
    claims = json.loads(b64url_bytes(segments[1]))
    _require(isinstance(claims, dict))
    _require(claims.get("jti") is not None or claims.get("reusable") is True)
    _require(isinstance(claims.get("exp"), int | float) and not isinstance(claims["exp"], bool))
    user_id = claims.get("sub")
    _require(isinstance(user_id, str) or (isinstance(user_id, int) and user_id is not True))
    events = claims.get("events", [])
    if isinstance(events, list):
        _require(all(isinstance(event, str) for event in events))
        events = ",".join(events) or "none"
    chats = claims.get("chats", [])
    _require(isinstance(chats, list) and all(isinstance(spec, str) for spec in chats))
    url_active = _active(one.get("active"), one.get("channel"))
    active = url_active if "active" in one or "channel" in one else None
    if active is None:
        active = _active(claims.get("active"), None)
    return _request(str(user_id), claims.get("name"), claims.get("scope"), chats, active, events)


def _request(
    user_id: Any, user_name: Any, scope: Any, specs: list, active: dict | None, events: Any
) -> dict:
    _require(isinstance(user_id, str) and 0 < len(user_id) <= MAX_TEXT)
    _require(user_name is None or (isinstance(user_name, str) and len(user_name) <= MAX_TEXT))
    _require(scope in ("global", "card"))
    _require(isinstance(specs, list) and len(specs) <= 100)
    chats = [_chat(spec) for spec in specs]
    _require(scope == "global" or bool(chats))
    switches = _events(events)
    user = {"id": user_id, **({"name": user_name} if user_name else {})}
    body: dict[str, Any] = {"user": user, "scope": scope}
    if scope == "card":
        body["filter"] = chats
    if active is not None:
        body["activeChat"] = active
    body["options"] = {
        "useDealsEvents": "deals" in switches,
        "useMessageEvents": "messages" in switches,
    }
    return body


def _chat(spec: Any) -> dict[str, str]:
    _require(isinstance(spec, str))
    chat_type, _, rest = spec.partition(":")
    chat_id, _, name = rest.partition(":")
    _require(chat_type in ChatType.__members__.values() and bool(chat_id))
    _require(len(name) <= MAX_TEXT)
    check_chat_ref(ChatType(chat_type), chat_id, None, None, V3_FIELDS)
    return {"chatType": chat_type, "chatId": chat_id, **({"name": name} if name else {})}


def _active(spec: Any, channel_id: str | None) -> dict[str, str] | None:
    _require(channel_id is None or (isinstance(channel_id, str) and len(channel_id) <= 100))
    if not spec:
        return {"channelId": channel_id} if channel_id else None
    channel = {"channelId": channel_id} if channel_id is not None else {}
    chat = _chat(spec)
    return {**channel, "chatType": chat["chatType"], "chatId": chat["chatId"]}


def _events(spec: Any) -> set[str]:
    _require(isinstance(spec, str))
    if spec == "none":
        return set()
    switches = {part.strip() for part in spec.split(",") if part.strip()}
    _require(switches <= EVENT_SWITCHES)
    return switches


def _check_crm(site: dict, requested: str | None) -> None:
    if requested is not None:
        allowed = [*site.get("allowedCrmUrls", []), site.get("crmUrl")]
        _require(requested in allowed and urlsplit(requested).scheme in ("http", "https"))


def b64url_bytes(segment: str) -> bytes:
    """base64url without its padding, as a signed launch's parts are; raises ValueError
    (quick_open gives up, components/launch.py says what is wrong)."""
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _require(condition: bool) -> None:
    if not condition:
        raise NotQuick
