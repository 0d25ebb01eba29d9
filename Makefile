# Two entry points for a fresh clone: `make demo` and `make test`.
# Both create .venv with the project installed when it is missing or out of date.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= maps

.PHONY: demo test venv clean

$(BIN)/activate: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,siting,dask]'
	touch $(BIN)/activate

venv: $(BIN)/activate

demo: venv
	$(BIN)/beichen-geo demo --out $(OUT)

test: venv
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) maps test-output
