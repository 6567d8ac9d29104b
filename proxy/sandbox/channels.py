"""The sandbox account's channels (wazzup-api.md §6) and `GET /v3/channels`.

Channel ids are uuid5 of the account, so they stay the same across restarts and tests.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from components.entities import Channel

from .auth import require_api_key
from .state import SandboxState, get_state

# Which channel transports carry each chat type; the first one is preferred.
TRANSPORTS: dict[str, tuple[str, ...]] = {
    "whatsapp": ("whatsapp", "wapi"),
    "whatsgroup": ("whatsapp",),
    "telegram": ("tgapi", "telegram"),
    "telegroup": ("tgapi", "telegram"),
    "instagram": ("instagram",),
    "viber": ("viber",),
    "vk": ("vk",),
    "avito": ("avito",),
    "max": ("max", "maxbot"),
    "maxgroup": ("max",),
}


def demo_channels(account_id: str) -> list[Channel]:
    def channel_id(transport: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"wazzup-sandbox:{account_id}:{transport}"))

    return [
        Channel(
            channel_id=channel_id("whatsapp"),
            transport="whatsapp",
            plain_id="79990000001",
            state="active",
        ),
        Channel(
            channel_id=channel_id("tgapi"),
            transport="tgapi",
            plain_id="79990000002",
            state="active",
        ),
    ]


def channel_for(chat_type: str, channels: list[Channel]) -> str:
    """The first channel of a transport that carries chat_type, else the first channel."""
    for transport in TRANSPORTS.get(chat_type, ()):
        for channel in channels:
            if channel.transport == transport:
                return channel.channel_id
    return channels[0].channel_id


router = APIRouter(dependencies=[Depends(require_api_key)])


@router.get("/v3/channels")
async def list_channels(state: Annotated[SandboxState, Depends(get_state)]) -> list[dict]:
    return [channel.to_wire() for channel in state.channels]
