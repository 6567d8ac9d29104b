"""What the sandbox account holds: users, contacts, deals and the webhook settings.

store.deals.upsert([deal])
store.deals.page(offset=100)      # sorted by id, 100 per page, like Wazzup
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, Protocol, TypeVar

from components.entities import Contact, Deal, User, WebhookSettings

PAGE_SIZE = 100


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


E = TypeVar("E", bound=_HasId)


class EntityTable(Generic[E]):
    """Entities by id; upsert replaces the whole entity, as Wazzup's POST does."""

    def __init__(self) -> None:
        self._items: dict[str, E] = {}

    def __len__(self) -> int:
        return len(self._items)

    def upsert(self, items: Iterable[E]) -> None:
        for item in items:
            self._items[item.id] = item

    def get(self, entity_id: str) -> E | None:
        return self._items.get(entity_id)

    def delete(self, entity_id: str) -> bool:
        return self._items.pop(entity_id, None) is not None

    def delete_many(self, entity_ids: Iterable[str]) -> list[str]:
        """Delete what exists; return the ids that were not found."""
        return [entity_id for entity_id in entity_ids if not self.delete(entity_id)]

    def all(self) -> list[E]:
        return [self._items[key] for key in sorted(self._items)]

    def page(self, offset: int) -> list[E]:
        return self.all()[offset : offset + PAGE_SIZE]

    def clear(self) -> None:
        self._items.clear()


class Store:
    def __init__(self) -> None:
        self.users: EntityTable[User] = EntityTable()
        self.contacts: EntityTable[Contact] = EntityTable()
        self.deals: EntityTable[Deal] = EntityTable()
        self.webhooks: WebhookSettings | None = None

    def user_name(self, user_id: str) -> str | None:
        user = self.users.get(user_id)
        return user.name if user else None

    def clear(self) -> None:
        for table in (self.users, self.contacts, self.deals):
            table.clear()
        self.webhooks = None
