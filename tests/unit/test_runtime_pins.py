"""The page, its config and the vendored runtime agree: one set of pins, one set of paths.

runtime/pins.toml is the single source of truth: the npm manifest, the server's pydantic, the
versioned runtime folders that pyscript.toml and index.html name, and the modules pyscript.toml
puts into the browser's file system must all follow it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import sys
import tomllib
import zipfile
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from pyodide_patches import PATCH_LEVEL  # noqa: E402

PINS = tomllib.loads((ROOT / "runtime" / "pins.toml").read_text(encoding="utf-8"))
PYSCRIPT = tomllib.loads((ROOT / "pyscript.toml").read_text(encoding="utf-8"))
INDEX = (ROOT / "index.html").read_text(encoding="utf-8")


@cache
def vendor_runtime():
    spec = importlib.util.spec_from_file_location(
        "vendor_runtime", ROOT / "scripts/vendor_runtime.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def runtime_dirs() -> dict[str, str]:
    npm_pins, _ = vendor_runtime().load_pins()
    return vendor_runtime().runtime_dirs(npm_pins)


def test_both_pages_unpack_components_zip_and_nothing_else() -> None:
    config_page = tomllib.loads((ROOT / "config-page.toml").read_text(encoding="utf-8"))
    for config in (PYSCRIPT, config_page):
        assert config["files"] == {"./components.zip": "./*"}
    assert config_page["interpreter"] == PYSCRIPT["interpreter"]
    # Both pages load pydantic themselves (components/early.py): the chat page after the chat
    # is set, and both with pydantic-core's WebAssembly compiled from Chromium's cache.
    assert "packages" not in PYSCRIPT
    assert "packages" not in config_page


def test_components_zip_holds_every_module_compiled() -> None:
    """What `make setup` built is what components/ holds now (else: run `make setup`)."""
    built = ROOT / "components.zip"
    if not built.is_file():
        pytest.skip("components.zip is built by `make setup`")
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
    on_disk = {f"components/{p.stem}.pyc" for p in (ROOT / "components").glob("*.py")}
    assert {name for name in names if name.startswith("components/")} == on_disk
    # And the bytecode of PyScript's own package, which it writes as source at start.
    cached = {name for name in names if name.startswith("pyscript/__pycache__/")}
    assert "pyscript/__pycache__/__init__.cpython-314.pyc" in cached
    assert names == on_disk | cached


def test_runtime_folders_carry_the_pinned_versions() -> None:
    assert runtime_dirs() == {
        "pyscript": f"pyscript-{PINS['pyscript_core']}",
        # and the level of our patches to it (scripts/pyodide_patches.py)
        "pyodide": f"pyodide-{PINS['pyodide']}-p{PATCH_LEVEL}",
    }


def test_interpreter_is_the_vendored_pinned_pyodide() -> None:
    assert PYSCRIPT["interpreter"] == f"./vendor/{runtime_dirs()['pyodide']}/pyodide.mjs"


def test_index_html_loads_the_pinned_pyscript() -> None:
    folder = runtime_dirs()["pyscript"]

    assert f'<script type="module" src="vendor/{folder}/core.js"></script>' in INDEX
    assert f'<link rel="stylesheet" href="vendor/{folder}/core.css">' in INDEX


def test_every_runtime_path_in_the_page_names_a_pinned_folder() -> None:
    dirs = set(runtime_dirs().values())
    texts = {
        "index.html": INDEX,
        "pyscript.toml": (ROOT / "pyscript.toml").read_text(encoding="utf-8"),
        "config.html": (ROOT / "config.html").read_text(encoding="utf-8"),
        "config-page.toml": (ROOT / "config-page.toml").read_text(encoding="utf-8"),
    }
    for name, text in texts.items():
        used = set(re.findall(r"vendor/([^/\"'\s]+)/", text))
        assert used and used <= dirs, f"{name} names {sorted(used - dirs)}, pins say {dirs}"


def test_npm_manifest_and_lock_match_the_pins() -> None:
    manifest = json.loads((ROOT / "runtime" / "package.json").read_text())
    lock = json.loads((ROOT / "runtime" / "package-lock.json").read_text())
    expected = {"@pyscript/core": PINS["pyscript_core"], "pyodide": PINS["pyodide"]}

    assert manifest["dependencies"] == expected
    for name, version in expected.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


@pytest.mark.parametrize("distribution", ["pydantic", "pydantic_core"])
def test_server_runs_the_browsers_pydantic(distribution: str) -> None:
    assert importlib.metadata.version(distribution) == PINS[distribution]


def test_pyproject_pins_the_browsers_pydantic() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert f"pydantic=={PINS['pydantic']}" in pyproject["project"]["dependencies"]


def test_precompiled_runtime_files_are_revalidated_not_immutable() -> None:
    # The set-up step rewrites these in place under the same versioned name: they must not be
    # cached as immutable, or a browser would keep an old stdlib zip next to a new lock.
    from proxy.static import REVALIDATE, RUNTIME_CACHE, cache_control

    folder = runtime_dirs()["pyodide"]
    for name in (
        "python_stdlib.zip",
        "python_cold.zip",
        "pyodide-lock.json",
        "x-1-py3-none-any.whl",
    ):
        assert cache_control(f"/vendor/{folder}/{name}") == REVALIDATE, name
    for name in ("pyodide.asm.wasm", "pyodide.asm.mjs", "pyodide.mjs"):
        assert cache_control(f"/vendor/{folder}/{name}") == RUNTIME_CACHE, name


def test_every_preload_of_the_page_names_a_file_it_serves() -> None:
    """A preload of a file that is gone (a PyScript upgrade renames its hashed chunks) would
    cost a request and a 404 on every load, and speed nothing up."""
    from proxy.static import resolve_page_file

    hrefs = re.findall(r'<link rel="(?:module)?preload" href="([^"]+)"', INDEX)
    assert "pyscript.toml" in hrefs and len(hrefs) >= 8
    if not (ROOT / "vendor" / runtime_dirs()["pyodide"]).is_dir():  # `make unit` before setup
        built_by_setup = ("vendor/", "components.zip")
        hrefs = [href for href in hrefs if not href.startswith(built_by_setup)]
    for href in hrefs:
        assert resolve_page_file(ROOT, href) is not None, f"index.html preloads {href}: not there"


def test_set_up_moves_webassembly_out_of_a_wheel_and_leaves_a_placeholder(tmp_path) -> None:
    vendor = vendor_runtime()
    wasm = b"\0asm\x01\0\0\0" + bytes(range(256)) * 4
    member = "pkg_core/_pkg_core.cpython-314-wasm32-emscripten.so"
    wheel = tmp_path / "pkg_core-1.2.3-cp314-cp314-pyemscripten_2026_0_wasm32.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("pkg_core/__init__.py", "from ._pkg_core import *\n")
        z.writestr(member, wasm)
    pure = tmp_path / "pure-1.0-py3-none-any.whl"
    with zipfile.ZipFile(pure, "w") as z:
        z.writestr("pure/__init__.py", "")
    pure_bytes = pure.read_bytes()

    split = vendor.split_dynlibs([wheel, pure])

    name = "pkg_core-1.2.3-_pkg_core.cpython-314-wasm32-emscripten.wasm"
    assert split == {"pkg-core": {member: name}}
    assert (tmp_path / name).read_bytes() == wasm
    with zipfile.ZipFile(wheel) as z:
        assert z.read(member) == b""  # where Python's import finds the extension module
        assert z.read("pkg_core/__init__.py") == b"from ._pkg_core import *\n"
    assert pure.read_bytes() == pure_bytes  # no library: the wheel is left as it was


def test_set_up_refuses_a_shared_library_that_is_not_webassembly(tmp_path) -> None:
    vendor = vendor_runtime()
    wheel = tmp_path / "native-1.0-cp314-cp314-linux_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("native/_native.so", b"\x7fELF" + bytes(64))
    with pytest.raises(vendor.VendorError, match="not WebAssembly"):
        vendor.split_dynlibs([wheel])


def test_the_page_reads_the_lock_entry_the_set_up_step_writes() -> None:
    from components.early import LOCK_TOOL

    assert vendor_runtime().LOCK_TOOL == LOCK_TOOL


def test_vendored_webassembly_is_split_out_named_in_the_lock_and_served_as_wasm() -> None:
    from proxy.static import MEDIA_TYPES, RUNTIME_CACHE, cache_control

    folder = ROOT / "vendor" / runtime_dirs()["pyodide"]
    if not folder.is_dir():
        pytest.skip("the runtime is not vendored (make setup)")
    lock = json.loads((folder / "pyodide-lock.json").read_text(encoding="utf-8"))
    named = {}
    for entry in lock["packages"].values():
        split = entry["tool"].get(vendor_runtime().LOCK_TOOL, {}).get("dynlibs", {})
        for member, file in split.items():
            named[member] = file
            with zipfile.ZipFile(folder / entry["file_name"]) as z:
                assert z.read(member) == b"", f"{member} is still in {entry['file_name']}"
            assert (folder / file).read_bytes()[:4] == b"\0asm"
            assert MEDIA_TYPES[Path(file).suffix] == "application/wasm"  # compileStreaming
            assert cache_control(f"/vendor/{folder.name}/{file}") == RUNTIME_CACHE
    assert any(member.startswith("pydantic_core/") for member in named)
    for wheel in folder.glob("*.whl"):  # no library left in a wheel, compiled on every load
        with zipfile.ZipFile(wheel) as z:
            libraries = [i for i in z.infolist() if i.filename.endswith(".so") and i.file_size]
        assert not libraries, f"{wheel.name} still holds {libraries[0].filename}"


def test_set_up_zips_the_pure_wheels_but_not_what_webassembly_depends_on(tmp_path) -> None:
    vendor = vendor_runtime()
    contents = {
        "core-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl": {"core/__init__.pyc": b"c"},
        "typing_x-1.0-py3-none-any.whl": {"typing_x.pyc": b"t"},  # core depends on it
        "app-2.0-py3-none-any.whl": {"app/__init__.pyc": b"a", "app-2.0.dist-info/RECORD": b""},
        "helper-3.0-py3-none-any.whl": {"helper.pyc": b"h"},
    }
    wheels = []
    for name, files in contents.items():
        wheels.append(tmp_path / name)
        with zipfile.ZipFile(wheels[-1], "w") as z:
            for member, data in files.items():
                z.writestr(member, data)
    depends = {"core": ["typing-x"], "typing-x": [], "app": ["core", "helper"], "helper": []}
    lock = {"packages": {name: {"depends": deps} for name, deps in depends.items()}}

    zipped = vendor.zip_pure_packages(wheels, lock)

    assert zipped == ["app", "helper"]
    with zipfile.ZipFile(tmp_path / vendor.PURE_ZIP) as z:
        assert {i.filename: z.read(i) for i in z.infolist()} == {
            "app/__init__.pyc": b"a",
            "app-2.0.dist-info/RECORD": b"",
            "helper.pyc": b"h",
        }
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_STORED}  # read in place


def test_vendored_pure_packages_are_one_zip_named_in_the_lock() -> None:
    folder = ROOT / "vendor" / runtime_dirs()["pyodide"]
    if not folder.is_dir():
        pytest.skip("the runtime is not vendored (make setup)")
    lock = json.loads((folder / "pyodide-lock.json").read_text(encoding="utf-8"))
    tool = vendor_runtime().LOCK_TOOL
    zipped = {n for n, e in lock["packages"].items() if e["tool"].get(tool, {}).get("zip")}
    assert zipped == {"pydantic", "annotated-types", "typing-inspection", "pyodide-http"}
    with zipfile.ZipFile(folder / vendor_runtime().PURE_ZIP) as z:
        names = set(z.namelist())
    assert {"pydantic/__init__.pyc", "annotated_types/__init__.pyc"} <= names
    assert not any(name.startswith(("pydantic_core/", "typing_extensions")) for name in names)
