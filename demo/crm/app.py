"""The sample CRM app: receives the page's records and Wazzup's webhooks, stores them in SQLite.

    app = create_crm_app(Path("crm.sqlite3"), public_url="http://127.0.0.1:8002",
                         allowed_origins=["http://127.0.0.1:8000"])

Routes:
    POST /records          a CrmRecord → 201 CrmAnswer (200 "duplicate" for a known key)
    GET  /records          stored records as JSON, oldest first (?kind= filters)
    GET  /                 the records as a page that refreshes itself
    GET  /embed[?params]   a client card embedding the chat window page (`page_url`), showing
                           what it posts to window.parent; the query goes to the page
    GET  /contacts/{id}    a contact's page (the contact's `uri`)
    GET  /deals/{id}       a deal's page (the deal's `uri`)
    POST /wazzup/webhook   Wazzup's createContact / createDeal / test, relayed by the proxy
    GET  /_faults          the injected fault mode
    POST /_faults          {"mode": "ok" | "down" | "500" | "429" | "422" | "hang"
                            | "notjson" | "huge"}   (see demo.crm.faults)
    GET  /_stats           {"stored": n, "duplicates": n}: records stored, keys seen again
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware

from components.chat import check_chat_id
from components.entities import CreateContactRequest, CreateDealRequest
from components.records import IDEMPOTENCY_HEADER, CrmRecord
from components.wire import WireModel

from . import pages
from .bodies import parse_body, read_json
from .faults import Faults, FaultSwitch
from .store import CrmStore


class Stats(BaseModel):
    """How often a known key came again: the page should make that rare (a lost answer)."""

    stored: int = 0
    duplicates: int = 0

    def count(self, duplicate: bool) -> None:
        if duplicate:
            self.duplicates += 1
        else:
            self.stored += 1


class WazzupWebhook(WireModel):
    """A Wazzup webhook body; each carries exactly one of these keys (wazzup-api.md §5)."""

    test: bool = False
    create_contact: CreateContactRequest | None = None
    create_deal: CreateDealRequest | None = None


def create_crm_app(
    db_path: Path,
    *,
    public_url: str,
    allowed_origins: list[str],
    hang_seconds: float = 60.0,
    page_url: str | None = None,
) -> FastAPI:
    store = CrmStore(db_path, public_url=public_url)
    faults = Faults(hang_seconds=hang_seconds)
    stats = Stats()
    app = FastAPI(title="Sample CRM", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.state.faults = faults
    # The page posts from its own origin with a JSON body and Idempotency-Key: a preflight.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", IDEMPOTENCY_HEADER],
        expose_headers=["Retry-After"],
    )

    @app.post("/records")
    async def post_record(request: Request) -> JSONResponse:
        posted = await read_json(request)
        if (fault := await faults.answer()) is not None:
            return fault
        record = parse_body(CrmRecord, posted)
        _check_record(record, request.headers.get(IDEMPOTENCY_HEADER))
        answer, duplicate = await run_in_threadpool(store.save_record, record, posted)
        stats.count(duplicate)
        status = 200 if duplicate else 201
        return faults.garble(answer, status) or JSONResponse(answer.to_wire(), status)

    @app.get("/records")
    async def list_records(kind: str | None = None) -> list[dict[str, Any]]:
        records = await run_in_threadpool(store.records, kind)
        return [record.to_wire() for record in records]

    @app.get("/", response_class=HTMLResponse)
    async def records_page() -> str:
        return pages.records_page(await run_in_threadpool(store.records))

    @app.get("/embed", response_class=HTMLResponse)
    async def embed(request: Request) -> HTMLResponse:
        if page_url is None:
            return HTMLResponse(pages.not_found_page("embedded page", "here"), status_code=404)
        return HTMLResponse(
            pages.embed_page(page_url, urlencode(request.query_params.multi_items()))
        )

    @app.get("/contacts/{contact_id}", response_class=HTMLResponse)
    def contact_page(contact_id: str) -> HTMLResponse:
        contact = store.contact(contact_id)
        if contact is None:
            return HTMLResponse(pages.not_found_page("contact", contact_id), status_code=404)
        return HTMLResponse(pages.contact_page(contact, store.deals_of(contact_id)))

    @app.get("/deals/{deal_id}", response_class=HTMLResponse)
    def deal_page(deal_id: str) -> HTMLResponse:
        deal = store.deal(deal_id)
        if deal is None:
            return HTMLResponse(pages.not_found_page("deal", deal_id), status_code=404)
        contacts = [contact for id_ in deal.contacts if (contact := store.contact(id_))]
        return HTMLResponse(pages.deal_page(deal, contacts))

    @app.post("/wazzup/webhook")
    async def wazzup_webhook(request: Request) -> dict[str, Any]:
        posted = await read_json(request)
        webhook = parse_body(WazzupWebhook, posted)
        # Wazzup expects the bare entity in its CRUD shape (wazzup-api.md §5).
        if webhook.create_contact and not webhook.create_deal:
            contact = await run_in_threadpool(store.create_contact, webhook.create_contact, posted)
            return contact.to_wire()
        if webhook.create_deal and not webhook.create_contact:
            deal = await run_in_threadpool(store.create_deal, webhook.create_deal, posted)
            return deal.to_wire()
        if webhook.test and not (webhook.create_contact or webhook.create_deal):
            return {"ok": True}
        raise HTTPException(422, "body: expected exactly one of createContact, createDeal, test")

    @app.get("/_stats")
    async def get_stats() -> Stats:
        return stats

    @app.get("/_faults")
    async def get_faults() -> FaultSwitch:
        return FaultSwitch(mode=faults.mode)

    @app.post("/_faults")
    async def set_faults(request: Request) -> FaultSwitch:
        switch = parse_body(FaultSwitch, await read_json(request))
        faults.mode = switch.mode
        return switch

    return app


def _check_record(record: CrmRecord, header_key: str | None) -> None:
    if header_key is not None and header_key != record.idempotency_key:
        raise HTTPException(
            400,
            f"{IDEMPOTENCY_HEADER} header {header_key[:100]!r} does not match the record's "
            f"idempotencyKey {record.idempotency_key!r}",
        )
    # CrmRecord keeps chat ids loose; the contact made from it must follow Wazzup's rules.
    try:
        check_chat_id(record.chat.chat_type, record.chat.chat_id)
    except ValueError as error:
        raise HTTPException(422, f"chat.chatId: {error}") from None
