"""The page's static files: only the allow-listed ones, with the right types and caching."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from proxy.app import create_app
from proxy.settings import Settings
from proxy.static import REVALIDATE, RUNTIME_CACHE, resolve_page_file

ROOT = Path(__file__).resolve().parents[2]
KEY = "0123456789abcdef0123456789abcdef"


def no_upstream(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"static files must not call Wazzup: {request.url}")


def make_client(static_dir: Path, site_config: Path | None = None) -> TestClient:
    settings = Settings(wazzup_api_key=KEY, static_dir=static_dir, site_config=site_config)
    http = httpx.AsyncClient(transport=httpx.MockTransport(no_upstream))
    return TestClient(create_app(settings, http=http))


@pytest.fixture
def project() -> Iterator[TestClient]:
    with make_client(ROOT) as client:
        yield client


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    files = {
        "index.html": "<!doctype html><title>page</title>",
        "main.py": "print('page')",
        "site.json": '{"proxyUrl": ""}',
        "components/link.py": "LINK = 1",
        "vendor/pyodide-314.0.7/pyodide.asm.wasm": "\0asm",
        "vendor/pyodide-314.0.7/pyodide.mjs": "export {}",
        "vendor/pyodide-314.0.7/pydantic-2.0-py3-none-any.whl": "PK",
        "vendor/pyscript-0.7.31/core.js": "export {}",
        "assets/page.css": "body {}",
        "secret.txt": "do not serve",
    }
    for name, text in files.items():
        path = tmp_path / "site" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "outside.py").write_text("OUTSIDE = 1")
    return tmp_path / "site"


@pytest.fixture
def fake(fake_root: Path) -> Iterator[TestClient]:
    with make_client(fake_root) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "file", "media_type"),
    [
        ("/", "index.html", "text/html"),
        ("/index.html", "index.html", "text/html"),
        ("/main.py", "main.py", "text/x-python"),
        ("/site.json", "site.json", "application/json"),
        ("/pyscript.toml", "pyscript.toml", "application/toml"),
        ("/components/link.py", "components/link.py", "text/x-python"),
        ("/components/__init__.py", "components/__init__.py", "text/x-python"),
        ("/assets/page.css", "assets/page.css", "text/css"),
    ],
)
def test_page_files_are_served_with_their_type(
    project: TestClient, path: str, file: str, media_type: str
) -> None:
    response = project.get(path)

    assert response.status_code == 200
    assert response.content == (ROOT / file).read_bytes()
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["cache-control"] == REVALIDATE
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_component_module_is_served(project: TestClient) -> None:
    for module in sorted((ROOT / "components").glob("*.py")):
        assert project.get(f"/components/{module.name}").status_code == 200, module.name


@pytest.mark.parametrize(
    "path",
    [
        "/proxy/app.py",
        "/proxy/settings.py",
        "/.git/config",
        "/.git/HEAD",
        "/pyproject.toml",
        "/tests/conftest.py",
        "/.env",
        "/Makefile",
        "/components/",
        "/components/__pycache__/x.pyc",
        "/components/sub/link.py",
        "/assets/",
    ],
)
def test_files_outside_the_allow_list_are_not_found(project: TestClient, path: str) -> None:
    response = project.get(path)

    assert response.status_code == 404
    assert b"import" not in response.content


@pytest.mark.parametrize(
    "raw_path",
    [
        "/components/../proxy/app.py",
        "/vendor/../proxy/app.py",
        "/components/%2e%2e/proxy/app.py",
        "/components/%2E%2E/proxy/settings.py",
        "/vendor/%2e%2e/%2e%2e/etc/passwd",
        "/components%2f..%2fproxy%2fapp.py",
        "/components/..%5cproxy%5capp.py",
        "/%2e%2e/main/proxy/app.py",
        "/components/link.py%00.html",
    ],
)
def test_traversal_tricks_are_not_found(project: TestClient, raw_path: str) -> None:
    # Percent-encoded dots and slashes reach the server as sent; it decodes them itself.
    response = project.get("http://testserver" + raw_path)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "url_path",
    [
        "../proxy/app.py",
        "components/../proxy/app.py",
        "components/./link.py",
        "vendor/../../etc/passwd",
        "components\\..\\proxy\\app.py",
        "components/link.py\x00",
        "/components//link.py",
        "proxy/app.py",
        ".git/config",
    ],
)
def test_resolve_refuses_traversal_and_unlisted_paths(url_path: str) -> None:
    assert resolve_page_file(ROOT, url_path) is None


def test_resolve_finds_listed_files() -> None:
    assert resolve_page_file(ROOT, "/") == (ROOT / "index.html").resolve()
    assert resolve_page_file(ROOT, "/components/link.py") == (ROOT / "components/link.py").resolve()


def test_resolve_refuses_a_symlink_that_leaves_the_root(fake_root: Path) -> None:
    (fake_root / "components" / "escape.py").symlink_to(fake_root.parent / "outside.py")

    assert resolve_page_file(fake_root, "/components/escape.py") is None


def test_missing_listed_file_is_not_found(fake: TestClient) -> None:
    assert fake.get("/components/missing.py").status_code == 404
    assert fake.get("/pyscript.toml").status_code == 404


def test_unlisted_file_in_the_root_is_not_found(fake: TestClient) -> None:
    assert fake.get("/secret.txt").status_code == 404


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/vendor/pyodide-314.0.7/pyodide.asm.wasm", "application/wasm"),
        ("/vendor/pyodide-314.0.7/pyodide.mjs", "text/javascript"),
        ("/vendor/pyscript-0.7.31/core.js", "text/javascript"),
    ],
)
def test_versioned_runtime_files_are_immutable_with_their_type(
    fake: TestClient, path: str, media_type: str
) -> None:
    response = fake.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["cache-control"] == RUNTIME_CACHE


def test_wheels_rewritten_by_set_up_are_revalidated_not_immutable(fake: TestClient) -> None:
    # The set-up step rewrites wheels (precompiled .pyc) under the same name.
    response = fake.get("/vendor/pyodide-314.0.7/pydantic-2.0-py3-none-any.whl")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/zip")
    assert response.headers["cache-control"] != RUNTIME_CACHE


def test_python_modules_are_served_as_python_and_revalidated(fake: TestClient) -> None:
    response = fake.get("/components/link.py")

    assert response.headers["content-type"] == "text/x-python; charset=utf-8"
    assert response.headers["cache-control"] == REVALIDATE
    assert response.text == "LINK = 1"


def test_site_config_setting_replaces_the_pages_site_json(fake_root: Path, tmp_path: Path) -> None:
    replacement = tmp_path / "other-site.json"
    replacement.write_text('{"proxyUrl": "https://proxy.example.com"}')

    with make_client(fake_root, site_config=replacement) as client:
        response = client.get("/site.json")

    assert response.status_code == 200
    assert response.json() == {"proxyUrl": "https://proxy.example.com"}
    assert response.headers["content-type"].startswith("application/json")


@pytest.fixture
def compressed(fake_root: Path) -> Path:
    """The wasm with the .br and .gz siblings the set-up step writes."""
    wasm = fake_root / "vendor/pyodide-314.0.7/pyodide.asm.wasm"
    wasm.with_name(wasm.name + ".br").write_bytes(b"brotli bytes")
    wasm.with_name(wasm.name + ".gz").write_bytes(gzip.compress(wasm.read_bytes()))
    return wasm


@pytest.mark.parametrize(
    ("accept", "encoding", "body"),
    [
        ("gzip, deflate, br, zstd", "br", b"brotli bytes"),
        ("gzip", "gzip", None),
        ("br;q=0, gzip", "gzip", None),
        ("identity", None, b"\0asm"),
    ],
)
def test_precompressed_siblings_are_sent_when_accepted(
    fake: TestClient, compressed: Path, accept: str, encoding: str | None, body: bytes | None
) -> None:
    response = fake.get(
        "/vendor/pyodide-314.0.7/pyodide.asm.wasm", headers={"Accept-Encoding": accept}
    )

    assert response.status_code == 200
    assert response.headers.get("content-encoding") == encoding
    assert response.headers["content-type"] == "application/wasm"
    assert response.headers["cache-control"] == RUNTIME_CACHE
    assert response.headers["vary"] == "Accept-Encoding"
    if body is not None:  # httpx decodes gzip itself; br it leaves alone
        assert response.content == body
    else:
        assert response.content == b"\0asm"


def test_small_text_files_are_gzipped_on_the_fly(fake: TestClient) -> None:
    response = fake.get("/components/link.py", headers={"Accept-Encoding": "gzip"})

    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.text == "LINK = 1"


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/vendor/pyodide-314.0.7/pyodide.asm.wasm", "identity"),
        ("/vendor/pyodide-314.0.7/pyodide.asm.wasm", "br"),
        ("/components/link.py", "gzip"),
        ("/components/link.py", "identity"),
    ],
)
def test_an_unchanged_file_costs_a_304(
    fake: TestClient, compressed: Path, path: str, accept: str
) -> None:
    first = fake.get(path, headers={"Accept-Encoding": accept})
    again = fake.get(
        path, headers={"Accept-Encoding": accept, "If-None-Match": first.headers["etag"]}
    )

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == first.headers["cache-control"]


def test_a_changed_file_is_sent_again(fake: TestClient, fake_root: Path) -> None:
    first = fake.get("/main.py", headers={"Accept-Encoding": "gzip"})
    (fake_root / "main.py").write_text("print('changed page')")

    again = fake.get(
        "/main.py", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]}
    )

    assert again.status_code == 200
    assert again.text == "print('changed page')"
