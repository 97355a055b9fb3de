# ChangePortal. `make run` and `make test` are the only set-up a fresh machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# The embedded default (SQLite, in-process tasks) runs in DEBUG unless told otherwise.
DEV_ENV := DEBUG=$${DEBUG:-true}

.PHONY: install run test lint format migrate seed serve worker beat collectstatic clean bench load

# Also the pipeline CLI (clients/python: `changeportal`, standard library only), editable; tests/clients runs it.
$(STAMP): requirements.lock clients/python/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ./clients/python
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo

## Set up everything and serve the seeded demo on http://$(HOST):$(PORT)
run: seed
	@echo "ChangePortal demo: http://$(HOST):$(PORT)/  (logins printed above)"
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Lint, layer contracts (lint-imports), migration check and the whole test suite (SQLite by default; PostgreSQL/Redis via DATABASE_URL/REDIS_URL)
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(DEV_ENV) $(BIN)/mypy
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	CONN_MAX_AGE=0 $(DEV_ENV) $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Benchmarks against the raw-database limit (PostgreSQL only; EMPTIES and reloads the bench database, 7-12 min
## at the default 1M changes). BENCH_ARGS: --scale tiny|small|default, --skip-load, --duration N, --output PATH.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/changeportal_bench
bench: install
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(DEV_ENV) $(BIN)/python manage.py bench $(BENCH_ARGS)

## Load run of the real stack (gunicorn, a Celery worker, PostgreSQL, Redis; loopback only): 8 clients for 30 s
## post change events and read the calendar and suspects; reports req/s, p50/p95/p99, 5xx and lost events into
## docs/load.md and fails on any 5xx or lost event. Its own database (created, migrated, seeded) and Redis db:
## LOAD_DATABASE_URL, LOAD_REDIS_URL. LOAD_ARGS: --duration N, --clients N, --web-workers N, --output PATH.
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/changeportal_load
LOAD_REDIS_URL ?= redis://127.0.0.1:6379/14
load: install
	LOAD_DATABASE_URL=$(LOAD_DATABASE_URL) LOAD_REDIS_URL=$(LOAD_REDIS_URL) $(BIN)/python -m loadtest $(LOAD_ARGS)

## Production processes (docker-compose runs these; they need SECRET_KEY, DATABASE_URL and REDIS_URL)
collectstatic: install
	$(BIN)/python manage.py collectstatic --noinput

serve: install
	$(BIN)/gunicorn changeportal.wsgi:application --bind 0.0.0.0:$(PORT) --workers $${WEB_CONCURRENCY:-4} --timeout 30 --access-logfile -

worker: install
	$(BIN)/celery -A changeportal worker --loglevel=info --concurrency $${CELERY_CONCURRENCY:-4}

beat: install
	$(BIN)/celery -A changeportal beat --loglevel=info --schedule /tmp/celerybeat-schedule

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache staticfiles
