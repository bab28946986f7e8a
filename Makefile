# userops — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo test lint bench chaos faults probe fmt clean migration browser-deps node-deps

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/userops demo --yes

# Debian's chromium for the web UI test (Playwright drives it; no browser download).
# Best effort: without it the browser test is skipped with its reason, never counted as passed.
browser-deps:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: could not install chromium; the browser test will be skipped"
	@fc-list :lang=zh 2>/dev/null | grep -q . || apt-get install -y -qq fonts-wqy-microhei >/dev/null \
	  || echo "warning: no Chinese font; the web tests' screenshots show boxes for Chinese"

# Segment's Node library for the ingest client test (pinned: tests/api/node_client/package-lock.json).
# Best effort: without node and npm the test is skipped with its reason, never counted as passed.
node-deps:
	@test -d tests/api/node_client/node_modules/@segment/analytics-node \
	  || (command -v npm >/dev/null \
	      && npm ci -s --no-audit --no-fund --ignore-scripts --prefix tests/api/node_client) \
	  || echo "warning: could not install @segment/analytics-node; its client test will be skipped"

test: install browser-deps node-deps
	@$(BIN)/python -m pytest --cov --cov-report= --cov-fail-under=60; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests ran"; exit 1; fi; exit $$rc

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m bench.run

# PostgreSQL at 127.0.0.1:5432 (USEROPS_TEST_PG_URL): 2 API + 3 dispatch workers, SIGKILLs,
# a 200,000-recipient campaign; figures in bench/out/chaos.json (CHAOS_ARGS="--recipients N").
chaos: install
	$(BIN)/python -m scripts.chaos $(CHAOS_ARGS)

# The API probe (also run by `make test`): schemathesis on every route and role, hostile inputs
# (1 MB strings, NUL, invalid UTF-8, 2^63, 10k-deep JSON) on SQLite and PostgreSQL; no 5xx.
probe: install
	@$(BIN)/python -m pytest -m probe -q tests/api; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no probe tests ran"; exit 1; fi; exit $$rc

# Model and provider faults injected N times each (local fakes, SQLite): the fault table,
# printed and written to bench/out/faults.json (FAULTS_ARGS="--n 5 --messages 50").
faults: install
	@mkdir -p bench/out
	$(BIN)/python -m tests.faults.table --out bench/out/faults.json $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) .userops .mypy_cache .ruff_cache .pytest_cache

migration: install
	$(BIN)/python scripts/regen_migration.py
	$(BIN)/ruff check --fix -q userops/store/migrations
	$(BIN)/ruff format -q userops/store/migrations
