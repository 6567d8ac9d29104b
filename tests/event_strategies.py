"""Hypothesis strategies for the chat window's messages, shared by the tests of the code that
reads them (components/events.py) and builds records from them (components/records.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from components.chat import ChatType

EVENT_TYPES = ["WZ_CREATE_ENTITY", "WZ_OPEN_ENTITY", "WZ_OUTPUT_MESSAGE"]


def _ids(max_size: int) -> st.SearchStrategy[object]:
    return st.one_of(
        st.text(min_size=1, max_size=max_size), st.integers(min_value=0, max_value=10**15)
    )


@st.composite
def wazzup_events(draw: st.DrawFn) -> dict:
    """Valid window messages of the three kinds, with fields up to their limits."""
    data: dict[str, object] = {
        "chatType": draw(st.sampled_from([t.value for t in ChatType])),
        "chatId": draw(_ids(200)),
        "userId": draw(_ids(200)),
    }
    for name, limit in (("channelId", 100), ("integrationId", 100)):
        if draw(st.booleans()):
            data[name] = draw(_ids(limit))
    kind = draw(st.sampled_from(EVENT_TYPES))
    if kind == "WZ_OPEN_ENTITY":
        data["entity"] = {
            "id": draw(_ids(100)),
            "name": draw(st.none() | st.text(max_size=200)),
            "link": draw(st.sampled_from([None, "#", "https://crm.example/deal/1"])),
            "closed": draw(st.booleans()),
        }
    if kind == "WZ_OUTPUT_MESSAGE":
        data["name"] = draw(st.none() | st.text(max_size=200))
        data["telephone"] = draw(st.none() | _ids(40))
    return {"type": kind, "data": data}


@st.composite
def window_messages(draw: st.DrawFn) -> Any:
    """Anything a window may post: valid events, events with one field broken, and junk."""
    junk = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=12,
    )
    message = draw(wazzup_events())
    how = draw(st.sampled_from(["valid", "field", "data-as-text", "type", "junk"]))
    if how == "field":
        field = draw(st.sampled_from(sorted(message["data"])))
        message["data"][field] = draw(junk)
    elif how == "data-as-text":
        import json

        message["data"] = json.dumps(message["data"])
    elif how == "type":
        message["type"] = draw(st.sampled_from([None, "wz_create_entity", "OTHER", 7]))
    elif how == "junk":
        return draw(junk)
    return message
