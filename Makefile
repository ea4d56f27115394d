# Two commands do everything on a fresh machine (each creates .venv first):
#   make demo   build the release, write sample submissions, auto-grade, print grades
#   make test   run the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test release grade workspace fixtures check-fixtures benchmark clean

demo: $(STAMP)
	$(PY) -m grading demo

test: $(STAMP)
	$(PY) -m pytest

release: $(STAMP)
	$(PY) -m grading release

grade: $(STAMP)
	$(PY) -m grading autograde

workspace: $(STAMP)
	$(PY) -m grading workspace

fixtures: $(STAMP)
	$(PY) grading/make_fixtures.py

check-fixtures: $(STAMP)
	$(PY) grading/make_fixtures.py --check

benchmark: $(STAMP)
	$(PY) benchmarks/run_all.py

# Dependencies come from pyproject.toml; the package itself is NOT installed,
# so notebooks always import the cs231n_lite folder next to them.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['dev']))" > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	touch $(STAMP)

clean:
	rm -rf build .pytest_cache
