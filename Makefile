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
PYTEST_ARGS ?= -n 2

.PHONY: help venv assets system-deps demo serve test lint typecheck pytest lock bench clean messages

help:
	@echo "make demo    build a $(PEOPLE)-resident synthetic city in ./epidesk.db and serve it"
	@echo "make test    lint, type-check and run the whole suite (SQLite, PostgreSQL, browser)"
	@echo "make lock    refresh requirements.lock from pyproject.toml"
	@echo "make assets  install the browser libraries pinned in package-lock.json into node_modules/"
	@echo "make messages  re-extract the strings to translate and update the .po catalogues"

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

venv: $(STAMP) assets

# Browser libraries (API documentation, charts, maps) from the npm registry, served by the
# platform under /assets/; exact versions in package-lock.json, no install scripts run.
$(ASSETS_STAMP): package.json package-lock.json
	@command -v $(NPM) >/dev/null || { echo "make assets needs npm (Node.js 18 or later)"; exit 1; }
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	@touch $@

assets: $(ASSETS_STAMP)

system-deps:
	@bash scripts/system-deps.sh

demo: venv
	$(BIN)/epidesk db upgrade
	$(BIN)/epidesk synth city --people $(PEOPLE) --seed $(SEED) --skip-existing
	$(BIN)/epidesk synth outbreak --days 14 --seed $(SEED) --out var/outbreak --replay --skip-existing
	@echo
	EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS=false $(BIN)/epidesk users demo-admin
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
