# Two commands from nothing: `make run` serves, `make test` checks. Both build .venv as needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DEV_INSTALLED := $(VENV)/.installed-dev
# The model ships inside a pip package; never reach for a hub at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test lint typecheck pytest sample clean browser readme

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch is pinned to 2.13.0 in pyproject.toml: the CPU build; a looser pin pulls CUDA wheels.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_INSTALLED): pyproject.toml $(INSTALLED)
	$(BIN)/pip install --quiet -e ".[dev,train]"
	touch $@

run: $(INSTALLED)
	$(BIN)/matchmaker serve

test: $(DEV_INSTALLED) browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2

lint: $(DEV_INSTALLED)
	$(BIN)/ruff check .

typecheck: $(DEV_INSTALLED)
	$(BIN)/mypy

pytest: $(DEV_INSTALLED) browser
	$(BIN)/python -m pytest -n 2

# tests/test_ui_browser.py drives Debian's chromium; install it where it is missing and apt-get can
# (as root). Otherwise say so: that test then skips with the reason.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing chromium for the browser test (apt-get install chromium)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
	  || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; } \
	  || echo "note: could not install chromium with apt-get; the browser test will be skipped"; \
	else \
	  echo "note: /usr/bin/chromium is missing and apt-get is not usable here (needs root); the browser test will be skipped"; \
	fi

# Regenerate the committed synthetic sample from its seeded generator.
sample: $(INSTALLED)
	$(BIN)/python -m training.sample_data

# Regenerate the README's example answers by running them on the sample (tools/readme.py); tests/test_readme.py
# fails when they are stale.
readme: $(DEV_INSTALLED)
	$(BIN)/python -m tools.readme

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
