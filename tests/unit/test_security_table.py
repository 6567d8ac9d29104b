"""Bad inputs and what each one gets: forged launches, bad bodies, header tricks, path traversal,
forged window messages. Every row also checks that nothing reached Wazzup or the CRM."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fastapi.testclient import TestClient

from components.config import load_page_config
from components.controller import Controller
from components.errors import EventRejected
from components.events import MAX_EVENT_BYTES
from components.gate import accept_message
from components.http import HttpResult
from components.launch import LaunchClaims, b64url_encode
from components.outbox import Outbox
from components.problems import PROBLEM_CONTENT_TYPE
from proxy.app import create_app
from proxy.launch import sign_launch
from proxy.settings import Settings

KEY = "0123456789abcdef0123456789abcdef"
SECRET = "table-secret-0123456789abcdef0123456789"
ROGUE_SECRET = "rogue-secret-0123456789abcdef0123456789"
LINK = "https://12345678.wazzup24.com/chat/0e812899?token=TOKEN"
ORIGIN = "https://12345678.wazzup24.com"
MAX_BODY = 4096
CARD = {
    "user": {"id": "222555", "name": "Anna"},
    "scope": "card",
    "filter": [{"chatType": "whatsapp", "chatId": "79998887766"}],
    "options": {"useDealsEvents": True, "useMessageEvents": True},
}


# --- launches and bodies against the proxy ---------------------------------------------------


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": "222555",
        "name": "Anna",
        "scope": "card",
        "chats": ["whatsapp:79998887766"],
        "events": ["deals", "messages"],
        "iat": now,
        "exp": now + 300,
        "jti": f"nonce-{time.time_ns()}",
    } | changes


def launch(kid: str = "crm-1", secret: str = SECRET, **changes: Any) -> str:
    return sign_launch(LaunchClaims.model_validate(claims(**changes)), kid=kid, secret=secret)


def raw_token(
    header: dict, payload: Any, secret: str = SECRET, signature: str | None = None
) -> str:
    """A token signed by hand, for shapes `sign_launch` refuses to make."""
    encoded = [b64url_encode(json.dumps(part).encode()) for part in (header, payload)]
    signing_input = ".".join(encoded)
    if signature is None:
        digest = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
        signature = b64url_encode(digest)
    return f"{signing_input}.{signature}"


def tampered_payload() -> str:
    header, _, signature = launch().split(".")
    forged = b64url_encode(json.dumps(claims(sub="1")).encode())
    return f"{header}.{forged}.{signature}"


def tampered_signature() -> str:
    header, payload, signature = launch().split(".")
    # The first character: the last one's low bits are padding and may not change the bytes.
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    return f"{header}.{payload}.{flipped}"


def bearer(make_token: Callable[[], str]) -> Callable[[], dict[str, str]]:
    return lambda: {"Authorization": f"Bearer {make_token()}"}


def good_launch() -> dict[str, str]:
    return {"Authorization": f"Bearer {launch()}"}


HS256 = {"alg": "HS256", "typ": "JWT", "kid": "crm-1"}


@dataclass(frozen=True)
class Attack:
    status: int
    code: str
    headers: Callable[[], dict[str, str]] = good_launch
    body: Any = field(default_factory=lambda: CARD)
    content: bytes | None = None
    path: str = "/api/link"
    times: int = 1  # send it this often; the last answer is checked


ATTACKS = [
    # who signed it
    pytest.param(
        Attack(401, "LAUNCH_BAD_SIGNATURE", bearer(tampered_payload)), id="tampered-payload"
    ),
    pytest.param(
        Attack(401, "LAUNCH_BAD_SIGNATURE", bearer(tampered_signature)), id="tampered-signature"
    ),
    pytest.param(
        Attack(401, "LAUNCH_BAD_SIGNATURE", bearer(lambda: launch(secret=ROGUE_SECRET))),
        id="known-kid-wrong-secret",
    ),
    pytest.param(
        Attack(401, "LAUNCH_UNKNOWN_KEY", bearer(lambda: launch(kid="rogue", secret=ROGUE_SECRET))),
        id="unknown-kid",
    ),
    pytest.param(
        Attack(401, "LAUNCH_UNKNOWN_KEY", bearer(lambda: raw_token({"alg": "HS256"}, claims()))),
        id="no-kid",
    ),
    pytest.param(
        Attack(
            401,
            "LAUNCH_UNSUPPORTED_ALG",
            bearer(lambda: raw_token({"alg": "none", "kid": "crm-1"}, claims(), signature="x")),
        ),
        id="alg-none",
    ),
    pytest.param(
        Attack(
            401,
            "LAUNCH_MALFORMED",
            bearer(lambda: raw_token({"alg": "none", "kid": "crm-1"}, claims(), signature="")),
        ),
        id="alg-none-unsigned",
    ),
    pytest.param(
        Attack(
            401,
            "LAUNCH_UNSUPPORTED_ALG",
            bearer(lambda: raw_token({"alg": "HS512", "kid": "crm-1"}, claims())),
        ),
        id="alg-hs512",
    ),
    # is it current
    pytest.param(
        Attack(401, "LAUNCH_EXPIRED", bearer(lambda: launch(exp=int(time.time()) - 120))),
        id="expired",
    ),
    pytest.param(
        Attack(401, "LAUNCH_NOT_YET_VALID", bearer(lambda: launch(nbf=int(time.time()) + 600))),
        id="not-yet-valid",
    ),
    pytest.param(
        Attack(403, "LAUNCH_TTL_TOO_LONG", bearer(lambda: launch(exp=int(time.time()) + 86400))),
        id="lives-too-long",
    ),
    pytest.param(Attack(403, "LAUNCH_REPLAYED", times=2), id="replayed"),
    pytest.param(
        Attack(403, "LAUNCH_REUSABLE_FORBIDDEN", bearer(lambda: launch(jti=None, reusable=True))),
        id="reusable-with-a-per-open-key",
    ),
    # what it says
    pytest.param(
        Attack(
            401,
            "LAUNCH_INVALID_CLAIMS",
            bearer(lambda: raw_token(HS256, {k: v for k, v in claims().items() if k != "exp"})),
        ),
        id="no-expiry",
    ),
    pytest.param(
        Attack(401, "LAUNCH_INVALID_CLAIMS", bearer(lambda: raw_token(HS256, claims(chats=[])))),
        id="card-without-chats",
    ),
    pytest.param(
        Attack(401, "LAUNCH_MALFORMED", bearer(lambda: raw_token(HS256, [claims()]))),
        id="payload-not-an-object",
    ),
    pytest.param(
        Attack(403, "LAUNCH_CLAIMS_MISMATCH", body=CARD | {"user": {"id": "1", "name": "Anna"}}),
        id="another-user",
    ),
    pytest.param(
        Attack(403, "LAUNCH_CLAIMS_MISMATCH", body={"user": CARD["user"], "scope": "global"}),
        id="wider-scope",
    ),
    pytest.param(
        Attack(
            403,
            "LAUNCH_CLAIMS_MISMATCH",
            body=CARD | {"filter": [*CARD["filter"], {"chatType": "telegram", "chatId": "1"}]},
        ),
        id="extra-chat",
    ),
    pytest.param(
        Attack(403, "LAUNCH_CLAIMS_MISMATCH", bearer(lambda: launch(events=["messages"]))),
        id="events-not-allowed",
    ),
    # how it is sent
    pytest.param(Attack(403, "LAUNCH_REQUIRED", lambda: {}), id="no-launch"),
    pytest.param(
        Attack(401, "LAUNCH_MALFORMED", lambda: {"Authorization": f"Basic {launch()}"}),
        id="basic-scheme",
    ),
    pytest.param(
        Attack(401, "LAUNCH_MALFORMED", lambda: {"Authorization": "Bearer "}), id="empty-bearer"
    ),
    pytest.param(
        Attack(401, "LAUNCH_MALFORMED", bearer(lambda: "e30." * 3000 + "e30")), id="huge-token"
    ),
    pytest.param(
        Attack(
            401,
            "LAUNCH_MALFORMED",
            lambda: {"Authorization": f"Bearer {launch()}\r\nX-Injected: 1"},
        ),
        id="crlf-in-authorization",
    ),
    # bodies
    pytest.param(
        Attack(413, "PAYLOAD_TOO_LARGE", content=b"{" + b" " * MAX_BODY + b"}"), id="oversized"
    ),
    pytest.param(
        Attack(
            413,
            "PAYLOAD_TOO_LARGE",
            content=b"[" + b" " * MAX_BODY + b"]",
            path="/api/deals",
            headers=lambda: {},
        ),
        id="oversized-deals",
    ),
    pytest.param(
        Attack(413, "PAYLOAD_TOO_LARGE", content=b"x" * (MAX_BODY + 1), path="/api/nowhere"),
        id="oversized-to-an-unknown-route",
    ),
    pytest.param(Attack(400, "MALFORMED_JSON", content=b'{"user": '), id="malformed-json"),
    pytest.param(Attack(400, "VALIDATION_FAILED", body=[CARD]), id="array-body"),
    pytest.param(
        Attack(400, "VALIDATION_FAILED", body=CARD | {"scope": "everything"}), id="bad-scope"
    ),
    pytest.param(
        Attack(
            400,
            "VALIDATION_FAILED",
            body=CARD | {"filter": [{"chatType": "whatsapp", "chatId": "+7 999"}]},
        ),
        id="bad-chat-id",
    ),
]

CONTENT_TYPES = [
    pytest.param("text/plain", id="text-plain"),
    pytest.param("application/x-www-form-urlencoded", id="form"),
    pytest.param("multipart/form-data; boundary=x", id="multipart"),
    pytest.param("application/json-patch+json", id="json-patch"),
    pytest.param(None, id="no-content-type"),
]


class Upstream:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={"url": LINK} if "iframe" in request.url.path else {})

    @property
    def links(self) -> list[httpx.Request]:
        return [request for request in self.requests if request.url.path == "/v3/iframe"]


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALLOW_UNSIGNED", "DEMO", "LAUNCH_KEYS", "WAZZUP_API", "MAX_BODY_BYTES"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[TestClient]:
    settings = Settings(wazzup_api_key=KEY, launch_keys=f"crm-1:{SECRET}", max_body_bytes=MAX_BODY)
    http = httpx.AsyncClient(transport=httpx.MockTransport(upstream))
    with TestClient(create_app(settings, http=http)) as client:
        yield client


@pytest.mark.parametrize("attack", ATTACKS)
def test_bad_launches_and_bodies_are_refused_before_wazzup(
    attack: Attack, proxy: TestClient, upstream: Upstream
) -> None:
    headers = attack.headers()
    for _ in range(attack.times):
        if attack.content is not None:
            answer = proxy.post(
                attack.path,
                content=attack.content,
                headers=headers | {"Content-Type": "application/json"},
            )
        else:
            answer = proxy.post(attack.path, json=attack.body, headers=headers)

    assert answer.status_code == attack.status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    problem = answer.json()
    assert (problem["status"], problem["code"]) == (attack.status, attack.code)
    assert problem["title"] and problem["detail"]
    assert len(upstream.links) == attack.times - 1  # only a replay's first, genuine use
    assert SECRET not in answer.text and KEY not in answer.text


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_wrong_content_types_are_refused(
    content_type: str | None, proxy: TestClient, upstream: Upstream
) -> None:
    headers = {"Authorization": f"Bearer {launch()}"}
    if content_type:
        headers["Content-Type"] = content_type

    answer = proxy.post("/api/link", content=json.dumps(CARD).encode(), headers=headers)

    assert (answer.status_code, answer.json()["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    assert upstream.requests == []


def test_a_chunked_body_without_a_length_is_cut_off_too(
    proxy: TestClient, upstream: Upstream
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(10):
            yield b" " * 1024
        yield b"]"

    answer = proxy.post(
        "/api/contacts", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert (answer.status_code, answer.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert upstream.requests == []


def test_only_the_proxys_own_headers_reach_wazzup(proxy: TestClient, upstream: Upstream) -> None:
    token = launch()
    client_headers = {
        "Authorization": f"Bearer {token}",
        "Cookie": "session=stolen",
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Host": "evil.example.com",
        "X-Real-IP": "203.0.113.9",
        "Forwarded": "for=203.0.113.9",
        "Origin": "https://evil.example.com",
        "Referer": "https://evil.example.com/page",
        "User-Agent": "evil-agent",
        "X-Evil": "1",
        "Idempotency-Key": "abc",
    }
    body = CARD | {"user": {"id": "222555", "name": "Anna"}}

    answer = proxy.post("/api/link", json=body, headers=client_headers)

    assert answer.status_code == 200
    assert len(upstream.links) == 1
    for sent in upstream.requests:
        assert set(sent.headers) <= {
            "host",
            "accept",
            "accept-encoding",
            "connection",
            "user-agent",
            "content-length",
            "content-type",
            "authorization",
        }
        assert sent.headers["authorization"] == f"Bearer {KEY}"
        assert token not in str(sent.headers) and token not in sent.content.decode()
        assert "evil" not in str(sent.headers).lower()
        assert sent.url.host == "api.wazzup24.com"


def test_crlf_in_a_json_value_stays_inside_the_json(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(wazzup_api_key=KEY, allow_unsigned=True)
    http = httpx.AsyncClient(transport=httpx.MockTransport(upstream))
    body = {"user": {"id": "7", "name": "Anna\r\nX-Injected: 1"}, "scope": "global"}

    with TestClient(create_app(settings, http=http)) as client:
        assert client.post("/api/link", json=body).status_code == 200

    (sent,) = upstream.links
    assert all("x-injected" not in request.headers for request in upstream.requests)
    assert json.loads(sent.content)["user"]["name"] == "Anna\r\nX-Injected: 1"


# --- static files: nothing outside the page's own -----------------------------------------


TRAVERSALS = [
    "/../proxy/settings.py",
    "/%2e%2e/proxy/app.py",
    "/%252e%252e/proxy/app.py",
    "/components/../proxy/app.py",
    "/components/%2e%2e/proxy/app.py",
    "/vendor/../../../etc/passwd",
    "/vendor/pyodide/../../proxy/settings.py",
    "/components\\..\\proxy\\app.py",
    "/components/link.py%00.html",
    "/.env",
    "/.git/config",
    "/proxy/app.py",
    "/pyproject.toml",
    "/tests/unit/test_launch.py",
    "/docs/security.md",
    "/var/demo-crm.sqlite3",
    "//etc/passwd",
    "/assets/../proxy/app.py",
]


def raw_get(app: Any, raw_path: str) -> tuple[int, bytes]:
    """GET with the path exactly as given: HTTP clients would normalise the dot segments."""
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return answer["status"], answer["body"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_finds_nothing_outside_the_page(path: str) -> None:
    app = create_app(Settings(wazzup_api_key=KEY, launch_keys=f"crm-1:{SECRET}"))

    status, body = raw_get(app, path)

    assert (status, body) == (404, b"Not found")


# --- forged window messages -----------------------------------------------------------------


EVENT_DATA = {"chatType": "whatsapp", "chatId": "79998887766", "userId": "222555"}
EVENT = {"type": "WZ_CREATE_ENTITY", "data": EVENT_DATA}


@dataclass(frozen=True)
class Forged:
    reason: str  # a part of the reason shown under "Rejected messages"
    data: Any = field(default_factory=lambda: EVENT)
    origin: str = ORIGIN
    from_chat_window: bool = True


FORGED = [
    pytest.param(
        Forged("not the chat window's origin", origin="https://evil.example.com"), id="other-origin"
    ),
    pytest.param(
        Forged("not the chat window's origin", origin=ORIGIN + ".evil.example.com"),
        id="look-alike-suffix",
    ),
    pytest.param(
        Forged("not the chat window's origin", origin="https://evil-12345678.wazzup24.com"),
        id="look-alike-prefix",
    ),
    pytest.param(
        Forged("not the chat window's origin", origin="https://app.wazzup24.com"),
        id="sibling-subdomain",
    ),
    pytest.param(
        Forged("not the chat window's origin", origin="http://12345678.wazzup24.com"),
        id="http-downgrade",
    ),
    pytest.param(Forged("not the chat window's origin", origin=ORIGIN + ":8443"), id="other-port"),
    pytest.param(Forged("not the chat window's origin", origin="null"), id="opaque-null-origin"),
    pytest.param(Forged("not the chat window's origin", origin=""), id="empty-origin"),
    pytest.param(Forged("not the chat window's origin", origin=ORIGIN + "/"), id="trailing-slash"),
    pytest.param(Forged("not the chat window's origin", origin=ORIGIN.upper()), id="upper-case"),
    pytest.param(
        Forged("other than the chat window", from_chat_window=False), id="right-origin-wrong-window"
    ),
    pytest.param(
        Forged(
            "not the chat window's origin", origin="https://evil.example.com", data="x" * 10_000_000
        ),
        id="huge-from-a-stranger",
    ),
    pytest.param(Forged("message is not JSON", data="{not json"), id="malformed-json"),
    pytest.param(Forged("must be an object, got list", data="[1, 2]"), id="json-array"),
    pytest.param(Forged("must be an object, got NoneType", data="null"), id="json-null"),
    pytest.param(Forged("must be an object, got int", data=42), id="number"),
    pytest.param(Forged("must be an object, got NoneType", data=None), id="unreadable-data"),
    pytest.param(
        Forged(
            "unknown message type 'WZ_DELETE_EVERYTHING'",
            data={"type": "WZ_DELETE_EVERYTHING", "data": EVENT_DATA},
        ),
        id="unknown-type",
    ),
    pytest.param(
        Forged(
            "unknown message type 'wz_create_entity'",
            data={"type": "wz_create_entity", "data": EVENT_DATA},
        ),
        id="wrong-case",
    ),
    pytest.param(Forged("unknown message type 'None'", data={"data": EVENT_DATA}), id="no-type"),
    pytest.param(
        Forged(
            f"larger than {MAX_EVENT_BYTES} bytes",
            data=json.dumps(EVENT | {"pad": "x" * MAX_EVENT_BYTES}),
        ),
        id="oversized-string",
    ),
    pytest.param(
        Forged(f"larger than {MAX_EVENT_BYTES} bytes", data=EVENT | {"pad": "x" * MAX_EVENT_BYTES}),
        id="oversized-object",
    ),
    pytest.param(
        Forged(
            "nested more than 32 deep",
            data='{"type": "WZ_CREATE_ENTITY", "data": ' + "[" * 5000 + "]" * 5000 + "}",
        ),
        id="deeply-nested",
    ),
    pytest.param(
        Forged(
            "nested more than 32 deep",
            data={"type": "WZ_CREATE_ENTITY", "data": "[" * 40 + "]" * 40},
        ),
        id="deeply-nested-data-string",
    ),
    pytest.param(
        Forged("data is not JSON", data={"type": "WZ_CREATE_ENTITY", "data": "{oops"}),
        id="data-not-json",
    ),
    pytest.param(
        Forged("data: Field required", data={"type": "WZ_CREATE_ENTITY"}), id="data-missing"
    ),
    pytest.param(
        Forged(
            "chatType", data={"type": "WZ_CREATE_ENTITY", "data": EVENT_DATA | {"chatType": "fax"}}
        ),
        id="unknown-chat-type",
    ),
    pytest.param(
        Forged(
            "chatId",
            data={"type": "WZ_CREATE_ENTITY", "data": {"chatType": "whatsapp", "userId": "1"}},
        ),
        id="chat-id-missing",
    ),
    pytest.param(
        Forged(
            "entity link must be an http(s) URL",
            data={
                "type": "WZ_OPEN_ENTITY",
                "data": EVENT_DATA | {"entity": {"id": "1", "link": "javascript:alert(1)"}},
            },
        ),
        id="javascript-entity-link",
    ),
    pytest.param(
        Forged(
            "chatId",
            data={"type": "WZ_OUTPUT_MESSAGE", "data": EVENT_DATA | {"chatId": {"$gt": ""}}},
        ),
        id="object-as-chat-id",
    ),
]


@pytest.mark.parametrize("forged", FORGED)
def test_forged_window_messages_are_rejected_with_a_reason(forged: Forged) -> None:
    with pytest.raises(EventRejected) as caught:
        accept_message(
            origin=forged.origin,
            expected_origin=ORIGIN,
            from_chat_window=forged.from_chat_window,
            data=forged.data,
        )

    assert forged.reason in caught.value.reason


@dataclass
class RecordingView:
    rejected: list[str] = field(default_factory=list)
    shown: list[Any] = field(default_factory=list)

    def show_rejected(self, reason: str) -> None:
        self.rejected.append(reason)

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: self.shown.append((name, args))


@pytest.mark.parametrize("forged", FORGED)
def test_nothing_from_a_forged_message_reaches_the_crm(forged: Forged) -> None:
    site = json.dumps(
        {"proxyUrl": "https://proxy.example.com", "crmUrl": "https://crm.example.com/r"}
    )
    config = load_page_config(site, "https://chat.example.com/?user=1&scope=global")
    sent: list[str] = []

    async def send(method: str, url: str, *args: Any) -> HttpResult:
        sent.append(url)
        return HttpResult(200, b"{}")

    view = RecordingView()
    controller = Controller(config, Outbox({}), send, view)
    controller.chat_opened(LINK)

    accepted = controller.handle_message(forged.origin, forged.from_chat_window, forged.data)
    asyncio.run(controller.deliver_due())

    assert accepted is False
    assert len(view.rejected) == 1 and forged.reason in view.rejected[0]
    assert controller.outbox.entries() == []
    assert sent == []
    assert not [name for name, _ in view.shown if name in ("show_event", "show_entry")]


def test_brackets_inside_strings_are_not_nesting() -> None:
    message = {
        "type": "WZ_OUTPUT_MESSAGE",
        "data": EVENT_DATA | {"name": "[" * 100 + "{" * 90, "username": 'a"\\[['},
    }

    event = accept_message(
        origin=ORIGIN, expected_origin=ORIGIN, from_chat_window=True, data=json.dumps(message)
    )

    assert event.data.name == "[" * 100 + "{" * 90


def test_the_genuine_message_gets_through_the_same_path() -> None:
    """The control row: without a forgery, the same message is accepted."""
    assert (
        accept_message(
            origin=ORIGIN, expected_origin=ORIGIN, from_chat_window=True, data=EVENT
        ).data.chat_id
        == "79998887766"
    )
