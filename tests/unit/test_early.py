"""The inbox that keeps the chat window's messages until the controller exists."""

from __future__ import annotations

from components.early import EarlyInbox


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def handle_message(self, origin, from_chat_window, data) -> None:
        self.seen.append((origin, from_chat_window, data))


def test_early_messages_reach_the_controller_in_order_then_go_straight_through() -> None:
    inbox, controller = EarlyInbox(), Recorder()
    inbox.handle_message("https://chat", True, "one")
    inbox.handle_message("https://evil", False, None)

    assert inbox.hand_over(controller) == 0
    inbox.handle_message("https://chat", True, "two")

    assert [data for _, _, data in controller.seen] == ["one", None, "two"]
    assert inbox.pending == []


def test_a_flood_before_the_page_is_ready_is_capped_and_counted() -> None:
    inbox, controller = EarlyInbox(limit=3), Recorder()
    for n in range(5):
        inbox.handle_message("https://chat", True, str(n))

    assert inbox.hand_over(controller) == 2
    assert [data for _, _, data in controller.seen] == ["0", "1", "2"]
