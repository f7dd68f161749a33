# The two commands of the quick start are `make run` and `make test`.
# Everything else is installed into .venv/ from the pinned requirements.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Two steps: what running needs (`make run`), then the test and lint tools (`make test`).
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
# Jasmin (the SMS gateway the texts tests run for real) pins Twisted, requests and cryptography
# at versions the app does not share, so it has a venv of its own.
JVENV := .venv-jasmin
JSTAMP := $(JVENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: uswds run test test-postgres test-first-run test-wheel lint bench load setup setup-run clean demo jasmin

# Installing goes through uv (pinned; installed into the venv by its own pip): it downloads in
# parallel and keeps its own cache, several times faster than pip here. Should uv be missing or
# fail, pip does the same install. The runtime pins and the project (editable) go in one call:
# its declared ranges include the pins.
UV_VERSION := 0.13.10
INSTALL = $(BIN)/uv pip install -q --python $(BIN)/python $(1) \
	|| $(BIN)/python -m pip install -q --disable-pip-version-check $(1)

$(RUN_STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install -q --disable-pip-version-check \
		uv==$(UV_VERSION) || echo "uv could not be installed: pip installs instead"
	$(call INSTALL,-r requirements.txt -e .)
	@touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	$(call INSTALL,-r requirements-dev.txt)
	@touch $(STAMP)

setup-run: $(RUN_STAMP)
setup: $(STAMP)

$(JSTAMP): requirements-jasmin.txt
	@test -x $(JVENV)/bin/python || $(PYTHON) -m venv $(JVENV)
	$(JVENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-jasmin.txt
	@touch $(JSTAMP)

jasmin: $(JSTAMP)

# The U.S. Web Design System's trimmed CSS, its fonts, icons and script, rebuilt from npm
# (@uswds/uswds and sass, pinned in ops/uswds/package-lock.json) into
# diversion/static/vendor/uswds/. The output is committed: `make run` and `make test` need no npm.
uswds:
	cd ops/uswds && npm ci --no-audit --no-fund --ignore-scripts && node build.mjs

# The address and the demo logins are the last lines it prints (`diversion run`).
run: setup-run
	@mkdir -p var
	@echo "Migrating the database and loading the demo data (once; later runs keep them)..."
	@$(BIN)/diversion migrate --noinput --verbosity 0
	@SITE_URL=http://$(HOST):$(PORT) $(BIN)/diversion demo --verbosity 0
	@SITE_URL=http://$(HOST):$(PORT) $(BIN)/diversion run $(HOST):$(PORT)

demo: setup-run
	@mkdir -p var
	$(BIN)/diversion migrate --noinput
	$(BIN)/diversion demo

test: setup jasmin
	@mkdir -p var
	$(BIN)/python -m pytest -n 2 -m "not walk" $(PYTEST_ARGS)

# Every page of every role at two sizes, in both languages (diversion/tests_browser/test_walk.py).
test-walk: setup
	@mkdir -p var
	$(BIN)/python -m pytest -p no:xdist -m walk diversion/tests_browser/test_walk.py $(PYTEST_ARGS)

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
	$(BIN)/lint-imports --no-cache
	$(BIN)/diversion makemigrations --check --dry-run

bench: setup
	$(BIN)/python bench/run.py

# Headless load test on PostgreSQL (LOAD_DATABASE_URL); LOAD_USERS, LOAD_SECONDS to change it.
load: setup
	$(BIN)/python bench/load/scenario.py

clean:
	rm -rf $(VENV) $(JVENV) var/diversion.sqlite3*
