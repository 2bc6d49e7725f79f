# `make demo` and `make test` work on a fresh Debian machine with python3 and git.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck bench clean system-deps bytecode

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# Reinstall when the dependency list changes.
$(VENV)/.base: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[dev,server,s3,postgres]'
	touch $@ $(VENV)/.base

# Compiled once, as `pip install` does for an installed package: every CLI process (the suite spawns hundreds)
# then skips recompiling the source, also where PYTHONDONTWRITEBYTECODE is set. Stale files are recompiled.
bytecode: $(VENV)/bin/python
	$(PY) -m compileall -q -j 0 src > /dev/null

demo: $(VENV)/.base bytecode
	$(VENV)/bin/stageward demo

system-deps:
	bash scripts/system-deps.sh

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict tests/sdk_example.py

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

test: $(VENV)/.dev system-deps lint bytecode
	$(PY) -m pytest -n 2 --dist loadfile -q

bench: $(VENV)/.dev bytecode
	$(PIP) install -r benchmarks/requirements.txt
	$(PY) benchmarks/cli_startup.py
	$(PY) benchmarks/config_resolve.py
	$(PY) benchmarks/secret_store.py
	$(PY) benchmarks/registry.py
	$(PY) benchmarks/promotion.py
	$(PY) benchmarks/s3_manifest.py
	$(PY) benchmarks/audit_verify.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
