"""Base models for every shape that crosses a process boundary.

Python code is snake_case; camelCase exists only on the wire::

    class Chat(WireModel):
        chat_type: str          # "chatType" on the wire, chat_type in Python

    Chat.model_validate({"chatType": "whatsapp"}).model_dump(by_alias=True)

The v2 partner API is snake_case on the wire, so it has its own base, `SnakeWireModel`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; accepts both on input."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="ignore",
        frozen=True,
        # Built on first use, not at import: the page loads dozens of models and uses a few at
        # start (issue 6); main.py builds the rest once the page is ready (`build_now`).
        defer_build=True,
    )

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class SnakeWireModel(BaseModel):
    """snake_case on the wire (Wazzup's v2 partner API)."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, mode="json")


def build_now(*modules: Any) -> int:
    """Build the deferred models of `modules` now, at an idle moment, not on first use."""
    built = 0
    for module in modules:
        for value in vars(module).values():
            is_model = isinstance(value, type) and issubclass(value, BaseModel)
            own = is_model and value.__module__ == module.__name__  # not imported ones
            if own and not value.__pydantic_complete__:
                built += bool(value.model_rebuild())
    return built


def _id_to_str(value: Any) -> Any:
    # Wazzup documents ids as Number but its examples are strings ("test_id"): take both.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    return value


WireId = Annotated[str, BeforeValidator(_id_to_str)]
"""An id that may arrive as a JSON number or string, kept as a string."""
