# The two commands of the quick start are `make run` and `make test`.
# Everything else is installed into .venv/ from the pinned requirements.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Jasmin (the SMS gateway the texts tests run for real) pins Twisted, requests and cryptography
# at versions the app does not share, so it has a venv of its own.
JVENV := .venv-jasmin
JSTAMP := $(JVENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test test-postgres test-first-run test-wheel lint bench load setup clean demo jasmin

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

$(JSTAMP): requirements-jasmin.txt
	@test -x $(JVENV)/bin/python || $(PYTHON) -m venv $(JVENV)
	$(JVENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-jasmin.txt
	@touch $(JSTAMP)

jasmin: $(JSTAMP)

# The address and the demo logins are the last lines it prints (`diversion run`).
run: setup
	@mkdir -p var
	@echo "Migrating the database and loading the demo data (once; later runs keep them)..."
	@$(BIN)/diversion migrate --noinput --verbosity 0
	@SITE_URL=http://$(HOST):$(PORT) $(BIN)/diversion demo --verbosity 0
	@SITE_URL=http://$(HOST):$(PORT) $(BIN)/diversion run $(HOST):$(PORT)

demo: setup
	@mkdir -p var
	$(BIN)/diversion migrate --noinput
	$(BIN)/diversion demo

test: setup jasmin
	@mkdir -p var
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# `make run` on a fresh copy of the tree, then the sign-in page and the officer's form in chromium.
test-first-run: setup
	$(BIN)/python -m pytest -p no:xdist ops/tests/test_first_run.py $(PYTEST_ARGS)

# The wheel alone in a fresh venv: migrate, demo, screen and serve (ops/tests/wheel.sh).
test-wheel: setup
	PYTHON=$(BIN)/python ops/tests/wheel.sh

test-postgres: setup
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/diversion} $(MAKE) test

lint: setup
	$(BIN)/ruff check diversion bench ops
	$(BIN)/diversion makemigrations --check --dry-run

bench: setup
	$(BIN)/python bench/run.py

# Headless load test on PostgreSQL (LOAD_DATABASE_URL); LOAD_USERS, LOAD_SECONDS to change it.
load: setup
	$(BIN)/python bench/load/scenario.py

clean:
	rm -rf $(VENV) $(JVENV) var/diversion.sqlite3*
