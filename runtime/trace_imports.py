"""Which files does the app load? Run by runtime/precompile.mjs inside Pyodide, first.

It imports only modules Pyodide has already loaded at start (ast, importlib, os, sys), so what
it finds in `sys.modules` afterwards was loaded by Pyodide or by the app, never by this tool.

    trace(["/repo/main.py", "/repo/components/config.py", ...], extra=["html"])
    # {"stdlib": ["asyncio/__init__.py", ...],       paths inside the stdlib zip
    #  "site": ["pydantic/__init__.py", ...]}        paths inside site-packages
"""

import ast
import importlib
import os
import sys


def imported_names(files):
    """Every absolute module name in an import statement of `files`, at any depth."""
    names = set()
    for file in files:
        with open(file, "rb") as handle:
            tree = ast.parse(handle.read(), file)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def app_modules(files):
    """The app's own modules among `files` (those in a package), as importable names."""
    modules = []
    for file in files:
        folder = os.path.dirname(file)
        if os.path.isfile(os.path.join(folder, "__init__.py")):
            root = os.path.dirname(folder)
            if root not in sys.path:
                sys.path.insert(0, root)
            stem = os.path.splitext(os.path.basename(file))[0]
            package = os.path.basename(folder)
            modules.append(package if stem == "__init__" else f"{package}.{stem}")
    return modules


def trace(app_files, extra):
    sys.dont_write_bytecode = True  # the app's folder is the host's: leave it clean
    for name in [*sorted(imported_names(app_files)), *app_modules(app_files), *extra]:
        try:  # noqa: SIM105 (contextlib would be this tool's import, not the app's)
            importlib.import_module(name)
        except Exception:  # an attribute, not a module, or browser-only: nothing to load
            pass
    stdlib = next(path for path in sys.path if path.endswith(".zip")) + "/"
    site = next(path for path in sys.path if path.endswith("site-packages")) + "/"
    files = {getattr(module, "__file__", None) or "" for module in list(sys.modules.values())}
    return {
        "stdlib": sorted(file[len(stdlib) :] for file in files if file.startswith(stdlib)),
        "site": sorted(file[len(site) :] for file in files if file.startswith(site)),
    }
