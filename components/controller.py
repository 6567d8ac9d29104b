"""The page's behaviour, free of the DOM: messages in, records out, results shown.

    controller = Controller(config, outbox, send, view)
    controller.chat_opened(link.url)
    controller.handle_message(origin, from_chat_window, data)   # from the "message" listener
    await controller.run_delivery()                             # forever, in the background

`view` is whatever shows things (the DOM in main.py, a list in tests).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any, Protocol

from . import bridge
from .config import PageConfig
from .delivery import deliver
from .entities import Contact, Deal
from .errors import DeliveryError, EventRejected
from .events import OpenEntityEvent, WazzupEvent
from .gate import accept_message, origin_of
from .http import AsyncSend, TransportFailure, json_body
from .outbox import Outbox, OutboxEntry
from .records import CrmAnswer, record_from_event
from .render import event_rows

CRM_RELAY_PATH = "/api/crm/records"


class View(Protocol):
    def show_event(self, key: str, event: WazzupEvent, rows: list[tuple[str, str]]) -> None: ...
    def show_rejected(self, reason: str) -> None: ...
    def show_entry(self, entry: OutboxEntry) -> None: ...
    def show_note(self, text: str) -> None: ...
    def open_link(self, url: str) -> None: ...
    def post_to_parent(self, message: dict[str, Any]) -> None: ...


class Controller:
    def __init__(
        self,
        config: PageConfig,
        outbox: Outbox,
        send: AsyncSend,
        view: View,
        *,
        new_receipt_id: Callable[[], str] = lambda: secrets.token_hex(8),
    ) -> None:
        self.config = config
        self.outbox = outbox
        self._send = send
        self._view = view
        self._new_receipt_id = new_receipt_id
        self._expected_origin: str | None = None
        self._wake = asyncio.Event()

    @property
    def crm_target(self) -> str | None:
        if self.config.crm_mode == "off":
            return None
        if self.config.crm_mode == "proxy":
            return f"{self.config.proxy_url}{CRM_RELAY_PATH}"
        return self.config.crm_url

    def chat_opened(self, link_url: str) -> None:
        self._expected_origin = origin_of(link_url)

    def handle_message(self, origin: str, from_chat_window: bool, data: Any) -> bool:
        try:
            event = accept_message(
                origin=origin,
                expected_origin=self._expected_origin,
                from_chat_window=from_chat_window,
                data=data,
            )
        except EventRejected as rejection:
            self._view.show_rejected(rejection.reason)
            self._view.post_to_parent(bridge.rejected_message(rejection.reason))
            return False
        record = record_from_event(event, receipt_id=self._new_receipt_id())
        self._view.show_event(record.idempotency_key, event, event_rows(event))
        self._view.post_to_parent(bridge.event_message(event, record.idempotency_key))
        if isinstance(event, OpenEntityEvent) and event.data.entity.link:
            self._view.open_link(event.data.entity.link)
        if self.crm_target is None:
            return True
        entry = self.outbox.add(record)
        if entry is not None:
            self._show(entry)
            self._wake.set()
        return True

    def retry(self, key: str) -> None:
        self._show(self.outbox.retry(key))
        self._wake.set()

    def discard(self, key: str) -> None:
        self.outbox.discard(key)

    async def run_delivery(self) -> None:
        """Deliver due records one at a time, forever; sleeps until something is due."""
        while True:
            await self.deliver_due()
            wait = self.outbox.next_wake()
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=wait if wait else 3600)
            except TimeoutError:
                pass

    async def deliver_due(self) -> None:
        target = self.crm_target
        if target is None:
            return
        for entry in self.outbox.due():
            await self._deliver(entry, target)

    async def _deliver(self, entry: OutboxEntry, target: str) -> None:
        self._show(self.outbox.sending(entry.key))
        try:
            answer = await deliver(
                entry.record, url=target, send=self._send, timeout=self.config.crm_timeout_s
            )
        except DeliveryError as error:
            self._show(self.outbox.failed(entry.key, error))
            return
        self._show(self.outbox.delivered(entry.key, answer))
        await self._push_to_wazzup(answer)

    async def _push_to_wazzup(self, answer: CrmAnswer) -> None:
        """Send what the CRM created to Wazzup, so the chat window's Deals dropdown shows it."""
        pushes: list[tuple[str, Deal | Contact]] = []
        if answer.contact:
            pushes.append(("/api/contacts", answer.contact))
        if answer.deal:
            pushes.append(("/api/deals", answer.deal))
        for path, entity in pushes:
            noun = "deal" if path.endswith("deals") else "contact"
            try:
                result = await self._send(
                    "POST",
                    f"{self.config.proxy_url}{path}",
                    json_body([entity.to_wire()]),
                    {"Content-Type": "application/json"},
                    15.0,
                )
            except TransportFailure:
                self._view.show_note(f"Could not send {noun} {entity.id} to Wazzup: no answer")
                continue
            if result.ok:
                self._view.show_note(f"Sent {noun} {entity.id} to Wazzup")
            else:
                self._view.show_note(
                    f"Wazzup did not take {noun} {entity.id} (HTTP {result.status})"
                )

    def _show(self, entry: OutboxEntry) -> None:
        self._view.show_entry(entry)
        self._view.post_to_parent(bridge.delivery_message(entry))

