"""Build `dist/`: the page as plain files any static host serves as is (docs/hosting.md).

    python scripts/build_dist.py                 # dist/ with the vendored runtime
    python scripts/build_dist.py --out /tmp/site # somewhere else
    python scripts/build_dist.py --cdn           # runtime from the public CDNs, no vendor/

The page needs no build step: this only copies the page's own files (the same allow-list the
proxy serves), the versioned runtime folders, and adds host hints (`_headers` for Netlify and
Cloudflare Pages, `nginx.conf.example`). Standard library only; nothing is fetched, not even
in CDN mode, which only rewrites two URLs in `pyscript.toml` and `index.html` and adds
assets/no-jspi.js to the pages.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tomllib
from pathlib import Path

from vendor_runtime import runtime_dirs  # scripts/, next to this file

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = ("index.html", "main.py", "pyscript.toml", "site.json")
# The configuration page (config.html) and its files, copied when present.
OPTIONAL_PAGE_FILES = ("config.html", "config.py", "config-page.toml")
# components/ compiled into one zip by `make setup` (pyscript.toml [files]), and its .gz.
APP_ZIP = "components.zip"
# Not served: the proxy picks .br/.gz siblings itself, static hosts compress on their own
# (nginx's gzip_static can use the .gz ones, so those stay).
SKIPPED_SUFFIXES = (".br", ".map")

PYSCRIPT_CDN = "https://pyscript.net/releases/{version}/"
PYODIDE_CDN = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"

HEADERS_HEAD = """\
# Netlify / Cloudflare Pages headers (docs/hosting.md). Made by scripts/build_dist.py.
# One rule per runtime file, by exact path: both hosts match that the same way. The runtime
# folders are named for their version, so their code never changes under a URL: immutable.
"""
HEADERS_TAIL = """\
/*.py
  Content-Type: text/x-python; charset=utf-8
  Cache-Control: no-cache
/*.toml
  Content-Type: application/toml; charset=utf-8
  Cache-Control: no-cache
/site.json
  Cache-Control: no-cache
/components.zip
  Content-Type: application/zip
  Cache-Control: no-cache
# Content-Security-Policy hint: replace the origins, then uncomment (docs/security.md).
# The proxy's own policy (proxy/security.py); the chat iframe comes from the chat link's origin.
#/*
#  Content-Security-Policy: {CSP}
"""
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:; "
    "connect-src 'self' https://proxy.example.com https://crm.example.com; "
    "frame-src https://*.wazzup24.com; frame-ancestors https://crm.example.com; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
# What npm ships; the set-up step rewrites the zips, wheels and lock, so those revalidate.
IMMUTABLE_SUFFIXES = (".wasm", ".mjs", ".js", ".css")
CONTENT_TYPES = {".wasm": "application/wasm", ".mjs": "text/javascript; charset=utf-8"}


def headers_file(out: Path) -> str:
    rules = []
    for file in sorted((out / "vendor").rglob("*")) if (out / "vendor").is_dir() else []:
        if file.suffix not in IMMUTABLE_SUFFIXES:
            continue
        rules.append(f"/{file.relative_to(out).as_posix()}")
        if file.suffix in CONTENT_TYPES:
            rules.append(f"  Content-Type: {CONTENT_TYPES[file.suffix]}")
        rules.append(f"  Cache-Control: {IMMUTABLE}")
    return HEADERS_HEAD + "".join(f"{line}\n" for line in rules) + HEADERS_TAIL.format(CSP=CSP)


NGINX = """\
# nginx snippet for dist/ (docs/hosting.md). Made by scripts/build_dist.py.
# Put inside your `server { ... }` block; `root` is the dist/ folder.
root /srv/wazzup-chat/dist;
index index.html;

# Older mime.types lack these: without application/wasm, streaming compilation fails.
types {
    application/wasm wasm;
    text/javascript mjs;
    text/x-python py;
    application/toml toml;
}

gzip on;
gzip_types text/javascript text/x-python application/toml application/json text/css
           application/wasm;
gzip_static on;  # use the .gz files next to the runtime files

# The versioned runtime: a new version is a new folder, so cache forever.
location ~ ^/vendor/(pyodide|pyscript)-[0-9][^/]*/.*\\.(wasm|mjs|js|css)$ {
    add_header Cache-Control "public, max-age=31536000, immutable";
}
# Everything else (the page, its Python, site.json, the wheels and zips): revalidate.
location / {
    add_header Cache-Control "no-cache";
}
"""


def pinned_versions(root: Path = ROOT) -> dict[str, str]:
    pins = tomllib.loads((root / "runtime" / "pins.toml").read_text())
    return {"pyscript": pins["pyscript_core"], "pyodide": pins["pyodide"]}


def vendor_folders(versions: dict[str, str]) -> dict[str, str]:
    """vendor/'s folders for these versions, named as the set-up step names them."""
    return runtime_dirs({"@pyscript/core": versions["pyscript"], "pyodide": versions["pyodide"]})


def cdn_rewrite(text: str, versions: dict[str, str]) -> str:
    """Point every vendor/pyscript-<v>/ and vendor/pyodide-<v>-p<N>/ URL at the public CDNs
    (where Pyodide comes as npm ships it, without our patches)."""
    pyscript, pyodide = versions["pyscript"], versions["pyodide"]
    folders = vendor_folders(versions)
    rewritten = re.sub(
        rf"(?:\./)?vendor/{re.escape(folders['pyscript'])}/",
        PYSCRIPT_CDN.format(version=pyscript),
        text,
    )
    rewritten = re.sub(
        rf"(?:\./)?vendor/{re.escape(folders['pyodide'])}/",
        PYODIDE_CDN.format(version=pyodide),
        rewritten,
    )
    if "vendor/" in rewritten:
        # A URL for another version would silently load nothing: refuse instead.
        raise SystemExit("build_dist: a vendor/ URL does not match runtime/pins.toml")
    return rewritten


# The CDN's Pyodide is not patched (scripts/pyodide_patches.py): this script keeps it off JSPI.
NO_JSPI_SCRIPT = '<script src="assets/no-jspi.js"></script>'


def without_jspi(html: str) -> str:
    """`html` with NO_JSPI_SCRIPT just before PyScript's core.js, which loads Pyodide."""
    core = re.search(r'<script type="module" src="[^"]*/core\.js"></script>', html)
    if core is None:
        raise SystemExit("build_dist: no PyScript core.js <script> to put no-jspi.js before")
    return f"{html[: core.start()]}{NO_JSPI_SCRIPT}\n  {html[core.start() :]}"


def build(out: Path, *, cdn: bool = False, root: Path = ROOT) -> Path:
    versions = pinned_versions(root)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    names = [*PAGE_FILES, *(n for n in OPTIONAL_PAGE_FILES if (root / n).is_file())]
    for name in names:
        text = (root / name).read_text()
        if cdn and name.endswith((".html", ".toml")):
            text = cdn_rewrite(text, versions)
        if cdn and name.endswith(".html"):
            text = without_jspi(text)
        (out / name).write_text(text)
    if not (root / APP_ZIP).is_file():
        raise SystemExit(f"build_dist: {APP_ZIP} is missing: run `make setup` first")
    for name in (APP_ZIP, f"{APP_ZIP}.gz"):
        if (root / name).is_file():
            shutil.copy2(root / name, out / name)
    shutil.copytree(root / "assets", out / "assets")
    if not cdn:
        for folder in vendor_folders(versions).values():
            source = root / "vendor" / folder
            if not source.is_dir():
                raise SystemExit(f"build_dist: {source} is missing: run `make setup` first")
            shutil.copytree(
                source,
                out / "vendor" / source.name,
                ignore=shutil.ignore_patterns(*(f"*{suffix}" for suffix in SKIPPED_SUFFIXES)),
            )
    (out / "_headers").write_text(headers_file(out))
    (out / "nginx.conf.example").write_text(NGINX)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument(
        "--cdn", action="store_true", help="load PyScript and Pyodide from their public CDNs"
    )
    args = parser.parse_args(argv)
    out = build(args.out, cdn=args.cdn)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"build_dist: {out} ({size / 1e6:.1f} MB{', CDN mode' if args.cdn else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
