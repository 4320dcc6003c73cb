# Assesseur: `make demo` runs the assistant, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: demo test lint format locales flows-check bench install clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

locales: $(STAMP)
	$(BIN)/pybabel compile --statistics -d locales -D assesseur

demo: locales
	$(BIN)/assesseur demo --host $(HOST) --port $(PORT)

flows-check: locales
	$(BIN)/assesseur flows check

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: locales flows-check lint
	$(BIN)/pytest -q

bench: locales
	$(BIN)/python bench/engine_turn.py
	$(BIN)/python bench/nlu_latency.py
	$(BIN)/python bench/guard_rates.py
	$(BIN)/python bench/registry_import.py
	$(BIN)/python bench/telegram_throughput.py
	$(BIN)/python bench/server_pauses.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache locales/*/LC_MESSAGES/*.mo
