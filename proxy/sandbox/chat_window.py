"""The chat-window page a link opens, standing in for Wazzup's own (wazzup-api.md §8).

    GET  /chat/{session}?token=...                       the page (403 page if the link is bad)
    GET  /chat/{session}/deals?chatType=&chatId=&token=  the Deals dropdown's list (JSON)
    POST /chat/{session}/create-deal?token=...           "+" in webhook mode (JSON)

The page posts the three events to `window.parent` in the documented shapes. It must be
frameable, so there is no X-Frame-Options; the link's token is in the URL, so no referrer.
"""

from __future__ import annotations

import json
import secrets
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from .chats import WindowChat, deals_for_chat, find_chat, window_chats
from .deal_webhooks import DealCreationFailed, create_deal_by_webhooks, webhook_mode
from .sessions import Session
from .state import INTEGRATION_ID, SandboxState, get_state
from .validation import BodyNotJson, parse_json

State = Annotated[SandboxState, Depends(get_state)]
Token = Annotated[str | None, Query()]

PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
INVALID_LINK = "This chat link is invalid or has expired."
INVALID_LINK_PAGE = (
    "<!doctype html><meta charset=utf-8><title>Link expired</title>"
    f"<p>{INVALID_LINK} Request a new link.</p>"
)

router = APIRouter()


@router.get("/chat/{session_id}", response_class=HTMLResponse)
async def chat_page(session_id: str, state: State, token: Token = None) -> HTMLResponse:
    session = state.sessions.find(session_id, token)
    if session is None:
        # A genuine link past its lifetime is a 401 (its token no longer authenticates),
        # anything else a 403; either way the page can tell it must ask for a new link.
        status = 401 if state.sessions.expired(session_id, token) else 403
        return HTMLResponse(INVALID_LINK_PAGE, status, headers=PAGE_HEADERS)
    chats, active = window_chats(session, state)
    config = {
        "sessionId": session.id,
        "userId": session.user_id,
        "userName": state.store.user_name(session.user_id) or session.request.user.name,
        "integrationId": INTEGRATION_ID,
        "chats": [chat.to_page() for chat in chats],
        "activeIndex": active,
        "options": {
            "useDealsEvents": session.request.use_deals_events,
            "useMessageEvents": session.request.use_message_events,
        },
        "webhookMode": webhook_mode(state, session),
    }
    nonce = secrets.token_urlsafe(16)
    headers = {**PAGE_HEADERS, "Content-Security-Policy": _policy(nonce)}
    return HTMLResponse(render_page(config, nonce), headers=headers)


@router.get("/chat/{session_id}/deals")
async def chat_deals(
    session_id: str,
    state: State,
    token: Token = None,
    chat_type: Annotated[str | None, Query(alias="chatType")] = None,
    chat_id: Annotated[str | None, Query(alias="chatId")] = None,
) -> JSONResponse:
    session = _session(state, session_id, token)
    chat = _open_chat(state, session, chat_type, chat_id)
    user_name = state.store.user_name(session.user_id) or session.request.user.name
    deals = [
        {**deal.to_wire(), "responsibleUserName": user_name}
        for deal in deals_for_chat(state.store, chat, session.user_id)
    ]
    return _json({"deals": deals})


@router.post("/chat/{session_id}/create-deal")
async def create_deal(
    session_id: str, request: Request, state: State, token: Token = None
) -> JSONResponse:
    session = _session(state, session_id, token)
    try:
        body = parse_json(await request.body())
    except BodyNotJson as error:
        raise WindowError(400, str(error)) from None
    if not isinstance(body, dict):
        raise WindowError(400, "the body must be a JSON object")
    chat = _open_chat(state, session, body.get("chatType"), body.get("chatId"))
    if not webhook_mode(state, session):
        raise WindowError(
            409,
            "Deals are created by webhooks only when the link has no useDealsEvents and the "
            "account's webhooks subscribe to contactsAndDealsCreation.",
        )
    try:
        return _json(await create_deal_by_webhooks(state, session, chat))
    except DealCreationFailed as error:
        return _json({"step": error.step, "message": f"{error.step}: {error.reason}"}, 502)


def render_page(config: dict[str, Any], nonce: str) -> str:
    # JSON inside <script> must not contain "</script>"; escaping <, > and & rules it out.
    data = json.dumps(config).replace("<", "\\u003c").replace(">", "\\u003e")
    data = data.replace("&", "\\u0026")
    return _template().replace("{{NONCE}}", nonce).replace("{{CONFIG}}", data)


class WindowError(Exception):
    """A refusal of the page's own JSON calls, answered as `{"message": ...}`."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


async def handle_window_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, WindowError)
    return _json({"message": error.message}, error.status)


def _session(state: SandboxState, session_id: str, token: str | None) -> Session:
    session = state.sessions.find(session_id, token)
    if session is None:
        raise WindowError(403, INVALID_LINK)
    return session


def _open_chat(state: SandboxState, session: Session, chat_type: Any, chat_id: Any) -> WindowChat:
    # Only the window's own chats: a link for one chat must not read another's deals.
    chats, _ = window_chats(session, state)
    chat = find_chat(chats, str(chat_type), str(chat_id)) if chat_type and chat_id else None
    if chat is None:
        raise WindowError(404, "This chat is not open in this window.")
    return chat


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status, headers={"Cache-Control": "no-store"})


def _policy(nonce: str) -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
    )


@cache
def _template() -> str:
    return (Path(__file__).parent / "chat_window.html").read_text(encoding="utf-8")
