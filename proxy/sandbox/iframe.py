"""The link routes: `POST /v3/iframe` and `POST /v2/iframe-links/chats` (wazzup-api.md §1, §2).

Both validate with the shared models the client builds its requests from, start a chat
window session holding the normalized `LinkRequest`, and answer with the link to it.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from components.link import (
    LinkRequest,
    LinkResponse,
    PartnerLinkData,
    PartnerLinkRequest,
    PartnerLinkResponse,
    PartnerMeta,
)

from .auth import require_api_key, require_partner_token
from .replies import SandboxError, iframe_error, v2_problem
from .state import SandboxState, get_state
from .validation import (
    BodyNotJson,
    FieldProblem,
    class_validator_messages,
    describe,
    field_problems,
    parse_json,
    snake_case_keys,
)

State = Annotated[SandboxState, Depends(get_state)]

# `LinkRequest` also takes the v2 forms; on the v3 route they are the caller's mistake.
V2_ONLY_KEYS = {
    "user_id": "a v2 partner field; /v3/iframe takes user.id",
    "author_name": "a v2 partner field; /v3/iframe takes user.name",
    "chats": "a v2 partner field; /v3/iframe takes filter",
    "use_events": "a v2 partner field; /v3/iframe takes options.useDealsEvents and "
    "options.useMessageEvents",
    "client_type": "a v2 partner field; /v3/iframe takes options.clientType",
}
V2_DETAIL = "One or more fields did not pass validation."

router = APIRouter()


@router.post("/v3/iframe", dependencies=[Depends(require_api_key)])
async def create_v3_link(request: Request, state: State) -> dict[str, Any]:
    link_request = parse_v3_link_request(await request.body())
    session = state.sessions.create(link_request, api="v3")
    return LinkResponse(url=state.chat_url(session)).to_wire()


@router.post("/v2/iframe-links/chats", dependencies=[Depends(require_partner_token)])
async def create_v2_link(request: Request, state: State) -> dict[str, Any]:
    errors, link_request = parse_v2_link_request(await request.body())
    if link_request is None:
        raise v2_problem(request, 400, "VALIDATION_FAILED", V2_DETAIL, errors)
    session = state.sessions.create(link_request, api="v2")
    answer = PartnerLinkResponse(
        data=PartnerLinkData(link=state.chat_url(session)),
        meta=PartnerMeta(timestamp=int(time.time())),
    )
    return answer.model_dump()


def parse_v3_link_request(raw: bytes) -> LinkRequest:
    try:
        payload = parse_json(raw)
    except BodyNotJson as error:
        raise _validation_failed([FieldProblem("", str(error))]) from None
    if not isinstance(payload, dict):
        raise _validation_failed([FieldProblem("", "the request body must be a JSON object")])
    problems = snake_case_keys(payload, V2_ONLY_KEYS)
    if problems:
        raise _validation_failed(problems)
    try:
        return LinkRequest.model_validate(payload)
    except ValidationError as error:
        raise _validation_failed(field_problems(error, payload)) from None


def parse_v2_link_request(raw: bytes) -> tuple[list[str], LinkRequest | None]:
    """(errors, None) when invalid, else ([], the normalized request)."""
    try:
        payload = parse_json(raw)
    except BodyNotJson as error:
        return [str(error)], None
    try:
        partner = PartnerLinkRequest.model_validate(payload)
    except ValidationError as error:
        return class_validator_messages(error, payload), None
    try:
        return [], partner.to_link_request()
    except ValidationError as error:
        # Only the active chat's ids are first checked here (PartnerActiveChat has no rules).
        active = payload.get("active_chat", payload.get("activeChat"))
        return [f"active_chat: {m}" for m in class_validator_messages(error, active)], None


def _validation_failed(problems: list[FieldProblem]) -> SandboxError:
    return iframe_error(
        "VALIDATION_FAILED", describe(problems), [problem.to_wire() for problem in problems]
    )
