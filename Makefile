# Fashion Studio. `make run` starts the studio; `make test` runs the whole suite. Both install what they need.
SHELL := /bin/bash
PY ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: install run test lint-imports check-deploy bench bench-orchestration bench-ingest bench-pages bench-api clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else "Python 3.12 is required (see .python-version)")'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runstudio --port $(PORT)

# The import contracts first (pyproject.toml [tool.importlinter]: layers, independent vendor packages, no core
# module importing a vendor): seconds, and a broken contract fails the run before the suite starts. The slowest 15
# tests are listed at the end, to keep the run short as the suite grows.
test: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest --durations=15 $(PYTEST_ARGS)

lint-imports: install
	$(BIN)/lint-imports --no-cache

# Production-like settings (placeholder secrets generated on the fly, never stored): must be warning-free.
check-deploy: install
	STUDIO_ENV=production DEBUG=0 ALLOWED_HOSTS=studio.example.com CACHE_URL=redis://127.0.0.1:6379/2 \
	SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))') \
	STUDIO_ENCRYPTION_KEYS=$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var

bench-ingest: install
	$(BIN)/python tests/bench/bench_ingest.py

# 200 Huhu try-ons through the engine with two worker processes against the fake (uses DATABASE_URL and
# CELERY_BROKER_URL when set, else PostgreSQL and Redis on 127.0.0.1 when they listen, else SQLite and the
# filesystem broker in a temporary folder). Huhu's timing compressed tenfold: ~4 minutes. Last line: JSON.
bench-orchestration: install
	$(BIN)/python tests/bench/bench_orchestration.py

# Every benchmark, one after the other.
bench: bench-ingest bench-orchestration bench-pages bench-api

# Every main page and fragment at 50, 500 and 5,000 SKUs against the Django admin changelists, on PostgreSQL
# (127.0.0.1:5432, a database of its own, dropped afterwards) served by gunicorn with DEBUG off; export time to first
# byte and worker peak RSS. Last line: JSON (min_ratio_to_admin, max_growth, export_rss_growth, export_first_byte_s).
bench-pages: install
	$(BIN)/python tests/bench/bench_pages.py

# The API against the pages' views, same work, same run: 1,000 launches (POST /api/v1/generations/ vs the generate
# form) and 5,000 SKUs listed page by page (cursor pages vs the project grid). Prints req/s and ratios; last line JSON.
bench-api: install
	$(BIN)/python tests/bench/bench_api.py
