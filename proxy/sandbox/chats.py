"""The chats a session's window shows, and the contacts and deals linked to a chat.

Card scope shows the link's `filter`; global scope shows the user's contacts' chats and a
few demo chats. A Telegram chat named only by username or phone gets a stable stand-in
for the id Wazzup would resolve it to, because every event needs a `chatId`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from components.chat import ChatType
from components.entities import Contact, ContactData, Deal
from components.link import ActiveChat

from .channels import channel_for
from .sessions import Session
from .state import SandboxState
from .store import Store


@dataclass(frozen=True)
class WindowChat:
    chat_type: str
    chat_id: str
    channel_id: str
    name: str | None = None
    username: str | None = None
    phone: str | None = None

    def to_page(self) -> dict[str, Any]:
        page = {
            "chatType": self.chat_type,
            "chatId": self.chat_id,
            "channelId": self.channel_id,
            "name": self.name,
            "username": self.username,
            "phone": self.phone,
        }
        return {key: value for key, value in page.items() if value is not None}

    def same_as(self, data: ContactData | ActiveChat) -> bool:
        if data.chat_type != self.chat_type:
            return False
        if data.chat_id is not None and data.chat_id == self.chat_id:
            return True
        if data.username and self.username:
            return data.username.casefold() == self.username.casefold()
        return bool(data.phone and data.phone == self.phone)


# (chatType, chatId, name, username) of the chats a global window shows besides contacts'.
DEMO_CHATS = (
    ("whatsapp", "79990001122", "Anna (demo)", None),
    ("telegram", "1670185301", "Boris (demo)", "demo_boris"),
    ("instagram", "demo.shop", "Demo Shop (demo)", None),
)


def window_chats(session: Session, state: SandboxState) -> tuple[list[WindowChat], int]:
    """The window's chats and the index of the one opened first."""
    request = session.request
    if request.scope == "card":
        chats = _unique(
            [
                _chat(state, f.chat_type, f.chat_id, f.name, f.username, f.phone)
                for f in request.filter or []
            ]
        )
    else:
        chats = _unique(_global_chats(session, state))
    active = request.active_chat
    if active is None or active.chat_type is None:
        return chats, 0
    for index, chat in enumerate(chats):
        if chat.same_as(active):
            if active.channel_id:
                chats[index] = _with_channel(chat, active.channel_id)
            return chats, index
    if request.scope == "global":
        opened = _chat(state, active.chat_type, active.chat_id, None, active.username, active.phone)
        return [_with_channel(opened, active.channel_id), *chats], 0
    return chats, 0


def find_chat(chats: list[WindowChat], chat_type: str, chat_id: str) -> WindowChat | None:
    return next((c for c in chats if c.chat_type == chat_type and c.chat_id == chat_id), None)


def contact_for_chat(store: Store, chat: WindowChat) -> Contact | None:
    return next(iter(_contacts_of(store, chat)), None)


def deals_for_chat(store: Store, chat: WindowChat, user_id: str) -> list[Deal]:
    """Open and closed deals of the chat's contacts in which user_id is responsible (§3)."""
    contact_ids = {contact.id for contact in _contacts_of(store, chat)}
    deals = [
        deal
        for deal in store.deals.all()
        if deal.responsible_user_id == user_id and contact_ids.intersection(deal.contacts)
    ]
    return sorted(deals, key=lambda deal: (deal.closed, deal.id))


def contact_has_chat(contact: Contact, chat: WindowChat) -> bool:
    return any(chat.same_as(data) for data in contact.contact_data)


def stand_in_chat_id(chat_type: str, key: str) -> str:
    """A stable numeric id for a Telegram chat known only by username or phone."""
    digest = hashlib.sha256(f"{chat_type}:{key.casefold()}".encode()).hexdigest()
    return str(1_000_000_000 + int(digest, 16) % 9_000_000_000)


def _contacts_of(store: Store, chat: WindowChat) -> list[Contact]:
    return [contact for contact in store.contacts.all() if contact_has_chat(contact, chat)]


def _global_chats(session: Session, state: SandboxState) -> list[WindowChat]:
    chats = []
    for contact in state.store.contacts.all():
        if contact.responsible_user_id == session.user_id:
            data = contact.contact_data[0]
            chats.append(
                _chat(state, data.chat_type, data.chat_id, contact.name, data.username, data.phone)
            )
    for chat_type, chat_id, name, username in DEMO_CHATS:
        chats.append(_chat(state, ChatType(chat_type), chat_id, name, username, None))
    return chats[:50]


def _chat(
    state: SandboxState,
    chat_type: ChatType,
    chat_id: str | None,
    name: str | None,
    username: str | None,
    phone: str | None,
) -> WindowChat:
    if chat_id is None:
        chat_id = stand_in_chat_id(chat_type, username or phone or "")
    chat = WindowChat(
        chat_type=str(chat_type),
        chat_id=chat_id,
        channel_id=channel_for(chat_type, state.channels),
        name=name,
        username=username,
        phone=phone,
    )
    if chat.name is None:
        contact = contact_for_chat(state.store, chat)
        if contact is not None:
            chat = replace(chat, name=contact.name)
    return chat


def _with_channel(chat: WindowChat, channel_id: str | None) -> WindowChat:
    if not channel_id:
        return chat
    return replace(chat, channel_id=channel_id)


def _unique(chats: list[WindowChat]) -> list[WindowChat]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for chat in chats:
        if (chat.chat_type, chat.chat_id) not in seen:
            seen.add((chat.chat_type, chat.chat_id))
            unique.append(chat)
    return unique
