# The Deep Learning Clinic: `make help` lists the targets. Every target sets up .venv (and MathJax where the
# book needs it) first; setup is stamped, so it only reruns when pyproject.toml or package-lock.json change.

SHELL := bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONUNBUFFERED := 1

VENV := .venv
PY := $(VENV)/bin/python
# pip extras to install; a GPU machine adds CUDA with `make full EXTRAS=book,test,gpu`.
EXTRAS ?= book,test
# pytest-xdist workers for `make test` (tests/conftest.py says how the work is shared between them).
TEST_WORKERS ?= 2
# `make benchmark RECORD=benchmarks/NAME.json [NOTE="machine, commit"]` also records the build's timings there.
RECORD ?=
NOTE ?=
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
NODE_STAMP := node_modules/.installed
# The first of python3.11, python3 that is Python 3.11 (looked up only when .venv has to be created).
PYTHON311 = $(shell for p in python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null && { command -v $$p; break; }; done)

.PHONY: help setup book full test class release benchmark lint clean

help:  ## list the targets
	@awk -F ':.*## ' '/^[a-z]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP) $(NODE_STAMP)  ## create .venv with the [book,test] extras and vendor MathJax with npm ci

$(STAMP): pyproject.toml
	@if [ ! -x $(PY) ]; then \
		test -n "$(PYTHON311)" || { echo "setup: Python 3.11 not found (tried python3.11, python3)" >&2; exit 1; }; \
		echo "$(PYTHON311) -m venv $(VENV)"; $(PYTHON311) -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	$(PY) -m pip check
	@touch $@

$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

book: $(STAMP) $(NODE_STAMP)  ## execute the cases (quick; FULL=1 for full) and build the HTML into book/_build/html
	$(PY) -m dlclinic.build.run $(if $(filter 1,$(FULL)),--full)
	$(PY) -m dlclinic.build.book
	$(PY) -m dlclinic.build.site_check --optional

full: $(STAMP)  ## execute every case with its full budget (GPU runner) into build/
	$(PY) -m dlclinic.build.run --full

test: $(STAMP) $(NODE_STAMP)  ## the whole test suite: unit, notebooks (slow), grading and scripted classes, book
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

class: $(STAMP)  ## only the scripted classes of make test (and the solution, release and mutant runs they share)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=5 tests/test_class.py

release: $(STAMP)  ## regenerate exercises/<slug>/ from solutions/<slug>/ with nbgrader
	@shopt -s nullglob; dirs=(solutions/*/); \
	if [ $${#dirs[@]} -eq 0 ]; then echo "release: no assignments under solutions/; nothing to do"; fi; \
	for dir in "$${dirs[@]}"; do \
		slug=$$(basename "$$dir"); \
		echo "$(PY) -m dlclinic.grading release $$slug"; $(PY) -m dlclinic.grading release "$$slug"; \
	done

benchmark: $(STAMP)  ## quick and full time per case against the budgets (180 s, 600 s on a GPU), peak memory, ratios
	$(PY) -m dlclinic.build.benchmark $(if $(RECORD),--record "$(RECORD)") $(if $(NOTE),--note "$(NOTE)")

lint: $(STAMP)  ## ruff on the package and the tests
	$(PY) -m ruff check utils tests

clean:  ## remove the runner's output and the built book
	rm -rf build book/_build
