"""Run several ASGI apps in one process, one uvicorn server each, started and stopped together.

    services = [Service("Sample CRM", crm_app, 8002, "CRM_PORT"), ...]
    asyncio.run(serve_all(services, host="127.0.0.1", on_ready=print_banner))

Every port is bound before any server starts, so a busy port fails fast with `PortBusy`
naming the port and its environment variable. SIGINT and SIGTERM stop all servers; one that
fails (say, its app's startup raised) takes the others down and raises `ServiceFailed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

STARTUP_POLL_SECONDS = 0.05
# Open requests get this long to finish on Ctrl-C, so a stuck client cannot hold the exit.
GRACEFUL_SHUTDOWN_SECONDS = 3


@dataclass(frozen=True)
class Service:
    name: str
    app: ASGIApp
    port: int
    port_env: str  # the variable that changes the port, named when the port is busy
    on_stop: Callable[[], None] | None = None  # lets an app end long requests on Ctrl-C


class PortBusy(Exception):
    def __init__(self, service: Service, host: str, reason: str) -> None:
        self.service = service
        super().__init__(
            f"{service.name} cannot listen on {host}:{service.port} ({reason}); "
            f"set {service.port_env} to another port"
        )


class ServiceFailed(Exception):
    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(f"{', '.join(names)} stopped unexpectedly (see the error above)")


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals alone: `serve_all` handles them for every server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_all(
    services: Sequence[Service], *, host: str, on_ready: Callable[[], None] = lambda: None
) -> int:
    """Serve until SIGINT/SIGTERM (then return 0); raise ServiceFailed if a server fails."""
    sockets = bind_all(services, host)
    servers = [
        _Server(
            uvicorn.Config(
                service.app,
                host=host,
                port=service.port,
                log_level="warning",
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            )
        )
        for service in services
    ]

    def stop() -> None:
        for service in services:
            if service.on_stop:
                service.on_stop()
        for server in servers:
            server.force_exit = server.should_exit  # a second Ctrl-C skips the graceful wait
            server.should_exit = True

    with _handling_signals(stop):
        tasks = [
            asyncio.create_task(_serve(server, sock))
            for server, sock in zip(servers, sockets, strict=True)
        ]
        while not all(server.started for server in servers):
            if any(task.done() for task in tasks):
                stop()  # one failed to start: take the others down too
                break
            await asyncio.sleep(STARTUP_POLL_SECONDS)
        else:
            on_ready()
        results = await asyncio.gather(*tasks)
    failed = [service.name for service, ok in zip(services, results, strict=True) if not ok]
    if failed:
        raise ServiceFailed(failed)
    return 0


def bind_all(services: Sequence[Service], host: str) -> list[socket.socket]:
    sockets: list[socket.socket] = []
    try:
        for service in services:
            sockets.append(_bind(service, host))
    except PortBusy:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _bind(service: Service, host: str) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio turns on TCP_NODELAY only for sockets that say they are TCP
    # (asyncio.base_events._set_nodelay). Without it a keep-alive response, written as headers
    # then body, waits ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    # As uvicorn does: reuse a port left in TIME_WAIT, never one that is listening.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, service.port))
    except OSError as error:
        sock.close()
        raise PortBusy(service, host, error.strerror or str(error)) from None
    return sock


async def _serve(server: uvicorn.Server, sock: socket.socket) -> bool:
    try:
        await server.serve(sockets=[sock])
    except SystemExit:  # uvicorn exits when an app's lifespan startup fails
        sock.close()
        return False
    return server.started


@contextlib.contextmanager
def _handling_signals(stop: Callable[[], None]) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    try:
        for sig in signals:
            loop.add_signal_handler(sig, stop)
    except NotImplementedError:  # Windows: no loop signal handlers
        for sig in signals:
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop))
    try:
        yield
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)


def first_silent(
    urls: Sequence[str], still_running: Callable[[], bool], timeout_s: float = 60.0
) -> str | None:
    """For a caller that started servers in other processes: the first of `urls` that has not
    answered within `timeout_s` (any HTTP status is an answer), or None once all have. Gives
    up early when `still_running()` says the servers' process has exited."""
    deadline = time.monotonic() + timeout_s
    pending = list(urls)
    while pending and time.monotonic() < deadline and still_running():
        try:
            urllib.request.urlopen(pending[0], timeout=2).close()
            pending.pop(0)
        except urllib.error.HTTPError:
            pending.pop(0)  # it answered: it is up
        except OSError:
            time.sleep(0.2)
    return pending[0] if pending else None
