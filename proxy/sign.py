"""Sign a launch URL, as the CRM would: `python -m proxy.sign --help`.

    LAUNCH_KEYS=crm-1:<secret> python -m proxy.sign --user 222555 --name Anna --scope card \\
        --chat whatsapp:79998887766 --events deals,messages --ttl 300 \\
        --page-url http://127.0.0.1:8000/

prints the page URL with `launch=<token>`. The key is LAUNCH_KEYS' first one unless --kid
names another. A CRM signs in its own language: see docs/security.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError

from components.events import describe_validation_error
from components.launch import LAUNCH_PARAM, LaunchClaims

from .launch import sign_launch
from .settings import parse_launch_keys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m proxy.sign", description="Print a page URL with a signed launch token."
    )
    parser.add_argument("--user", required=True, help="CRM user id (the 'sub' claim)")
    parser.add_argument("--name", help="CRM user name")
    parser.add_argument("--scope", choices=("global", "card"), default="card")
    parser.add_argument(
        "--chat",
        action="append",
        default=[],
        help="an allowed chat, chatType:chatId[:contact name]; repeat for several",
    )
    parser.add_argument("--active", help="the chat focused on open, chatType:chatId")
    parser.add_argument("--events", default="none", help="deals,messages | deals | messages | none")
    parser.add_argument("--ttl", type=int, default=300, help="seconds until the launch expires")
    parser.add_argument(
        "--reusable",
        action="store_true",
        help="no nonce: opens the chat any number of times until it expires (see "
        "docs/security.md; the key must be in the proxy's LAUNCH_REUSABLE_KEYS)",
    )
    parser.add_argument("--kid", help="which LAUNCH_KEYS key signs (default: the first)")
    parser.add_argument("--page-url", default="http://127.0.0.1:8000/", help="the page's URL")
    return parser


def signed_url(args: argparse.Namespace, keys: dict[str, str], now: float) -> str:
    kid = args.kid or next(iter(keys))
    if kid not in keys:
        raise ValueError(f"--kid {kid!r} is not in LAUNCH_KEYS (it has {', '.join(keys)})")
    claims = LaunchClaims(
        sub=args.user,
        name=args.name,
        scope=args.scope,
        chats=args.chat,
        active=args.active,
        events=args.events,
        iat=int(now),
        exp=int(now) + args.ttl,
        jti=None if args.reusable else secrets.token_urlsafe(16),
        reusable=args.reusable,
    )
    return with_query(args.page_url, LAUNCH_PARAM, sign_launch(claims, kid=kid, secret=keys[kid]))


def with_query(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(key, item) for key, item in parse_qsl(parts.query) if key != name]
    return urlunsplit(parts._replace(query=urlencode([*query, (name, value)])))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        keys = parse_launch_keys(os.environ.get("LAUNCH_KEYS", ""))
        if not keys:
            raise ValueError("set LAUNCH_KEYS=kid:secret (the same value the proxy has)")
        print(signed_url(args, keys, time.time()))
    except ValidationError as error:
        print(f"sign: {describe_validation_error(error)}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"sign: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
