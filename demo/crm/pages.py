"""The sample CRM's HTML: the records list and one page per deal and contact.

Self-contained (no external resources); every value is escaped. Rows carry `data-*` hooks
(`data-kind`, `data-key`) so browser tests do not depend on wording.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import urlsplit

from components.entities import Contact, Deal

from .store import StoredRecord

REFRESH_SECONDS = 2

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
p.hint { color: #656d76; margin: 0 0 1.25rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d0d7de;
         vertical-align: top; }
th { font-weight: 600; background: #f6f8fa; }
td.key { font: 12px ui-monospace, monospace; color: #656d76; word-break: break-all; }
.kind { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: 12px;
        background: #ddf4ff; color: #0969da; }
.kind.deal_request, .kind.webhook_create_deal { background: #dafbe1; color: #1a7f37; }
.kind.deal_opened { background: #fff8c5; color: #9a6700; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dt { color: #656d76; }
dd { margin: 0; }
a { color: #0969da; }
.empty { color: #656d76; padding: 1rem 0; }
.embed { display: grid; grid-template-columns: 1fr 18rem; gap: 1rem; }
.embed iframe { width: 100%; height: 80vh; border: 1px solid #d0d7de; border-radius: 6px; }
#bridge { font: 12px ui-monospace, monospace; margin: 0; padding-left: 1.2rem;
          max-height: 80vh; overflow: auto; }
"""


def records_page(records: list[StoredRecord]) -> str:
    rows = "\n".join(_record_row(record) for record in reversed(records))
    table = (
        f'<table data-records="{len(records)}">'
        "<thead><tr><th>Kind</th><th>Received (UTC)</th><th>User</th><th>Chat</th>"
        "<th>Idempotency key</th><th>Created</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        if records
        else '<p class="empty" data-records="0">No records yet. Open the chat window and '
        "write to a client, press “+” in Deals, or open a deal.</p>"
    )
    return _layout(
        "Sample CRM",
        '<h1>Sample CRM</h1><p class="hint">Records posted by the chat window page, newest '
        f'first. Refreshes every {REFRESH_SECONDS} s · <a href="/records">as JSON</a></p>' + table,
        refresh=True,
    )


def contact_page(contact: Contact, deals: list[Deal]) -> str:
    chats = ", ".join(
        f"{chat.chat_type}: {chat.chat_id or chat.username or chat.phone}"
        for chat in contact.contact_data
    )
    deal_links = ", ".join(_link(deal.uri, deal.name) for deal in deals) or "none yet"
    return _entity_page(
        "Contact",
        contact.name,
        [
            ("Id", escape(contact.id)),
            ("Responsible user", escape(contact.responsible_user_id)),
            ("Chats", escape(chats)),
            ("Deals", deal_links),
        ],
    )


def deal_page(deal: Deal, contacts: list[Contact]) -> str:
    contact_links = ", ".join(_link(contact.uri, contact.name) for contact in contacts)
    return _entity_page(
        "Deal",
        deal.name,
        [
            ("Id", escape(deal.id)),
            ("Responsible user", escape(deal.responsible_user_id)),
            ("Contacts", contact_links or escape(", ".join(deal.contacts))),
            ("Closed", "yes" if deal.closed else "no"),
        ],
    )


def embed_page(page_url: str, query: str) -> str:
    """A client card that embeds the chat window page with one iframe tag and lists what the
    page posts to `window.parent` (docs/bridge.md). `window.bridgeMessages` keeps them all."""
    page_origin = json.dumps(_origin(page_url)).replace("</", "<\\/")
    src = f"{page_url.rstrip('/')}/?{query}" if query else f"{page_url.rstrip('/')}/"
    body = (
        '<h1>Client card</h1><p class="hint">The chat window page in one iframe tag; on the '
        "right, the messages it posts to this page. "
        '<a href="/">All records</a></p><div class="embed">'
        f'<iframe src="{escape(src)}" title="Wazzup chat window" '
        'allow="microphone; clipboard-write" data-testid="chat-page"></iframe>'
        '<ol id="bridge" data-count="0"></ol></div>'
        f"<script>{_BRIDGE_SCRIPT.replace('PAGE_ORIGIN', page_origin)}</script>"
    )
    return _layout("Client card", body)


_BRIDGE_SCRIPT = """
const pageOrigin = PAGE_ORIGIN;
const list = document.getElementById("bridge");
window.bridgeMessages = [];
addEventListener("message", (event) => {
  // Trust only the chat window page, and only its own kind of message.
  if (event.origin !== pageOrigin) return;
  const message = event.data;
  if (!message || message.source !== "wazzup-chat-window") return;
  window.bridgeMessages.push(message);
  const item = document.createElement("li");
  item.dataset.type = message.type;
  const what = message.type === "delivery" ? message.kind + ": " + message.status
    : message.type === "event" ? message.event.type
    : message.type === "rejected" ? message.reason
    : message.type === "problem" ? message.code + ": " + message.title : "";
  item.textContent = message.type + (what ? " · " + what : "");
  list.prepend(item);
  list.dataset.count = String(window.bridgeMessages.length);
});
"""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def not_found_page(what: str, entity_id: str) -> str:
    return _layout(
        "Not found",
        f'<h1>No {escape(what)} {escape(entity_id)}</h1><p><a href="/">All records</a></p>',
    )


def _record_row(record: StoredRecord) -> str:
    created = _link(record.link, record.link) if record.link else "—"
    return (
        f'<tr data-kind="{escape(record.kind)}" data-key="{escape(record.idempotency_key or "")}">'
        f'<td><span class="kind {escape(record.kind)}">{escape(record.kind)}</span></td>'
        f"<td>{escape(record.received_at[:19].replace('T', ' '))}</td>"
        f"<td>{escape(record.user_id)}</td>"
        f"<td>{escape(record.chat)}</td>"
        f'<td class="key">{escape(record.idempotency_key or "—")}</td>'
        f"<td>{created}</td></tr>"
    )


def _entity_page(kind: str, name: str, fields: list[tuple[str, str]]) -> str:
    """`fields` values are already HTML."""
    items = "".join(f"<dt>{escape(label)}</dt><dd>{value}</dd>" for label, value in fields)
    return _layout(
        f"{kind} · {name}",
        f'<p class="hint">{escape(kind)}</p><h1 data-entity="{escape(kind.lower())}">'
        f"{escape(name)}</h1><dl>{items}</dl>"
        '<p><a href="/">All records</a></p>',
    )


def _link(url: str | None, text: str | None) -> str:
    # Links here are our own entity URIs or validated http(s) entity links (events.Entity).
    if not url:
        return escape(text or "")
    return f'<a href="{escape(url)}">{escape(text or url)}</a>'


def _layout(title: str, body: str, *, refresh: bool = False) -> str:
    meta = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if refresh else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'  # no favicon request: its 404 filled the console
        f"{meta}<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
