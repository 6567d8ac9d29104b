"""The quick link request (no pydantic) agrees with the full config path wherever it answers."""

from __future__ import annotations

import base64
import json
import random
import subprocess
import sys
from typing import Any
from urllib.parse import quote

import pytest

from components.config import load_page_config
from components.errors import ConfigError
from components.quick_open import QuickOpen, quick_open

PAGE = "https://crm.example.com/chat/"
CRM = "https://crm.example.com/records"
SITE: dict[str, Any] = {
    "proxyUrl": "https://proxy.example.com/",
    "crmUrl": CRM,
    "allowedCrmUrls": [CRM, "https://other.example.com/records", "ftp://files.example.com/"],
    "defaults": {
        "userId": "demo-user",
        "userName": "Demo Manager",
        "scope": "card",
        "chats": ["whatsapp:79998887766:Anthony Stone", "telegram:1670185"],
        "active": "whatsapp:79998887766",
        "events": "deals,messages",
    },
}


def unsigned_jwt(claims: Any) -> str:
    def part(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'kid': 'crm-1'})}.{part(claims)}.c2lnbmF0dXJl"


def full(site: dict, url: str) -> QuickOpen | None:
    """What the full path would send, or None where it refuses."""
    try:
        config = load_page_config(json.dumps(site), url)
    except ConfigError:
        return None
    return QuickOpen(config.proxy_url, config.link_request.to_v3(), config.launch_token)


def agrees(site: dict, url: str) -> QuickOpen | None:
    quick, expected = quick_open(json.dumps(site), url), full(site, url)
    # Where the full path accepts, the quick one answers too (the chat never waits for
    # pydantic on a valid URL), and exactly alike.
    assert quick == expected, url
    return quick


PLAIN_CASES = [
    "",
    "?user=222555&scope=global",
    "?user=222555&userName=Anna&scope=global",
    "?user=7&scope=card&chat=whatsapp:79998887766:Anthony%20Stone&chat=telegram:1670185",
    "?user=7&scope=card&chat=whatsapp:79998887766&active=whatsapp:79998887766&channel=c1",
    "?user=7&scope=card&chat=whatsapp:79998887766&events=deals",
    "?user=7&scope=card&chat=whatsapp:79998887766&events=none",
    "?user=7&scope=card&chat=whatsapp:79998887766&events=",
    "?chat=telegram:1670185",
    "?channel=c16tc1c",
    "?user=7&scope=global&lang=ru&theme=dark",
    f"?user=7&scope=global&crm={quote(CRM)}",
]


@pytest.mark.parametrize("query", PLAIN_CASES)
def test_plain_urls_are_answered_quickly_and_exactly_like_the_full_path(query: str) -> None:
    assert agrees(SITE, PAGE + query) is not None


LAUNCH_CLAIMS: list[dict[str, Any]] = [
    {"sub": "222555", "scope": "global", "exp": 2_000_000_000, "jti": "n1"},
    {"sub": 222555, "name": "Anna", "scope": "global", "exp": 2e9, "jti": "n1"},
    {
        "sub": "7",
        "scope": "card",
        "chats": ["whatsapp:79998887766:Anthony", "telegram:1670185"],
        "active": "telegram:1670185",
        "events": ["deals"],
        "exp": 2_000_000_000,
        "reusable": True,
    },
    {
        "sub": "7",
        "scope": "card",
        "chats": ["vk:12345"],
        "events": "deals,messages",
        "exp": 2e9,
        "jti": "n",
    },
]


@pytest.mark.parametrize("claims", LAUNCH_CLAIMS)
@pytest.mark.parametrize("extra", ["", "&active=whatsapp:79998887766", "&channel=c1"])
def test_signed_launches_are_answered_quickly_and_exactly_like_the_full_path(
    claims: dict, extra: str
) -> None:
    url = f"{PAGE}?launch={unsigned_jwt(claims)}{extra}"
    assert full(SITE, url) is not None
    assert agrees(SITE, url) is not None


@pytest.mark.parametrize(
    "query",
    [
        "?user=7&scope=bogus",
        "?user=7&scope=card",
        "?user=7&scope=card&chat=fax:123",
        "?user=7&scope=card&chat=whatsapp:+7%20999",
        "?user=7&events=calls",
        "?user=7&user=8",
        "?user=",
        "?user=7&nonsense=1",
        "?user=7&crm=https://evil.example.com/",
        "?user=7&launch=a.b.c",
        f"?launch={unsigned_jwt({'sub': '7', 'scope': 'global', 'exp': 2e9})}",
        f"?launch={unsigned_jwt({'sub': '7', 'scope': 'global', 'jti': 'n'})}&user=7",
    ],
)
def test_what_the_full_path_refuses_is_left_to_it(query: str) -> None:
    assert full(SITE, PAGE + query) is None
    assert quick_open(json.dumps(SITE), PAGE + query) is None


def test_random_inputs_never_disagree_with_the_full_path() -> None:
    """Thousands of mixed, often wrong, inputs: the quick path is never more permissive."""
    rng = random.Random(6)
    values = {
        "user": ["7", "", " 8 ", "x" * 201, "222555"],
        "userName": ["Anna", "", "y" * 201],
        "scope": ["global", "card", "Card", ""],
        "chat": [
            "whatsapp:79998887766",
            "telegram:1670185:Maria",
            "telegram:@bob",
            "vk:",
            "whatsapp:123:" + "n" * 201,
            "fax:1",
            ":",
            "whatsapp",
        ],
        "active": ["whatsapp:79998887766", "telegram:1", "bogus", ""],
        "channel": ["c1", "", "z" * 101],
        "events": ["deals", "messages", "deals,messages", "none", "", "calls", " deals , "],
        "crm": [CRM, "https://evil.example.com/", "ftp://files.example.com/"],
        "lang": ["ru", "xx", ""],
        "theme": ["dark", "blue"],
        "mask": ["off", "maybe"],
        "launch": [unsigned_jwt(claims) for claims in LAUNCH_CLAIMS] + ["x.y.z", "e30.e30.e30"],
        "extra": ["1"],
    }
    sites = [
        SITE,
        {**SITE, "defaults": {}},
        {**SITE, "proxyUrl": ""},
        {**SITE, "defaults": {"userId": "9", "scope": "global", "events": "none"}},
    ]
    answered = 0
    for _ in range(3000):
        names = rng.sample(sorted(values), rng.randint(0, 4))
        pairs = [(name, rng.choice(values[name])) for name in names]
        if rng.random() < 0.1 and names:
            pairs.append(pairs[0])  # a repeated parameter
        query = "&".join(f"{name}={quote(value)}" for name, value in pairs)
        answered += agrees(rng.choice(sites), f"{PAGE}?{query}") is not None
    assert answered > 300  # the quick path answers a good share, not only trivial cases


def test_the_quick_path_imports_no_pydantic() -> None:
    """It runs before pydantic has loaded in the browser."""
    code = (
        "import sys, components.quick_open, components.early; sys.exit('pydantic' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
