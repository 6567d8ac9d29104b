"""Start the benchmark's servers (bench/servers.py) on free ports and stop them afterwards.

with running_stack(workdir) as stack:
    stack.page_url       # "http://127.0.0.1:41234"
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from demo.servers import first_silent

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("page", "sandbox", "crm")
START_TIMEOUT_S = 60
NO_LIMIT = 10**9


class StackFailed(Exception):
    pass


@dataclass(frozen=True)
class Stack:
    page_url: str
    sandbox_url: str
    crm_url: str
    api_key: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_stack(workdir: Path) -> Iterator[Stack]:
    ports = {name: free_port() for name in ("PORT", "SANDBOX_PORT", "CRM_PORT")}
    api_key = "bench-api-key-" + os.urandom(10).hex()
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "CRM_DB": str(workdir / "crm.sqlite3"),
        "WAZZUP_API_KEY": api_key,
        "WAZZUP_PARTNER_TOKEN": "bench-partner-" + os.urandom(10).hex(),
        "PYTHONUNBUFFERED": "1",
        # The load test sends thousands of link requests from one client: keep the proxy's
        # limiters in the path, but out of the way.
        "CLIENT_RATE_LIMIT": str(NO_LIMIT),
        "UPSTREAM_RATE_LIMIT": str(NO_LIMIT),
    }
    stack = Stack(
        page_url=f"http://127.0.0.1:{ports['PORT']}",
        sandbox_url=f"http://127.0.0.1:{ports['SANDBOX_PORT']}",
        crm_url=f"http://127.0.0.1:{ports['CRM_PORT']}",
        api_key=api_key,
    )
    processes: list[tuple[subprocess.Popen, Path]] = []
    try:
        for role in ROLES:
            log = workdir / f"{role}.log"
            with log.open("wb") as out:
                command = [sys.executable, "-m", "bench.servers", role]
                processes.append(
                    (subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out), log)
                )
        health = [f"{stack.page_url}/api/health", f"{stack.crm_url}/records", stack.sandbox_url]
        _wait_until_up(health, processes)
        yield stack
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_up(urls: list[str], processes: list[tuple[subprocess.Popen, Path]]) -> None:
    silent = first_silent(
        urls, lambda: all(p.poll() is None for p, _ in processes), START_TIMEOUT_S
    )
    if silent is not None:
        logs = "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}" for _, log in processes
        )
        raise StackFailed(f"servers did not start ({silent} not answering):\n{logs}")
