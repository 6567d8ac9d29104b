"""Patches to Pyodide, applied by the set-up step to the vendored pyodide.asm.mjs.

Each replaces one exact piece of the pinned file; a piece that is not there exactly once stops
the set-up (scripts/vendor_runtime.py), so a Pyodide upgrade cannot drop one silently or apply
it to code it was not written for.

- The first five are in Emscripten's dynamic linker, which runs before Python starts on every
  load. They change how long the start takes, not what it does. Measured on a warm load
  (docs/performance.md): Emscripten's `receiveInstance` 78 → 59 ms with one wrapper module per
  signature, → 33 ms with the GOT filled on demand.
- The last keeps Pyodide off JSPI, with which Chromium's renderer crashes now and then
  (docs/renderer-crash.md).

The vendored folder carries PATCH_LEVEL in its name (vendor/pyodide-314.0.7-p2/): its code
is cached as immutable (proxy/static.py), so a changed patch must be a new URL. Change a
patch, raise the level. The benchmark's stock floor (build/stock/) stays unpatched.
"""

from __future__ import annotations

from dataclasses import dataclass

PATCH_LEVEL = 2
PATCHED_FILE = "pyodide.asm.mjs"


@dataclass(frozen=True)
class Patch:
    name: str
    why: str
    old: str
    new: str


PATCHES = (
    Patch(
        name="one wrapper module per signature",
        why=(
            "Pyodide puts 261 JavaScript functions into the WebAssembly table, and Emscripten "
            "compiles a new one-function module for each (WebAssembly.Function is not in "
            "browsers yet). The module's bytes depend only on the signature, so compile it "
            "once per signature and instantiate it for each function: 261 compiles become 30."
        ),
        old="var module=new WebAssembly.Module(bytes);var instance",
        new="var module=wrapperModules[sig]??=new WebAssembly.Module(bytes);var instance",
    ),
    Patch(
        name="the wrapper module cache",
        why="The cache the patch above reads, next to the function that uses it.",
        old="var convertJsFunctionToWasm=(func,sig)=>{",
        new="var wrapperModules={};var convertJsFunctionToWasm=(func,sig)=>{",
    ),
    Patch(
        name="main exports enter the GOT when a module asks for them",
        why=(
            "Emscripten gives every export of the main module a global offset table entry at "
            "start: 8,560 of them, each a WebAssembly.Global, and each function a table slot. "
            "Only the entries some module imports are ever read. Fill the ones the main module "
            "imports now, and the ones a side module imports as soon as it is instantiated "
            "(below), with the same value the eager loop gave them."
        ),
        old="assignWasmExports(wasmExports);updateGOT(origExports);",
        new="assignWasmExports(wasmExports);mainExports=origExports;fillGOTFromMain();",
    ),
    Patch(
        name="a side module's GOT entries for main exports are filled before its own exports",
        why=(
            "Also those of its exports that the main module exports too, so a symbol both "
            "export resolves to the main module's, as it did when every such entry existed "
            "before any side module loaded. Here, and not from the GOT's proxy while the "
            "browser reads the module's imports: nothing else grows the function table in the "
            "middle of an instantiation. No code of the module runs before this point: its "
            "relocations and constructors come after."
        ),
        old="moduleExports=relocateExports(instance.exports,memoryBase);updateGOT(moduleExports);",
        new=(
            "moduleExports=relocateExports(instance.exports,memoryBase);"
            "fillGOTFromMain(moduleExports);"
            "updateGOT(moduleExports);"
        ),
    ),
    Patch(
        name="the GOT's filler",
        why=(
            "Fills, as updateGOT does, the entries still unresolved (-1) that the main module "
            "exports, and makes the entries for `also`'s names that the main module exports."
        ),
        old="var GOT={};",
        new=(
            "var GOT={};var mainExports;var fillGOTFromMain=(also={})=>{"
            "var fill=sym=>updateGOT({[sym]:mainExports[sym]});"
            "for(var sym in GOT){if(GOT[sym].value==-1&&Object.hasOwn(mainExports,sym))fill(sym)}"
            "for(var sym in also){if(!GOT[sym]&&Object.hasOwn(mainExports,sym))fill(sym)}};"
        ),
    ),
    Patch(
        name="Python runs on the browser's own stack, not on JSPI's",
        why=(
            "With JSPI (when the browser has WebAssembly.Suspending, as Chromium does) Pyodide "
            "runs Python on stacks of V8's own. Chromium's sampling heap profiler, on in a small "
            "share of renderers, walks the stack of each allocation it samples; on such a stack "
            "the walk reads past the stack's end and the renderer dies (SIGSEGV): about 1 fresh "
            "profile in 100 here. The page needs nothing JSPI gives (pyodide.ffi.run_sync, "
            "Python blocking on a promise). See docs/renderer-crash.md."
        ),
        old=(
            'var newJspiSupported=canConstructWasm&&"Suspending"in WebAssembly;'
            'var oldJspiSupported=canConstructWasm&&"Suspender"in WebAssembly;'
        ),
        new="var newJspiSupported=false;var oldJspiSupported=false;",
    ),
)


class PatchError(Exception):
    pass


def patch_source(source: str) -> str:
    """`source` with every patch applied; PatchError names one that does not fit."""
    for patch in PATCHES:
        found = source.count(patch.old)
        if found != 1:
            raise PatchError(
                f"Pyodide patch {patch.name!r}: expected its code once in {PATCHED_FILE}, "
                f"found it {found} times (a different Pyodide? see scripts/pyodide_patches.py)"
            )
        source = source.replace(patch.old, patch.new)
    return source


def folder_name(pyodide_version: str) -> str:
    """vendor/'s folder for the patched runtime: pyodide-314.0.7-p2."""
    return f"pyodide-{pyodide_version}-p{PATCH_LEVEL}"
