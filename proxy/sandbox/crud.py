"""`/v3/users`, `/v3/contacts`, `/v3/deals` (wazzup-api.md §3, §4, §6).

POST an array of at most 100 (upsert by id, all or nothing), GET the list, GET and DELETE
one by id, PATCH `bulk_delete` with at most 100 ids (answers the ids it did not find).
Validation uses the shared `components.entities` models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from components.chat import check_phone_digits
from components.entities import MAX_ENTITIES_PER_REQUEST, Contact, Deal, User
from components.wire import WireModel

from .auth import require_api_key
from .replies import SandboxError, v3_error
from .state import SandboxState, get_state
from .store import EntityTable
from .validation import (
    BodyNotJson,
    FieldProblem,
    describe,
    field_problems,
    parse_json,
    snake_case_keys,
)

State = Annotated[SandboxState, Depends(get_state)]
MAX_USERS = 1000  # [3p] USER_LIMIT_EXCEEDED


@dataclass(frozen=True)
class Kind:
    plural: str
    noun: str
    model: type[WireModel]
    invalid_code: str
    paged: bool
    # Documented as required though the shared model has a default (the client always
    # sends them): the sandbox holds callers to the documented shape.
    required: tuple[str, ...] = ()

    def table(self, state: SandboxState) -> EntityTable[Any]:
        return getattr(state.store, self.plural)


USERS = Kind("users", "user", User, "INVALID_USERS_DATA", paged=False)
CONTACTS = Kind("contacts", "contact", Contact, "INVALID_CONTACTS_DATA", paged=True)
DEALS = Kind("deals", "deal", Deal, "INVALID_DEALS_DATA", paged=True, required=("closed",))


def entity_router(kind: Kind) -> APIRouter:
    router = APIRouter(prefix=f"/v3/{kind.plural}", dependencies=[Depends(require_api_key)])

    @router.post("")
    async def upsert(request: Request, state: State) -> Response:
        items = parse_entities(kind, await request.body())
        if kind is USERS:
            items = check_users(items, state)
        kind.table(state).upsert(items)
        return Response(status_code=200)  # Wazzup answers an upsert with 200 and no body

    @router.get("")
    async def list_all(state: State, offset: str | None = None) -> JSONResponse:
        table = kind.table(state)
        if not kind.paged:
            users = sorted(table.all(), key=lambda user: (user.name.casefold(), user.id))
            return JSONResponse([user.to_wire() for user in users])
        page = table.page(_offset(offset))
        return JSONResponse({"count": len(table), "data": [item.to_wire() for item in page]})

    @router.patch("/bulk_delete")
    async def bulk_delete(request: Request, state: State) -> JSONResponse:
        ids = parse_ids(kind, await request.body())
        return JSONResponse(kind.table(state).delete_many(ids))

    @router.get("/{entity_id}")
    async def get_one(entity_id: str, state: State) -> JSONResponse:
        item = kind.table(state).get(entity_id)
        if item is None:
            raise _not_found(kind, entity_id)
        return JSONResponse(item.to_wire())

    @router.delete("/{entity_id}")
    async def delete_one(entity_id: str, state: State) -> Response:
        if not kind.table(state).delete(entity_id):
            raise _not_found(kind, entity_id)
        return Response(status_code=200)

    return router


def parse_entities(kind: Kind, raw: bytes) -> list[Any]:
    payload = _json_array(kind, raw, f"a JSON array of {kind.plural}")
    invalid: list[tuple[int, list[FieldProblem]]] = []
    items = []
    for index, item in enumerate(payload):
        problems = (
            snake_case_keys(item)
            if isinstance(item, dict)
            else [FieldProblem("", f"each {kind.noun} must be a JSON object")]
        )
        if not problems:
            problems = [
                FieldProblem(key, f"{key} is required") for key in kind.required if key not in item
            ]
        if not problems:
            try:
                items.append(kind.model.model_validate(item))
            except ValidationError as error:
                problems = field_problems(error, item)
        if problems:
            invalid.append((index, problems))
    if invalid:
        raise v3_error(
            400,
            kind.invalid_code,
            "; ".join(
                f"{kind.noun} {index}: {describe(problems)}" for index, problems in invalid[:5]
            ),
            [
                {"index": index, "fields": [p.field for p in problems if p.field]}
                for index, problems in invalid
            ],
        )
    return items


def parse_ids(kind: Kind, raw: bytes) -> list[str]:
    payload = _json_array(kind, raw, f"a JSON array of {kind.noun} ids")
    if not all(isinstance(item, str | int) and not isinstance(item, bool) for item in payload):
        raise v3_error(400, kind.invalid_code, f"the body must be a JSON array of {kind.noun} ids")
    return [str(item) for item in payload]


def check_users(users: list[User], state: SandboxState) -> list[User]:
    """Invalid phones are dropped silently (S-USERS3); duplicate phones are refused."""
    kept = [
        user
        if user.phone is None or _is_phone(user.phone)
        else user.model_copy(update={"phone": None})
        for user in users
    ]
    owners = {u.phone: u.id for u in state.store.users.all() if u.phone}
    for index, user in enumerate(kept):
        if user.phone is None:
            continue
        owner = owners.setdefault(user.phone, user.id)
        if owner != user.id:
            raise v3_error(
                400,
                "DUPLICATE_PHONE_NUMBER",
                f"user {index}: phone {user.phone} already belongs to user '{owner}'",
                [{"index": index, "fields": ["phone"]}],
            )
    known = {user.id for user in state.store.users.all()}
    if len(known | {user.id for user in kept}) > MAX_USERS:
        raise v3_error(400, "USER_LIMIT_EXCEEDED", f"an account holds at most {MAX_USERS} users")
    return kept


def _json_array(kind: Kind, raw: bytes, what: str) -> list[Any]:
    try:
        payload = parse_json(raw)
    except BodyNotJson as error:
        raise v3_error(400, kind.invalid_code, str(error)) from None
    if not isinstance(payload, list):
        raise v3_error(400, kind.invalid_code, f"the body must be {what}")
    if len(payload) > MAX_ENTITIES_PER_REQUEST:
        raise v3_error(
            400,
            "TOO_MANY_ENTITIES",
            f"{len(payload)} {kind.plural} sent; at most {MAX_ENTITIES_PER_REQUEST} per request",
        )
    return payload


def _offset(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    if not raw.isdigit():
        raise v3_error(400, "VALIDATION_FAILED", "offset must be a whole number of 0 or more")
    return int(raw)


def _is_phone(phone: str) -> bool:
    try:
        check_phone_digits(phone)
    except ValueError:
        return False
    return True


def _not_found(kind: Kind, entity_id: str) -> SandboxError:
    return v3_error(404, "NOT_FOUND", f"no {kind.noun} with id {entity_id[:100]!r}")
