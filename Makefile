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
# pip extras to install (versions pinned by constraints.txt); a GPU machine adds CUDA with
# `make full EXTRAS=course,book,test,gpu`.
EXTRAS ?= course,book,test
# pytest-xdist workers for `make test` (tests/conftest.py says how the work is shared between them).
TEST_WORKERS ?= 2
# `make full CASE=03-batchnorm-regression` runs and records one case.
CASE ?=
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
NODE_STAMP := node_modules/.installed
# The newest supported Python found (3.13, 3.12, then 3.11; looked up only when .venv has to be created);
# `make test PYTHON=python3.11` chooses one.
SUPPORTED := 3.13 3.12 3.11
PYTHON ?= $(shell for v in $(SUPPORTED); do for p in python$$v python3; do \
	$$p -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$$v'.split('.'))))" 2>/dev/null \
	&& { command -v $$p; exit; }; done; done)

.PHONY: help setup book full test class release benchmark constraints lint clean

help:  ## list the targets
	@awk -F ':.*## ' '/^[a-z]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP) $(NODE_STAMP)  ## create .venv (newest of Python 3.13/3.12/3.11) with the pinned stack; vendor MathJax

$(STAMP): pyproject.toml constraints.txt
	@if [ -f $@ ]; then echo "setup: $? changed since .venv was installed: reinstalling the pinned stack into .venv (2-3 minutes)"; \
	else echo "setup: .venv has no install of the extras $(EXTRAS) yet: installing the pinned stack (2-3 minutes, once)"; fi
	@if [ ! -x $(PY) ]; then \
		test -n "$(PYTHON)" || { echo "setup: no Python $(SUPPORTED) found (tried python3.X and python3)" >&2; exit 1; }; \
		echo "$(PYTHON) -m venv $(VENV)"; $(PYTHON) -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	$(PY) -m pip check
	@touch $@

$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# The site check needs Chromium; it is skipped without one unless DLCLINIC_REQUIRE_BROWSER=1 (as in .ci/run).
SITE_CHECK_OPTIONAL := $(if $(filter 1,$(DLCLINIC_REQUIRE_BROWSER)),,--optional)

book: $(STAMP) $(NODE_STAMP)  ## execute the cases (quick), check their claims, build the HTML, check the site
	$(PY) -m dlclinic.build.run
	DLCLINIC_EXECUTED=build $(PY) -m pytest -m slow -q -p no:cacheprovider
	$(PY) -m dlclinic.build.book
	$(PY) -m dlclinic.build.site_check $(SITE_CHECK_OPTIONAL)

full: $(STAMP)  ## execute every case (or CASE=NN-name) with its full budget; record it in benchmarks/full/
	$(PY) -m dlclinic.build.run --full --record-full $(CASE)

test: $(STAMP) $(NODE_STAMP)  ## the test suite: unit, notebooks, grading and scripted classes, a small book
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15 -m "not slow"

class: $(STAMP)  ## only the scripted classes of make test (and the solution and release runs they share)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=5 tests/test_class.py

release: $(STAMP)  ## regenerate exercises/<slug>/ from solutions/<slug>/ with nbgrader (sets up .venv first if needed)
	@shopt -s nullglob; dirs=(solutions/*/); \
	if [ $${#dirs[@]} -eq 0 ]; then echo "release: no assignments under solutions/; nothing to do"; fi; \
	for dir in "$${dirs[@]}"; do \
		slug=$$(basename "$$dir"); \
		echo "$(PY) -m dlclinic.grading release $$slug"; $(PY) -m dlclinic.grading release "$$slug"; \
	done

benchmark: $(STAMP)  ## quick and full seconds per case against the budgets (180 s; 45 min on 2 CPU cores)
	$(PY) -m dlclinic.build.benchmark

constraints: $(STAMP)  ## rewrite constraints.txt from .venv after a deliberate upgrade
	{ sed -n '1,2p' constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^dlclinic'; } > constraints.new
	mv constraints.new constraints.txt

lint: $(STAMP)  ## ruff on the package and the tests
	$(PY) -m ruff check utils tests

clean:  ## remove the runner's output and the built book
	rm -rf build book/_build
