# Kachi: `make run` to try it, `make test` to check it. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint messages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

## Set up, migrate, load demo data, and start the web server + a Celery worker with beat.
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	PORT=$(PORT) bin/run-dev

## The whole test suite (SQLite and no servers unless DATABASE_URL / CELERY_BROKER_URL / REDIS_URL say otherwise).
test: $(VENV)/.installed
	$(VENV)/bin/pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

## Refresh the Japanese translation catalogue after changing user-facing text.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l ja --no-obsolete --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages -l ja --ignore=.venv

clean:
	rm -rf var/broker var/test-broker var/test-*.sqlite3* .pytest_cache
