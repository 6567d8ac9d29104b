"""When to ask whether the chat link still works, and what to ask for when it does not.

Wazzup's chat window lives in a cross-origin iframe: the page cannot see it refuse an expired
link. So it asks the proxy (`POST /api/link/check`) now and then, and at once when the person
comes back to a tab that was hidden for a while (the usual way a link gets old)::

    watch = LinkWatch(now, every_s=300)
    watch.due(now)            # the periodic check is due (the page is visible)
    watch.shown(now)          # True: back after a long absence, check now
    fresh = refreshed_request(config.link_request, last_chat)   # the same chat, reopened

Plain Python: no pydantic until a refresh actually happens.
"""

from __future__ import annotations

from typing import Any

CHECK_AFTER_HIDDEN_S = 60.0


class LinkWatch:
    def __init__(self, now: float, every_s: float, after_hidden_s: float = CHECK_AFTER_HIDDEN_S):
        self.every_s = every_s
        self.after_hidden_s = after_hidden_s
        self.last_check = now
        self.hidden_since: float | None = None

    def due(self, now: float) -> bool:
        return self.hidden_since is None and now - self.last_check >= self.every_s

    def hidden(self, now: float) -> None:
        if self.hidden_since is None:
            self.hidden_since = now

    def shown(self, now: float) -> bool:
        """The page is visible again: True when it was away long enough to check at once."""
        away, self.hidden_since = self.hidden_since, None
        return away is not None and now - away >= self.after_hidden_s

    def checked(self, now: float) -> None:
        self.last_check = now


def refreshed_request(request: Any, last_chat: tuple[str, str, str | None] | None) -> Any:
    """The link request to reopen: the same one, focused on the chat the person last used
    (chatType, chatId, channelId from its last event), when the window may show it."""
    if last_chat is None:
        return request
    chat_type, chat_id, channel = last_chat
    if request.scope == "card" and not any(
        (chat.chat_type, chat.chat_id) == (chat_type, chat_id) for chat in request.filter or []
    ):
        return request
    from .link import ActiveChat  # pydantic: loaded by the time a link needs refreshing

    active = ActiveChat(channel_id=channel, chat_type=chat_type, chat_id=chat_id)
    return request.model_copy(update={"active_chat": active})
