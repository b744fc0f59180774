# 政务助手 — short, self-documenting Makefile. `make help` lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Rasa 3.6 pins pydantic 1, numpy 1.23 and sanic 21: it lives in its own environment, installed from our lock
RASA_VENV := .rasa-venv
RASA_STAMP := $(RASA_VENV)/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help setup pdf-libs services disk run train test lint format unit validate eval bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0  # the CPU build; a bare torch would pull CUDA packages
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps --ignore-requires-python rasa-sdk==3.6.2  # its requirements are in pyproject
	touch $(STAMP)

$(RASA_STAMP): requirements-rasa.lock
	test -x $(RASA_VENV)/bin/python || $(PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --upgrade pip
	# --no-deps: the lock is complete; --ignore-requires-python: rasa 3.6.21 declares <3.11 but runs on 3.11
	$(RASA_VENV)/bin/pip install --quiet --no-deps --ignore-requires-python -r requirements-rasa.lock
	touch $(RASA_STAMP)

setup: $(STAMP) $(RASA_STAMP)  ## Create .venv and .rasa-venv and install everything (idempotent)

$(CHROMIUM):
	@echo "installing Debian's chromium and CJK fonts for the browser tests (Playwright never downloads a browser)"
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk

pdf-libs:  ## Pango and HarfBuzz for WeasyPrint (the 告知单 as PDF), from Debian, when missing
	@ldconfig -p | grep -q libpangoft2-1.0 && ldconfig -p | grep -q libharfbuzz-subset && command -v pdftoppm >/dev/null || { \
	  echo "installing Debian's Pango and HarfBuzz for the PDF notice (WeasyPrint)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends \
	    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libfontconfig1 fonts-noto-cjk poppler-utils; }

services:  ## PostgreSQL and Redis servers from Debian (the scale-out tests start throwaway ones), when missing
	@test -x /usr/lib/postgresql/15/bin/initdb && command -v redis-server >/dev/null || { \
	  echo "installing Debian's PostgreSQL and Redis for the scale-out tests (nothing is started)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends postgresql redis-server; }

TMP := $(or $(TMPDIR),/tmp)
disk:  ## Check there is room for the tests (models, indexes, databases and browsers in $TMPDIR, 4 GiB)
	@free=$$(df -Pk "$(TMP)" | awk 'NR==2 {print int($$4 / 1048576)}'); \
	  [ "$$free" -ge 4 ] || { echo "only $$free GiB free in $(TMP): the tests need about 4 GiB there; free some space (old checkouts, /tmp/pytest-of-$$USER) and run again"; exit 1; }

train: setup  ## Train the Rasa dialogue model (skipped when nothing changed)
	$(BIN)/assistant train

run: setup pdf-libs  ## Set up, build the index, train the dialogue model if needed, and serve everything on 127.0.0.1:8000
	$(BIN)/assistant serve

lint: setup  ## ruff lint and format check, mypy on the core (knowledge, retrieval, question answering)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup  ## ruff format + canonical catalogue YAML
	$(BIN)/ruff format .
	$(BIN)/assistant knowledge format

unit: setup  ## Unit tests only (milliseconds, no data files)
	$(BIN)/pytest -m "not integration and not slow"

validate: setup  ## Validate the bundled catalogue
	$(BIN)/assistant knowledge validate

test: disk setup lint $(CHROMIUM) pdf-libs services  ## Set up, lint, validate and run every test tier (trains and serves the real stack)
	$(BIN)/assistant knowledge validate
	$(BIN)/assistant knowledge format --check
	$(BIN)/pytest

eval: setup  ## Question answering figures on every evaluation split (tests/eval/*.tsv)
	for split in tests/eval/*.tsv tests/eval/real/real_*.tsv; do $(BIN)/assistant eval $$split || exit 1; done

bench: setup  ## Benchmarks: index build time and memory, load time, ask latency
	$(BIN)/python -m assistant.bench

clean:  ## Remove the virtual environment and caches
	rm -rf $(VENV) $(RASA_VENV) .pytest_cache .ruff_cache *.egg-info
