"""Fetch the chat link from the proxy and set the iframe: the least a PyScript page can do."""

import json

import js
from pyodide.ffi import to_js

LINK_REQUEST = {
    "user": {"id": "bench-user", "name": "Bench"},
    "scope": "card",
    "filter": [{"chatType": "whatsapp", "chatId": "79990000001"}],
    "options": {"useDealsEvents": True, "useMessageEvents": False},
}
init = {
    "method": "POST",
    "headers": {"Content-Type": "application/json"},
    "body": json.dumps(LINK_REQUEST),
}
response = await js.fetch("/api/link", to_js(init, dict_converter=js.Object.fromEntries))  # noqa: F704
link = await response.json()  # noqa: F704
frame = js.document.createElement("iframe")
frame.src = link.url
js.document.getElementById("chat-slot").replaceChildren(frame)
js.performance.mark("chat-src-set")
