"""The signing snippets of the README and docs/security.md, run for real: the proxy must accept
their tokens. A snippet that appears in both files must be the same in both."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from components.launch import link_request_from_launch, read_launch
from proxy.app import create_app
from proxy.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
README = ROOT / "README.md"
SECRET = "snippet-secret-0123456789abcdef0123456789"
LINK = "https://12345678.wazzup24.com/chat/abc?token=TOKEN"


def snippet(name: str) -> str:
    found = {}
    pattern = rf"<!-- snippet: {name} -->\n```\w+\n(.*?)```"
    for doc in (DOC, README):
        match = re.search(pattern, doc.read_text(), re.DOTALL)
        if match:
            found[doc.name] = match.group(1)
    assert found, f"docs/security.md has no snippet {name!r}"
    assert len(set(found.values())) == 1, f"snippet {name!r} differs between {sorted(found)}"
    return next(iter(found.values()))


@pytest.mark.parametrize("name", ["python-stdlib", "node", "php"])
def test_the_readme_shows_the_signing_snippet(name: str) -> None:
    assert f"<!-- snippet: {name} -->" in README.read_text()


def run(command: list[str]) -> str:
    env = {**os.environ, "LAUNCH_SECRET": SECRET}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def signed_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for name in ("ALLOW_UNSIGNED", "DEMO", "LAUNCH_KEYS"):
        monkeypatch.delenv(name, raising=False)
    wazzup = httpx.MockTransport(lambda request: httpx.Response(200, json={"url": LINK}))
    settings = Settings(
        wazzup_api_key="0123456789abcdef0123456789abcdef", launch_keys=f"crm-1:{SECRET}"
    )
    with TestClient(create_app(settings, http=httpx.AsyncClient(transport=wazzup))) as client:
        yield client


def assert_proxy_accepts(url: str, proxy: TestClient) -> None:
    assert url.startswith("https://chat.example.com/?launch=")
    token = parse_qs(urlsplit(url).query)["launch"][0]
    request = link_request_from_launch(read_launch(token))

    response = proxy.post(
        "/api/link", json=request.to_v3(), headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"url": LINK}
    replay = proxy.post(
        "/api/link", json=request.to_v3(), headers={"Authorization": f"Bearer {token}"}
    )
    assert replay.json()["code"] == "LAUNCH_REPLAYED"  # the snippet made a real nonce


def test_python_stdlib_snippet_signs_a_launch_the_proxy_accepts(signed_proxy: TestClient) -> None:
    url = run([sys.executable, "-I", "-c", snippet("python-stdlib")])

    assert_proxy_accepts(url, signed_proxy)


def test_pyjwt_snippet_signs_a_launch_the_proxy_accepts(signed_proxy: TestClient) -> None:
    url = run([sys.executable, "-c", snippet("python-pyjwt")])

    assert_proxy_accepts(url, signed_proxy)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_snippet_signs_a_launch_the_proxy_accepts(signed_proxy: TestClient) -> None:
    url = run(["node", "-e", snippet("node")])

    assert_proxy_accepts(url, signed_proxy)


@pytest.mark.skipif(shutil.which("php") is None, reason="php is not installed (snippet untested)")
def test_php_snippet_signs_a_launch_the_proxy_accepts(
    signed_proxy: TestClient, tmp_path: Path
) -> None:
    script = tmp_path / "sign.php"
    script.write_text(snippet("php"))

    assert_proxy_accepts(run(["php", str(script)]), signed_proxy)
