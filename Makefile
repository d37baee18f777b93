# Two commands do all the set-up on a fresh machine with Python 3.11 and Node.js 20:
#   make run    create .venv, install PyTorch and LayerLab, build the browser UI,
#               start http://127.0.0.1:8000
#   make test   the same plus dev tools and Debian's chromium (for the browser tests),
#               then lint, types, import contract and every test
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

UI_STAMP := static/node_modules/.installed
UI_BUILD := static/dist/.vite/manifest.json
UI_SOURCES := $(shell find static/src -type f) static/vite.config.ts static/tsconfig.json
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint install install-dev ui api-types docs browser bench gpu-wheels gpu-check reliability-report soak \
	screenshots clean

run: install ui
	$(BIN)/layerlab serve --host $(HOST) --port $(PORT)

test: install-dev lint ui browser
	$(BIN)/python -m pytest

# Faults, load and hostile input (also part of `make test`), as a table of each case's
# result, time and measured detail; `make soak` runs the longer load and fault cases.
RELIABILITY := tests/reliability tests/security

reliability-report: install-dev
	$(BIN)/python -m pytest $(RELIABILITY) -q --case-table

soak: install-dev
	$(BIN)/python -m pytest $(RELIABILITY) -q -m soak --case-table

# The browser UI: npm packages from the lock file, then a type check and a Vite build
# into static/dist/ (git-ignored).
ui: $(UI_BUILD)

$(UI_STAMP): static/package.json static/package-lock.json
	cd static && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(UI_BUILD): $(UI_STAMP) $(UI_SOURCES)
	cd static && npm run --silent build

# The UI's API code, generated from the server's OpenAPI schema and committed (a test
# fails when it is stale): schema.d.ts (openapi-typescript: the schema's components by
# name) and src/api/gen/ (@hey-api/openapi-ts: the types and one function per operation,
# the stream's messages included). Both generators are pinned to exact versions in
# static/package.json: another version writes other code, which the test would call stale.
api-types: install
	$(BIN)/layerlab openapi -o static/src/api/openapi.json
	cd static && npm run --silent api-types

# The guide in docs/ as a static site (MkDocs Material) in site/ (git-ignored); --strict
# refuses broken links and pages missing from mkdocs.yml's nav, as tests/test_docs.py does.
docs: install-dev
	$(BIN)/mkdocs build --strict --site-dir site

# The guide's screenshots (docs/screenshots/), retaken at 1280x800 by the browser tests: a
# newcomer's path (the trained starting network, a character transformer's attention) and
# every inspect view on small runs (docs/screenshots/views/, one per page of docs/views/).
screenshots: install-dev ui browser
	LAYERLAB_DOCS_SCREENSHOTS=1 $(BIN)/python -m pytest tests/ui/test_newcomer.py -q \
		-k "starting or char-transformer"
	LAYERLAB_DOCS_SCREENSHOTS=1 $(BIN)/python -m pytest tests/ui/test_view_screenshots.py -q

# Debian's chromium for the Playwright tests (Playwright's own download is not used).
browser:
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update -q && \
		$(SUDO) apt-get install -y -q --no-install-recommends chromium; }

lint: install-dev
	$(BIN)/ruff check app tests benchmarks examples
	$(BIN)/mypy app
	$(BIN)/lint-imports

bench: install-dev $(VENV)/.installed-bench
	cd benchmarks && ../$(BIN)/python validate_speed.py
	cd benchmarks && ../$(BIN)/python train_throughput.py
	cd benchmarks && ../$(BIN)/python time_to_accuracy.py
	cd benchmarks && ../$(BIN)/python run_overhead.py
	cd benchmarks && ../$(BIN)/python server_speed.py
	cd benchmarks && ../$(BIN)/python executor_overhead.py
	cd benchmarks && ../$(BIN)/python stream_overhead.py
	cd benchmarks && ../$(BIN)/python inspect_overhead.py
	cd benchmarks && ../$(BIN)/python inspect_speed.py
	cd benchmarks && ../$(BIN)/python ui_latency.py
	cd benchmarks && ../$(BIN)/python vae_speed.py
	cd benchmarks && ../$(BIN)/python dcgan_speed.py
	cd benchmarks && ../$(BIN)/python sweep_efficiency.py
	cd benchmarks && ../$(BIN)/python speed_options.py
	cd benchmarks && ../$(BIN)/python gradient_norms_overhead.py
	cd benchmarks && ../$(BIN)/python scale.py

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
	$(PIP) install -e ".[dev,ray]"
	touch $(VENV)/.installed $@

# The GPU check: `make gpu-wheels` here (with the package registry) downloads what the
# check needs beside PyTorch as wheels for the GPU machine's Python; `make gpu-check`
# there installs them offline and runs every CUDA path (benchmarks/gpu_check.py).
GPU_PYTHON_VERSION ?= 3.12
GPU_WHEELS ?= .gpu-wheels
gpu-wheels: install-dev
	rm -rf $(GPU_WHEELS)
	$(PIP) download --only-binary=:all: --implementation cp \
		--python-version $(GPU_PYTHON_VERSION) --platform manylinux_2_28_x86_64 \
		--platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
		-d $(GPU_WHEELS) -r benchmarks/gpu-requirements.txt
	du -sh $(GPU_WHEELS)

gpu-check:
	python3 benchmarks/gpu_check.py --wheels $(GPU_WHEELS)

$(VENV)/.installed-bench: pyproject.toml $(TORCH_STAMP)
	$(PIP) install -e ".[dev,ray,bench]"
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache *.egg-info site \
		static/dist static/node_modules
