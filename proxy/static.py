"""Serves the static page from an allow-list of paths, with the right types and caching.

Only the page's own files are reachable: `index.html`, `main.py`, `pyscript.toml`,
`site.json`, `components/*.py`, `assets/*` and the vendored runtime under `vendor/`.
Everything else (the proxy's source, `.env`, `..` tricks) is a 404.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

PAGE_FILES = frozenset({"index.html", "main.py", "pyscript.toml", "site.json"})
_ALLOWED = re.compile(
    r"^(?:components/[A-Za-z0-9_]+\.py"
    r"|assets/[A-Za-z0-9_.-]+"
    r"|vendor/(?:[A-Za-z0-9_.@+-]+/)*[A-Za-z0-9_.@+-]+)$"
)
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".py": "text/x-python; charset=utf-8",
    ".toml": "application/toml; charset=utf-8",
    ".json": "application/json",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".wasm": "application/wasm",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".tar": "application/x-tar",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".map": "application/json",
}
# Runtime folders are not versioned yet, so a day, not "immutable" (an upgrade must show).
RUNTIME_CACHE = "public, max-age=86400"
REVALIDATE = "no-cache"


def resolve_page_file(root: Path, url_path: str) -> Path | None:
    """Return the file for a URL path if it is one of the page's files, else None."""
    path = url_path.lstrip("/") or "index.html"
    if "\\" in path or "\x00" in path or any(part in ("", ".", "..") for part in path.split("/")):
        return None
    if path not in PAGE_FILES and not _ALLOWED.match(path):
        return None
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
        return None
    return candidate


def page_file_response(
    request: Request, root: Path, headers: dict[str, str], site_config: Path | None = None
) -> Response:
    if site_config is not None and request.url.path == "/site.json":
        file: Path | None = site_config
    else:
        file = resolve_page_file(root, request.url.path)
    if file is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    is_runtime = request.url.path.lstrip("/").startswith("vendor/")
    response = FileResponse(
        file,
        media_type=MEDIA_TYPES.get(file.suffix, "application/octet-stream"),
        headers={"Cache-Control": RUNTIME_CACHE if is_runtime else REVALIDATE},
    )
    if file.suffix == ".html":
        response.headers.update(headers)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
