# Onthaal — make help lists the targets. Everything runs from a local .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export ONTHAAL_DATA_DIR ?= $(CURDIR)/var
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo practice manual test test-postgres lint format bench openapi openapi-check messages messages-check lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements/dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## Create .venv with the locked dependencies

demo: $(STAMP) ## Migrate, load the demo municipality and serve it on http://127.0.0.1:$(PORT)
	DEBUG=1 $(BIN)/onthaal demo --port $(PORT)

test: $(STAMP) ## Run the test suite (SQLite unless DATABASE_URL is set)
	$(BIN)/pytest -n auto --dist loadgroup -q

test-postgres: $(STAMP) ## Run the test suite on PostgreSQL at 127.0.0.1:5432
	SECRET_KEY=tests-only DATABASE_URL=postgres://postgres@127.0.0.1:5432/onthaal $(BIN)/pytest -n auto --dist loadgroup -q

lint: $(STAMP) ## ruff (lint + format check) and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(STAMP) ## Print the benchmark figures (PostgreSQL when DATABASE_URL is set)
	$(BIN)/python bench/run.py

openapi: $(STAMP) ## Regenerate openapi.yaml
	$(BIN)/onthaal spectacular --validate --fail-on-warn --file openapi.yaml

openapi-check: $(STAMP) ## Fail when openapi.yaml is stale
	$(BIN)/onthaal spectacular --validate --fail-on-warn --file $(VENV)/openapi.check.yaml
	diff -u openapi.yaml $(VENV)/openapi.check.yaml

MAKEMESSAGES := cd src/onthaal && DEBUG=1 ../../$(BIN)/django-admin makemessages -l nl -l fr -l en --no-obsolete --no-location --ignore "*/tests/*" -v 0

messages: $(STAMP) ## Update and compile the translation catalogues (needs GNU gettext)
	$(MAKEMESSAGES)
	cd src/onthaal && ../../$(BIN)/django-admin compilemessages -v 0

messages-check: $(STAMP) ## Fail when a message is not translated to Dutch and French
	$(MAKEMESSAGES)
	$(BIN)/python .ci/check_translations.py

lock: ## Re-pin the dependencies (requirements/*.txt)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile requirements/base.in -o requirements/base.txt --python-version 3.11
	$(BIN)/uv pip compile requirements/dev.in -o requirements/dev.txt --python-version 3.11

clean: ## Remove .venv and var/
	rm -rf $(VENV) var

manual: $(STAMP) ## Build the staff manual from the running demo: screenshots, videos, HTML, PDFs (into $(ONTHAAL_DATA_DIR)/manual)
	$(BIN)/python -m onthaal.help.build --out "$(ONTHAAL_DATA_DIR)/manual" $(MANUAL_ARGS)

practice: $(STAMP) ## Run the practice environment (demo municipality, own data dir, OEFENOMGEVING banner) on http://127.0.0.1:$(PORT)
	$(BIN)/onthaal practice --port $(PORT)
