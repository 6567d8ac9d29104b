"""Wazzup CRUD entities: the documented examples and their limits (wazzup-api.md §3-§6)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.entities import (
    Channel,
    Contact,
    CreateContactRequest,
    CreateDealRequest,
    Deal,
    User,
    WebhookSettings,
)

DEAL_EXAMPLE = {
    "id": "1",
    "responsibleUserId": "id007",
    "name": "Daily Deal Test",
    "uri": "https://crm.example.com/deals/1",
    "contacts": ["111-2e0df379-0e3c-470f-9b36"],
    "closed": False,
}
CONTACT_EXAMPLE = {
    "id": "1",
    "responsibleUserId": "1",
    "name": "Anthony Stone",
    "contactData": [{"chatType": "whatsapp", "chatId": "79998887766"}],
    "uri": "https://crm.example.com/contacts/1",
}


def test_deal_example_round_trips_through_the_wire_form() -> None:
    deal = Deal.model_validate(DEAL_EXAMPLE)

    assert deal.responsible_user_id == "id007"
    assert deal.to_wire() == DEAL_EXAMPLE


def test_deal_with_link_instead_of_uri_takes_it_as_uri() -> None:
    body = {k: v for k, v in DEAL_EXAMPLE.items() if k != "uri"}
    body["link"] = "https://crm.example.com/deals/1"

    assert Deal.model_validate(body).uri == "https://crm.example.com/deals/1"


def test_deal_numeric_ids_become_strings() -> None:
    deal = Deal.model_validate({**DEAL_EXAMPLE, "id": 1, "contacts": [5, "6"]})

    assert deal.id == "1"
    assert deal.contacts == ["5", "6"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", "x" * 101), ("name", "x" * 201), ("uri", "x" * 201), ("contacts", [])],
)
def test_deal_over_its_documented_limits_is_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Deal.model_validate({**DEAL_EXAMPLE, field: value})


def test_contact_example_round_trips_through_the_wire_form() -> None:
    contact = Contact.model_validate(CONTACT_EXAMPLE)

    assert contact.contact_data[0].chat_id == "79998887766"
    assert contact.to_wire() == CONTACT_EXAMPLE


def test_contact_needs_at_least_one_contact_data_entry() -> None:
    with pytest.raises(ValidationError):
        Contact.model_validate({**CONTACT_EXAMPLE, "contactData": []})


def test_contact_data_follows_the_chat_id_rules() -> None:
    with pytest.raises(ValidationError, match="digits only"):
        Contact.model_validate(
            {**CONTACT_EXAMPLE, "contactData": [{"chatType": "whatsapp", "chatId": "+7999"}]}
        )


def test_telegram_contact_may_be_named_by_username_or_phone() -> None:
    contact = Contact.model_validate(
        {
            **CONTACT_EXAMPLE,
            "contactData": [
                {"chatType": "telegram", "username": "my_tg_user"},
                {"chatType": "telegram", "phone": 79011112233},
            ],
        }
    )

    assert contact.contact_data[0].username == "my_tg_user"
    assert contact.contact_data[1].phone == "79011112233"


def test_create_contact_webhook_example_parses() -> None:
    body = {
        "responsibleUserId": "1",
        "name": "Anthony Stone",
        "contactData": [{"chatType": "whatsapp", "chatId": "79998887766"}],
        "source": "byUser",
    }

    assert CreateContactRequest.model_validate(body).to_wire() == body


def test_create_deal_webhook_example_parses() -> None:
    request = CreateDealRequest.model_validate(
        {"responsibleUserId": "1", "contacts": ["1"], "source": "auto"}
    )

    assert (request.contacts, request.source) == (["1"], "auto")


def test_user_phone_is_optional_and_name_required() -> None:
    assert User.model_validate({"id": 7, "name": "Ann"}).id == "7"
    with pytest.raises(ValidationError):
        User.model_validate({"id": "7"})


def test_channel_reads_the_documented_fields() -> None:
    channel = Channel.model_validate(
        {"channelId": "c-1", "transport": "whatsapp", "plainId": "79", "state": "active"}
    )

    assert (channel.channel_id, channel.plain_id) == ("c-1", "79")


def test_webhook_settings_default_every_subscription_to_false() -> None:
    settings = WebhookSettings.model_validate(
        {"webhooksUri": "https://crm.example.com/hook", "subscriptions": {}}
    )

    assert settings.subscriptions.to_wire() == {
        "messagesAndStatuses": False,
        "contactsAndDealsCreation": False,
        "channelsUpdates": False,
        "templateStatus": False,
    }
