"""Chat-window link requests in both Wazzup API generations, normalized to one model.

`LinkRequest` is the canonical form (it is also the v3 `POST /v3/iframe` body);
`PartnerLinkRequest` is the v2 `POST /v2/iframe-links/chats` body. Every documented form is
accepted, the canonical one is emitted::

    request = parse_link_request({"user_id": "7", "scope": "global"})   # v2-shaped
    request.to_v3()        # {"user": {"id": "7"}, "scope": "global"}
    request.to_v2()        # {"user_id": "7", "scope": "global"}
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, Field, field_validator, model_validator

from .chat import V2_FIELDS, ChatType, check_chat_ref
from .wire import SnakeWireModel, WireId, WireModel

Scope = Literal["global", "card"]
MAX_CHATS = 100


class LinkUser(WireModel):
    id: WireId = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)


class ChatFilter(WireModel):
    """One chat the window shows (v3 `filter[]`, v2 `chats[]`)."""

    chat_type: ChatType
    chat_id: WireId | None = None
    name: str | None = Field(default=None, max_length=200)
    username: str | None = None
    phone: WireId | None = None

    @model_validator(mode="after")
    def _check_ids(self) -> Self:
        check_chat_ref(self.chat_type, self.chat_id, self.username, self.phone)
        return self


class ActiveChat(WireModel):
    """The chat focused when the window opens."""

    channel_id: str | None = Field(default=None, max_length=100)
    chat_type: ChatType | None = None
    chat_id: WireId | None = None
    username: str | None = None
    phone: WireId | None = None

    @model_validator(mode="after")
    def _check_ids(self) -> Self:
        if self.chat_type is None:
            if self.chat_id or self.username or self.phone:
                raise ValueError("chatType is required when a chat id, username or phone is given")
            return self
        check_chat_ref(self.chat_type, self.chat_id, self.username, self.phone)
        return self


class LinkOptions(WireModel):
    client_type: str | None = Field(default=None, max_length=100)
    use_deals_events: bool = False
    use_message_events: bool = False


class LinkRequest(WireModel):
    """The canonical link request; its wire form is the v3 `POST /v3/iframe` body."""

    user: LinkUser
    scope: Scope
    filter: list[ChatFilter] | None = Field(default=None, max_length=MAX_CHATS)
    active_chat: ActiveChat | None = None
    options: LinkOptions | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_v2_forms(cls, data: Any) -> Any:
        if isinstance(data, dict) and _looks_like_v2(data):
            return PartnerLinkRequest.model_validate(data).to_link_request().to_wire()
        return data

    @model_validator(mode="after")
    def _filter_required_for_card(self) -> Self:
        if self.scope == "card" and not self.filter:
            raise ValueError("filter must list at least one chat when scope is 'card'")
        return self

    @property
    def use_deals_events(self) -> bool:
        return bool(self.options and self.options.use_deals_events)

    @property
    def use_message_events(self) -> bool:
        return bool(self.options and self.options.use_message_events)

    def to_v3(self) -> dict[str, Any]:
        return self.to_wire()

    def to_v2(self) -> dict[str, Any]:
        return PartnerLinkRequest.from_link_request(self).to_wire()


# --- v2 partner API (snake_case on the wire) -------------------------------------------


class PartnerChat(SnakeWireModel):
    chat_type: ChatType
    chat_id: WireId | None = None
    username: str | None = None
    contact_name: str | None = Field(default=None, max_length=200)
    # Not a v2 field: here only so that a Telegram chat named by phone alone (v3's older
    # pages) is refused with a message saying why, instead of "needs chat_id".
    phone: WireId | None = None

    @model_validator(mode="after")
    def _check_ids(self) -> Self:
        check_chat_ref(self.chat_type, self.chat_id, self.username, self.phone, V2_FIELDS)
        return self


class PartnerActiveChat(SnakeWireModel):
    channel_id: str | None = Field(default=None, max_length=100)
    chat_type: ChatType | None = None
    chat_id: WireId | None = None
    username: str | None = None
    phone: WireId | None = None  # refused, as in PartnerChat

    @model_validator(mode="after")
    def _check_ids(self) -> Self:
        if self.chat_type is None:
            if self.chat_id or self.username or self.phone:
                raise ValueError("chat_type is required when a chat id, username or phone is given")
            return self
        check_chat_ref(self.chat_type, self.chat_id, self.username, self.phone, V2_FIELDS)
        return self


class UseEvents(SnakeWireModel):
    deals: bool = False
    messages: bool = False


class PartnerLinkRequest(SnakeWireModel):
    """The v2 `POST /v2/iframe-links/chats` body."""

    user_id: WireId = Field(min_length=1, max_length=64)
    author_name: str | None = Field(default=None, max_length=150)
    scope: Scope
    chats: list[PartnerChat] | None = Field(default=None, max_length=MAX_CHATS)
    active_chat: PartnerActiveChat | None = None
    use_events: UseEvents | None = None
    client_type: str | None = Field(default=None, max_length=100)

    @model_validator(mode="before")
    @classmethod
    def _accept_documented_variants(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        # The field tree says user: {id}; the examples and the error text say user_id.
        user = data.get("user")
        if isinstance(user, dict):
            data.pop("user")
            data.setdefault("user_id", user.get("id"))
            if user.get("name") is not None:
                data.setdefault("author_name", user.get("name"))
        # One docs example posts a v3-shaped body to the v2 route.
        if "filter" in data and "chats" not in data:
            data["chats"] = [_v3_chat_to_v2(chat) for chat in data.pop("filter") or []]
        active = data.get("active_chat", data.get("activeChat"))
        if isinstance(active, dict):
            data.pop("activeChat", None)
            data["active_chat"] = _v3_chat_to_v2(active)
        options = data.pop("options", None)
        if isinstance(options, dict):
            data.setdefault(
                "use_events",
                {
                    "deals": options.get("useDealsEvents", False),
                    "messages": options.get("useMessageEvents", False),
                },
            )
            if options.get("clientType") is not None:
                data.setdefault("client_type", options["clientType"])
        return data

    @model_validator(mode="after")
    def _chats_match_scope(self) -> Self:
        if self.scope == "card" and not self.chats:
            raise ValueError("chats must list at least one chat when scope is 'card'")
        if self.scope == "global" and self.chats:
            raise ValueError("chats must be absent when scope is 'global'")
        return self

    def to_link_request(self) -> LinkRequest:
        events = self.use_events or UseEvents()
        active = self.active_chat
        return LinkRequest(
            user=LinkUser(id=self.user_id, name=self.author_name),
            scope=self.scope,
            filter=[
                ChatFilter(
                    chat_type=chat.chat_type,
                    chat_id=chat.chat_id,
                    username=chat.username,
                    name=chat.contact_name,
                )
                for chat in self.chats or []
            ]
            or None,
            active_chat=ActiveChat(**active.model_dump()) if active else None,
            options=LinkOptions(
                client_type=self.client_type,
                use_deals_events=events.deals,
                use_message_events=events.messages,
            ),
        )

    @classmethod
    def from_link_request(cls, request: LinkRequest) -> PartnerLinkRequest:
        options = request.options or LinkOptions()
        active = request.active_chat
        return cls(
            user_id=request.user.id,
            author_name=request.user.name,
            scope=request.scope,
            chats=None
            if request.scope == "global"
            else [
                PartnerChat(
                    chat_type=chat.chat_type,
                    chat_id=chat.chat_id,
                    username=chat.username,
                    contact_name=chat.name,
                    phone=_phone_if_only_name(chat.chat_id, chat.username, chat.phone),
                )
                for chat in request.filter or []
            ],
            active_chat=PartnerActiveChat(
                channel_id=active.channel_id,
                chat_type=active.chat_type,
                chat_id=active.chat_id,
                username=active.username,
                phone=_phone_if_only_name(active.chat_id, active.username, active.phone),
            )
            if active
            else None,
            use_events=UseEvents(
                deals=options.use_deals_events, messages=options.use_message_events
            ),
            client_type=options.client_type,
        )


# --- responses ---------------------------------------------------------------------------


class LinkResponse(WireModel):
    """The v3 answer `{url}`, and what our proxy answers the page in both generations."""

    url: str = Field(min_length=1, max_length=4000)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise ValueError("link must be an http(s) URL")
        return url


class ProxyMode(WireModel):
    """`GET /api/mode`: whether the proxy mints links without a signed launch."""

    unsigned: bool


class LinkCheck(WireModel):
    """`POST /api/link/check`: is this chat link (one the proxy minted) still good?"""

    url: str = Field(min_length=1, max_length=4000)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        return LinkResponse._http_url(url)


class LinkStatus(WireModel):
    """The answer: `expired` when the chat window refuses its link (401/403/404/410 or a
    redirect away), `valid` on 2xx, `unknown` when the check itself failed."""

    state: Literal["valid", "expired", "unknown"]
    status: int | None = None


class PartnerLinkData(BaseModel):
    link: str


class PartnerMeta(BaseModel):
    timestamp: int | None = None


class PartnerLinkResponse(BaseModel):
    """The v2 answer `{data: {link}, meta: {timestamp}}`."""

    data: PartnerLinkData
    meta: PartnerMeta | None = None

    def to_link_response(self) -> LinkResponse:
        return LinkResponse(url=self.data.link)


# --- helpers ------------------------------------------------------------------------------


def parse_link_request(payload: Any) -> LinkRequest:
    """Parse any documented link-request form (v3, v2, or the v3-shaped v2 example)."""
    return LinkRequest.model_validate(payload)


def _phone_if_only_name(chat_id: str | None, username: str | None, phone: str | None):
    """v2 has no phone: drop it when the chat is named otherwise, keep it (to be refused
    with a clear message) when it is the chat's only name."""
    return phone if chat_id is None and username is None else None


# `active_chat` is not here: it is also the v3 field's Python name, and means the same.
_V2_ONLY_KEYS = frozenset({"user_id", "author_name", "chats", "use_events", "client_type"})


def _looks_like_v2(data: dict[str, Any]) -> bool:
    return bool(_V2_ONLY_KEYS & data.keys())


def _camel_to_snake_keys(data: dict[str, Any]) -> dict[str, Any]:
    return {_to_snake(key): value for key, value in data.items()}


def _to_snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _v3_chat_to_v2(chat: Any) -> Any:
    if not isinstance(chat, dict):
        return chat
    converted = _camel_to_snake_keys(chat)
    if "name" in converted:
        converted.setdefault("contact_name", converted.pop("name"))
    if converted.get("chat_id") is not None or converted.get("username") is not None:
        converted.pop("phone", None)  # v2 cannot open Telegram chats by phone
    return converted
