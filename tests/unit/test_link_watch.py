"""When the page checks its chat link, and which chat a fresh link reopens."""

from __future__ import annotations

from components.link import ActiveChat, ChatFilter, LinkRequest, LinkUser
from components.link_watch import LinkWatch, refreshed_request


def test_the_periodic_check_waits_its_interval_and_skips_hidden_pages() -> None:
    watch = LinkWatch(now=0, every_s=300)
    assert not watch.due(299)
    assert watch.due(300)
    watch.checked(300)
    assert not watch.due(599)
    watch.hidden(550)
    assert not watch.due(900)  # nobody looks: no requests from background tabs


def test_coming_back_after_a_long_absence_checks_at_once() -> None:
    watch = LinkWatch(now=0, every_s=300, after_hidden_s=60)
    watch.hidden(10)
    assert not watch.shown(30)  # a quick glance elsewhere
    watch.hidden(100)
    watch.hidden(120)  # a second hidden event keeps the first time
    assert watch.shown(170)
    assert not watch.shown(171)  # shown twice: one check


CARD = LinkRequest(
    user=LinkUser(id="7"),
    scope="card",
    filter=[
        ChatFilter(chat_type="whatsapp", chat_id="79998887766"),
        ChatFilter(chat_type="telegram", chat_id="1670185"),
    ],
    active_chat=ActiveChat(chat_type="whatsapp", chat_id="79998887766"),
)


def test_a_fresh_link_reopens_the_chat_last_used() -> None:
    fresh = refreshed_request(CARD, ("telegram", "1670185", "channel-2"))

    assert fresh.active_chat == ActiveChat(
        chat_type="telegram", chat_id="1670185", channel_id="channel-2"
    )
    assert (fresh.user, fresh.scope, fresh.filter) == (CARD.user, CARD.scope, CARD.filter)


def test_a_chat_outside_the_card_or_no_chat_at_all_keeps_the_request() -> None:
    assert refreshed_request(CARD, ("whatsapp", "70000000000", None)) is CARD
    assert refreshed_request(CARD, None) is CARD
    everything = LinkRequest(user=LinkUser(id="7"), scope="global")
    assert refreshed_request(everything, ("vk", "12345", None)).active_chat == ActiveChat(
        chat_type="vk", chat_id="12345"
    )
