"""Signed launches: the claims the page reads, the gate on the proxy, the nonce stores, the CLI."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from components.config import load_page_config
from components.errors import ConfigError
from components.http import HttpResult, with_launch
from components.launch import (
    LaunchClaims,
    b64url_encode,
    link_request_from_launch,
    read_launch,
)
from components.link import ActiveChat, LinkRequest
from proxy import sign
from proxy.launch import LaunchGate, LaunchRefused, request_mismatches, sign_launch
from proxy.nonces import MemoryNonceStore, SqliteNonceStore

SECRET = "launch-secret-0123456789abcdef0123456789"
OTHER_SECRET = "other-secret-0123456789abcdef0123456789ab"
NOW = 1_750_000_000.0
SITE = json.dumps({"proxyUrl": "", "crmUrl": "https://crm.example.com/records"})
PAGE = "https://chat.example.com/"


def claims(**changes: Any) -> LaunchClaims:
    values: dict[str, Any] = {
        "sub": "222555",
        "name": "Anna",
        "scope": "card",
        "chats": ["whatsapp:79998887766:Anthony", "telegram:1670185"],
        "events": ["deals", "messages"],
        "iat": int(NOW),
        "exp": int(NOW) + 300,
        "jti": "nonce-0001",
    } | changes
    return LaunchClaims.model_validate(values)


def token(kid: str = "crm-1", secret: str = SECRET, **changes: Any) -> str:
    return sign_launch(claims(**changes), kid=kid, secret=secret)


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def gate(clock: Clock | None = None, **changes: Any) -> LaunchGate:
    clock = clock or Clock()
    values: dict[str, Any] = {
        "keys": {"crm-1": SECRET, "crm-2": OTHER_SECRET},
        "nonces": MemoryNonceStore(clock),
        "clock": clock,
    } | changes
    return LaunchGate(**values)


def refusal(gate: LaunchGate, authorization: str | None) -> LaunchRefused:
    with pytest.raises(LaunchRefused) as caught:
        gate.verify(authorization)
    return caught.value


# --- the page reads the claims (unverified) ---------------------------------------------


def test_page_reads_the_claims_without_the_secret() -> None:
    read = read_launch(token())

    assert (read.sub, read.name, read.scope, read.jti) == ("222555", "Anna", "card", "nonce-0001")
    assert [chat.chat_id for chat in read.chat_filters()] == ["79998887766", "1670185"]


def test_link_request_is_built_from_the_claims() -> None:
    request = link_request_from_launch(claims(active="telegram:1670185"))

    assert request.to_v3() == {
        "user": {"id": "222555", "name": "Anna"},
        "scope": "card",
        "filter": [
            {"chatType": "whatsapp", "chatId": "79998887766", "name": "Anthony"},
            {"chatType": "telegram", "chatId": "1670185"},
        ],
        "activeChat": {"chatType": "telegram", "chatId": "1670185"},
        "options": {"useDealsEvents": True, "useMessageEvents": True},
    }


def test_global_launch_asks_for_no_chat_filter() -> None:
    request = link_request_from_launch(claims(scope="global", chats=[], events="none"))

    assert request.filter is None
    assert not request.use_deals_events and not request.use_message_events


@pytest.mark.parametrize(
    ("bad_token", "message"),
    [
        ("not-a-token", "is not a JWT"),
        ("a.b", "is not a JWT"),
        ("a.b.c.d", "is not a JWT"),
        ("a+b.c.d", "is not a JWT"),
        (f"{b64url_encode(b'{}')}.{b64url_encode(b'[1]')}.sig", "payload is not a JSON object"),
        (f"{b64url_encode(b'{}')}.{b64url_encode(b'nope')}.sig", "payload is not JSON"),
        ("x" * 9000, "longer than 8192"),
    ],
)
def test_a_malformed_token_names_the_launch_parameter(bad_token: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_launch(bad_token)

    assert caught.value.name == "launch"
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"chats": []}, "chats must list at least one chat"),
        ({"jti": None}, "jti (the nonce) is required unless the token is reusable"),
        ({"chats": ["fax:123"]}, "unknown chat type 'fax'"),
        ({"events": ["deals", "calls"]}, "events.1"),
        ({"exp": None}, "exp"),
    ],
)
def test_invalid_claims_say_which_claim(changes: dict, message: str) -> None:
    payload = claims().to_jwt() | changes
    fake = f"{b64url_encode(b'{}')}.{b64url_encode(json.dumps(payload).encode())}.c2ln"

    with pytest.raises(ConfigError) as caught:
        read_launch(fake)

    assert message in caught.value.message


def test_page_config_takes_the_request_and_the_token_from_the_launch() -> None:
    launch = token()
    config = load_page_config(SITE, f"{PAGE}?launch={launch}&active=telegram:1670185")

    assert config.launch_token == launch
    assert config.link_request.user.id == "222555"
    assert config.link_request.active_chat == ActiveChat(chat_type="telegram", chat_id="1670185")


@pytest.mark.parametrize("name", ["user", "userName", "scope", "chat", "events"])
def test_page_config_refuses_url_parameters_the_launch_sets(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_page_config(SITE, f"{PAGE}?launch={token()}&{name}=x")

    assert caught.value.name == name
    assert "set by the signed launch" in caught.value.message


def test_with_launch_presents_the_token_to_the_proxy() -> None:
    sent: list[dict[str, str]] = []

    def send(method: str, url: str, body: Any, headers: dict, timeout: float) -> HttpResult:
        sent.append(headers)
        return HttpResult(200, b"{}")

    with_launch(send, "t.o.k")("POST", "/api/link", b"{}", {"Accept": "application/json"}, 5.0)

    assert sent == [{"Accept": "application/json", "Authorization": "Bearer t.o.k"}]
    assert with_launch(send, None) is send


# --- tokens interoperate with PyJWT --------------------------------------------------------


def test_pyjwt_verifies_our_tokens() -> None:
    launch = token()

    assert jwt.get_unverified_header(launch) == {"alg": "HS256", "typ": "JWT", "kid": "crm-1"}
    decoded = jwt.decode(launch, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert decoded == claims().to_jwt()


def test_the_gate_accepts_pyjwt_tokens() -> None:
    launch = jwt.encode(
        claims().to_jwt(), OTHER_SECRET, algorithm="HS256", headers={"kid": "crm-2"}
    )

    assert gate().verify(f"Bearer {launch}") == claims()


# --- the gate: who signed it, and is it current -----------------------------------------


def test_every_active_key_verifies_its_own_tokens() -> None:
    rotating = gate()

    assert rotating.verify(f"Bearer {token('crm-1', SECRET)}") == claims()
    assert rotating.verify(f"Bearer {token('crm-2', OTHER_SECRET)}") == claims()


def test_a_rotated_out_key_is_unknown() -> None:
    after_rotation = gate(keys={"crm-2": OTHER_SECRET})

    refused = refusal(after_rotation, f"Bearer {token('crm-1', SECRET)}")

    assert (refused.problem.status, refused.problem.code) == (401, "LAUNCH_UNKNOWN_KEY")
    assert "'crm-1'" in refused.problem.detail


def test_a_token_signed_with_another_secret_under_a_known_kid_is_a_bad_signature() -> None:
    refused = refusal(gate(), f"Bearer {token('crm-1', OTHER_SECRET)}")

    assert refused.problem.code == "LAUNCH_BAD_SIGNATURE"


@pytest.mark.parametrize(
    ("offset", "code"),
    [
        (300 + 30 + 1, "LAUNCH_EXPIRED"),
        (300 + 30, None),
        (-31, "LAUNCH_NOT_YET_VALID"),
        (-30, None),
    ],
    ids=["expired-past-leeway", "expired-within-leeway", "issued-in-future", "skew-within-leeway"],
)
def test_time_is_checked_with_a_leeway_for_clock_skew(offset: float, code: str | None) -> None:
    checking = gate(Clock(NOW + offset), leeway_s=30)
    if code is None:
        assert checking.verify(f"Bearer {token()}") == claims()
    else:
        assert refusal(checking, f"Bearer {token()}").problem.code == code


def test_a_single_use_token_may_not_live_longer_than_the_limit() -> None:
    refused = refusal(gate(max_ttl_s=600), f"Bearer {token(exp=int(NOW) + 3600)}")

    assert (refused.problem.status, refused.problem.code) == (403, "LAUNCH_TTL_TOO_LONG")


def test_reusable_tokens_need_a_key_allowed_to_sign_them() -> None:
    reusable = f"Bearer {token(jti=None, reusable=True, exp=int(NOW) + 30 * 86400)}"

    refused = refusal(gate(), reusable)
    assert (refused.problem.status, refused.problem.code) == (403, "LAUNCH_REUSABLE_FORBIDDEN")
    assert gate(reusable_kids=frozenset({"crm-1"})).verify(reusable) is not None


def test_without_a_token_only_unsigned_mode_lets_a_request_through() -> None:
    assert refusal(gate(), None).problem.code == "LAUNCH_REQUIRED"
    assert gate(allow_unsigned=True).verify(None) is None


def test_unsigned_mode_still_verifies_a_token_it_is_given() -> None:
    refused = refusal(gate(allow_unsigned=True), f"Bearer {token(secret=OTHER_SECRET)}")

    assert refused.problem.code == "LAUNCH_BAD_SIGNATURE"


# --- the gate: does the launch allow this request, and only once ---------------------------


def launch_request(**changes: Any) -> LinkRequest:
    return link_request_from_launch(claims()).model_copy(update=changes)


def test_a_request_built_from_the_claims_matches_them() -> None:
    assert request_mismatches(claims(), link_request_from_launch(claims())) == []


def test_a_request_may_ask_for_fewer_chats_and_events() -> None:
    narrower = LinkRequest.model_validate(
        {
            "user": {"id": "222555", "name": "Anna"},
            "scope": "card",
            "filter": [{"chatType": "telegram", "chatId": "1670185"}],
        }
    )

    assert request_mismatches(claims(), narrower) == []


def test_every_mismatch_is_named() -> None:
    wider = LinkRequest.model_validate(
        {
            "user": {"id": "1", "name": "Eve"},
            "scope": "card",
            "filter": [{"chatType": "whatsapp", "chatId": "70000000000"}],
            "activeChat": {"chatType": "whatsapp", "chatId": "70000000001"},
            "options": {"useDealsEvents": True, "useMessageEvents": True},
        }
    )

    mismatches = request_mismatches(claims(events=[]), wider)

    assert mismatches == [
        "user.id '1' is not the launch's user '222555'",
        "user.name 'Eve' is not the launch's 'Anna'",
        "chat whatsapp:70000000000 is not among the launch's chats",
        "active chat whatsapp:70000000001 is not among the launch's chats",
        "deal events are not allowed by the launch",
        "message events are not allowed by the launch",
    ]


def test_a_launch_mints_one_link_and_a_replay_is_refused() -> None:
    checking = gate()
    verified = checking.verify(f"Bearer {token()}")
    checking.admit(verified, launch_request())

    with pytest.raises(LaunchRefused) as caught:
        checking.admit(checking.verify(f"Bearer {token()}"), launch_request())

    assert (caught.value.problem.status, caught.value.problem.code) == (403, "LAUNCH_REPLAYED")
    assert "Open the chat again from the CRM" in caught.value.problem.detail


def test_a_released_launch_may_be_used_again() -> None:
    checking = gate()
    checking.admit(checking.verify(f"Bearer {token()}"), launch_request()).release()

    checking.admit(checking.verify(f"Bearer {token()}"), launch_request())


def test_a_mismatched_request_does_not_use_the_launch_up() -> None:
    checking = gate()
    verified = checking.verify(f"Bearer {token()}")
    with pytest.raises(LaunchRefused):
        checking.admit(verified, launch_request(scope="global", filter=None))

    checking.admit(verified, launch_request())


def test_a_reusable_launch_mints_many_links() -> None:
    checking = gate(reusable_kids=frozenset({"crm-1"}))
    verified = checking.verify(f"Bearer {token(jti=None, reusable=True)}")

    for _ in range(3):
        checking.admit(verified, launch_request())


# --- nonce stores ---------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def store_and_clock(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Any, Clock]:
    clock = Clock()
    if request.param == "memory":
        return MemoryNonceStore(clock), clock
    return SqliteNonceStore(tmp_path / "nonces.db", clock), clock


def test_a_nonce_is_used_once_until_it_expires(store_and_clock: tuple[Any, Clock]) -> None:
    store, clock = store_and_clock

    assert store.use("n1", NOW + 60) is True
    assert store.use("n1", NOW + 60) is False
    assert store.use("n2", NOW + 60) is True
    clock.now = NOW + 61
    assert store.use("n1", NOW + 120) is True  # its token has expired: nothing to replay


def test_a_released_nonce_may_be_used_again(store_and_clock: tuple[Any, Clock]) -> None:
    store, _ = store_and_clock
    store.use("n1", NOW + 60)
    store.release("n1")

    assert store.use("n1", NOW + 60) is True


def test_the_memory_store_forgets_expired_nonces() -> None:
    clock = Clock()
    store = MemoryNonceStore(clock)
    for number in range(100):
        store.use(f"n{number}", NOW + number)
    clock.now = NOW + 50
    store.use("fresh", NOW + 500)

    assert len(store) == 51  # n50..n99 and "fresh"


def test_the_sqlite_store_remembers_across_restarts(tmp_path: Path) -> None:
    first = SqliteNonceStore(tmp_path / "nonces.db", Clock())
    first.use("n1", NOW + 60)
    first.close()

    assert SqliteNonceStore(tmp_path / "nonces.db", Clock()).use("n1", NOW + 60) is False
    rows = sqlite3.connect(tmp_path / "nonces.db").execute("SELECT nonce FROM nonces").fetchall()
    assert rows == [("n1",)]


# --- python -m proxy.sign -------------------------------------------------------------------


def run_sign(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str, keys: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("LAUNCH_KEYS", keys)
    code = sign.main(list(args))
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def test_sign_prints_a_page_url_with_a_launch_the_proxy_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    code, url, _ = run_sign(
        monkeypatch,
        capsys,
        *("--user", "222555", "--name", "Anna", "--scope", "card"),
        *("--chat", "whatsapp:79998887766", "--events", "deals,messages", "--ttl", "300"),
        *("--page-url", "http://127.0.0.1:8000/?crm=x"),
        keys=f"crm-1:{SECRET},crm-2:{OTHER_SECRET}",
    )

    assert code == 0
    assert url.startswith("http://127.0.0.1:8000/?crm=x&launch=")
    launch = parse_qs(urlsplit(url).query)["launch"][0]
    verified = gate(Clock(time.time())).verify(f"Bearer {launch}")
    assert verified is not None
    assert (verified.sub, verified.name, verified.chats) == (
        "222555",
        "Anna",
        ["whatsapp:79998887766"],
    )
    assert verified.events == ["deals", "messages"]
    assert verified.exp - time.time() == pytest.approx(300, abs=5)
    assert verified.jti and not verified.reusable
    assert jwt.get_unverified_header(launch)["kid"] == "crm-1"


def test_sign_makes_a_reusable_launch_with_the_named_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    code, url, _ = run_sign(
        monkeypatch,
        capsys,
        *("--user", "7", "--scope", "global", "--reusable", "--kid", "crm-2", "--ttl", "86400"),
        keys=f"crm-1:{SECRET},crm-2:{OTHER_SECRET}",
    )

    launch = parse_qs(urlsplit(url).query)["launch"][0]
    assert code == 0
    assert jwt.get_unverified_header(launch)["kid"] == "crm-2"
    assert read_launch(launch).reusable and read_launch(launch).jti is None


@pytest.mark.parametrize(
    ("args", "keys", "message"),
    [
        (("--user", "7", "--scope", "global"), "", "set LAUNCH_KEYS=kid:secret"),
        (("--user", "7", "--scope", "global", "--kid", "nope"), f"crm-1:{SECRET}", "'nope'"),
        (("--user", "7", "--scope", "card"), f"crm-1:{SECRET}", "at least one chat"),
        (("--user", "7", "--scope", "global"), "no-colon", "kid1:secret1,kid2:secret2"),
    ],
    ids=["no-keys", "unknown-kid", "card-without-chat", "malformed-keys"],
)
def test_sign_explains_what_to_fix(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    args: tuple[str, ...],
    keys: str,
    message: str,
) -> None:
    code, out, err = run_sign(monkeypatch, capsys, *args, keys=keys)

    assert (code, out) == (2, "")
    assert err.startswith("sign: ") and message in err
