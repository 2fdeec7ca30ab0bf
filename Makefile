# The two commands of README.md:  `make serve` (build + serve the shipped campus)  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: serve test setup node system lint

serve: setup node
	$(BIN)/cmq serve

# The static checks first (style, strict types, the layers of docs/architecture.md), then the suite.
test: setup node system lint
	$(BIN)/pytest

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# YASGUI, the SPARQL query page, comes from npm as a declared dependency (package.json).
node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages the tests start for real: headless Chromium (browser tests) and Virtuoso
# (remote-store tests; the oxigraph server comes from PyPI with the test extras).
SYSTEM_PACKAGES = chromium virtuoso-opensource
system:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v virtuoso-t >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi

lint: setup
	$(BIN)/ruff check publisher tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
