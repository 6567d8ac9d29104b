# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
RUNTIME := vendor/.vendor-stamp.json

.PHONY: demo test unit e2e bench screenshots serve sandbox lint format setup browser clean dist

demo: setup ## run the proxy, the Wazzup sandbox and the sample CRM on 127.0.0.1
	$(BIN)/python -m demo

test: setup browser ## run every test: unit, contract and end-to-end in Chromium
	$(BIN)/python -m pytest

unit: $(INSTALLED) ## run the fast CPython tests only
	$(BIN)/python -m pytest tests/unit

e2e: setup browser ## run the end-to-end tests only
	$(BIN)/python -m pytest tests/e2e

bench: setup browser ## time the page against stock PyScript and plain JS (bench/results/)
	$(BIN)/python -m bench

screenshots: setup browser ## retake the README's screenshots (docs/screenshots/) from the real page
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/e2e/test_page_screenshots.py -k screenshot_of

serve: setup ## run the proxy in production mode (signed launches), configured by env
	$(BIN)/python -m proxy

sandbox: $(INSTALLED) ## run the Wazzup sandbox alone on 127.0.0.1:8001, for `make serve` (docs/security.md)
	$(BIN)/python -m proxy.sandbox

lint: $(INSTALLED) ## check style with ruff
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(INSTALLED) ## format with ruff
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

setup: $(INSTALLED) $(RUNTIME) ## virtual env, dependencies and the vendored browser runtime

browser: $(INSTALLED) ## find (or install) a Chromium for the end-to-end tests
	$(BIN)/python scripts/ensure_browser.py

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $@

# The page's imports decide what loads at start, so its Python is an input too; the script
# only rebuilds when the pins, itself or those imports changed (its stamp).
$(RUNTIME): $(INSTALLED) $(wildcard runtime/*) scripts/vendor_runtime.py scripts/pyodide_patches.py main.py \
		$(wildcard components/*.py)
	$(BIN)/python scripts/vendor_runtime.py

dist: setup ## build dist/ for any static host (docs/hosting.md; CDN=1 for the public CDNs)
	$(BIN)/python scripts/build_dist.py $(if $(CDN),--cdn)

clean: ## remove the virtual env, vendored runtime and build output
	rm -rf $(VENV) vendor build dist var
