"""Signed launches: the claims the CRM signs, shared by the page (reads) and the proxy (verifies).

The CRM signs a short-lived HS256 JWT binding who may open which chats; the page gets it as
`?launch=<token>`, builds its link request from the claims, and sends the token along::

    claims = read_launch(token)              # the payload, NOT verified: the proxy verifies it
    request = link_request_from_launch(claims)
    fetch_link(proxy_url, request, send=with_launch(send_sync, token))   # components.http

Claims (JWT names where one exists)::

    sub       CRM user id                         "222555"
    name      CRM user name                       "Anna"
    scope     global | card                       "card"
    chats     allowed chats, chatType:chatId[:contact name]   ["whatsapp:79998887766"]
    active    the chat focused on open (one of chats)          "whatsapp:79998887766"
    events    window events the page may ask for  ["deals", "messages"]
    exp       expiry, seconds since the epoch (required)
    iat, nbf  issued at / not before (optional)
    jti       the nonce: one chat link per jti (required unless reusable)
    reusable  a long-lived token that may mint many links (see docs/security.md)
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .config import parse_active, parse_chat
from .errors import ConfigError
from .events import describe_validation_error
from .link import (
    ActiveChat,
    ChatFilter,
    LinkOptions,
    LinkRequest,
    LinkUser,
)
from .quick_open import b64url_bytes
from .wire import WireId

LAUNCH_PARAM = "launch"
MAX_TOKEN_CHARS = 8 * 1024
EventSwitch = Literal["deals", "messages"]
NumericDate = int | float  # seconds since the epoch, as JWT writes them
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")


class LaunchClaims(BaseModel):
    """The payload of a launch token. Names are JWT-style on the wire and in Python."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    sub: WireId = Field(min_length=1, max_length=200, description="CRM user id")
    name: str | None = Field(default=None, max_length=200)
    scope: Literal["global", "card"]
    chats: list[str] = Field(default_factory=list, max_length=100)
    active: str | None = Field(default=None, max_length=300)
    events: list[EventSwitch] = Field(default_factory=list)
    exp: NumericDate
    iat: NumericDate | None = None
    nbf: NumericDate | None = None
    jti: str | None = Field(default=None, min_length=1, max_length=200)
    reusable: bool = False

    @field_validator("events", mode="before")
    @classmethod
    def _events_from_text(cls, value: Any) -> Any:
        # "deals,messages" is easier to write by hand than a list, and means the same.
        if isinstance(value, str):
            return [] if value == "none" else [part.strip() for part in value.split(",") if part]
        return value

    @field_validator("chats")
    @classmethod
    def _chat_specs(cls, chats: list[str]) -> list[str]:
        for spec in chats:
            _checked(parse_chat, spec, "chats")
        return chats

    @field_validator("active")
    @classmethod
    def _active_spec(cls, active: str | None) -> str | None:
        if active:
            _checked(parse_chat, active, "active")
        return active

    @model_validator(mode="after")
    def _check_rules(self) -> Self:
        if self.scope == "card" and not self.chats:
            raise ValueError("chats must list at least one chat when scope is 'card'")
        if self.jti is None and not self.reusable:
            raise ValueError("jti (the nonce) is required unless the token is reusable")
        return self

    def chat_filters(self) -> list[ChatFilter]:
        return [parse_chat(spec) for spec in self.chats]

    def active_chat(self) -> ActiveChat | None:
        return parse_active(self.active, None)

    def to_jwt(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def read_launch(token: str) -> LaunchClaims:
    """The token's claims, NOT verified (the proxy does that); raise ConfigError('launch')."""
    payload = decode_segment(token_segments(token)[1], "payload")
    try:
        return LaunchClaims.model_validate(payload)
    except ValidationError as error:
        raise ConfigError(LAUNCH_PARAM, f"claims: {describe_validation_error(error)}") from None


def token_segments(token: str) -> list[str]:
    """The three parts of a JWS compact token (header.payload.signature), still encoded."""
    if len(token) > MAX_TOKEN_CHARS:
        raise ConfigError(LAUNCH_PARAM, f"the token is longer than {MAX_TOKEN_CHARS} characters")
    segments = token.split(".")
    if len(segments) != 3 or not all(_SEGMENT.match(segment) for segment in segments):
        raise ConfigError(LAUNCH_PARAM, "is not a JWT (three base64url parts joined by dots)")
    return segments


def decode_segment(segment: str, part: str) -> dict[str, Any]:
    """A token's header or payload as a JSON object; raise ConfigError('launch')."""
    try:
        value = json.loads(b64url_decode(segment))
    except ValueError:
        raise ConfigError(LAUNCH_PARAM, f"the token's {part} is not JSON") from None
    if not isinstance(value, dict):
        raise ConfigError(LAUNCH_PARAM, f"the token's {part} is not a JSON object")
    return value


def link_request_from_launch(claims: LaunchClaims, active: ActiveChat | None = None) -> LinkRequest:
    """The link request the launch allows; `active` (from the URL) overrides the claim's."""
    try:
        return LinkRequest(
            user=LinkUser(id=claims.sub, name=claims.name),
            scope=claims.scope,
            filter=claims.chat_filters() if claims.scope == "card" else None,
            active_chat=active or claims.active_chat(),
            options=LinkOptions(
                use_deals_events="deals" in claims.events,
                use_message_events="messages" in claims.events,
            ),
        )
    except ValidationError as error:
        raise ConfigError(LAUNCH_PARAM, describe_validation_error(error)) from None


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    try:
        return b64url_bytes(segment)
    except ValueError:
        raise ConfigError(LAUNCH_PARAM, "has a part that is not base64url") from None


def _checked(parse: Any, spec: str, name: str) -> Any:
    try:
        return parse(spec, name)
    except ConfigError as error:
        raise ValueError(error.message) from None
