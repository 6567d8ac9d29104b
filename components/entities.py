"""Wazzup CRUD entities: users, contacts, deals, channels, webhooks (wazzup-api.md §3-§6).

The CRM's created deal or contact travels back to Wazzup in these shapes, so the chat
window's Deals dropdown can list it::

    Deal(id="501", responsible_user_id="1", name="Deal #501", contacts=["1"], closed=False)

The v2 partner API takes the same entities in snake_case, wrapped in an object
(`{"deals": [...]}`), with `uri` required and shorter user fields (S-DEALS2, S-USERS2)::

    PartnerDeal.from_entity(deal).to_wire()      # {"id": "501", "responsible_user_id": ...}
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from .chat import ChatFields, ChatType, check_chat_ref
from .wire import SnakeWireModel, WireId, WireModel

MAX_ENTITIES_PER_REQUEST = 100


class User(WireModel):
    id: WireId = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=20)


class ContactData(WireModel):
    chat_type: ChatType
    chat_id: WireId | None = None
    username: str | None = None
    phone: WireId | None = None

    @model_validator(mode="after")
    def _check_ids(self) -> Self:
        check_chat_ref(self.chat_type, self.chat_id, self.username, self.phone)
        return self


class Contact(WireModel):
    id: WireId = Field(min_length=1, max_length=100)
    responsible_user_id: WireId = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    contact_data: list[ContactData] = Field(min_length=1, max_length=20)
    uri: str | None = Field(default=None, max_length=200)


class Deal(WireModel):
    id: WireId = Field(min_length=1, max_length=100)
    responsible_user_id: WireId = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    uri: str | None = Field(default=None, max_length=200)
    contacts: list[WireId] = Field(min_length=1, max_length=100)
    closed: bool = False

    @model_validator(mode="before")
    @classmethod
    def _accept_link_for_uri(cls, data: object) -> object:
        # One docs example sends "link" instead of "uri" (wazzup-api.md §10.9).
        if isinstance(data, dict) and "uri" not in data and "link" in data:
            data = {**data, "uri": data["link"]}
        return data


class Channel(WireModel):
    channel_id: str
    transport: str
    plain_id: str | None = None
    state: str


class WebhookSubscriptions(WireModel):
    messages_and_statuses: bool = False
    contacts_and_deals_creation: bool = False
    channels_updates: bool = False
    template_status: bool = False


class WebhookSettings(WireModel):
    webhooks_uri: str = Field(min_length=1, max_length=200)
    subscriptions: WebhookSubscriptions = WebhookSubscriptions()


class CreateContactRequest(WireModel):
    """Body of the `createContact` webhook: the CRM is asked to create this contact."""

    responsible_user_id: WireId
    name: str = Field(max_length=200)
    contact_data: list[ContactData] = Field(min_length=1)
    source: str = "byUser"


class CreateDealRequest(WireModel):
    """Body of the `createDeal` webhook: the CRM is asked to create a deal for these contacts."""

    responsible_user_id: WireId
    contacts: list[WireId] = Field(min_length=1)
    source: str = "byUser"


# --- v2 partner API (snake_case, wrapped bodies) ------------------------------------------


class _FromEntity(SnakeWireModel):
    """The v2 twin of a v3 entity: the Python field names are the same."""

    @classmethod
    def from_entity(cls, entity: WireModel) -> Self:
        # exclude_none: a missing v2-required field is "Field required", not "not a string".
        return cls.model_validate(entity.model_dump(exclude_none=True))


class PartnerUser(_FromEntity):
    id: WireId = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=150)
    phone: str | None = Field(default=None, max_length=20)

    def to_entity(self) -> User:
        return User.model_validate(self.model_dump())


class PartnerContactData(SnakeWireModel):
    chat_type: ChatType
    chat_id: WireId | None = None
    username: str | None = None
    phone: WireId | None = None

    @model_validator(mode="after")
    def _check_ids(self) -> Self:
        fields = ChatFields("chat_type", "chat_id")
        check_chat_ref(self.chat_type, self.chat_id, self.username, self.phone, fields)
        return self


class PartnerContact(_FromEntity):
    id: WireId = Field(min_length=1, max_length=100)
    responsible_user_id: WireId = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    contact_data: list[PartnerContactData] = Field(min_length=1, max_length=20)
    uri: str = Field(min_length=1, max_length=200)  # required in v2, optional in v3

    def to_entity(self) -> Contact:
        return Contact.model_validate(self.model_dump())


class PartnerDeal(_FromEntity):
    id: WireId = Field(min_length=1, max_length=100)
    responsible_user_id: WireId = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    uri: str = Field(min_length=1, max_length=200)  # required in v2, optional in v3
    contacts: list[WireId] = Field(min_length=1, max_length=100)
    closed: bool

    def to_entity(self) -> Deal:
        return Deal.model_validate(self.model_dump())


class PartnerUsers(SnakeWireModel):
    """`POST /v2/users` body."""

    users: list[PartnerUser] = Field(min_length=1, max_length=MAX_ENTITIES_PER_REQUEST)


class PartnerContacts(SnakeWireModel):
    """`POST /v2/contacts` body."""

    contacts: list[PartnerContact] = Field(min_length=1, max_length=MAX_ENTITIES_PER_REQUEST)


class PartnerDeals(SnakeWireModel):
    """`POST /v2/deals` body."""

    deals: list[PartnerDeal] = Field(min_length=1, max_length=MAX_ENTITIES_PER_REQUEST)
