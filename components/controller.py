"""The page's behaviour, free of the DOM: messages in, records out, results shown.

    controller = Controller(config, outbox, send, view, lock=web_lock)
    controller.chat_opened(link.url)
    controller.handle_message(origin, from_chat_window, data)   # from the "message" listener
    await controller.run_delivery()                             # forever, in the background

`view` is whatever shows things (the DOM in main.py, a list in tests). `lock(name)` is an
async context manager yielding whether this tab got the lock: the browser's Web Locks, shared
by every tab of the origin, so two tabs never send the same record at the same time; tests
pass a fake.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any, Protocol

from . import bridge
from .config import PageConfig
from .delivery import Delivered, deliver, deliver_body
from .entities import Contact, Deal
from .errors import DeliveryError, EventRejected, TransientDelivery
from .events import OpenEntityEvent, WazzupEvent, parse_event
from .gate import accept_message, origin_of
from .http import AsyncSend, TransportFailure, json_body
from .outbox import PREFIX, Outbox, OutboxEntry
from .records import CrmAnswer, CrmRecord, keyed_by_receipt, record_wire
from .render import event_rows

CRM_RELAY_PATH = "/api/crm/records"
LOCK_PREFIX = "wz-deliver:"
MIN_WAIT_S = 0.1  # never spin: an entry due "now" may be locked by another tab
IDLE_WAIT_S = 15.0  # look again now and then: a tab that closed mid-send left work behind
RESCAN_S = 10.0  # how old the outbox's last full scan of the storage may get

DeliveryLock = Callable[[str], AbstractAsyncContextManager[bool]]


def start_now(coroutine: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
    """A task that runs its first steps now, in the caller, up to its first real wait (an
    eager task): the CRM request leaves inside the event's handler, not one turn later.
    Python 3.11 has no eager tasks: there it starts on the next turn."""
    if sys.version_info >= (3, 12):
        return asyncio.Task(coroutine, loop=asyncio.get_event_loop(), eager_start=True)
    return asyncio.ensure_future(coroutine)


@asynccontextmanager
async def only_this_tab(name: str) -> AsyncIterator[bool]:
    """The lock where no shared one exists (CPython, browsers without Web Locks)."""
    yield True


class View(Protocol):
    def show_event(self, key: str, event: WazzupEvent, rows: list[tuple[str, str]]) -> None: ...
    def show_rejected(self, reason: str) -> None: ...
    def show_entry(self, entry: OutboxEntry) -> None: ...
    def forget_entry(self, key: str) -> None: ...
    def show_note(self, text: str) -> None: ...
    def open_link(self, url: str) -> None: ...
    def post_to_parent(self, message: dict[str, Any]) -> None: ...


# A made-up event, for `rehearse_event_path`: Wazzup's own fields, no real chat.
REHEARSAL_MESSAGE = (
    '{"type": "WZ_CREATE_ENTITY", "data": {"chatType": "whatsapp", "chatId": "0", "userId": "0"}}'
)


def rehearse_event_path() -> None:
    """Take a made-up event through the steps of a real one that have no effect (validate it,
    write its record out, build the record's model and outbox entry, its rows). The page does
    this once it is ready, in idle time: the first real event would otherwise set all that up
    on its way to the CRM (bench: the first event's request left after 9.8 ms, now 1.8)."""
    event = parse_event(REHEARSAL_MESSAGE)
    wire = record_wire(event, receipt_id="0")
    json_body(wire)
    OutboxEntry(record=CrmRecord.model_validate(wire), status="sending").model_dump_json()
    event_rows(event)


class Controller:
    def __init__(
        self,
        config: PageConfig,
        outbox: Outbox,
        send: AsyncSend,
        view: View,
        *,
        # Tells two identical clicks apart; it need not be secret (os.urandom is a call into
        # JavaScript on the page, slower at times: bench, event handling).
        new_receipt_id: Callable[[], str] = lambda: f"{random.getrandbits(64):016x}",
        lock: DeliveryLock = only_this_tab,
        send_at_once: bool = False,
    ) -> None:
        """`send_at_once` (the page sets it): a new record goes to the CRM straight from the
        event, not through the delivery loop; only when the outbox leaves a fresh "sending"
        entry of another tab alone for a while (`Outbox(stale_sending_s=...)`, main.py), which
        keeps tabs apart while no lock is held yet. Without it, a new record waits for the
        loop."""
        self.config = config
        self.outbox = outbox
        self._send_at_once = send_at_once
        self._first_attempts: set[asyncio.Future[None]] = set()
        self.last_chat: tuple[str, str, str | None] | None = None  # a link refresh reopens it
        self._send = send
        self._view = view
        self._new_receipt_id = new_receipt_id
        self._lock = lock
        # Records may wait on backoff from before (another tab, a previous page): the first
        # success hurries them along, and so does each success after a failure.
        self._hurry_on_success = True
        self._pushed: dict[str, bytes] = {}  # what Wazzup already has, by path and id
        self._expected_origin: str | None = None
        self._wake = asyncio.Event()
        # Pushes to Wazzup run beside the delivery loop, in order, so the next record's
        # CRM request never waits for the previous record's push round trip.
        self._to_push: list[CrmAnswer] = []
        self._pusher: asyncio.Future[None] | None = None

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
        wire = record_wire(event, receipt_id=self._new_receipt_id())
        key = wire["idempotencyKey"]
        self.last_chat = (event.data.chat_type, event.data.chat_id, event.data.channel_id)
        entry, request, not_kept = None, None, None
        if self.crm_target is not None:
            entry, request, not_kept = self._keep(key, wire, self.crm_target)
        if request is not None:  # first, so a failure to show the event cannot orphan it
            self._follow(entry, request)
        self._view.show_event(key, event, event_rows(event))
        self._view.post_to_parent(bridge.event_message(event, key))
        if isinstance(event, OpenEntityEvent) and event.data.entity.link:
            self._view.open_link(event.data.entity.link)
        if not_kept is not None:
            self._view.show_note(not_kept)
        if entry is not None:
            self._show(entry)
        return True

    def _follow(self, entry: OutboxEntry | None, request: asyncio.Future[Delivered]) -> None:
        """See a first request through: its lock is asked for once the request is on its way
        and held until the answer, so no other tab sends it meanwhile."""
        if entry is None:  # not kept: nothing to record of the answer
            request.add_done_callback(lambda done: done.cancelled() or done.exception())
            return
        lock = self._lock(LOCK_PREFIX + entry.key)
        attempt = asyncio.ensure_future(self._first_attempt(entry, request, lock))
        self._first_attempts.add(attempt)
        attempt.add_done_callback(self._first_attempts.discard)

    def _keep(
        self, key: str, wire: dict[str, Any], target: str
    ) -> tuple[OutboxEntry | None, asyncio.Future[Delivered] | None, str | None]:
        """Store a new record (`wire`: its wire form) and, with `send_at_once`, send it: (its
        entry or None when it is there already, its first request or None, a note when it
        could not be stored)."""
        request = None
        # A key holding this event's fresh receipt id is in no outbox: no storage read before
        # the request then (bench: event handling); a contact's key may be there already.
        fresh = keyed_by_receipt(wire["kind"])
        if self._send_at_once and (fresh or self.outbox.get(key) is None):
            # The request leaves now, inside the event's handler, and the record is stored
            # right after, in the same turn: nothing runs between the two, so a reload or a
            # crash finds it stored, "sending", for the delivery loop of this tab or another
            # one, after the grace. Sent as written, before the model is built (bench: the
            # model and the storage were most of the time from the event to the request).
            send = deliver_body(
                key, json_body(wire), url=target, send=self._send, timeout=self.config.crm_timeout_s
            )
            request = start_now(send)
        try:
            entry = self.outbox.add(CrmRecord.model_validate(wire), claimed=self._send_at_once)
        except Exception as error:  # storage full or blocked: never lose it without a word
            sent = " (sent once, not retried)" if request is not None else ""
            return (
                None,
                request,
                f"Could not keep the CRM record of this event{sent}: {error!r}"[:300],
            )
        if entry is not None and not self._send_at_once:
            self._wake.set()  # the delivery loop sends it
        return entry, request, None

    def retry(self, key: str) -> None:
        self._show(self.outbox.retry(key))
        self._wake.set()

    def discard(self, key: str) -> None:
        self.outbox.discard(key)
        self._view.forget_entry(key)

    def retry_now(self) -> None:
        """The browser is back online: try the waiting records now."""
        self.outbox.hurry()
        self._wake.set()

    def storage_changed(self, name: str | None) -> None:
        """Another tab wrote to the shared storage (the "storage" event): show its change."""
        if name is None or not name.startswith(PREFIX):
            return
        key = name.removeprefix(PREFIX)
        entry = self.outbox.get(key)
        if entry is None:
            self._view.forget_entry(key)
        else:
            self._view.show_entry(entry)

    async def run_delivery(self) -> None:
        """Deliver due records one at a time, forever; sleeps until something is due."""
        while True:
            # Cleared before the work, not after: a record added while a delivery is under
            # way must not lose its wake-up (it used to wait out MIN_WAIT_S: bench p99 160 ms).
            self._wake.clear()
            try:
                await self.deliver_due(wait_for_pushes=False)
                if self._wake.is_set():
                    continue
                # Off the hot path: find what other tabs left without telling us.
                self.outbox.rescan(older_than_s=RESCAN_S)
            except Exception as error:  # the loop must outlive any one failure (full storage…)
                self._view.show_note(f"Delivery paused by an error: {error!r}"[:300])
            wait = self.outbox.next_wake()
            timeout = IDLE_WAIT_S if wait is None else min(IDLE_WAIT_S, max(MIN_WAIT_S, wait))
            # asyncio.timeout, not wait_for: wait_for of Python 3.11 can swallow a cancel.
            with suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def deliver_due(self, *, wait_for_pushes: bool = True) -> None:
        """Deliver every due record, one at a time. `wait_for_pushes`: return only once what
        the CRM created has been pushed to Wazzup too (the loop does not wait)."""
        target = self.crm_target
        if target is None:
            return
        try:
            await self._deliver_due(target)
        finally:
            if wait_for_pushes and self._pusher is not None:
                await self._pusher

    async def _deliver_due(self, target: str) -> None:
        due = self.outbox.due()
        for entry in due:
            async with self._lock(LOCK_PREFIX + entry.key) as held:
                if not held:
                    continue  # another tab is sending it right now
                # Read it again inside the lock: another tab may have delivered it meanwhile.
                claimed = self.outbox.claim(entry.key)
                if claimed is not None:
                    await self._deliver(claimed, target)

    async def _first_attempt(
        self,
        entry: OutboxEntry,
        request: Awaitable[Delivered],
        lock: AbstractAsyncContextManager[bool],
    ) -> None:
        """A new record's first request, sent before its lock was asked for (`handle_message`)."""
        try:
            await self._settle(entry, request)
        finally:
            async with lock:
                pass
            self._wake.set()  # a failure left it queued: the loop schedules the retry

    async def _deliver(self, entry: OutboxEntry, target: str) -> None:
        self._show(entry)
        timeout = self.config.crm_timeout_s
        await self._settle(
            entry, deliver(entry.record, url=target, send=self._send, timeout=timeout)
        )

    async def _settle(self, entry: OutboxEntry, request: Awaitable[Delivered]) -> None:
        """Wait for a record's request and store and show how it ended."""
        try:
            delivered = await request
        except DeliveryError as error:
            self._show(self.outbox.failed(entry.key, error))
            self._hurry_on_success = True
            return
        except Exception as error:  # a bug of ours: keep the record, retry it, say so
            reason = f"page error: {error!r}"[:300]
            self._show(self.outbox.failed(entry.key, TransientDelivery(reason)))
            return
        self._show(self.outbox.delivered(entry.key, delivered.answer, delivered.note))
        if self._hurry_on_success:  # the CRM answers again: no one need wait out a backoff
            self._hurry_on_success = False
            self.outbox.hurry()
        if delivered.answer.contact or delivered.answer.deal:
            self._to_push.append(delivered.answer)
            if self._pusher is None or self._pusher.done():
                self._pusher = asyncio.ensure_future(self._push_all())

    async def _push_all(self) -> None:
        while self._to_push:
            answer = self._to_push.pop(0)
            try:
                await self._push_to_wazzup(answer)
            except Exception as error:  # a bug of ours must not stop the pushes after it
                self._view.show_note(f"Could not push to Wazzup: {error!r}"[:300])

    async def _push_to_wazzup(self, answer: CrmAnswer) -> None:
        """Send what the CRM created to Wazzup, so the chat window's Deals dropdown shows it."""
        pushes: list[tuple[str, Deal | Contact]] = []
        if answer.contact:
            pushes.append(("/api/contacts", answer.contact))
        if answer.deal:
            pushes.append(("/api/deals", answer.deal))
        for path, entity in pushes:
            noun = "deal" if path.endswith("deals") else "contact"
            body = json_body([entity.to_wire()])
            if self._pushed.get(f"{path}:{entity.id}") == body:
                continue  # every deal of a chat comes with the same contact: send it once
            try:
                result = await self._send(
                    "POST",
                    f"{self.config.proxy_url}{path}",
                    body,
                    {"Content-Type": "application/json"},
                    15.0,
                )
            except TransportFailure:
                self._view.show_note(f"Could not send {noun} {entity.id} to Wazzup: no answer")
                continue
            if result.ok:
                self._pushed[f"{path}:{entity.id}"] = body
                self._view.show_note(f"Sent {noun} {entity.id} to Wazzup")
            else:
                self._view.show_note(
                    f"Wazzup did not take {noun} {entity.id} (HTTP {result.status})"
                )

    def _show(self, entry: OutboxEntry) -> None:
        self._view.show_entry(entry)
        self._view.post_to_parent(bridge.delivery_message(entry))
