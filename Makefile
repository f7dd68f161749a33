# The two commands of the quick start are `make run` and `make test`.
# Everything else is installed into .venv/ from the pinned requirements.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test test-postgres lint bench load setup clean demo

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	@mkdir -p var
	$(BIN)/diversion migrate --noinput
	SITE_URL=http://$(HOST):$(PORT) $(BIN)/diversion demo
	SITE_URL=http://$(HOST):$(PORT) $(BIN)/diversion runserver $(HOST):$(PORT)

demo: setup
	@mkdir -p var
	$(BIN)/diversion migrate --noinput
	$(BIN)/diversion demo

test: setup
	@mkdir -p var
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-postgres: setup
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/diversion} $(MAKE) test

lint: setup
	$(BIN)/ruff check diversion bench
	$(BIN)/diversion makemigrations --check --dry-run

bench: setup
	$(BIN)/python bench/run.py

# Headless load test on PostgreSQL (LOAD_DATABASE_URL); LOAD_USERS, LOAD_SECONDS to change it.
load: setup
	$(BIN)/python bench/load/scenario.py

clean:
	rm -rf $(VENV) var/diversion.sqlite3*
