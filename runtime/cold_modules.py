"""Imports the modules left out of what the page loads at start.

The set-up step (scripts/vendor_runtime.py, runtime/precompile.py) follows the page's imports
and splits the Python it ships in two: what the page imports stays where Pyodide loads it at
start (`python_stdlib.zip`, the wheels); everything else (most of the standard library,
`pydantic.v1`, ...) goes into `python_cold.zip` next to them, and this finder fetches that zip
the first time one of its modules is imported. `import difflib` still works anywhere: the
first one costs a download (a synchronous request, as an import cannot wait).

The set-up step installs this file as `sitecustomize.py` in the stdlib zip, with `COLD`
filled in, so Python's `site` hook puts the finder in place before any other code runs.
"""

import sys
import zipimport

COLD_NAME = "python_cold.zip"
COLD_PATH = "/lib/" + COLD_NAME
COLD: frozenset[str] = frozenset()  # every module in the cold zip, set by the set-up step

# x-user-defined maps each byte to one UTF-16 unit: the only way to read binary data with a
# synchronous request in a window (responseType "arraybuffer" is refused there).
FETCH_JS = """(url) => {
  const request = new XMLHttpRequest();
  request.open("GET", url, false);
  request.overrideMimeType("text/plain; charset=x-user-defined");
  request.send();
  if (request.status !== 200) throw new Error(`${url}: HTTP ${request.status}`);
  const text = request.responseText;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}"""

# Named in the console and in a performance mark: a module the page imports at start belongs
# in the startup set (`make setup` finds those by following the page's imports).
REPORT_JS = """(name) => {
  performance.mark("cold-modules-loaded", { detail: name });
  console.info(`python_cold.zip fetched for "import ${name}"`);
}"""


class ColdModuleFinder:
    """Finds `COLD` modules in the cold zip, fetching it on first use."""

    fetched = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in COLD:
            return None
        if not self.fetched:
            fetch_cold_zip(fullname)
            self.fetched = True
        package = fullname.rpartition(".")[0]
        where = COLD_PATH + ("/" + package.replace(".", "/") + "/" if package else "")
        return zipimport.zipimporter(where).find_spec(fullname)


def fetch_cold_zip(wanted):
    import pyodide_js
    from pyodide.code import run_js

    url = pyodide_js._api.config.indexURL + COLD_NAME
    data = run_js(FETCH_JS)(url).to_bytes()
    with open(COLD_PATH, "wb") as file:
        file.write(data)
    run_js(REPORT_JS)(wanted)


# Ahead of the path finder: a folder left behind (data files, a zip's directory entry) would
# otherwise turn a moved package into an empty namespace package.
_names = [getattr(finder, "__name__", "") for finder in sys.meta_path]
sys.meta_path.insert(_names.index("PathFinder"), ColdModuleFinder())
