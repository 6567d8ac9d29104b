"""Signed launches on the proxy: sign, verify, and admit a link request under a launch.

    token = sign_launch(claims, kid="crm-2025", secret=secret)      # what the CRM does
    gate = LaunchGate(keys={"crm-2025": secret}, nonces=MemoryNonceStore())
    claims = gate.verify("Bearer " + token)          # LaunchRefused (401) if not genuine
    admission = gate.admit(claims, link_request)     # LaunchRefused (403) if not allowed
    ...mint the link; on failure: admission.release()

Tokens are JWS compact HS256 (RFC 7515/7519), so PyJWT, jsonwebtoken and firebase/php-jwt
make and read them. Refusals carry a `code`; 401 when the token is not a genuine, current
token, 403 when a genuine token does not allow this request (or there is none).

Replay rule: one chat link per nonce (`jti`). A page reload re-sends the same token and is
refused; the CRM signs a fresh launch URL for every open. A link that failed upstream does
not use the nonce up. Reusable tokens (`"reusable": true`) skip the nonce, and only keys
listed in `reusable_kids` may sign them (docs/security.md explains the trade-off).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from components.errors import ConfigError
from components.events import describe_validation_error
from components.launch import (
    LaunchClaims,
    b64url_decode,
    b64url_encode,
    decode_segment,
    token_segments,
)
from components.link import ActiveChat, ChatFilter, LinkRequest
from components.problems import Problem

from .nonces import MemoryNonceStore, NonceStore, SqliteNonceStore
from .settings import Settings

ALGORITHM = "HS256"


class LaunchRefused(Exception):
    """The proxy will not mint a link under this launch; `problem` says why."""

    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        self.problem = Problem(title=title, status=status, detail=detail, code=code)
        super().__init__(f"{code}: {detail}")


def _not_genuine(code: str, title: str, detail: str) -> LaunchRefused:
    return LaunchRefused(401, code, title, detail)


def _not_allowed(code: str, title: str, detail: str) -> LaunchRefused:
    return LaunchRefused(403, code, title, detail)


def launch_required() -> LaunchRefused:
    return _not_allowed(
        "LAUNCH_REQUIRED",
        "Signed launch required",
        "This proxy mints chat links only for launches signed by the CRM: open the page with "
        "?launch=<token> (see docs/security.md).",
    )


def sign_launch(claims: LaunchClaims, *, kid: str, secret: str) -> str:
    header = {"alg": ALGORITHM, "typ": "JWT", "kid": kid}
    signing_input = f"{_encode_json(header)}.{_encode_json(claims.to_jwt())}"
    return f"{signing_input}.{b64url_encode(_hs256(secret, signing_input))}"


@dataclass
class Admission:
    """A link request let through; `release()` gives the nonce back if minting failed."""

    nonces: NonceStore | None = None
    nonce: str | None = None

    def release(self) -> None:
        if self.nonces is not None and self.nonce is not None:
            self.nonces.release(self.nonce)


@dataclass
class LaunchGate:
    keys: Mapping[str, str]
    nonces: NonceStore
    allow_unsigned: bool = False
    reusable_kids: frozenset[str] = frozenset()
    max_ttl_s: float = 900
    leeway_s: float = 30
    clock: Callable[[], float] = field(default=time.time)

    def verify(self, authorization: str | None) -> LaunchClaims | None:
        """The verified claims; None only for a call without a launch in unsigned mode."""
        if not authorization:
            if self.allow_unsigned:
                return None
            raise launch_required()
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _not_genuine(
                "LAUNCH_MALFORMED",
                "Malformed launch",
                "Send the launch token as 'Authorization: Bearer <token>'.",
            )
        # The payload is read only once the signature has proved who wrote it.
        header, payload, signature = self._malformed_if_not(token_segments, token)
        kid = self._check_header(self._malformed_if_not(decode_segment, header, "header"))
        expected = _hs256(self.keys[kid], f"{header}.{payload}")
        if not hmac.compare_digest(expected, self._malformed_if_not(b64url_decode, signature)):
            raise _not_genuine(
                "LAUNCH_BAD_SIGNATURE",
                "Launch signature does not match",
                f"The token was changed after signing, or not signed with key {kid!r}'s secret.",
            )
        claims = self._claims(self._malformed_if_not(decode_segment, payload, "payload"))
        self._check_time(claims)
        self._check_policy(claims, kid)
        return claims

    def admit(self, claims: LaunchClaims | None, request: LinkRequest) -> Admission:
        """Let the request through if the launch allows it, using up the launch's nonce."""
        if claims is None:
            return Admission()
        mismatches = request_mismatches(claims, request)
        if mismatches:
            raise _not_allowed(
                "LAUNCH_CLAIMS_MISMATCH",
                "Request does not match the launch",
                "; ".join(mismatches[:3]) + ". Build the link request from the launch's claims.",
            )
        if claims.reusable or claims.jti is None:
            return Admission()
        if not self.nonces.use(claims.jti, claims.exp + self.leeway_s):
            raise _not_allowed(
                "LAUNCH_REPLAYED",
                "Launch already used",
                "This launch link has already opened a chat window (a reload re-uses it). "
                "Open the chat again from the CRM: it signs a fresh launch for every open.",
            )
        return Admission(self.nonces, claims.jti)

    def _malformed_if_not(self, parse: Callable[..., Any], *args: Any) -> Any:
        try:
            return parse(*args)
        except ConfigError as error:
            raise _not_genuine("LAUNCH_MALFORMED", "Malformed launch", error.message) from None

    def _check_header(self, header: dict) -> str:
        if header.get("alg") != ALGORITHM:
            raise _not_genuine(
                "LAUNCH_UNSUPPORTED_ALG",
                "Unsupported launch algorithm",
                f"Launch tokens must be signed with {ALGORITHM}, "
                f"got {str(header.get('alg'))[:20]!r}.",
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or kid not in self.keys:
            named = f"key {kid[:64]!r}" if isinstance(kid, str) else "no key (no 'kid' header)"
            raise _not_genuine(
                "LAUNCH_UNKNOWN_KEY",
                "Unknown launch key",
                f"The token names {named}, which is not in the proxy's LAUNCH_KEYS "
                "(a rotated-out key's tokens are refused).",
            )
        return kid

    def _claims(self, payload: dict) -> LaunchClaims:
        try:
            return LaunchClaims.model_validate(payload)
        except ValidationError as error:
            raise _not_genuine(
                "LAUNCH_INVALID_CLAIMS", "Invalid launch claims", describe_validation_error(error)
            ) from None

    def _check_time(self, claims: LaunchClaims) -> None:
        now = self.clock()
        if now > claims.exp + self.leeway_s:
            raise _not_genuine(
                "LAUNCH_EXPIRED",
                "Launch expired",
                f"The launch expired {int(now - claims.exp)} s ago. Open the chat again from "
                "the CRM.",
            )
        starts = max(claims.nbf or 0, claims.iat or 0)
        if starts > now + self.leeway_s:
            raise _not_genuine(
                "LAUNCH_NOT_YET_VALID",
                "Launch not valid yet",
                "The token's nbf/iat is in the future: check the CRM server's clock.",
            )

    def _check_policy(self, claims: LaunchClaims, kid: str) -> None:
        if claims.reusable:
            if kid not in self.reusable_kids:
                raise _not_allowed(
                    "LAUNCH_REUSABLE_FORBIDDEN",
                    "Reusable launch not allowed",
                    f"Key {kid!r} may not sign reusable launches; list it in "
                    "LAUNCH_REUSABLE_KEYS, or sign single-use launches with a jti.",
                )
            return
        if claims.exp - self.clock() > self.max_ttl_s + self.leeway_s:
            raise _not_allowed(
                "LAUNCH_TTL_TOO_LONG",
                "Launch lives too long",
                f"Single-use launches may live at most {self.max_ttl_s:g} s "
                "(LAUNCH_MAX_TTL_S); sign a shorter exp.",
            )


def request_mismatches(claims: LaunchClaims, request: LinkRequest) -> list[str]:
    """What in the request the launch does not allow (empty when it all matches)."""
    problems = []
    if request.user.id != claims.sub:
        problems.append(f"user.id {request.user.id!r} is not the launch's user {claims.sub!r}")
    if request.user.name != claims.name:
        problems.append(f"user.name {request.user.name!r} is not the launch's {claims.name!r}")
    if request.scope != claims.scope:
        problems.append(f"scope {request.scope!r} is not the launch's {claims.scope!r}")
    if claims.scope == "card":
        allowed = {_chat_key(chat) for chat in claims.chat_filters()}
        for chat in request.filter or []:
            if _chat_key(chat) not in allowed:
                problems.append(f"chat {_describe(chat)} is not among the launch's chats")
        active = request.active_chat
        if active is not None and active.chat_type and _chat_key(active) not in allowed:
            problems.append(f"active chat {_describe(active)} is not among the launch's chats")
    if request.use_deals_events and "deals" not in claims.events:
        problems.append("deal events are not allowed by the launch")
    if request.use_message_events and "messages" not in claims.events:
        problems.append("message events are not allowed by the launch")
    return problems


def _chat_key(chat: ChatFilter | ActiveChat) -> tuple[str | None, ...]:
    return (chat.chat_type, chat.chat_id, chat.username, chat.phone)


def _describe(chat: ChatFilter | ActiveChat) -> str:
    return f"{chat.chat_type}:{chat.chat_id or chat.username or chat.phone}"


def _hs256(secret: str, signing_input: str) -> bytes:
    return hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()


def _encode_json(value: dict) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode())


def launch_gate(settings: Settings) -> LaunchGate:
    nonces: NonceStore = (
        SqliteNonceStore(settings.launch_nonce_db)
        if settings.launch_nonce_db
        else MemoryNonceStore()
    )
    return LaunchGate(
        keys=settings.launch_secrets(),
        nonces=nonces,
        allow_unsigned=settings.allow_unsigned,
        reusable_kids=frozenset(settings.launch_reusable_keys),
        max_ttl_s=settings.launch_max_ttl_s,
        leeway_s=settings.launch_leeway_s,
    )
