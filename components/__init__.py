"""Pure Python shared by the page (Pyodide) and the proxy (CPython).

Nothing here imports `js` or `pyscript` at module level, so pytest imports all of it.
"""
