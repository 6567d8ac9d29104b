"""scripts/build_dist.py: what dist/ holds, its host hints, and the CDN rewrite."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from build_dist import (  # noqa: E402
    NO_JSPI_SCRIPT,
    build,
    cdn_rewrite,
    pinned_versions,
    vendor_folders,
    without_jspi,
)

VERSIONS = pinned_versions(ROOT)
PYODIDE = f"vendor/{vendor_folders(VERSIONS)['pyodide']}"
PYSCRIPT = f"vendor/{vendor_folders(VERSIONS)['pyscript']}"


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    files = {
        "runtime/pins.toml": (ROOT / "runtime" / "pins.toml").read_text(),
        "index.html": (ROOT / "index.html").read_text(),
        "pyscript.toml": (ROOT / "pyscript.toml").read_text(),
        "main.py": "print('page')",
        "site.json": "{}",
        "components/link.py": "LINK = 1",
        "components.zip": "PK",
        "components.zip.br": "br",
        "assets/page.css": "body {}",
        f"{PYODIDE}/pyodide.asm.wasm": "\0asm",
        f"{PYODIDE}/pyodide.mjs": "export {}",
        f"{PYODIDE}/pyodide.mjs.br": "br",
        f"{PYODIDE}/pyodide-lock.json": "{}",
        f"{PYSCRIPT}/core.js": "export {}",
        "proxy/settings.py": "SECRET = 1",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_dist_holds_the_page_and_the_runtime_but_not_the_proxy(fake_root, tmp_path):
    out = build(tmp_path / "dist", root=fake_root)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == {
        "index.html",
        "main.py",
        "pyscript.toml",
        "site.json",
        "components.zip",
        "assets/page.css",
        f"{PYODIDE}/pyodide.asm.wasm",
        f"{PYODIDE}/pyodide.mjs",
        f"{PYODIDE}/pyodide-lock.json",
        f"{PYSCRIPT}/core.js",
        "_headers",
        "nginx.conf.example",
    }


def test_headers_mark_runtime_code_immutable_and_wasm_typed(fake_root, tmp_path):
    headers = (build(tmp_path / "dist", root=fake_root) / "_headers").read_text()
    wasm_rule = headers.split(f"/{PYODIDE}/pyodide.asm.wasm\n")[1].split("\n/")[0]
    assert "Content-Type: application/wasm" in wasm_rule
    assert "immutable" in wasm_rule
    assert f"/{PYSCRIPT}/core.js\n  Cache-Control: public, max-age=31536000, immutable" in headers
    # The lock is rewritten by the set-up step: it must revalidate, so no rule makes it immutable.
    assert "pyodide-lock.json" not in headers


def test_cdn_mode_points_at_the_pinned_cdn_releases_and_leaves_vendor_out(fake_root, tmp_path):
    out = build(tmp_path / "dist", cdn=True, root=fake_root)
    html = (out / "index.html").read_text()
    config = tomllib.loads((out / "pyscript.toml").read_text())
    pyodide_cdn = f"https://cdn.jsdelivr.net/pyodide/v{VERSIONS['pyodide']}/full/"
    assert config["interpreter"] == f"{pyodide_cdn}pyodide.mjs"
    assert f'src="https://pyscript.net/releases/{VERSIONS["pyscript"]}/core.js"' in html
    assert f'href="https://pyscript.net/releases/{VERSIONS["pyscript"]}/core.css"' in html
    assert f'href="{pyodide_cdn}pyodide.asm.wasm"' in html
    assert "vendor/" not in html
    assert not (out / "vendor").exists()


def test_cdn_rewrite_refuses_a_vendor_url_of_another_version():
    with pytest.raises(SystemExit, match=r"pins\.toml"):
        cdn_rewrite('<script src="vendor/pyscript-0.0.1/core.js">', VERSIONS)


def test_cdn_pages_keep_the_unpatched_pyodide_off_jspi(fake_root, tmp_path):
    html = (build(tmp_path / "dist", cdn=True, root=fake_root) / "index.html").read_text()
    core = (
        f'<script type="module" src="https://pyscript.net/releases/{VERSIONS["pyscript"]}/core.js">'
    )

    assert html.count(NO_JSPI_SCRIPT) == 1
    assert html.index(NO_JSPI_SCRIPT) < html.index(core)


def test_vendored_pages_need_no_jspi_script(fake_root, tmp_path):
    # Their Pyodide is patched (scripts/pyodide_patches.py).
    html = (build(tmp_path / "dist", root=fake_root) / "index.html").read_text()

    assert NO_JSPI_SCRIPT not in html


def test_a_page_without_pyscript_core_is_refused_in_cdn_mode():
    with pytest.raises(SystemExit, match=r"core\.js"):
        without_jspi("<html><head></head></html>")
