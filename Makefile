# Careloop: `make demo` to try it, `make test` to check it. Both start from a fresh clone.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/careloop
export DJANGO_SETTINGS_MODULE := careloop.settings

.PHONY: demo serve test test-sqlite test-postgres test-browser-deps lint lock clean

$(VENV)/.runtime: requirements/lock.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r requirements/lock.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements/lock-dev.txt
	$(BIN)/pip install -q --require-hashes -r requirements/lock-dev.txt
	touch $@

## demo: install, migrate, load the synthetic demo organisation, print log-ins, serve on :8000
demo: $(VENV)/.runtime
	$(BIN)/careloop migrate --no-input -v0
	$(BIN)/careloop demo

## serve: serve whatever database CARELOOP_DATABASE_URL names, with gunicorn
serve: $(VENV)/.runtime
	$(BIN)/careloop migrate --no-input -v0
	$(BIN)/gunicorn careloop.wsgi --bind $${CARELOOP_BIND:-127.0.0.1:8000} --workers $${CARELOOP_WORKERS:-2}

## test: the whole suite, on SQLite and on PostgreSQL
test: $(VENV)/.dev test-browser-deps
	$(MAKE) --no-print-directory test-sqlite test-postgres

test-browser-deps:
	bash scripts/install_browser.sh
	$(BIN)/python scripts/vendor_js.py --check

test-sqlite: $(VENV)/.dev
	CARELOOP_DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(BIN)/pytest -q -p no:cacheprovider

test-postgres: $(VENV)/.dev
	CARELOOP_DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider

## lint: ruff and mypy --strict
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy careloop tests scripts

## lock: re-resolve the pinned, hashed dependency lock files (needs the network to PyPI)
lock:
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements/lock.txt -q
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark --python-version 3.11 --generate-hashes -o requirements/lock-dev.txt -q

clean:
	rm -rf $(VENV) var/test.sqlite3*
