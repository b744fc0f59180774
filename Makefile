# 政务助手 — short, self-documenting Makefile. `make help` lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help setup run test lint format unit validate clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0  # the CPU build; a bare torch would pull CUDA packages
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## Create .venv and install the project (idempotent)

run: setup  ## Set up, validate the bundled catalogue and list what the assistant knows
	$(BIN)/assistant knowledge validate
	$(BIN)/assistant knowledge list

lint: setup  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup  ## ruff format + canonical catalogue YAML
	$(BIN)/ruff format .
	$(BIN)/assistant knowledge format

unit: setup  ## Unit tests only (milliseconds, no data files)
	$(BIN)/pytest -m "not integration and not slow"

validate: setup  ## Validate the bundled catalogue
	$(BIN)/assistant knowledge validate

test: setup lint  ## Set up, lint, validate and run every test tier
	$(BIN)/assistant knowledge validate
	$(BIN)/assistant knowledge format --check
	$(BIN)/pytest

clean:  ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
