"""The configuration page's rules (config.html): an embed URL and `<iframe>` tag from a form.

    form = EmbedForm(page_url="https://chat.example.com", user_id="222555", scope="card",
                     chats="whatsapp:79998887766:Anthony Stone")
    url = embed_url(form)           # https://chat.example.com/?user=222555&scope=card&chat=...
    check_embed_url(site_text, url) # the page's own parsing (components.config): the same
                                    # ConfigError the page would show, naming the URL parameter
    iframe_tag(url)                 # <iframe src="..." allow="microphone; clipboard-write" ...>

`FORM_FIELDS` maps a URL parameter named by a `ConfigError` to the form field to mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import quote, urlencode, urlsplit

from .config import EVENT_SWITCHES, PageConfig, load_page_config
from .errors import ConfigError

THEMES = ("", "light", "dark")
LANGUAGES = ("", "en", "ru", "es", "pt")
# URL parameter (the name a ConfigError carries) → the form field's id on config.html.
FORM_FIELDS = {
    "proxy": "proxy",
    "crm": "crm",
    "user": "user",
    "userName": "user-name",
    "scope": "scope",
    "chat": "chats",
    "active": "active",
    "events": "events",
    "theme": "theme",
    "lang": "lang",
}


@dataclass(frozen=True)
class EmbedForm:
    """The form's values as typed; `chats` is the textarea, one chatType:chatId[:name] a line."""

    page_url: str
    user_id: str = ""
    user_name: str = ""
    scope: str = "card"
    chats: str = ""
    active: str = ""
    events: tuple[str, ...] = EVENT_SWITCHES
    crm_url: str = ""
    theme: str = ""
    lang: str = ""


def chat_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def events_param(switches: tuple[str, ...]) -> str:
    # In EVENT_SWITCHES order, so one set of checkboxes always gives the same URL.
    return ",".join(name for name in EVENT_SWITCHES if name in switches) or "none"


def embed_url(form: EmbedForm) -> str:
    """The chat window page's URL for this form; a ConfigError names the first bad field."""
    base = form.page_url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigError("proxy", "needs the page's address, like https://chat.example.com")
    if not form.user_id.strip():
        raise ConfigError("user", "the CRM user id is required")
    if form.theme not in THEMES:
        raise ConfigError("theme", f"use one of {', '.join(t for t in THEMES if t)}")
    if form.lang not in LANGUAGES:
        raise ConfigError("lang", f"use one of {', '.join(lang for lang in LANGUAGES if lang)}")
    params = [("user", form.user_id.strip())]
    if form.user_name.strip():
        params.append(("userName", form.user_name.strip()))
    params.append(("scope", form.scope))
    if form.scope == "card":  # a global window lists every chat: chats would be ignored
        params += [("chat", spec) for spec in chat_lines(form.chats)]
    if form.active.strip():
        params.append(("active", form.active.strip()))
    params.append(("events", events_param(form.events)))
    for name, value in (("crm", form.crm_url), ("theme", form.theme), ("lang", form.lang)):
        if value.strip():
            params.append((name, value.strip()))
    # quote, not quote_plus: "%20" reads the same everywhere a URL is pasted.
    return f"{base}/?{urlencode(params, quote_via=quote, safe=':')}"


def check_embed_url(site_text: str, url: str) -> PageConfig:
    """Parse the URL exactly as the page will, against the site.json it will read."""
    return load_page_config(site_text, url)


def iframe_tag(url: str) -> str:
    """The tag a host page pastes (docs/embedding.md); the chat window needs the microphone
    (voice messages) and the clipboard."""
    return (
        f'<iframe src="{escape(url)}" allow="microphone; clipboard-write" '
        'style="width: 100%; height: 640px; border: 0"></iframe>'
    )
