"""The inbox that keeps the chat window's messages until the controller exists."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from components.early import PYDANTIC_STDLIB, EarlyInbox

ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def handle_message(self, origin, from_chat_window, data) -> None:
        self.seen.append((origin, from_chat_window, data))


def test_early_messages_reach_the_controller_in_order_then_go_straight_through() -> None:
    inbox, controller = EarlyInbox(), Recorder()
    inbox.handle_message("https://chat", True, "one")
    inbox.handle_message("https://evil", False, None)

    assert inbox.hand_over(controller) == 0
    inbox.handle_message("https://chat", True, "two")

    assert [data for _, _, data in controller.seen] == ["one", None, "two"]
    assert inbox.pending == []


def test_a_flood_before_the_page_is_ready_is_capped_and_counted() -> None:
    inbox, controller = EarlyInbox(limit=3), Recorder()
    for n in range(5):
        inbox.handle_message("https://chat", True, str(n))

    assert inbox.hand_over(controller) == 2
    assert [data for _, _, data in controller.seen] == ["0", "1", "2"]


def test_the_stdlib_imported_during_the_wheel_wait_is_what_pydantic_and_the_page_import() -> None:
    """A name pydantic no longer imports would be wasted time; check it still is imported."""
    code = "import sys, components.controller; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    imported = set(out.stdout.split())
    assert imported, out.stderr
    assert set(PYDANTIC_STDLIB) <= imported


def test_the_stdlib_imported_during_the_wheel_wait_is_in_the_zip_pyodide_loads_at_start() -> None:
    """Not in python_cold.zip: importing one from there would be a download the page waits on."""
    stdlib = sorted(ROOT.glob("vendor/pyodide-*/python_stdlib.zip"))
    if not stdlib:
        pytest.skip("vendor/ is built by `make setup`")
    names = set(zipfile.ZipFile(stdlib[0]).namelist())
    for module in PYDANTIC_STDLIB:
        assert {f"{module}.pyc", f"{module}/__init__.pyc"} & names, module
