# Every target works on a fresh machine: `install` makes .venv with everything the project needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# Options for the demo, e.g. make demo ARGS="--listen 127.0.0.1:3001"
ARGS ?=

.PHONY: install bytecode test lint demo bench bench-supervisor bench-http bench-redis bench-footprint bench-calls bench-kv bench-hardening clean bench-mqtt

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml executors/timer/pyproject.toml executors/cron/pyproject.toml \
		executors/mqtt/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]' -e executors/timer -e executors/cron \
		-e executors/mqtt
	$(MAKE) bytecode
	touch $@

# Editable installs leave our own modules uncompiled, and with PYTHONDONTWRITEBYTECODE set every
# process of the app compiles them again at start, which leaves 0.3-0.5 MB more heap in each
# (2 MB of the demo's tree, `make bench-footprint`). A regular `pip install` writes it itself.
bytecode:
	$(BIN)/python -m compileall -q spin executors > /dev/null

# pytest exits 5 when it collected nothing; that is not a failure of the command itself.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS) || [ $$? -eq 5 ]

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

demo: install
	$(BIN)/python examples/demo/run_demo.py $(ARGS)

bench: bench-supervisor bench-http bench-redis bench-footprint bench-calls bench-kv bench-mqtt

bench-supervisor: install
	$(BIN)/python bench/supervisor/run.py

bench-http: install
	$(BIN)/python bench/http/run.py
	$(BIN)/python bench/http/outbound.py

bench-redis: install
	$(BIN)/python bench/redis/run.py

# Issue 10's figures, before (a baseline revision) and after (this tree), in one run.
bench-hardening: install
	$(BIN)/python bench/hardening/run.py $(ARGS)

bench-mqtt: install
	$(BIN)/python bench/mqtt/run.py

bench-footprint: install bytecode
	$(BIN)/python bench/footprint/run.py

bench-calls: install
	$(BIN)/python bench/component_calls/run.py

bench-kv: install
	$(BIN)/python bench/kv/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
