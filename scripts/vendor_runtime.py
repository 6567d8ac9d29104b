#!/usr/bin/env python3
"""Vendor the browser runtime (PyScript + Pyodide + browser wheels) offline, built for speed.

Produces (gitignored, never committed):

    vendor/pyscript-<version>/  @pyscript/core dist files (core.js, core.css, chunks)
    vendor/pyodide-<version>-p<N>/  pyodide core files + browser wheels + pyodide-lock.json;
                                its pyodide.asm.mjs carries our patches, level N
                                (scripts/pyodide_patches.py)
    build/stock/                the same two folders exactly as npm ships them (no wheels):
                                the "stock PyScript" floor of the benchmark (bench/)

The folders carry the pinned version, so what npm ships in them can be cached as immutable
(proxy/static.py); pyscript.toml and index.html name them (tests/unit/test_runtime_pins.py).

What makes the page fast is built here:

- the stdlib zip and every wheel are precompiled to bytecode by Pyodide itself, running under
  Node (runtime/precompile.mjs), so the browser imports instead of compiling; the lock's
  sha256 follow the rewritten wheels;
- what the page does not import at start (found by following main.py's and components/'
  imports under Node: runtime/trace_imports.py) moves to python_cold.zip, fetched on first
  import by a finder installed as sitecustomize (runtime/cold_modules.py): fewer bytes and a
  smaller zip to open at start, and still every module importable;
- each wheel's WebAssembly (pydantic-core's 4.7 MB) moves out into a file of its own, named
  in the lock (split_dynlibs), so the page compiles it with compileStreaming, which Chromium
  keeps compiled between loads;
- the pure-Python wheels that no WebAssembly package depends on go into one pure-packages.zip,
  named in the lock (zip_pure_packages), which the page puts on sys.path as it is instead of
  having Pyodide unpack each wheel file by file;
- Emscripten's dynamic linker, which runs before Python starts, is patched
  (scripts/pyodide_patches.py): one wrapper module per signature, and the main module's
  exports enter the offset table when a module asks for them;
- every vendored file that compresses gets a `.br` (Node's brotli, runtime/compress.mjs) and a
  `.gz` sibling, which the proxy (or any static host with gzip_static/brotli_static) sends.

All versions come from runtime/pins.toml. The npm packages are installed with
``npm ci`` from runtime/package-lock.json in build/npm/, the wheels are fetched
from PyPI with ``python -m pip download`` for the Pyodide platform, and
pyodide-lock.json is rewritten with pyodide-lock (``pyodide-lock[wheel]``) so
that ``packages = ["pydantic", "pyodide-http"]`` resolves to the local wheels.
The lock lists exactly the wheels we ship (nothing that would 404).

Idempotent: a stamp (vendor/.vendor-stamp.json) keyed on the pins, the npm
manifest/lock, runtime/*, this script and the module names the page imports makes a second
run a no-op. ``--force`` rebuilds; build/compressed/ keeps brotli results by content hash.

Stdlib only, except that the lock rewrite imports pyodide_lock (with its
``wheel`` extra: packaging, pkginfo) from the interpreter running this script; needs node
and npm on PATH.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib  # Python >= 3.11
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or loaded by tests
from pyodide_patches import PATCHED_FILE, PatchError, folder_name, patch_source

REPO = Path(__file__).resolve().parents[1]
RUNTIME = REPO / "runtime"
PINS_FILE = RUNTIME / "pins.toml"
PKG_JSON = RUNTIME / "package.json"
PKG_LOCK = RUNTIME / "package-lock.json"
BUILD = REPO / "build"
VENDOR = REPO / "vendor"
STAMP = VENDOR / ".vendor-stamp.json"

NPM_KEYS = {"pyscript_core": "@pyscript/core", "pyodide": "pyodide"}
# Files of the pyodide npm package that are not runtime files.
PYODIDE_SKIP = re.compile(r"(\.d\.ts|\.html|^README\.md|^package\.json|^pyodide-lock\.json)$")
PYODIDE_REQUIRED = ("pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
PYSCRIPT_REQUIRED = ("core.js", "core.css")
STOCK = BUILD / "stock"
PRECOMPILE = RUNTIME / "precompile.mjs"
COLD_ZIP = "python_cold.zip"  # runtime/cold_modules.py fetches it on first use
# components/ as one zip of sources and bytecode, for pyscript.toml's [files]: PyScript unpacks
# it into its working folder, /home/pyodide (scripts/vendor_runtime.py build_app_zip).
APP_ZIP = REPO / "components.zip"
APP_MOUNT = "/home/pyodide/components"
# PyScript writes its `pyscript` package there as source at every start and compiles it; the
# app zip brings its bytecode along (`pyscript/__pycache__/`). The exact sources come with the
# npm package, as the module PyScript's build generates from them.
PYSCRIPT_SOURCES = "@pyscript/core/src/stdlib/pyscript.js"
PYSCRIPT_MOUNT = "/home/pyodide/pyscript"
# Modules the page loads at start that following its imports under Node does not find:
# PyScript's own Python imports html (pyscript.display), and pyodide-http decodes synchronous
# responses as ISO-8859-15 (its way to read bytes). A miss costs a download, never an error
# (runtime/cold_modules.py), and shows as a "cold-modules-loaded" mark `make bench` reports.
EXTRA_HOT = ("html", "encodings.iso8859_15")
# Where the lock names the WebAssembly split out of a wheel and the zip that holds a pure-Python
# package: the package entry's tool["wazzup-chat-window"]["dynlibs"] and ["zip"]
# (components/early.py LOCK_TOOL reads them).
LOCK_TOOL = "wazzup-chat-window"
PURE_ZIP = "pure-packages.zip"
WASM_MAGIC = b"\0asm"
COMPRESS = RUNTIME / "compress.mjs"
# Compressed siblings are kept only when they save at least this much, for files this big.
MIN_SAVING = 0.10
MIN_COMPRESS_BYTES = 1024
NO_COMPRESS = re.compile(r"(\.br|\.gz|\.map|LICENSE)$")


def runtime_dirs(npm_pins: dict[str, str]) -> dict[str, str]:
    """{"pyscript": "pyscript-0.7.31", "pyodide": "pyodide-314.0.7-p2"}: the vendor/ folders.
    Pyodide's names the level of our patches to it (scripts/pyodide_patches.py)."""
    return {
        "pyscript": f"pyscript-{npm_pins['@pyscript/core']}",
        "pyodide": folder_name(npm_pins["pyodide"]),
    }


class VendorError(Exception):
    pass


def log(msg: str) -> None:
    print(f"vendor_runtime: {msg}", flush=True)


def canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --------------------------------------------------------------------------- pins
def package_name(wheel: Path) -> str:
    """The lock's name of a wheel's package: `pydantic_core-2.50.4-...whl` -> pydantic-core."""
    return canon(wheel.name.split("-")[0])


def load_pins() -> tuple[dict[str, str], dict[str, str]]:
    """Return (npm pins {npm name: version}, wheel pins {canonical name: version})."""
    try:
        pins = tomllib.loads(PINS_FILE.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise VendorError(f"cannot read {PINS_FILE}: {e}") from e
    for key, val in pins.items():
        if not isinstance(val, str) or not re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", val):
            raise VendorError(f"{PINS_FILE.name}: {key} must be an exact version, got {val!r}")
    missing = [k for k in NPM_KEYS if k not in pins]
    if missing:
        raise VendorError(f"{PINS_FILE.name}: missing key(s) {missing}")
    npm = {NPM_KEYS[k]: pins[k] for k in NPM_KEYS}
    wheels = {canon(k): v for k, v in pins.items() if k not in NPM_KEYS}
    if not wheels:
        raise VendorError(f"{PINS_FILE.name}: no wheel pins")
    return npm, wheels


def check_npm_manifest(npm_pins: dict[str, str]) -> None:
    """runtime/package.json and package-lock.json must agree with pins.toml."""
    try:
        manifest = json.loads(PKG_JSON.read_text(encoding="utf-8"))
        lock = json.loads(PKG_LOCK.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise VendorError(f"cannot read {PKG_JSON} / {PKG_LOCK}: {e}") from e
    deps = manifest.get("dependencies", {})
    lock_pkgs = lock.get("packages", {})
    problems = []
    if set(deps) != set(npm_pins):
        problems.append(f"package.json dependencies {sorted(deps)} != {sorted(npm_pins)}")
    for name, ver in npm_pins.items():
        if deps.get(name) != ver:
            problems.append(f"package.json {name}={deps.get(name)!r}, pins.toml says {ver!r}")
        got = lock_pkgs.get(f"node_modules/{name}", {}).get("version")
        if got != ver:
            problems.append(f"package-lock.json {name}={got!r}, pins.toml says {ver!r}")
    if lock_pkgs.get("", {}).get("dependencies") != deps:
        problems.append(
            "package-lock.json is out of date with package.json "
            "(run: cd runtime && npm install --package-lock-only)"
        )
    if problems:
        raise VendorError("npm pins disagree:\n  " + "\n  ".join(problems))


def stamp_key() -> str:
    h = hashlib.sha256()
    for f in (
        PINS_FILE,
        PKG_JSON,
        PKG_LOCK,
        PRECOMPILE,
        RUNTIME / "precompile.py",
        RUNTIME / "trace_imports.py",
        RUNTIME / "cold_modules.py",
        COMPRESS,
        Path(__file__).resolve(),
        Path(__file__).resolve().with_name("pyodide_patches.py"),
    ):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    h.update(json.dumps([app_imports(), EXTRA_HOT]).encode())
    return h.hexdigest()


def up_to_date(key: str) -> bool:
    try:
        stamp = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if stamp.get("key") != key:
        return False
    files = [VENDOR / rel for rel in stamp.get("files", ["-"])]
    files += [STOCK / rel for rel in stamp.get("stock", ["-"])]
    return all(f.is_file() for f in files)


# ---------------------------------------------------------------------- helpers
def run(cmd: list[str], cwd: Path, what: str) -> None:
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    except OSError as e:
        raise VendorError(f"{what} failed to start ({cmd[0]}): {e}") from e
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-40:])
        raise VendorError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# -------------------------------------------------------------------------- npm
def npm_install() -> Path:
    npm = shutil.which("npm")
    if not npm:
        raise VendorError("npm not found on PATH (apt-get install -y nodejs npm)")
    work = BUILD / "npm"
    work.mkdir(parents=True, exist_ok=True)
    for f in (PKG_JSON, PKG_LOCK):
        shutil.copy2(f, work / f.name)
    log("npm ci (build/npm) ...")
    run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], work, "npm ci")
    return work / "node_modules"


def stage_npm(
    node_modules: Path, npm_pins: dict[str, str], stage: Path, dirs: dict[str, str]
) -> tuple[Path, Path]:
    """Copy the npm runtime into stage/<dirs[...]>; return (pyodide folder, npm's lock)."""
    for name, ver in npm_pins.items():
        got = json.loads((node_modules / name / "package.json").read_text())["version"]
        if got != ver:
            raise VendorError(f"npm installed {name} {got}, expected {ver}")
    pyscript_src = node_modules / "@pyscript" / "core" / "dist"
    pyscript_dst = stage / dirs["pyscript"]
    shutil.copytree(pyscript_src, pyscript_dst)
    lic = node_modules / "@pyscript" / "core" / "LICENSE"
    if lic.is_file():
        shutil.copy2(lic, pyscript_dst / "LICENSE")
    pyodide_src = node_modules / "pyodide"
    pyodide_dst = stage / dirs["pyodide"]
    pyodide_dst.mkdir()
    for f in sorted(pyodide_src.iterdir()):
        if f.is_file() and not PYODIDE_SKIP.search(f.name):
            shutil.copy2(f, pyodide_dst / f.name)
    for d, required in ((pyscript_dst, PYSCRIPT_REQUIRED), (pyodide_dst, PYODIDE_REQUIRED)):
        for name in required:
            if not (d / name).is_file():
                raise VendorError(f"expected {name} in {d.name} (npm package layout changed?)")
    return pyodide_dst, pyodide_src / "pyodide-lock.json"


def patch_pyodide(pyodide_dir: Path) -> None:
    """Apply scripts/pyodide_patches.py to the staged pyodide.asm.mjs (not to the stock copy)."""
    target = pyodide_dir / PATCHED_FILE
    try:
        patched = patch_source(target.read_text(encoding="utf-8"))
    except PatchError as e:
        raise VendorError(str(e)) from e
    target.write_text(patched, encoding="utf-8")
    log(f"patched {PATCHED_FILE}: a faster dynamic linker, and no JSPI (pyodide_patches.py)")


# ----------------------------------------------------------------------- wheels
def download_wheels(wheel_pins: dict[str, str], info: dict, dest: Path) -> list[Path]:
    py = re.match(r"(\d+)\.(\d+)", info["python"])
    if not py or not info.get("abi_version"):
        raise VendorError(f"unexpected pyodide-lock info: {info}")
    platform = f"pyemscripten_{info['abi_version']}_{info.get('arch', 'wasm32')}"
    pyver = f"{py.group(1)}.{py.group(2)}"
    reqs = [f"{name}=={ver}" for name, ver in sorted(wheel_pins.items())]
    log(f"pip download {len(reqs)} wheels for {platform} / Python {pyver} ...")
    fresh_dir(dest)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--only-binary=:all:",
            "--platform",
            platform,
            "--platform",
            "any",
            "--python-version",
            pyver,
            "--implementation",
            "cp",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
            "-d",
            str(dest),
            *reqs,
        ],
        REPO,
        "pip download",
    )
    wheels = sorted(dest.glob("*.whl"))
    got = {}
    for w in wheels:
        name, ver = w.name.split("-")[:2]
        got[canon(name)] = ver
    if got != wheel_pins:
        extra = {k: v for k, v in got.items() if wheel_pins.get(k) != v}
        missing = {k: v for k, v in wheel_pins.items() if got.get(k) != v}
        raise VendorError(
            "downloaded wheels do not match pins.toml "
            f"(unpinned/different: {extra}; missing: {missing}). "
            "Pin the full dependency closure in runtime/pins.toml."
        )
    return wheels


# ------------------------------------------------------------------------- lock
def build_lock(npm_lock: dict, wheels: list[Path], pyodide_version: str) -> dict:
    """Return a pyodide-lock.json dict listing exactly ``wheels`` (same folder).

    pyodide-lock (0.1.2, newest on PyPI) predates Pyodide 314's lock format: it
    rejects the per-package ``tool`` field, requires ``info.version`` and only
    knows the old ``emscripten_X_Y_Z_wasm32`` wheel tag, not the PEP 783
    ``pyemscripten_2026_0_wasm32`` tag. So we feed it a sanitised copy, widen
    its tag check for the ABI of this lock, and merge its per-wheel entries
    (name, version, sha256, imports, depends) back into the original format.
    """
    try:
        import packaging  # noqa: F401  (needed by add_wheels_to_spec)
        import pkginfo  # noqa: F401
        import pyodide_lock.utils as plu
        from pyodide_lock import PyodideLockSpec
        from pyodide_lock.spec import InfoSpec, PackageSpec
    except ImportError as e:
        raise VendorError(
            f"{e}. Install it into this interpreter ({sys.executable}): "
            "python -m pip install 'pyodide-lock[wheel]'"
        ) from e

    info = npm_lock["info"]
    sane_info = {k: v for k, v in info.items() if k in InfoSpec.model_fields}
    sane_info.setdefault("version", pyodide_version)
    sane_pkgs = {
        name: {k: v for k, v in pkg.items() if k in PackageSpec.model_fields}
        for name, pkg in npm_lock["packages"].items()
    }
    spec = PyodideLockSpec.model_validate({"info": sane_info, "packages": sane_pkgs})

    abi_platform = f"pyemscripten_{info['abi_version']}_{info.get('arch', 'wasm32')}"
    py = re.match(r"(\d+)\.(\d+)", info["python"])
    cp = f"cp{py.group(1)}{py.group(2)}"
    original_check = plu._check_wheel_compatible

    def check(path: Path, inf) -> None:
        m = re.fullmatch(r"[^-]+-[^-]+(?:-\d[^-]*)?-([^-]+)-([^-]+)-([^-]+)\.whl", path.name)
        if m:
            interp, abi, plats = m.groups()
            if (
                abi_platform in plats.split(".")
                and cp in interp.split(".")
                and abi in (cp, "abi3", "none")
            ):
                return
        original_check(path, inf)

    plu._check_wheel_compatible = check
    try:
        new = plu.add_wheels_to_spec(spec, wheels, base_path=wheels[0].parent)
    finally:
        plu._check_wheel_compatible = original_check

    packages = {}
    for w in wheels:
        name = package_name(w)
        entry = new.packages[name].model_dump()
        entry.setdefault("tool", {})  # keep Pyodide 314's own entry shape
        packages[name] = dict(sorted(entry.items()))

    # Every dependency must be something we ship; file names must be local.
    for name, entry in packages.items():
        if "/" in entry["file_name"] or not (wheels[0].parent / entry["file_name"]).is_file():
            raise VendorError(f"lock entry {name}: {entry['file_name']!r} is not vendored")
        if entry["sha256"] != sha256_file(wheels[0].parent / entry["file_name"]):
            raise VendorError(f"lock entry {name}: sha256 mismatch")
        missing = [d for d in entry["depends"] if canon(d) not in packages]
        if missing:
            raise VendorError(f"lock entry {name} depends on {missing}: not pinned/vendored")
    out = {"info": info, "packages": dict(sorted(packages.items()))}
    if "tool" in npm_lock:
        out["tool"] = npm_lock["tool"]
    return out


def check_imports(wheels: list[Path], lock: dict) -> None:
    for w in wheels:
        with zipfile.ZipFile(w) as z:
            if z.testzip() is not None:
                raise VendorError(f"corrupt wheel {w.name}")
    if "pydantic" in lock["packages"] and "pydantic" not in lock["packages"]["pydantic"]["imports"]:
        raise VendorError("lock entry for pydantic does not provide 'import pydantic'")


# ------------------------------------------------------------------ speed-ups
def split_dynlibs(wheels: list[Path]) -> dict[str, dict[str, str]]:
    """Move every shared library out of its wheel into a `.wasm` file of its own next to it,
    leaving an empty file of the same name in the wheel, where Python's import looks for it.

    Pyodide compiles a library it unpacks from a wheel anew on every load; the page compiles
    the `.wasm` with WebAssembly.compileStreaming instead, which Chromium keeps compiled between
    loads, and hands it to Pyodide's loader before the wheel is installed (components/early.py).
    Returns {package: {path inside site-packages: file name}}, for the lock.
    """
    split = {package_name(wheel): _split_wheel(wheel) for wheel in wheels}
    return {name: files for name, files in split.items() if files}


def _split_wheel(wheel: Path) -> dict[str, str]:
    """split_dynlibs for one wheel, rewritten in place: {member: file name}, {} if none."""
    with zipfile.ZipFile(wheel) as z:
        members = z.infolist()
        if not any(m.filename.endswith(".so") for m in members):
            return {}
        dist, version = wheel.name.split("-")[:2]
        files: dict[str, str] = {}
        staged = wheel.with_name(wheel.name + ".split")
        with zipfile.ZipFile(staged, "w") as out:
            for member in members:
                data = z.read(member)
                if member.filename.endswith(".so"):
                    if not data.startswith(WASM_MAGIC):
                        raise VendorError(f"{wheel.name}: {member.filename} is not WebAssembly")
                    name = f"{dist}-{version}-{Path(member.filename).stem}.wasm"
                    (wheel.parent / name).write_bytes(data)
                    files[member.filename] = name
                    data = b""
                out.writestr(member, data)
    os.replace(staged, wheel)
    return files


def zip_pure_packages(wheels: list[Path], lock: dict) -> list[str]:
    """Put the pure-Python wheels' files into one zip next to them (PURE_ZIP), which the page
    puts on sys.path as it is, as Pyodide does with its standard library: Pyodide's install
    unpacked every wheel file by file into its file system on every load (components/early.py).
    Left out: what a package with WebAssembly depends on, which Pyodide installs along with it.
    Returns the names of the packages the zip holds, for the lock.
    """
    by_name = {package_name(wheel): wheel for wheel in wheels}
    installed: set[str] = set()
    todo = [name for name, wheel in by_name.items() if not wheel.name.endswith("-none-any.whl")]
    while todo:
        name = todo.pop()
        if name not in installed:
            installed.add(name)
            todo += [canon(dep) for dep in lock["packages"][name]["depends"]]
    zipped = sorted(set(by_name) - installed)
    seen: set[str] = set()
    with zipfile.ZipFile(wheels[0].parent / PURE_ZIP, "w") as out:  # stored, not deflated
        for name in zipped:
            with zipfile.ZipFile(by_name[name]) as wheel:
                for member in wheel.infolist():
                    if member.filename in seen:
                        raise VendorError(f"{member.filename} is in two wheels: cannot zip them")
                    seen.add(member.filename)
                    out.writestr(
                        zipfile.ZipInfo(member.filename, member.date_time), wheel.read(member)
                    )
    return zipped


def node() -> str:
    path = shutil.which("node")
    if not path:
        raise VendorError("node not found on PATH (apt-get install -y nodejs npm)")
    return path


def app_files() -> list[Path]:
    """The page's Python: what it imports decides which stdlib modules load at start."""
    return [REPO / "main.py", *sorted((REPO / "components").glob("*.py"))]


def app_imports() -> list[str]:
    """Every module name the page's Python imports (part of the stamp: a new import may
    change the stdlib split)."""
    names = set()
    for file in app_files():
        for node in ast.walk(ast.parse(file.read_bytes(), str(file))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    return sorted(names)


def precompile(node_modules: Path, pyodide_dir: Path, wheels: list[Path]) -> dict:
    """Rewrite the stdlib zip and the wheels as bytecode compiled by Pyodide under Node, with
    what the page does not load at start moved to python_cold.zip (runtime/precompile.py).
    Returns what went where: {"stdlib": [...], "site": [...], "cold": [...]}."""
    work = fresh_dir(BUILD / "precompiled")
    stdlib = pyodide_dir / "python_stdlib.zip"
    report = work / "split.json"
    options: list[str] = []
    for w in sorted((BUILD / "wheels").glob("*.whl")):
        options += ["--load", str(w)]
    for f in app_files():
        options += ["--app", str(f)]
    for module in EXTRA_HOT:
        options += ["--extra", module]
    jobs = ["--finder", str(RUNTIME / "cold_modules.py"), "--report", str(report)]
    jobs += ["--cold", str(work / COLD_ZIP), "--stdlib", str(stdlib), str(work / stdlib.name)]
    for w in wheels:
        jobs += ["--wheel", str(w), str(work / w.name)]
    log(f"precompiling the stdlib and {len(wheels)} wheels with Pyodide under Node ...")
    run([node(), str(PRECOMPILE), str(node_modules), *options, "--", *jobs], REPO, "precompile")
    for f in (stdlib, pyodide_dir / COLD_ZIP, *wheels):
        os.replace(work / f.name, f)
        f.chmod(0o644)  # written through Pyodide's NODEFS as 0666
    split = json.loads(report.read_text(encoding="utf-8"))
    shutil.rmtree(work, ignore_errors=True)
    log(
        f"at start: {len(split['stdlib'])} stdlib modules, {len(split['site'])} from wheels; "
        f"{len(split['cold'])} more in {COLD_ZIP}, fetched on first import"
    )
    return split


def build_app_zip(node_modules: Path | None = None) -> None:
    """components.zip: the page's modules with their bytecode, compiled by Pyodide under Node
    (runtime/precompile.py app_zip), and the bytecode of PyScript's own `pyscript` package.
    Rebuilt whenever a module (or the compiler, or PyScript) changes."""
    if node_modules is None:
        node_modules = BUILD / "npm" / "node_modules"
        if not (node_modules / "pyodide").is_dir():
            node_modules = npm_install()
    sources = sorted((REPO / "components").glob("*.py"))
    pyscript_js = node_modules / PYSCRIPT_SOURCES
    digest = hashlib.sha256()
    compiler = [PRECOMPILE, RUNTIME / "precompile.py", RUNTIME / "pins.toml", pyscript_js]
    for path in [*sources, *compiler]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    marker = BUILD / "components.zip.sha256"
    if APP_ZIP.is_file() and marker.is_file() and marker.read_text() == digest.hexdigest():
        return
    work = fresh_dir(BUILD / "app-zip")
    pyscript_dir = work / "pyscript"
    pyscript_dir.mkdir()
    for name, source in pyscript_package(pyscript_js).items():
        (pyscript_dir / name).write_text(source, encoding="utf-8")
    job = ["--app-zip", str(REPO / "components"), str(work / APP_ZIP.name), APP_MOUNT]
    job += ["--pycache", str(pyscript_dir), PYSCRIPT_MOUNT]
    log(f"compiling {len(sources)} modules of components/ into {APP_ZIP.name} ...")
    run([node(), str(PRECOMPILE), str(node_modules), "--", *job], REPO, "components.zip")
    for sibling in (
        APP_ZIP.with_name(APP_ZIP.name + ".br"),
        APP_ZIP.with_name(APP_ZIP.name + ".gz"),
    ):
        sibling.unlink(missing_ok=True)
    os.replace(work / APP_ZIP.name, APP_ZIP)
    APP_ZIP.chmod(0o644)
    compress_files([APP_ZIP])
    shutil.rmtree(work, ignore_errors=True)
    marker.write_text(digest.hexdigest())


def pyscript_package(module: Path) -> dict[str, str]:
    """{"__init__.py": source, ...} of PyScript's `pyscript` package, from the generated
    `export default {"pyscript": {...}};` module (JSON after its first `export default`)."""
    text = module.read_text(encoding="utf-8")
    marker = "export default "
    if marker not in text:
        raise VendorError(f"{module}: no `export default` (has PyScript's build changed?)")
    body = text[text.index(marker) + len(marker) :].strip().removesuffix(";")
    package = json.loads(body)["pyscript"]
    return {name: source for name, source in package.items() if isinstance(source, str)}


def compress(folders: list[Path]) -> None:
    """Write .br and .gz siblings of every file in `folders` (see compress_files)."""
    compress_files([f for folder in folders for f in sorted(folder.rglob("*"))])


def compress_files(candidates: list[Path]) -> None:
    """Write .br and .gz siblings of every file that shrinks by MIN_SAVING or more.

    Brotli at its best quality takes most of a minute for the wasm alone, so results are
    kept in build/compressed/ by content hash: a rebuild, and the stock copy, reuse them."""
    cache = BUILD / "compressed"
    cache.mkdir(parents=True, exist_ok=True)
    files = [
        f
        for f in candidates
        if f.is_file() and f.stat().st_size >= MIN_COMPRESS_BYTES and not NO_COMPRESS.search(f.name)
    ]
    digests = {f: sha256_file(f) for f in files}
    todo = {}
    for f, digest in digests.items():
        if not (cache / f"{digest}.br").is_file():
            todo.setdefault(digest, f)
    log(f"compressing {len(files)} files ({len(todo)} new to brotli) ...")
    if todo:
        run([node(), str(COMPRESS), *map(str, todo.values())], REPO, "brotli")
        for digest, f in todo.items():
            os.replace(f.with_name(f.name + ".br"), cache / f"{digest}.br")
    for f, digest in digests.items():
        data = f.read_bytes()
        siblings = {
            f.with_name(f.name + ".br"): (cache / f"{digest}.br").read_bytes(),
            f.with_name(f.name + ".gz"): gzip.compress(data, compresslevel=9, mtime=0),
        }
        for sibling, packed in siblings.items():
            if len(packed) <= len(data) * (1 - MIN_SAVING):
                sibling.write_bytes(packed)


def stage_stock(node_modules: Path, npm_pins: dict[str, str], dirs: dict[str, str]) -> None:
    """build/stock/: the runtime exactly as npm ships it (with npm's own lock), for the
    benchmark's floor page, compressed like the vendored copy."""
    stock_stage = fresh_dir(BUILD / "stock-stage")
    pyodide_dir, npm_lock = stage_npm(node_modules, npm_pins, stock_stage, dirs)
    shutil.copy2(npm_lock, pyodide_dir / npm_lock.name)  # Pyodide reads its lock at start
    for sub in dirs.values():
        os.replace(stock_stage / sub, stock_stage / sub.split("-")[0])
    compress([stock_stage])
    if STOCK.exists():
        shutil.rmtree(STOCK)
    os.replace(stock_stage, STOCK)


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# ------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--force", action="store_true", help="rebuild even if the stamp matches")
    args = ap.parse_args(argv)

    npm_pins, wheel_pins = load_pins()
    check_npm_manifest(npm_pins)
    key = stamp_key()
    if not args.force and up_to_date(key):
        build_app_zip()
        STAMP.touch()  # newer than its inputs again, for make
        log(
            f"vendor/ is up to date (pyscript {npm_pins['@pyscript/core']}, "
            f"pyodide {npm_pins['pyodide']}, pydantic {wheel_pins.get('pydantic')})"
        )
        return 0

    node_modules = npm_install()
    dirs = runtime_dirs(npm_pins)
    stage = fresh_dir(BUILD / "stage")
    log("staging @pyscript/core dist and pyodide core ...")
    pyodide_dir, npm_lock_path = stage_npm(node_modules, npm_pins, stage, dirs)
    npm_lock = json.loads(npm_lock_path.read_text(encoding="utf-8"))
    patch_pyodide(pyodide_dir)

    downloaded = download_wheels(wheel_pins, npm_lock["info"], BUILD / "wheels")
    wheels = []
    for w in downloaded:
        shutil.copy2(w, pyodide_dir / w.name)
        wheels.append(pyodide_dir / w.name)
    log("writing pyodide-lock.json (pyodide-lock add_wheels) ...")
    lock = build_lock(npm_lock, wheels, npm_pins["pyodide"])
    check_imports(wheels, lock)
    split = precompile(node_modules, pyodide_dir, wheels)
    for name, files in split_dynlibs(wheels).items():
        lock["packages"][name]["tool"][LOCK_TOOL] = {"dynlibs": files}
        log(f"{name}: WebAssembly served on its own as {', '.join(files.values())}")
    check_imports(wheels, {"packages": {}})
    zipped = zip_pure_packages(wheels, lock)
    for name in zipped:
        lock["packages"][name]["tool"].setdefault(LOCK_TOOL, {})["zip"] = PURE_ZIP
    log(f"{', '.join(zipped)}: served together as {PURE_ZIP}, read in place on sys.path")
    for entry in lock["packages"].values():  # the lock names what is served: the rewritten
        entry["sha256"] = sha256_file(pyodide_dir / entry["file_name"])
    (pyodide_dir / "pyodide-lock.json").write_text(
        json.dumps(lock, indent=1, sort_keys=False) + "\n", encoding="utf-8"
    )
    compress([stage / sub for sub in dirs.values()])

    # Swap the staged tree into vendor/ (dropping older versions' folders) and stamp it last.
    VENDOR.mkdir(exist_ok=True)
    STAMP.unlink(missing_ok=True)
    for old in VENDOR.iterdir():
        if old.is_dir():
            shutil.rmtree(old)
    for sub in dirs.values():
        os.replace(stage / sub, VENDOR / sub)
    shutil.rmtree(stage, ignore_errors=True)
    log("staging the stock runtime (build/stock) for the benchmark ...")
    stage_stock(node_modules, npm_pins, dirs)
    build_app_zip(node_modules)
    files = listing(VENDOR)
    STAMP.write_text(
        json.dumps(
            {
                "key": key,
                "pins": {**npm_pins, **wheel_pins},
                "dirs": dirs,
                "at_start": {"stdlib": split["stdlib"], "site": split["site"]},
                "files": files,
                "stock": listing(STOCK),
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    size = sum((VENDOR / f).stat().st_size for f in files if not f.endswith((".br", ".gz")))
    log(
        f"done: vendor/ has {len(files)} files ({size / 1e6:.1f} MB uncompressed); lock "
        "packages: " + ", ".join(f"{n} {e['version']}" for n, e in lock["packages"].items())
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except VendorError as e:
        print(f"vendor_runtime: ERROR: {e}", file=sys.stderr)
        sys.exit(1)
