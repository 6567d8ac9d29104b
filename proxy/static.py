"""Serves the static page from an allow-list of paths, with the right types, caching and encoding.

Only the page's own files are reachable: `index.html`, `main.py`, `pyscript.toml`,
`site.json`, the configuration page (`config.html`, `config.py`), `components/*.py`,
`assets/*` and the vendored runtime under `vendor/`.
Everything else (the proxy's source, `.env`, `..` tricks) is a 404.

Caching: the code npm ships, in folders named for its version
(`vendor/pyodide-314.0.7-p2/pyodide.asm.wasm`), is `immutable` for a year: an upgrade is a new
URL, and a cached copy lets Chromium reuse the WebAssembly it compiled last time. Everything
else, including the runtime files the set-up step rewrites (the stdlib zip, the wheels, the
lock), is `no-cache` with an ETag: a change shows on the next load, an unchanged file costs a 304.

Encoding: a `.br` or `.gz` sibling made by the set-up step (scripts/vendor_runtime.py) is sent
when the browser accepts it; other small text files are gzipped on the fly.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

# config.html + config.py: the configuration page (docs/embedding.md); it uses pyscript.toml too.
PAGE_FILES = frozenset(
    {
        "index.html",
        "main.py",
        "pyscript.toml",
        "site.json",
        "components.zip",  # components/ compiled by `make setup` (pyscript.toml [files])
        "config.html",
        "config.py",
        "config-page.toml",
    }
)
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
RUNTIME_CACHE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# A versioned runtime folder, e.g. vendor/pyodide-314.0.7-p2/ or vendor/pyscript-0.7.31/.
_VERSIONED = re.compile(r"^vendor/[a-z_]+-[0-9][0-9A-Za-z.+!-]*/")
# What npm ships and the set-up step never rewrites; its zips, wheels and lock it does.
IMMUTABLE_SUFFIXES = frozenset({".wasm", ".mjs", ".js", ".css"})
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
GZIP_ON_THE_FLY = frozenset({".html", ".py", ".toml", ".json", ".js", ".mjs", ".css", ".svg"})
GZIP_MAX_BYTES = 1 << 20


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


def cache_control(url_path: str) -> str:
    path = url_path.lstrip("/")
    if _VERSIONED.match(path) and Path(path).suffix in IMMUTABLE_SUFFIXES:
        return RUNTIME_CACHE
    return REVALIDATE


def page_file_response(
    request: Request, root: Path, headers: dict[str, str], site_config: Path | None = None
) -> Response:
    if site_config is not None and request.url.path == "/site.json":
        file: Path | None = site_config
    else:
        file = resolve_page_file(root, request.url.path)
    if file is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    response = file_response(request, file, cache_control(request.url.path))
    if file.suffix == ".html":
        response.headers.update(headers)
    return response


def file_response(request: Request, file: Path, cache: str) -> Response:
    """`file` with its type, `cache` as Cache-Control, the best encoding the client takes,
    and a 304 when the client's copy is current."""
    media_type = MEDIA_TYPES.get(file.suffix, "application/octet-stream")
    accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
    common = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    compressible = file.suffix in GZIP_ON_THE_FLY
    siblings = [(c, file.with_name(file.name + s)) for c, s in ENCODINGS]
    siblings = [(coding, sibling) for coding, sibling in siblings if sibling.is_file()]
    if compressible or siblings:
        common["Vary"] = "Accept-Encoding"  # what this URL sends depends on it
    for coding, sibling in siblings:
        if coding in accepted:
            common["Content-Encoding"] = coding
            file = sibling
            break
    stat = file.stat()
    on_the_fly = compressible and "gzip" in accepted and stat.st_size <= GZIP_MAX_BYTES
    if on_the_fly and "Content-Encoding" not in common:
        body, etag = _gzipped(str(file), stat.st_mtime_ns, stat.st_size)
        common.update({"Content-Encoding": "gzip", "ETag": etag})
        if _not_modified(request, etag):
            return Response(status_code=304, headers=common)
        return Response(body, media_type=media_type, headers=common)
    response = FileResponse(file, media_type=media_type, headers=common, stat_result=stat)
    if _not_modified(request, response.headers["etag"]):
        return Response(status_code=304, headers={**common, "ETag": response.headers["etag"]})
    return response


def accepted_encodings(header: str) -> frozenset[str]:
    accepted = set()
    for item in header.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if params.strip().replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            continue
        accepted.add(coding.strip())
    return frozenset(accepted)


def _not_modified(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match")
    if not sent:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in sent.split(",")}
    return "*" in tags or etag in tags


@lru_cache(maxsize=128)
def _gzipped(path: str, mtime_ns: int, size: int) -> tuple[bytes, str]:
    body = gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)
    return body, f'"gz-{mtime_ns:x}-{size:x}"'
