"""scripts/pyodide_patches.py: each patch fits exactly once or the set-up stops; the vendored
runtime carries them and the benchmark's stock copy does not. What they do is covered by every
end-to-end test: each loads pydantic-core, a side module linked through the patched GOT."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from pyodide_patches import (  # noqa: E402
    PATCH_LEVEL,
    PATCHED_FILE,
    PATCHES,
    PatchError,
    folder_name,
    patch_source,
)

PYODIDE_VERSION = tomllib.loads((ROOT / "runtime" / "pins.toml").read_text())["pyodide"]


def stand_in(pieces) -> str:
    """A stand-in for pyodide.asm.mjs: the given pieces, once each, among other code."""
    return "/*start*/" + "\n/*...*/\n".join(pieces) + "/*end*/"


def pristine() -> str:
    return stand_in(patch.old for patch in PATCHES)


def test_every_patch_replaces_its_piece_and_nothing_else() -> None:
    assert patch_source(pristine()) == stand_in(patch.new for patch in PATCHES)


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.name)
def test_a_missing_piece_stops_the_set_up(patch) -> None:
    source = pristine().replace(patch.old, "/*something else*/")
    with pytest.raises(PatchError, match=f"{patch.name!r}: expected its code once.*found it 0"):
        patch_source(source)


def test_a_piece_found_twice_stops_the_set_up() -> None:
    twice = pristine() + PATCHES[0].old
    with pytest.raises(PatchError, match="found it 2 times"):
        patch_source(twice)


def test_the_folder_names_the_patch_level() -> None:
    assert folder_name("314.0.7") == f"pyodide-314.0.7-p{PATCH_LEVEL}"


def test_the_vendored_runtime_is_patched_and_the_stock_floor_is_not() -> None:
    vendored = ROOT / "vendor" / folder_name(PYODIDE_VERSION) / PATCHED_FILE
    stock = ROOT / "build" / "stock" / "pyodide" / PATCHED_FILE
    if not vendored.is_file() or not stock.is_file():
        pytest.skip("the runtime is vendored by `make setup`")
    patched, pristine_npm = vendored.read_text(), stock.read_text()
    assert patch_source(pristine_npm) == patched
    for patch in PATCHES:
        assert pristine_npm.count(patch.old) == 1
