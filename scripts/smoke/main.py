"""Smoke test: the vendored runtime boots offline and pydantic works."""

import traceback

from pyscript import document

try:
    import pydantic
    import pydantic_core
    import pyodide_http

    class Probe(pydantic.BaseModel):
        n: int
        tags: list[str] = []

    # Exercise the compiled pydantic-core (validation + serialisation).
    probe = Probe.model_validate({"n": "42", "tags": ["a"]})
    assert probe.n == 42 and probe.model_dump_json() == '{"n":42,"tags":["a"]}'
    pyodide_http.patch_all()
    # Not loaded at start: runtime/cold_modules.py fetches python_cold.zip for them.
    import difflib

    import pydantic.v1

    assert difflib.SequenceMatcher(None, "abc", "abd").ratio() > 0.6
    assert pydantic.v1.BaseModel

    document.getElementById("pydantic-version").textContent = pydantic.VERSION
    document.getElementById("pydantic-core-version").textContent = pydantic_core.__version__
    document.getElementById("pyodide-http").textContent = "patched"
    document.body.dataset.pydantic = pydantic.VERSION
    document.body.dataset.pydanticCore = pydantic_core.__version__
    document.body.dataset.cold = "imported"
    document.body.dataset.ready = "1"
except BaseException:
    document.body.dataset.error = traceback.format_exc()
    raise
