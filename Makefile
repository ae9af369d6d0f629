# Epidesk: `make demo` serves a synthetic city; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PEOPLE ?= 100000
SEED ?= 1
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?= -n 2

.PHONY: help venv system-deps demo serve test lint typecheck pytest lock bench clean

help:
	@echo "make demo    build a $(PEOPLE)-resident synthetic city in ./epidesk.db and serve it"
	@echo "make test    lint, type-check and run the whole suite (SQLite, PostgreSQL, browser)"
	@echo "make lock    refresh requirements.lock from pyproject.toml"

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

venv: $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

demo: venv
	$(BIN)/epidesk db upgrade
	$(BIN)/epidesk synth city --people $(PEOPLE) --seed $(SEED) --skip-existing
	$(BIN)/epidesk synth outbreak --days 14 --seed $(SEED) --out var/outbreak --replay --skip-existing
	@echo
	$(BIN)/epidesk users demo-admin
	$(BIN)/epidesk serve

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

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
