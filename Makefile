# Set-up and everyday commands. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out

.PHONY: report test test-fast lint sample bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## report: install and run the whole evaluation on the shipped sample data
report: $(VENV)/.installed
	$(BIN)/noream-eval run data/sample/evaluation.toml --out $(OUT)/report --force
	@echo "Open $(OUT)/report/report.html (Word: $(OUT)/report/report.docx)"

## test: install with the test extras and run every test, slow ones included
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

## test-fast: the default suite without tests marked slow
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## sample: regenerate data/sample from the default seed
sample: $(VENV)/.installed
	$(BIN)/noream-eval sample --out data/sample --force

$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

## bench: ingest benchmarks beside DuckDB (sample, 50,000 and 500,000 families); run by hand
bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/bench_ingest.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
