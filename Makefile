# Stratus developer entry points. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: install demo test lint typecheck contracts unit clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; Stratus needs CPython 3.11 (set PYTHON=...)" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==24.3.1"
	$(BIN)/pip install --quiet -e ".[train,dev]"
	$(BIN)/pip check
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python -m stratus.cli.main validate --project examples/restaurantbot
	$(BIN)/python infra/demo.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check layers training functions tests bench infra

typecheck: install
	$(BIN)/mypy layers/runtime/stratus

contracts: install
	$(BIN)/lint-imports

test: lint typecheck contracts
	$(BIN)/pytest -n 2 tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
