# Epidesk: `make demo` serves a synthetic city; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PEOPLE ?= 100000
SEED ?= 1
STAMP := $(VENV)/.installed-stamp
NPM ?= npm
ASSETS_STAMP := node_modules/.installed-stamp
PYTEST_ARGS ?= -n 2 --durations=25

.PHONY: help venv assets system-deps demo serve test lint typecheck pytest lock bench clean messages

help:
	@echo "make demo    build a $(PEOPLE)-resident synthetic city in ./epidesk.db and serve it at http://$${EPIDESK_HOST:-127.0.0.1}:$${EPIDESK_PORT:-8000}"
	@echo "make test    lint, type-check and run the whole suite (SQLite, PostgreSQL, browser)"
	@echo "make lock    refresh requirements.lock from pyproject.toml"
	@echo "make assets  install the browser libraries pinned in package-lock.json into node_modules/"
	@echo "make messages  re-extract the strings to translate and update the .po catalogues"

# Each step says what it does first; pip shows what it collects and installs.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || { echo "==> creating the virtual environment $(VENV) ($(PYTHON) -m venv)"; \
		$(PYTHON) -m venv $(VENV); }
	@echo "==> upgrading pip in $(VENV)"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "==> installing Epidesk and its dependencies (versions from requirements.lock; the first time takes a few minutes)"
	$(BIN)/python -m pip install --progress-bar on -c requirements.lock -e '.[dev]'
	@echo "==> $(VENV) is ready"
	@touch $@

venv: $(STAMP) assets

# Browser libraries (API documentation, charts, maps) from the npm registry, served by the
# platform under /assets/; exact versions in package-lock.json, no install scripts run.
$(ASSETS_STAMP): package.json package-lock.json
	@command -v $(NPM) >/dev/null || { echo "make assets needs npm (Node.js 18 or later)"; exit 1; }
	@echo "==> installing the browser libraries into node_modules/ (npm ci)"
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	@touch $@

assets: $(ASSETS_STAMP)

system-deps:
	@bash scripts/system-deps.sh

# The demo administrator's line and `epidesk serve` both print the address served
# (EPIDESK_HOST and EPIDESK_PORT, default http://127.0.0.1:8000).
demo: venv
	@echo "==> migrating the database"
	$(BIN)/epidesk db upgrade
	@echo "==> building a $(PEOPLE)-resident city (seed $(SEED)) unless one exists"
	$(BIN)/epidesk synth city --people $(PEOPLE) --seed $(SEED) --skip-existing
	@echo "==> simulating and replaying a 14-day outbreak unless cases exist"
	$(BIN)/epidesk synth outbreak --days 14 --seed $(SEED) --out var/outbreak --replay --skip-existing
	@echo
	@EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS=false $(BIN)/epidesk users demo-admin
	@echo
	EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS=false $(BIN)/epidesk serve

serve: venv
	$(BIN)/epidesk serve

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy

pytest: venv system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

test: venv system-deps lint typecheck pytest

lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet --upgrade pip
	.lockenv/bin/python -m pip install --quiet '.[dev]'
	.lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^epidesk' > requirements.lock
	rm -rf .lockenv

# The gettext catalogues (text .po files, compiled in memory at start-up): extract every
# marked string of the Python sources and templates, then merge it into each language.
LOCALES := src/epidesk/locale
messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project=Epidesk --copyright-holder="Epidesk contributors" -o $(LOCALES)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages \
		--no-fuzzy-matching --ignore-obsolete
	rm $(LOCALES)/messages.pot

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
