"""Precompile the browser's Python to bytecode and split off what the page never loads at
start. Run by Pyodide itself, under Node (runtime/precompile.mjs).

Pyodide ships the standard library and the wheels as source, so every page load compiles each
module it imports (about a second for the stdlib and pydantic). Compiled here, by the same
CPython build the browser runs, the bytecode matches the browser's interpreter exactly.

    node runtime/precompile.mjs NODE_MODULES --load W.whl ... --app main.py --app ... \\
        --extra html -- --finder cold_modules.py --cold OUT/python_cold.zip \\
        --stdlib IN.zip OUT.zip --wheel IN.whl OUT.whl ...

What the page loads at start (`hot`, found by runtime/trace_imports.py) stays where Pyodide
loads it: the stdlib zip and the wheels. The rest goes into the `--cold` zip, which
runtime/cold_modules.py (installed in the stdlib zip as `sitecustomize.py`) fetches on first
import. The stdlib is split module by module; a wheel only by subpackages (`pydantic/v1`
goes whole, `pydantic/_internal` and every module directly in `pydantic/` stay), so what a
package imports lazily, later, is still at hand. Modules become bytecode only (`x.py` ->
`x.pyc`: sourceless, as Python ignores `__pycache__` without the source); tracebacks still
name file and line.

Zips are written uncompressed (`ZIP_STORED`): the server compresses each as a whole (brotli,
gzip), far better than per-file deflate, and the browser inflates natively instead of in
WebAssembly. The pycs are unchecked hash-based (PEP 552): no stat or source read at import,
and the output is reproducible.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import sys
import sysconfig
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc
from pathlib import Path

STDLIB_ZIP = next(path for path in sys.path if path.endswith(".zip"))
SITE_PACKAGES = sysconfig.get_path("purelib")
EPOCH = (1980, 1, 1, 0, 0, 0)


def pyc(source: bytes, filename: str) -> bytes:
    code = compile(source, filename, "exec", dont_inherit=True, optimize=0)
    return _code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False)


def stored(name: str, like: zipfile.ZipInfo | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=like.date_time if like else EPOCH)
    if like is not None:
        info.external_attr = like.external_attr
    info.compress_type = zipfile.ZIP_STORED
    return info


def module_name(path: str) -> str:
    """'email/mime/text.py' -> 'email.mime.text'; 'email/__init__.py' -> 'email'."""
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def wheel_part(path: str) -> str:
    """The unit a wheel is split by: a subpackage ('pydantic/v1/main.py' -> 'pydantic/v1'),
    else the top-level package or module ('pydantic/networks.py' -> 'pydantic'): packages
    import their own modules lazily (pydantic's `__getattr__`, pyodide_http.patch_all())."""
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


class ColdZip:
    """The modules left out of the start, and their names for the finder."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.runtime_path = "/lib/" + Path(path).name
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_STORED)
        self.names: list[str] = []

    def add(self, path: str, data: bytes, like: zipfile.ZipInfo) -> None:
        """A module (compiled, and named for the finder) or a data file (as it is)."""
        if not path.endswith(".py"):
            self.zip.writestr(stored(path, like), data)
            return
        code = pyc(data, f"{self.runtime_path}/{path}")
        self.zip.writestr(stored(path[:-3] + ".pyc", like), code)
        self.names.append(module_name(path))

    def finder(self, template: str) -> bytes:
        source = Path(template).read_text(encoding="utf-8")
        cold = json.dumps(sorted(self.names))
        source = source.replace("COLD: frozenset[str] = frozenset()", f"COLD = frozenset({cold})")
        source = source.replace(
            'COLD_NAME = "python_cold.zip"', f"COLD_NAME = {Path(self.path).name!r}"
        )
        return pyc(source.encode(), f"{STDLIB_ZIP}/sitecustomize.py")


def split_stdlib(src: str, dst: str, hot: set[str], cold: ColdZip, finder: str) -> int:
    """Bytecode for every module, `hot` ones (all if empty) and data files into dst, the
    rest into the cold zip; dst also gets the finder as sitecustomize. Returns how many hot."""
    count = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if not info.filename.endswith(".py"):
                zout.writestr(stored(info.filename, info), data)
            elif not hot or info.filename in hot:
                code = pyc(data, f"{STDLIB_ZIP}/{info.filename}")
                zout.writestr(stored(info.filename[:-3] + ".pyc", info), code)
                count += 1
            else:
                cold.add(info.filename, data, info)
        zout.writestr(stored("sitecustomize.pyc"), cold.finder(finder))
    return count


# Modules of hot packages that a running page never imports: pydantic's mypy plugin.
NEVER_AT_RUNTIME = frozenset({"pydantic/mypy.py"})


def metadata_headers(data: bytes) -> bytes:
    """A wheel's METADATA without its long description (pydantic's is 140 kB of changelog):
    the headers after it (name, version, requirements) are all that anything reads."""
    headers, _, _ = data.partition(b"\n\n")
    return headers + b"\n"


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def compile_wheel(src: str, dst: str, hot: set[str], cold: ColdZip) -> tuple[int, int]:
    """Each `x.py` becomes `x.pyc`, in the wheel if its part is hot (all if `hot` is empty),
    else in the cold zip; RECORD lists what the wheel still holds. Returns (hot, cold)."""
    hot_parts = {wheel_part(path) for path in hot}
    lines: list[str] = []
    counts = [0, 0]
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        infos = zin.infolist()
        record = next(i for i in infos if i.filename.endswith(".dist-info/RECORD"))
        for info in infos:
            name, data = info.filename, zin.read(info)
            if info is record:
                continue
            never_at_runtime = name in NEVER_AT_RUNTIME
            if (
                hot
                and ".dist-info/" not in name
                and (never_at_runtime or wheel_part(name) not in hot_parts)
            ):
                cold.add(name, data, info)  # the part's data files go along with its modules
                counts[1] += name.endswith(".py")
                continue
            if name.endswith(".dist-info/METADATA"):
                data = metadata_headers(data)
            if name.endswith(".py"):
                name, data = name[:-3] + ".pyc", pyc(data, f"{SITE_PACKAGES}/{name}")
                counts[0] += 1
            zout.writestr(stored(name, info), data)
            lines.append(record_line(name, data))
        lines.append(f"{record.filename},,")
        zout.writestr(stored(record.filename, record), ("\n".join(lines) + "\n").encode())
    return counts[0], counts[1]


def app_zip(src_dir: str, dst: str, mount: str, caches: list[list[str]] | None = None) -> int:
    """The app's package as one zip for PyScript's `[files]` (one request instead of one per
    module), unpacked in the folder above `mount`: bytecode only, like the stdlib (`x.py` ->
    `components/x.pyc`), so the page imports instead of compiling and fetches no source;
    tracebacks name file and line.

    `caches`: [SRC_DIR, MOUNT] pairs of packages that arrive as source by other means
    (PyScript writes its own `pyscript` package at start): their bytecode goes in as
    `pyscript/__pycache__/x.cpython-314.pyc`, unchecked hash-based, which Python takes in
    place of compiling the source it finds next to it."""
    modules = sorted(Path(src_dir).glob("*.py"))
    package = Path(mount).name
    count = 0
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as out:
        for module in modules:
            code = pyc(module.read_bytes(), f"{mount}/{module.name}")
            out.writestr(stored(f"{package}/{module.name[:-3]}.pyc"), code)
            count += 1
        for cache_src, cache_mount in caches or []:
            tag = sys.implementation.cache_tag
            cached = Path(cache_mount).name
            for module in sorted(Path(cache_src).glob("*.py")):
                code = pyc(module.read_bytes(), f"{cache_mount}/{module.name}")
                out.writestr(stored(f"{cached}/__pycache__/{module.stem}.{tag}.pyc"), code)
                count += 1
    return count


def main(argv: list[str], hot: dict[str, list[str]]) -> int:
    """`hot`: {"stdlib": [...], "site": [...]}, the files loaded at start; empty: all."""
    parser = argparse.ArgumentParser(prog="precompile")
    parser.add_argument("--app-zip", nargs=3, metavar=("SRC_DIR", "OUT", "MOUNT"))
    parser.add_argument(
        "--pycache", nargs=2, action="append", default=[], metavar=("SRC_DIR", "MOUNT")
    )
    parser.add_argument("--stdlib", nargs=2, metavar=("IN", "OUT"))
    parser.add_argument("--wheel", nargs=2, action="append", default=[], metavar=("IN", "OUT"))
    parser.add_argument("--cold", help="the zip of modules left out")
    parser.add_argument("--finder", help="runtime/cold_modules.py")
    parser.add_argument("--report", help="write what stays hot and what goes cold (JSON)")
    args = parser.parse_args(argv)
    if args.app_zip:
        count = app_zip(*args.app_zip, caches=args.pycache)
        print(f"precompile: {Path(args.app_zip[1]).name}: {count} modules")
    if not args.stdlib:
        return 0
    if not (args.cold and args.finder):
        parser.error("--stdlib needs --cold and --finder")
    cold = ColdZip(args.cold)
    site = set(hot.get("site", []))
    for src, dst in args.wheel:
        kept, left = compile_wheel(src, dst, site, cold)
        print(f"precompile: {Path(src).name}: {kept} modules, {left} left for first import")
    kept = split_stdlib(*args.stdlib, set(hot.get("stdlib", [])), cold, args.finder)
    print(f"precompile: stdlib: {kept} modules, {len(cold.names)} in all left for first import")
    cold.zip.close()
    if args.report:
        Path(args.report).write_text(json.dumps({**hot, "cold": sorted(cold.names)}, indent=1))
    return 0
