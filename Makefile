# `make run`: set up and serve the app with demo data. `make test`: every test (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run serve-prod test setup catalogs lint e2e bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

# The .mo files are built here, never at app start-up (nor committed).
catalogs: $(STAMP)
	$(BIN)/flask --app companion translate compile >/dev/null

setup: catalogs
	$(BIN)/flask --app companion db upgrade

run: setup
	$(BIN)/flask --app companion demo
	$(BIN)/flask --app companion push vapid-keys
	$(BIN)/flask --app companion serve --host localhost --port 5000

# Production: gunicorn workers and a queue worker on PostgreSQL and Redis (README "Production").
serve-prod: catalogs
	COMPANION_BIN=$(BIN) deploy/serve-prod

lint: $(STAMP)
	$(BIN)/ruff check companion tests e2e bench migrations
	$(BIN)/mypy companion

test: lint catalogs
	$(BIN)/pytest

e2e: catalogs
	$(BIN)/pytest e2e

bench: catalogs
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) instance
