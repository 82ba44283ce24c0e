# CareBond: two commands. `make demo` runs the product; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
PYTEST_WORKERS ?= 2
PORT ?= 8000

.PHONY: demo test lint typecheck test-sqlite test-postgres system-deps install install-test lock bench bench-fhir bench-messaging bench-scheduling bench-analytics bench-load clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "CareBond needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime packages only, pinned by the lock file.
$(VENV)/.installed: $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/pip install --quiet -c $(LOCK) -e .
	@touch $@

# Test tools too (pytest, Playwright's Python API, ruff, mypy...).
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[test]"
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	CAREBOND_DEMO=1 $(BIN)/carebond demo --seed 42 --port $(PORT)

# Browser tests drive Debian's chromium; PostgreSQL 15 provides the second database.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium chromium-driver"; \
	{ command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install:$$missing (Debian packages)"; exit 1; fi; \
	fi

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: install-test
	$(BIN)/mypy

test-sqlite: install-test system-deps
	@echo "== Running the suite on SQLite"
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=15

# Browser tests and the quality gates (API fuzzing, accessibility) check what pages and the
# API show and accept, and the demo's tests what the demo organisation holds (`make demo`
# builds it on SQLite); the database underneath does not change that, so they run once, on
# SQLite, as do the command-line tests, which run on a SQLite file of their own. Every other
# test (each action the demo uses among them) runs on both databases.
# Work stealing keeps both workers busy to the end (a few tests take minutes).
ONCE := browser or gate or demo or replica or own_database

test-postgres: install-test system-deps
	$(BIN)/python tools/with_postgres.py -- $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=15 -m "not ($(ONCE))"

test: lint typecheck test-sqlite test-postgres

# Benchmarks (never part of `make test`): build the dataset on SQLite (var/bench/) and on a
# throw-away PostgreSQL, measure search, the person page and the timeline API, and write
# docs/benchmarks.md. Quick look: make bench BENCH_PEOPLE=100000 BENCH_TOUCHPOINTS=1000000
BENCH_PEOPLE ?= 1000000
BENCH_TOUCHPOINTS ?= 10000000
BENCH_SEED ?= 1
BENCH_ARGS = --people $(BENCH_PEOPLE) --touchpoints $(BENCH_TOUCHPOINTS) --seed $(BENCH_SEED)
BENCH_SQLITE := $(CURDIR)/var/bench/bench.sqlite3

bench: install-test system-deps bench-fhir bench-messaging bench-scheduling bench-analytics bench-load
	rm -f $(BENCH_SQLITE) $(BENCH_SQLITE)-wal $(BENCH_SQLITE)-shm
	CAREBOND_DATABASE_URL=sqlite:///$(BENCH_SQLITE) $(BIN)/python bench/suite.py $(BENCH_ARGS)
	$(BIN)/python tools/with_postgres.py -- $(BIN)/python bench/suite.py $(BENCH_ARGS)
	$(BIN)/python bench/report.py

# FHIR import on empty databases: the shared Synthea set, its re-import, and 1,000 patients
# (about 3 minutes per database). Alone: make bench-fhir
FHIR_SQLITE := $(CURDIR)/var/bench/fhir.sqlite3
bench-fhir: install-test system-deps
	rm -f $(FHIR_SQLITE) $(FHIR_SQLITE)-wal $(FHIR_SQLITE)-shm
	CAREBOND_DATABASE_URL=sqlite:///$(FHIR_SQLITE) $(BIN)/python bench/fhir.py
	$(BIN)/python tools/with_postgres.py -- $(BIN)/python bench/fhir.py
	$(BIN)/python bench/report.py

# Regenerate the lock after changing dependencies in pyproject.toml.
lock: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > $(LOCK)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache

# Message dispatch on PostgreSQL: two workers beside a bare loop, then 100,000 reminders
# drained (about 10 minutes). Alone: make bench-messaging (smaller: BENCH_DRAIN=10000)
BENCH_MESSAGES ?= 5000
BENCH_DRAIN ?= 100000
bench-messaging: install-test system-deps
	$(BIN)/python tools/with_postgres.py -- $(BIN)/python bench/messaging.py --messages $(BENCH_MESSAGES) --drain $(BENCH_DRAIN)
	$(BIN)/python bench/report.py

# Scheduling on both databases: first available across 30 providers over 90 days and a busy
# day's schedule, with 3,000 appointments (about a minute per database). Alone: make bench-scheduling
SCHEDULING_SQLITE := $(CURDIR)/var/bench/scheduling.sqlite3
bench-scheduling: install-test system-deps
	rm -f $(SCHEDULING_SQLITE) $(SCHEDULING_SQLITE)-wal $(SCHEDULING_SQLITE)-shm
	mkdir -p $(CURDIR)/var/bench
	CAREBOND_DATABASE_URL=sqlite:///$(SCHEDULING_SQLITE) $(BIN)/python bench/scheduling.py
	$(BIN)/python tools/with_postgres.py -- $(BIN)/python bench/scheduling.py
	$(BIN)/python bench/report.py

# Analytics (issue 14): 24 months of visits and survey answers on the scale dataset, rolled up,
# then one day's rollup, the overview and every KPI page. PostgreSQL at the full figures
# (BENCH_PEOPLE, BENCH_TOUCHPOINTS, 2,000,000 appointments, 500,000 responses), SQLite at a
# tenth of them. Alone: make bench-analytics (a medium look: BENCH_PEOPLE=100000
# BENCH_TOUCHPOINTS=1000000 BENCH_APPOINTMENTS=200000 BENCH_RESPONSES=50000)
BENCH_APPOINTMENTS ?= 2000000
BENCH_RESPONSES ?= 500000
BENCH_SQLITE_PEOPLE ?= 100000
BENCH_SQLITE_TOUCHPOINTS ?= 1000000
BENCH_SQLITE_APPOINTMENTS ?= 200000
BENCH_SQLITE_RESPONSES ?= 50000
ANALYTICS_SQLITE := $(CURDIR)/var/bench/analytics.sqlite3
bench-analytics: install-test system-deps
	rm -f $(ANALYTICS_SQLITE) $(ANALYTICS_SQLITE)-wal $(ANALYTICS_SQLITE)-shm
	mkdir -p $(CURDIR)/var/bench
	CAREBOND_DATABASE_URL=sqlite:///$(ANALYTICS_SQLITE) $(BIN)/python bench/analytics.py suite \
		--people $(BENCH_SQLITE_PEOPLE) --touchpoints $(BENCH_SQLITE_TOUCHPOINTS) \
		--appointments $(BENCH_SQLITE_APPOINTMENTS) --responses $(BENCH_SQLITE_RESPONSES) --seed $(BENCH_SEED)
	$(BIN)/python tools/with_postgres.py -- $(BIN)/python bench/analytics.py suite \
		--people $(BENCH_PEOPLE) --touchpoints $(BENCH_TOUCHPOINTS) \
		--appointments $(BENCH_APPOINTMENTS) --responses $(BENCH_RESPONSES) --seed $(BENCH_SEED)
	$(BIN)/python bench/report.py

# Load test and fault drill: carebond serve --production (2 web processes) and 2 workers on a
# durable PostgreSQL of their own, locust users on 127.0.0.1; then web worker, web master, task
# worker and postmaster killed under load (about 10 minutes, the demo organisation built first).
# Alone: make bench-load (a short look: LOAD_SIZE=small LOAD_SECONDS=30 LOAD_DRILL_SECONDS=60)
LOAD_SIZE ?= medium
LOAD_USERS ?= 12
LOAD_WARMUP ?= 15
LOAD_SECONDS ?= 150
LOAD_DRILL_SECONDS ?= 120
LOAD_PHASES ?= load,faults
bench-load: install-test system-deps
	$(BIN)/python bench/load.py --seed $(BENCH_SEED) --size $(LOAD_SIZE) --users $(LOAD_USERS) \
		--warmup $(LOAD_WARMUP) --seconds $(LOAD_SECONDS) --drill-seconds $(LOAD_DRILL_SECONDS) \
		--phases $(LOAD_PHASES)
	$(BIN)/python bench/report.py
