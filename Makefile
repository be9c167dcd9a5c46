# civicdesk: `make run` to try it, `make test` to check everything. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck djangochecks vendorcheck browser test-sqlite test-postgres bench clean messages screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# DEBUG=1 as in scripts/run-dev.sh: development keys for the encrypted fields (decision 0028).
run: $(STAMP)
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo --if-empty
	scripts/run-dev.sh

test: $(STAMP) lint typecheck djangochecks vendorcheck browser test-sqlite test-postgres

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy civicdesk

djangochecks: $(STAMP)
	DEBUG=1 DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py check
	DEBUG=1 DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run

# The vendored front-end files are exactly those recorded in static/vendor/MANIFEST.json.
vendorcheck:
	$(BIN)/python scripts/vendor-refresh.py --check

# Debian's chromium for the browser tests (tests/e2e), installed when missing and root.
browser:
	scripts/ensure-chromium.sh

test-sqlite: $(STAMP)
	DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(BIN)/pytest

test-postgres: $(STAMP)
	scripts/with-postgres.sh $(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Regenerates docs/screenshots/ (zh-hans and en) from a throw-away demo database.
screenshots: $(STAMP) browser
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

# Refresh the translation catalogues from the code, then compile them (needs GNU gettext).
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'
