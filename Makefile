# Two entry points for a fresh clone: `make demo` and `make test` (and `make lint`: ruff + mypy, as CI runs them).
# Both create .venv with the project installed when it is missing or out of date.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= maps

.PHONY: demo test test-fast lint venv clean

$(BIN)/activate: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,siting,dask]'
	touch $(BIN)/activate

venv: $(BIN)/activate

demo: venv
	$(BIN)/beichen-geo demo --out $(OUT)

# The whole suite in parallel (pytest-xdist), whole files per worker so that each module-scoped fixture is
# computed once; 4 workers on 2 cores, since many tests wait on child processes, local servers and a
# browser (quiet machine: 175 s in one process, 92 s with 2 workers, 86 s with 4).
# `make test-fast` leaves out the end-to-end runs (marker `slow`).
TEST_WORKERS ?= 4
test: venv
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

test-fast: venv
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not slow"

# both run (and report) even when the first fails
lint: venv
	$(BIN)/ruff check geo beichen_geo; r=$$?; $(BIN)/mypy geo beichen_geo && exit $$r

clean:
	rm -rf $(VENV) maps test-output
