"""Wazzup CRUD entities: users, contacts, deals, channels, webhooks (wazzup-api.md §3-§6).

The CRM's created deal or contact travels back to Wazzup in these shapes, so the chat
window's Deals dropdown can list it::

    Deal(id="501", responsible_user_id="1", name="Deal #501", contacts=["1"], closed=False)
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from .chat import ChatType
from .link import check_chat_ref
from .wire import WireId, WireModel

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
