# The two commands of the README: `make run` and `make test`. Both set up .venv from
# requirements.txt when needed; without DATABASE_URL the settings start the embedded PostgreSQL.

# The newest Python 3.11+ on PATH. A pyenv shim exists for versions that are not active, so the
# candidate is run rather than only looked up.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $$p && break; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-thorough lint bench bench-lifecycle bench-dashboard screenshots browser citus-test mutate db-stop clean

$(STAMP): requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11+ not found on PATH"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_demo --url http://$(HOST):$(PORT)
	TALLY_BIND=$(HOST):$(PORT) $(PY) -m gunicorn

test: $(STAMP) browser
	$(PY) -m pytest $(ARGS)

# Debian's chromium and chromium-driver for the dashboard's browser tests (apt, when root).
browser:
	bash scripts/ensure_browser

# The README's pictures (docs/img/) from the dashboard's browser test.
screenshots: $(STAMP) browser
	TALLY_SCREENSHOTS=docs/img $(PY) -m pytest tests/dashboard/test_browser.py $(ARGS)

# Ten times the property-test examples, with fresh randomness (tests/conftest.py).
test-thorough: $(STAMP) browser
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest $(ARGS)

# Plants each bug of scripts/mutate.py in turn and reports which the tests kill.
mutate: $(STAMP)
	$(PY) scripts/mutate.py $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run

bench: $(STAMP)
	$(PY) bench/triggers.py $(ARGS)

# Server time of every dashboard page beside the API endpoints it reads (bench/dashboard.py).
bench-dashboard: $(STAMP)
	$(PY) bench/dashboard.py $(ARGS)

bench-lifecycle: $(STAMP)
	$(PY) bench/lifecycle.py $(ARGS)

# The invariant, concurrency and API tests, a shard move and a rebalance during ingest, on a local
# Citus cluster of its own (ports 9700-9702, data in TALLY_CITUS_DIR, default /tmp/tally-citus);
# writes bench/results/citus.json. Without Citus installed it says so and succeeds.
citus-test: $(STAMP)
	$(PY) scripts/citus_test.py $(ARGS)

db-stop: $(STAMP)
	$(PY) -m core.embedded_db stop

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
