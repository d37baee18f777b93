# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make run    create .venv, install PyTorch and LayerLab, start http://127.0.0.1:8000
#   make test   the same plus dev tools, then lint, types, import contract and every test
# Both are idempotent: stamps in .venv skip what is already installed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
# CPU build by default; on a CUDA machine e.g.
#   make run TORCH_SPEC="torch==2.13.0" PIP_TORCH_ARGS="--index-url https://download.pytorch.org/whl/cu126"
TORCH_SPEC ?= torch==2.13.0
PIP_TORCH_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000

BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
TORCH_STAMP := $(VENV)/.torch-$(shell printf '%s %s' '$(TORCH_SPEC)' '$(PIP_TORCH_ARGS)' | cksum | cut -d' ' -f1)

.PHONY: run test lint install install-dev bench clean

run: install
	$(BIN)/layerlab serve --host $(HOST) --port $(PORT)

test: install-dev lint
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check app tests benchmarks examples
	$(BIN)/mypy app
	$(BIN)/lint-imports

bench: install-dev $(VENV)/.installed-bench
	cd benchmarks && ../$(BIN)/python validate_speed.py
	cd benchmarks && ../$(BIN)/python train_throughput.py
	cd benchmarks && ../$(BIN)/python time_to_accuracy.py
	cd benchmarks && ../$(BIN)/python run_overhead.py

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(TORCH_STAMP): | $(BIN)/python
	$(PIP) install "$(TORCH_SPEC)" $(PIP_TORCH_ARGS)
	rm -f $(VENV)/.torch-*
	touch $@

$(VENV)/.installed: pyproject.toml $(TORCH_STAMP)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(TORCH_STAMP)
	$(PIP) install -e ".[dev]"
	touch $(VENV)/.installed $@

$(VENV)/.installed-bench: pyproject.toml $(TORCH_STAMP)
	$(PIP) install -e ".[dev,bench]"
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache *.egg-info
