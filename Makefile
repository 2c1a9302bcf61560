# KAM — the README's two commands, and helpers.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint up down install messages clean

# A venv with the project installed (editable) and the test tools; redone when pyproject changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make demo: the whole product with demo data on http://127.0.0.1:8000 (Ctrl-C stops it all)
demo: $(STAMP)
	$(PY) -m kam.devstack demo

## make test: the whole suite against real PostgreSQL and Redis (embedded unless *_URL are set)
test: $(STAMP)
	KAM_STATE_DIR=$(CURDIR)/.kam/test $(PY) -m kam.devstack test $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .

up: $(STAMP)
	$(PY) -m kam.devstack up

down: $(STAMP)
	$(PY) -m kam.devstack down

## messages: refresh the translation catalogs (needs gettext) and compile them
messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=.kam --ignore=staticfiles
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=.kam

clean: down
	rm -rf .kam
