"""The v2 partner API's entity uploads: `POST /v2/users`, `/v2/contacts`, `/v2/deals`.

Minimal, as documented (S-USERS2, S-DEALS2, the v2 contacts page): a snake_case body that
wraps at most 100 entities in an object named for them, a client Bearer token, and the
`{data, meta}` answer. What is uploaded lands in the same account as the v3 routes, so the
chat window's Deals dropdown lists it::

    POST /v2/deals {"deals": [{"id": "1", "responsible_user_id": "7", "name": "Deal",
                               "uri": "https://crm.example/deals/1", "contacts": ["c1"],
                               "closed": false}]}
    → 200 {"data": {"processed": 1}, "meta": {"timestamp": 1764849838}}

Errors use the v2 problem envelope (`VALIDATION_FAILED` with class-validator messages).
Only upload is here: the sandbox's own tests and the proxy need nothing more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from components.entities import PartnerContacts, PartnerDeals, PartnerUsers
from components.wire import SnakeWireModel

from .auth import require_partner_token
from .iframe import V2_DETAIL
from .replies import v2_problem
from .state import SandboxState, get_state
from .validation import BodyNotJson, class_validator_messages, parse_json

State = Annotated[SandboxState, Depends(get_state)]

router = APIRouter(prefix="/v2", dependencies=[Depends(require_partner_token)])


def _upload(
    body_model: type[SnakeWireModel], key: str, table: Callable[[SandboxState], Any]
) -> Callable[..., Any]:
    async def upload(request: Request, state: State) -> dict[str, Any]:
        try:
            payload = parse_json(await request.body())
            body = body_model.model_validate(payload)
        except BodyNotJson as error:
            raise v2_problem(request, 400, "VALIDATION_FAILED", V2_DETAIL, [str(error)]) from None
        except ValidationError as error:
            messages = class_validator_messages(error, payload)
            raise v2_problem(request, 400, "VALIDATION_FAILED", V2_DETAIL, messages) from None
        items = [item.to_entity() for item in getattr(body, key)]
        table(state).upsert(items)
        return {"data": {"processed": len(items)}, "meta": {"timestamp": int(time.time())}}

    return upload


router.post("/users")(_upload(PartnerUsers, "users", lambda state: state.store.users))
router.post("/contacts")(_upload(PartnerContacts, "contacts", lambda state: state.store.contacts))
router.post("/deals")(_upload(PartnerDeals, "deals", lambda state: state.store.deals))
