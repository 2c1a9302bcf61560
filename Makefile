# KAM — the README's two commands, and helpers.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast test-dates lint up down install messages clean

# A venv with the project installed (editable) and the test tools; redone when pyproject changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The browser test (tests/kam/test_browser.py) drives Debian's Chromium with CJK fonts; Playwright's
# own browser download is never used. Installed from Debian's packages when missing (as root: CI).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	  echo "The browser test needs $(CHROMIUM) and CJK fonts. Install them as root:" >&2; \
	  echo "  apt-get update && apt-get install -y chromium fonts-noto-cjk" >&2; \
	  echo "(or run make as root on Debian); make test-fast runs without them." >&2; \
	  exit 1; \
	fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk
	@test -x $(CHROMIUM) || { echo "apt-get installed chromium, but $(CHROMIUM) is still missing" >&2; exit 1; }

install: $(STAMP) $(CHROMIUM)

## make demo: the whole product with demo data on http://127.0.0.1:8000 (Ctrl-C stops it all)
demo: $(STAMP)
	$(PY) -m kam.devstack demo

## make test: the whole suite against real PostgreSQL and Redis (embedded unless *_URL are set),
## the browser test included
test: install
	KAM_STATE_DIR=$(CURDIR)/.kam/test $(PY) -m kam.devstack test $(PYTEST_ARGS)

## make test-fast: the suite without the slow tests (fuzzing, real workers, demo seeding, routes,
## the browser)
test-fast: $(STAMP)
	KAM_STATE_DIR=$(CURDIR)/.kam/test $(PY) -m kam.devstack test -m "not slow" $(PYTEST_ARGS)

## make test-dates: the suite with the machine's clock moved to hard dates (needs libfaketime:
## apt-get install faketime). Servers start on the real clock; only pytest sees the faked one.
TEST_DATES ?= 2028-02-29 23:30:00|2026-12-31 16:30:00|2027-07-31 10:00:00
test-dates: install
	@command -v faketime >/dev/null || { echo "make test-dates needs libfaketime (apt-get install faketime)"; exit 2; }
	KAM_STATE_DIR=$(CURDIR)/.kam/test $(PY) -m kam.devstack up
	@dates='$(TEST_DATES)'; IFS='|'; for when in $$dates; do \
	  echo "== the suite at $$when (UTC)"; \
	  TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 KAM_STATE_DIR=$(CURDIR)/.kam/test \
	    faketime -f "@$$when" $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) \
	    || { echo "== FAILED at $$when (UTC)"; exit 1; }; \
	done; echo "== the suite passed at every date"

## make lint: ruff and mypy (kam/ and the apps' services, selectors and rules)
lint: $(STAMP)
	$(PY) -m ruff check .
	KAM_STATE_DIR=$(CURDIR)/.kam/test $(PY) -m mypy

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
