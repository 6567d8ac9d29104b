"""The sample CRM's SQLite file: records, contacts and deals.

    store = CrmStore(Path("var/demo-crm.sqlite3"), public_url="http://127.0.0.1:8002")
    answer, duplicate = store.save_record(record, posted_json)

Every write runs in one `BEGIN IMMEDIATE` transaction on its own connection, so two requests
with the same idempotency key are serialized: the second one finds the first one's answer.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from components.entities import (
    Contact,
    ContactData,
    CreateContactRequest,
    CreateDealRequest,
    Deal,
)
from components.records import CrmAnswer, CrmRecord

MAX_NAME_LENGTH = 200  # Contact.name and Deal.name

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    n               INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT UNIQUE,            -- NULL for webhooks, which carry no key
    kind            TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    chat            TEXT NOT NULL,
    record          TEXT NOT NULL,          -- the posted JSON
    answer          TEXT                    -- the JSON answered the first time
);
CREATE TABLE IF NOT EXISTS contacts (
    n        INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT UNIQUE,
    chat_key TEXT NOT NULL UNIQUE,          -- one contact per chat
    body     TEXT
);
CREATE TABLE IF NOT EXISTS deals (
    n    INTEGER PRIMARY KEY AUTOINCREMENT,
    id   TEXT UNIQUE,
    body TEXT
);
"""


@dataclass(frozen=True)
class StoredRecord:
    n: int
    idempotency_key: str | None
    kind: str
    received_at: str
    user_id: str
    chat: str
    record: dict[str, Any]
    answer: dict[str, Any]

    @property
    def id(self) -> str:
        return f"r-{self.n}"

    @property
    def link(self) -> str | None:
        # CrmAnswer carries `link`; a webhook answer is a bare entity with `uri`.
        return self.answer.get("link") or self.answer.get("uri")

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "idempotencyKey": self.idempotency_key,
            "kind": self.kind,
            "receivedAt": self.received_at,
            "record": self.record,
            "answer": self.answer,
        }


class CrmStore:
    def __init__(self, path: Path, *, public_url: str) -> None:
        self.path = path
        self.public_url = public_url.rstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)

    # --- writes -----------------------------------------------------------------------------

    def save_record(self, record: CrmRecord, posted: dict[str, Any]) -> tuple[CrmAnswer, bool]:
        """Store a record once per idempotency key; return (answer, is_duplicate)."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT answer FROM records WHERE idempotency_key = ?", (record.idempotency_key,)
            ).fetchone()
            if row is not None:
                first = CrmAnswer.model_validate_json(row["answer"])
                return first.model_copy(update={"status": "duplicate"}), True
            n = self._insert_record(
                db,
                key=record.idempotency_key,
                kind=record.kind,
                user_id=record.user_id,
                chat=f"{record.chat.chat_type}:{record.chat.chat_id}",
                posted=posted,
            )
            answer = self._answer(db, record, record_id=f"r-{n}")
            db.execute("UPDATE records SET answer = ? WHERE n = ?", (_json(answer.to_wire()), n))
            return answer, False

    def create_contact(self, request: CreateContactRequest, posted: dict[str, Any]) -> Contact:
        """Wazzup's `createContact` webhook: the contact of that chat, created if new."""
        with self._transaction() as db:
            contact = self._ensure_contact(
                db, request.contact_data[0], request.responsible_user_id, request.name or None
            )
            self._log_webhook(
                db,
                "webhook_create_contact",
                request.responsible_user_id,
                _chat_key(request.contact_data[0]),
                posted,
                contact,
            )
            return contact

    def create_deal(self, request: CreateDealRequest, posted: dict[str, Any]) -> Deal:
        """Wazzup's `createDeal` webhook: a new deal for the given contact ids."""
        with self._transaction() as db:
            deal = self._new_deal(db, request.responsible_user_id, request.contacts)
            self._log_webhook(
                db,
                "webhook_create_deal",
                request.responsible_user_id,
                ",".join(request.contacts),
                posted,
                deal,
            )
            return deal

    # --- reads ------------------------------------------------------------------------------

    def records(self, kind: str | None = None) -> list[StoredRecord]:
        """Stored records, oldest first."""
        query = "SELECT * FROM records WHERE answer IS NOT NULL"
        params: tuple[str, ...] = ()
        if kind:
            query += " AND kind = ?"
            params = (kind,)
        with closing(self._connect()) as db:
            rows = db.execute(query + " ORDER BY n", params).fetchall()
        return [
            StoredRecord(
                n=row["n"],
                idempotency_key=row["idempotency_key"],
                kind=row["kind"],
                received_at=row["received_at"],
                user_id=row["user_id"],
                chat=row["chat"],
                record=json.loads(row["record"]),
                answer=json.loads(row["answer"]),
            )
            for row in rows
        ]

    def contact(self, contact_id: str) -> Contact | None:
        with closing(self._connect()) as db:
            return _load_contact(db, contact_id)

    def deal(self, deal_id: str) -> Deal | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT body FROM deals WHERE id = ?", (deal_id,)).fetchone()
        return Deal.model_validate_json(row["body"]) if row else None

    def deals_of(self, contact_id: str) -> list[Deal]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT body FROM deals ORDER BY n").fetchall()
        deals = (Deal.model_validate_json(row["body"]) for row in rows)
        return [deal for deal in deals if contact_id in deal.contacts]

    # --- inside a transaction ---------------------------------------------------------------

    def _answer(self, db: sqlite3.Connection, record: CrmRecord, record_id: str) -> CrmAnswer:
        if record.kind == "deal_opened":
            link = record.entity.link if record.entity else None
            return CrmAnswer(status="created", record_id=record_id, link=link)
        chat = ContactData(chat_type=record.chat.chat_type, chat_id=record.chat.chat_id)
        contact = self._ensure_contact(db, chat, record.user_id, record.contact_name)
        if record.kind == "contact":
            return CrmAnswer(
                status="created", record_id=record_id, contact=contact, link=contact.uri
            )
        deal = self._new_deal(db, record.user_id, [contact.id], contact_name=contact.name)
        return CrmAnswer(
            status="created", record_id=record_id, deal=deal, contact=contact, link=deal.uri
        )

    def _ensure_contact(
        self, db: sqlite3.Connection, chat: ContactData, user_id: str, name: str | None
    ) -> Contact:
        key = _chat_key(chat)
        row = db.execute("SELECT body FROM contacts WHERE chat_key = ?", (key,)).fetchone()
        if row is not None:
            contact = Contact.model_validate_json(row["body"])
            # A deal request carries no name; the first message that does names the contact.
            if name and contact.name == _chat_label(chat) and name != contact.name:
                contact = contact.model_copy(update={"name": name})
                db.execute(
                    "UPDATE contacts SET body = ? WHERE id = ?", (_json(contact), contact.id)
                )
            return contact
        n = db.execute("INSERT INTO contacts (chat_key) VALUES (?)", (key,)).lastrowid
        contact_id = f"c-{n}"
        contact = Contact(
            id=contact_id,
            responsible_user_id=user_id,
            name=(name or _chat_label(chat))[:MAX_NAME_LENGTH],
            contact_data=[chat],
            uri=f"{self.public_url}/contacts/{contact_id}",
        )
        db.execute(
            "UPDATE contacts SET id = ?, body = ? WHERE n = ?", (contact_id, _json(contact), n)
        )
        return contact

    def _new_deal(
        self,
        db: sqlite3.Connection,
        user_id: str,
        contact_ids: list[str],
        *,
        contact_name: str | None = None,
    ) -> Deal:
        if contact_name is None:
            first = _load_contact(db, contact_ids[0])
            contact_name = first.name if first else contact_ids[0]
        n = db.execute("INSERT INTO deals DEFAULT VALUES").lastrowid
        deal_id = f"d-{n}"
        deal = Deal(
            id=deal_id,
            responsible_user_id=user_id,
            name=f"Deal #{n} · {contact_name}"[:MAX_NAME_LENGTH],
            uri=f"{self.public_url}/deals/{deal_id}",
            contacts=contact_ids,
            closed=False,
        )
        db.execute("UPDATE deals SET id = ?, body = ? WHERE n = ?", (deal_id, _json(deal), n))
        return deal

    def _insert_record(
        self,
        db: sqlite3.Connection,
        *,
        key: str | None,
        kind: str,
        user_id: str,
        chat: str,
        posted: dict[str, Any],
    ) -> int:
        cursor = db.execute(
            "INSERT INTO records (idempotency_key, kind, received_at, user_id, chat, record)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (key, kind, datetime.now(UTC).isoformat(), user_id, chat, _json(posted)),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _log_webhook(
        self,
        db: sqlite3.Connection,
        kind: str,
        user_id: str,
        chat: str,
        posted: dict[str, Any],
        entity: Contact | Deal,
    ) -> None:
        n = self._insert_record(db, key=None, kind=kind, user_id=user_id, chat=chat, posted=posted)
        db.execute("UPDATE records SET answer = ? WHERE n = ?", (_json(entity), n))

    # --- connections ------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE below).
        connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        connection.row_factory = sqlite3.Row
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")  # take the write lock before reading the key
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")


def _load_contact(db: sqlite3.Connection, contact_id: str) -> Contact | None:
    row = db.execute("SELECT body FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    return Contact.model_validate_json(row["body"]) if row else None


def _chat_label(chat: ContactData) -> str:
    if chat.chat_id:
        return chat.chat_id
    return f"@{chat.username}" if chat.username else f"+{chat.phone}"


def _chat_key(chat: ContactData) -> str:
    return f"{chat.chat_type}:{_chat_label(chat)}"


def _json(value: Any) -> str:
    if isinstance(value, Contact | Deal | CrmAnswer):
        value = value.to_wire()
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
