# The two commands a new user needs: `make run` (set up, generate the synthetic bank, build)
# and `make test` (set up with the test extras, lint, run every test). `make app` opens the
# explorer on the warehouse that `make run` built.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test app lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/finseg run

app: $(VENV)/.installed
	$(BIN)/finseg app

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	# The dbt templater opens a connection; an in-memory one leaves no file behind.
	FINSEG_WAREHOUSE=:memory: $(BIN)/sqlfluff lint dbt_project/models

test: lint
	$(BIN)/pytest

clean:
	rm -rf target logs warehouse/*.duckdb warehouse/*.wal
