"""Security headers of the page, the request-size limit, and launch tokens kept out of logs.

    headers = page_headers(settings)              # CSP and friends, sent with index.html
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

The page's Content-Security-Policy is built from settings: chat frames only from FRAME_ORIGINS
(the chat link's origin, not the API's), fetches only to the page's origin and the CRM,
embedding only by FRAME_ANCESTORS. Scripts come only from the page's origin, none inline.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from components.problems import PROBLEM_CONTENT_TYPE, Problem

from .settings import Settings

# 'wasm-unsafe-eval': Pyodide compiles WebAssembly. 'unsafe-eval': PyScript's core builds its
# hooks with `Function(...)` (vendor/pyscript/core-*.js, `jo`), and without it the page never
# starts (measured in Chromium: tests/e2e/test_security.py). No 'unsafe-inline' is needed.
SCRIPT_SOURCES = ("'self'", "'wasm-unsafe-eval'", "'unsafe-eval'")


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.to_wire(),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def content_security_policy(settings: Settings) -> str:
    connect = ["'self'", *_origins([settings.crm_url]), *settings.connect_origins]
    directives = {
        "default-src": ["'self'"],
        "script-src": list(SCRIPT_SOURCES),
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": _unique(connect),
        "frame-src": settings.frame_origins or ["'none'"],
        "frame-ancestors": settings.frame_ancestors or ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def page_headers(settings: Settings) -> dict[str, str]:
    """Headers for the page's HTML (the proxy serves it)."""
    return {
        "Content-Security-Policy": content_security_policy(settings),
        # The page's URL may hold a launch token: send it to nobody, not even as a Referer.
        "Referrer-Policy": "no-referrer",
    }


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware: every request body at most `max_bytes`, whatever route reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            problem = Problem(
                title="Malformed request",
                status=400,
                detail="Content-Length must be a number of bytes.",
                code="BAD_CONTENT_LENGTH",
            )
            await problem_response(problem, {"Connection": "close"})(scope, receive, send)
            return
        if declared is not None and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # chunked bodies declare no length
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if response_started:  # too late for a 413: the answer is already on its way
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = Problem(
            title="Request too large",
            status=413,
            detail=f"The body must be at most {self.max_bytes} bytes.",
            code="PAYLOAD_TOO_LARGE",
        )
        await problem_response(problem, {"Connection": "close"})(scope, receive, send)


# A launch token in a page URL (`?launch=...`) or an Authorization header must not reach a log:
# a reusable one opens chats until its key is rotated.
_LAUNCH_IN_TEXT = re.compile(r"(launch=|Bearer\s+)[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_redaction_installed = False


def redact_launch_tokens(text: str) -> str:
    return _LAUNCH_IN_TEXT.sub(r"\1[REDACTED]", text)


def install_launch_redaction() -> None:
    """Redact launch tokens from every log record made from now on (once per process)."""
    global _redaction_installed
    if _redaction_installed:
        return
    _redaction_installed = True
    make_record = logging.getLogRecordFactory()

    def make_redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is reported by logging when it is emitted
            return record
        if redact_launch_tokens(message) == message:
            return record
        # Redact inside the arguments, keeping their shape: uvicorn's access-log formatter
        # unpacks them (client, method, path, version, status).
        if isinstance(record.msg, str):
            record.msg = redact_launch_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        if redact_launch_tokens(record.getMessage()) != record.getMessage():
            record.msg, record.args = redact_launch_tokens(record.getMessage()), None
        return record

    logging.setLogRecordFactory(make_redacted_record)


def _redacted(value: Any) -> Any:
    return redact_launch_tokens(value) if isinstance(value, str) else value


def _origins(urls: list[str | None]) -> list[str]:
    origins = []
    for url in urls:
        parts = urlsplit(url or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}")
    return origins


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
