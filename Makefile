# The two commands (README): `make demo` runs the product, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint venv

venv: $(VENV)/.runtime-installed

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || { \
	  echo "Jengu needs Python 3.12 or newer (Django 6). '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "With pyenv: 'pyenv install 3.12' (the repo's .python-version selects it); or run 'make PYTHON=python3.12 …'."; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

# Runs the product on SQLite with the offline sandbox providers and demo data.
demo: $(VENV)/.runtime-installed
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py demo

# Installs what the tests need, then: checks, migrations in sync, lint, the suite.
# All on the test settings (production's with a throwaway key, over plain HTTP): the
# production settings refuse to start without SECRET_KEY, as they should.
test: export DJANGO_SETTINGS_MODULE = jengu.settings_test
test: $(VENV)/.dev-installed
	infra/scripts/install-system-packages.sh tests/system-packages.txt
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
