# Stratus developer entry points. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
export SAM_CLI_TELEMETRY := 0

.PHONY: install demo test lint typecheck contracts template clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; Stratus needs CPython 3.11 (set PYTHON=...)" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==24.3.1"
	$(BIN)/pip install --quiet -e ".[train,dev]"
	$(BIN)/pip check
	@touch $(STAMP)

# dynalite (npm): a second, independent DynamoDB for the tracker-store contract tests.
NPM_STAMP := infra/local/node_modules/.installed
$(NPM_STAMP): infra/local/package.json infra/local/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix infra/local --no-audit --no-fund --silent && touch $(NPM_STAMP); \
	else echo "npm not found: the dynalite tests will be skipped"; fi

install: $(STAMP) $(NPM_STAMP)

# sam-cli pins old boto3/click, so it lives in its own venv.
$(SAM_STAMP): Makefile
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet "aws-sam-cli==1.170.0" "cfn-lint==1.58.0"
	@touch $(SAM_STAMP)

demo: install
	$(BIN)/python infra/demo.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy layers/runtime/stratus

contracts: install
	$(BIN)/lint-imports

template: $(SAM_STAMP)
	$(SAM_VENV)/bin/cfn-lint template.yaml
	$(SAM_VENV)/bin/sam validate --lint --region us-east-1 --template-file template.yaml

test: lint typecheck contracts template
	$(BIN)/pytest -n 2 tests

clean:
	rm -rf $(VENV) $(SAM_VENV) .pytest_cache .mypy_cache .ruff_cache
