"""The chat window page's Python (index.html, pyscript.toml): components/boot.py does the work.

PyScript compiles this file from source at every load, so it stays this short; the modules
come compiled in components.zip (`make setup`).
"""

from components import boot

boot.run()
