# Two commands do everything on a fresh machine (each creates .venv first):
#   make demo   build the release, write sample submissions, auto-grade, print grades
#   make test   run the test suite
# and one for maintainers:
#   make lock   re-resolve pyproject.toml's ranges to the newest versions and pin them
#               in requirements.lock (needs the network); commit it once `make test` passes
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements.lock
LOCK_VENV := build/lock-venv
# Prints pyproject.toml's direct dependencies (runtime + the cluster and dev extras), one per line.
READ_DEPS := import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['cluster'] + p['optional-dependencies']['dev']))

# Stops with one line when $(PYTHON) is older than pyproject's requires-python (">=X.Y.Z"): pip would
# otherwise fail halfway through the lock (Debian 12's python3 is 3.11.2; soupsieve needs 3.11.5).
CHECK_PYTHON := import sys, tomllib; need = tomllib.load(open('pyproject.toml', 'rb'))['project']['requires-python']; v = tuple(int(x) for x in need.removeprefix('>=').split('.')); sys.exit(None if sys.version_info[:3] >= v else f'cs231n-lite needs Python {need}, $(PYTHON) is {sys.version.split()[0]}: run make with PYTHON=/path/to/a/newer/python3')

# Grading runs students' code under bubblewrap (Debian's package `bubblewrap`): installed here when
# make runs as root with apt-get, otherwise named (grading says the same if it is missing).
INSTALL_BWRAP = command -v bwrap >/dev/null || { \
	if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing bubblewrap (the grading sandbox) with apt-get..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; \
	else echo "note: grading needs bubblewrap: sudo apt-get install bubblewrap"; fi; }

.PHONY: demo test release grade export feedback collect-zip workspace lab fixtures check-fixtures benchmark lock clean

demo: $(STAMP)
	$(PY) -m grading demo

test: $(STAMP)
	$(PY) -m pytest

release: $(STAMP)
	$(PY) -m grading release

grade: $(STAMP)
	$(PY) -m grading autograde

export: $(STAMP)
	$(PY) -m grading export

feedback: $(STAMP)
	$(PY) -m grading feedback

# An LMS download (Canvas's submissions zip, or a folder) into build/course/submitted/.
collect-zip: $(STAMP)
	@test -n "$(ZIP)" || { echo "usage: make collect-zip ZIP=path/to/submissions.zip"; exit 1; }
	$(PY) -m grading collect-zip "$(ZIP)"

workspace: $(STAMP)
	$(PY) -m grading workspace

# JupyterLab in the self-study workspace with the student tools only: the Jupyter
# config dir the release carries (jupyter-config/: no Formgrader, no Create Assignment),
# as its README opens it; a workspace made before the release carried it has .jupyter/.
WORKSPACE ?= workspace/part1
STUDENT_CONFIG = $(firstword $(wildcard $(WORKSPACE)/jupyter-config $(WORKSPACE)/.jupyter))
lab: $(STAMP)
	@test -n "$(STUDENT_CONFIG)" || { echo "no $(WORKSPACE)/jupyter-config: run make workspace first"; exit 1; }
	JUPYTER_CONFIG_DIR="$(abspath $(STUDENT_CONFIG))" $(VENV)/bin/jupyter lab $(WORKSPACE)

fixtures: $(STAMP)
	$(PY) grading/judge/make_fixtures.py

check-fixtures: $(STAMP)
	$(PY) grading/judge/make_fixtures.py --check

benchmark: $(STAMP)
	$(PY) benchmarks/run_all.py

# Dependencies come from pyproject.toml, at the exact versions of requirements.lock
# (a constraints file: it pins, pyproject decides what is installed). The package
# itself is NOT installed, so notebooks always import the cs231n_lite folder next to them.
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c "$(CHECK_PYTHON)"
	@$(INSTALL_BWRAP)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c "$(READ_DEPS)" > $(VENV)/requirements.txt
	@echo "Installing pyproject.toml's dependencies at the versions of $(LOCK) into $(VENV) (a minute or two)..."
	$(PY) -m pip install -c $(LOCK) -r $(VENV)/requirements.txt
	touch $(STAMP)

# A throwaway venv, so the lock holds exactly what the ranges resolve to today
# (nothing left over in .venv); the file is replaced only if every step worked.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -c "$(READ_DEPS)" > $(LOCK_VENV)/requirements.txt
	@echo "Resolving pyproject.toml's dependencies to their newest allowed versions..."
	$(LOCK_VENV)/bin/python -m pip install -r $(LOCK_VENV)/requirements.txt
	{ sed -n '/^#/!q;p' $(LOCK); $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > $(LOCK_VENV)/lock.txt
	mv $(LOCK_VENV)/lock.txt $(LOCK)
	rm -rf $(LOCK_VENV)
	@echo "$(LOCK) rewritten: review it (git diff $(LOCK)), run make test, commit."

clean:
	rm -rf build .pytest_cache
