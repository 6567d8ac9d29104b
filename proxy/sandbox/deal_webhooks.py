"""The "+" of the Deals dropdown in webhook mode (wazzup-api.md §5).

If no contact has the chat, Wazzup POSTs `{"createContact": ...}` and stores the contact the
CRM answers; then it POSTs `{"createDeal": ...}` for that contact and stores the deal::

    result = await create_deal_by_webhooks(state, session, chat)
    result["deal"]["id"]
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from components.entities import (
    Contact,
    ContactData,
    CreateContactRequest,
    CreateDealRequest,
    Deal,
)
from components.wire import WireModel

from .chats import WindowChat, contact_for_chat, contact_has_chat
from .outbound import WebhookFailed
from .sessions import Session
from .state import SandboxState
from .validation import describe, field_problems, snake_case_keys

M = TypeVar("M", bound=WireModel)


class DealCreationFailed(Exception):
    def __init__(self, step: str, reason: str) -> None:
        self.step = step
        self.reason = reason
        super().__init__(f"{step}: {reason}")


def webhook_mode(state: SandboxState, session: Session) -> bool:
    """Deals are created by webhooks when the link has no deal events but the account
    subscribed to contactsAndDealsCreation."""
    hooks = state.store.webhooks
    return (
        not session.request.use_deals_events
        and hooks is not None
        and hooks.subscriptions.contacts_and_deals_creation
    )


async def create_deal_by_webhooks(
    state: SandboxState, session: Session, chat: WindowChat
) -> dict[str, Any]:
    hooks = state.store.webhooks
    assert hooks is not None  # checked by webhook_mode
    contact = contact_for_chat(state.store, chat)
    contact_created = contact is None
    if contact is None:
        ask = CreateContactRequest(
            responsible_user_id=session.user_id,
            # Wazzup's rule for contacts it creates: the chat's name, else its id (§1).
            name=chat.name or chat.chat_id,
            contact_data=[
                ContactData(chat_type=chat.chat_type, chat_id=chat.chat_id, username=chat.username)
            ],
        )
        contact = await _ask(state, hooks.webhooks_uri, "createContact", ask, Contact)
        state.store.contacts.upsert([contact])
    ask_deal = CreateDealRequest(responsible_user_id=session.user_id, contacts=[contact.id])
    deal = await _ask(state, hooks.webhooks_uri, "createDeal", ask_deal, Deal)
    state.store.deals.upsert([deal])
    return {
        "contactCreated": contact_created,
        "contact": contact.to_wire(),
        "deal": deal.to_wire(),
        "warnings": _warnings(session, chat, contact, deal),
    }


async def _ask(state: SandboxState, uri: str, key: str, ask: WireModel, model: type[M]) -> M:
    try:
        answer = await state.webhooks.post(uri, {key: ask.to_wire()})
    except WebhookFailed as error:
        raise DealCreationFailed(key, error.reason) from None
    if answer.status_code != 200:
        raise DealCreationFailed(key, f"the CRM answered HTTP {answer.status_code}, not 200")
    try:
        body = answer.json()
    except ValueError:
        raise DealCreationFailed(key, "the CRM's answer is not JSON") from None
    # The docs do not say whether the entity comes bare or in a one-element array (§10.12).
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    problems = snake_case_keys(body) if isinstance(body, dict) else []
    if not problems:
        try:
            return model.model_validate(body)
        except ValidationError as error:
            problems = field_problems(error, body)
    noun = model.__name__.lower()
    raise DealCreationFailed(key, f"the CRM's answer is not a {noun}: {describe(problems)}")


def _warnings(session: Session, chat: WindowChat, contact: Contact, deal: Deal) -> list[str]:
    """Answers Wazzup would store, but whose deal this window's dropdown would not show."""
    warnings = []
    if not contact_has_chat(contact, chat):
        warnings.append(f"contact {contact.id} does not list this chat in contactData")
    if contact.id not in deal.contacts:
        warnings.append(f"deal {deal.id} does not list contact {contact.id}")
    if deal.responsible_user_id != session.user_id:
        warnings.append(f"deal {deal.id} belongs to user {deal.responsible_user_id}, not this one")
    return warnings
