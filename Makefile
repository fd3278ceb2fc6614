# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
SCENARIOS ?= ./scenarios.yaml
# make run CLOCK=manual SPEED=60 SEED=7: the clock (real or manual), a real clock's speed, a seed for ids
CLOCK ?= real
SPEED ?= 1
SEED ?=
# make run SNAPSHOT=.postman-sim.snapshot: keep messages, clock and webhooks across restarts (docs/configuration.md)
SNAPSHOT ?=

.PHONY: run test test-fast lint bench bench-peers bench-redis fuzz clean

$(BIN)/postman-sim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml $(BIN)/postman-sim
	$(BIN)/pip install -q -e '.[test]'
	touch $@

run: $(BIN)/postman-sim
	$(BIN)/postman-sim serve --host $(HOST) --port $(PORT) --scenarios $(SCENARIOS) --clock $(CLOCK) \
		--speed $(SPEED) $(if $(SEED),--seed $(SEED)) $(if $(SNAPSHOT),--snapshot $(SNAPSHOT))

test: $(VENV)/.test-deps
	$(BIN)/ruff check simulator tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

# the same without tests/process/ (real processes, Docker, pytester, the real clock): for the edit-test loop
test-fast: $(VENV)/.test-deps
	$(BIN)/ruff check simulator tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q -m "not process"

# The schemathesis run of `make test`, longer: more examples per operation and a 10-minute budget.
fuzz: $(VENV)/.test-deps
	POSTMAN_SIM_FUZZ_EXAMPLES=$${POSTMAN_SIM_FUZZ_EXAMPLES:-100} POSTMAN_SIM_FUZZ_SECONDS=600 POSTMAN_SIM_FUZZ_SEED=$${SEED:-20261201} \
		$(BIN)/pytest -q tests/process/test_fuzz.py

bench: $(BIN)/postman-sim
	$(BIN)/python bench/send_rate.py
	$(BIN)/python -m bench.v1_send_rate
	$(BIN)/python -m bench.webhook_fanout
	$(BIN)/python bench/request_overhead.py
	$(BIN)/python -m bench.lifecycle_cost
	$(BIN)/python -m bench.eviction_cost
	$(BIN)/python -m bench.scale

# Replicas on Redis vs in memory (needs redis-server): send rate and p99, --workers 2 vs 1, a big advance
bench-redis: $(BIN)/postman-sim
	$(BIN)/python -m bench.redis_replicas

bench-peers: $(BIN)/postman-sim
	$(BIN)/python -m bench.peers

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
