"""Test and demo controls under `/_sandbox` (mounted only with `enable_test_routes`).

    POST   /_sandbox/faults   queue a canned answer for a path (see faults.py)
    GET    /_sandbox/faults   the faults still pending
    DELETE /_sandbox/faults   drop them all
    POST   /_sandbox/links/expire  {"userId": "7"} (or {} for all): end chat links now
    GET    /_sandbox/state    how much the account holds (counts only, no secrets)
    DELETE /_sandbox/state    forget everything: entities, sessions, faults, limits; webhook
                              settings go back to SandboxSettings.webhooks

No auth: these routes exist only in a sandbox started for tests or a local demo.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from .faults import Fault
from .replies import v3_error
from .state import SandboxState, get_state
from .validation import BodyNotJson, describe, field_problems, parse_json

State = Annotated[SandboxState, Depends(get_state)]

router = APIRouter(prefix="/_sandbox")


@router.post("/faults", status_code=201)
async def add_fault(request: Request, state: State) -> dict[str, Any]:
    try:
        payload = parse_json(await request.body())
        fault = Fault.model_validate(payload)
    except BodyNotJson as error:
        raise v3_error(400, "VALIDATION_FAILED", str(error)) from None
    except ValidationError as error:
        raise v3_error(400, "VALIDATION_FAILED", describe(field_problems(error, payload))) from None
    state.faults.add(fault)
    return {"pending": len(state.faults)}


@router.post("/links/expire")
async def expire_links(request: Request, state: State) -> dict[str, Any]:
    try:
        payload = parse_json(await request.body() or b"{}")
    except BodyNotJson as error:
        raise v3_error(400, "VALIDATION_FAILED", str(error)) from None
    user_id = payload.get("userId") if isinstance(payload, dict) else None
    if user_id is not None and not isinstance(user_id, str):
        raise v3_error(400, "VALIDATION_FAILED", "userId must be a string")
    return {"expired": state.sessions.expire(user_id)}


@router.get("/faults")
async def list_faults(state: State) -> dict[str, Any]:
    return {"faults": state.faults.pending()}


@router.delete("/faults")
async def clear_faults(state: State) -> dict[str, Any]:
    return {"cleared": state.faults.clear()}


@router.get("/state")
async def show_state(state: State) -> dict[str, Any]:
    store = state.store
    hooks = store.webhooks
    return {
        "users": len(store.users),
        "contacts": len(store.contacts),
        "deals": len(store.deals),
        "sessions": len(state.sessions),
        "faults": len(state.faults),
        # The address is left out: Wazzup advises keeping a secret in it.
        "webhooks": {
            "configured": hooks is not None,
            "subscriptions": hooks.subscriptions.to_wire() if hooks else None,
        },
    }


@router.delete("/state")
async def reset_state(state: State) -> dict[str, Any]:
    state.reset()
    return {"reset": True}
