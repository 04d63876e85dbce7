# The two commands a new user needs: `make run` (set up, generate the synthetic bank, build)
# and `make test` (set up with the test extras, lint, run every test). `make app` opens the
# explorer on the warehouse that `make run` built.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test app lint browser clean

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

# The browser tests drive Debian's chromium. As root, `make test` installs it when missing;
# otherwise those tests are skipped with a message saying so.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "chromium not installed: the browser tests will be skipped (apt-get install chromium)"; \
	  fi; }

test: lint browser
	$(BIN)/pytest

clean:
	rm -rf target logs warehouse/*.duckdb warehouse/*.wal
