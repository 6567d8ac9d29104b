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
    PartnerContact,
    PartnerContacts,
    PartnerDeal,
    PartnerDeals,
    PartnerUser,
    PartnerUsers,
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


# --- documented lengths (§3, §4, §6) --------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "example", "field", "limit"),
    [
        (User, {"id": "1", "name": "A"}, "id", 200),
        (User, {"id": "1", "name": "A"}, "name", 200),
        (Contact, CONTACT_EXAMPLE, "id", 100),
        (Contact, CONTACT_EXAMPLE, "responsibleUserId", 100),
        (Contact, CONTACT_EXAMPLE, "name", 200),
        (Contact, CONTACT_EXAMPLE, "uri", 200),
        (Deal, DEAL_EXAMPLE, "id", 100),
        (Deal, DEAL_EXAMPLE, "name", 200),
        (Deal, DEAL_EXAMPLE, "uri", 200),
        (WebhookSettings, {"webhooksUri": "https://x"}, "webhooksUri", 200),
    ],
)
def test_documented_string_lengths_are_the_limits(
    model: type, example: dict, field: str, limit: int
) -> None:
    model.model_validate({**example, field: "x" * limit})
    with pytest.raises(ValidationError, match=f"at most {limit} characters"):
        model.model_validate({**example, field: "x" * (limit + 1)})


# --- the v2 partner twins -------------------------------------------------------------------


def test_v2_deal_is_the_v3_deal_in_snake_case() -> None:
    deal = Deal.model_validate(DEAL_EXAMPLE)

    partner = PartnerDeal.from_entity(deal)

    assert partner.to_wire() == {
        "id": "1",
        "responsible_user_id": "id007",
        "name": "Daily Deal Test",
        "uri": "https://crm.example.com/deals/1",
        "contacts": ["111-2e0df379-0e3c-470f-9b36"],
        "closed": False,
    }
    assert partner.to_entity() == deal


def test_v2_contact_is_the_v3_contact_in_snake_case() -> None:
    contact = Contact.model_validate(CONTACT_EXAMPLE)

    partner = PartnerContact.from_entity(contact)

    assert partner.to_wire()["contact_data"] == [
        {"chat_type": "whatsapp", "chat_id": "79998887766"}
    ]
    assert partner.to_entity() == contact


@pytest.mark.parametrize("model", [PartnerDeal, PartnerContact])
def test_v2_requires_the_uri_that_v3_makes_optional(model: type) -> None:
    example = DEAL_EXAMPLE if model is PartnerDeal else CONTACT_EXAMPLE
    entity = (Deal if model is PartnerDeal else Contact).model_validate(
        {k: v for k, v in example.items() if k != "uri"}
    )

    with pytest.raises(ValidationError, match="uri\n  Field required"):
        model.from_entity(entity)


def test_v2_users_are_shorter_than_v3_users() -> None:
    PartnerUser.from_entity(User(id="u" * 64, name="n" * 150))
    with pytest.raises(ValidationError, match="at most 64"):
        PartnerUser.from_entity(User(id="u" * 65, name="A"))
    with pytest.raises(ValidationError, match="at most 150"):
        PartnerUser.from_entity(User(id="1", name="n" * 151))


def test_v2_bodies_wrap_at_most_one_hundred_entities() -> None:
    user = {"id": "1", "name": "A"}

    assert PartnerUsers.model_validate({"users": [user] * 100}).to_wire()["users"][0] == user
    with pytest.raises(ValidationError, match="at most 100 items"):
        PartnerUsers.model_validate({"users": [user] * 101})


def test_v2_contact_data_names_its_fields_in_snake_case() -> None:
    with pytest.raises(ValidationError, match="chat_id of a whatsapp chat"):
        PartnerContacts.model_validate(
            {
                "contacts": [
                    {
                        "id": "1",
                        "responsible_user_id": "1",
                        "name": "A",
                        "uri": "https://x",
                        "contact_data": [{"chat_type": "whatsapp", "chat_id": "+7"}],
                    }
                ]
            }
        )
    PartnerDeals.model_validate({"deals": [PartnerDeal.from_entity(Deal(**DEAL_EXAMPLE))]})
