# Set-up and checks. `make run` and `make test` need only Python 3.11+, bash, git and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.test-installed

.PHONY: run test lint format pytest selftest bench clean

run: $(INSTALLED)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/txtest transcripts/

test: $(TEST_INSTALLED)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory pytest
	$(MAKE) --no-print-directory selftest

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check txtest tests bench
	$(BIN)/ruff format --check txtest tests bench
	$(BIN)/mypy

format: $(TEST_INSTALLED)
	$(BIN)/ruff check --fix txtest tests bench
	$(BIN)/ruff format txtest tests bench

pytest: $(TEST_INSTALLED)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

selftest: $(TEST_INSTALLED)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/txtest README.md docs/ transcripts/

bench: $(TEST_INSTALLED)
	$(BIN)/python bench/run.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	touch $@

$(TEST_INSTALLED): pyproject.toml $(INSTALLED)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .bench .mypy_cache .ruff_cache .pytest_cache .hypothesis
