# Quick start:  make repro   (set-up, then the whole pipeline on the embedded world)
#               make test    (set-up, then the test suite)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup repro test test-fast clean

setup: $(STAMP)

# Reinstall only when the pins change. torch==2.13.0 takes the CPU wheel on this machine's
# disk; on a CUDA machine the same pin resolves to PyPI's CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

repro: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q

test-fast: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -q -m "not slow"

clean:
	rm -rf data models .dvc/tmp .dvc/cache
