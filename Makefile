# Rassylka: `make run` for a working site, `make test` for the suite. Needs python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-fast bench bench-scale lint format messages makemessages seed clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

# uv keeps the environment exactly at uv.lock (--inexact leaves uv itself installed).
$(VENV)/.installed: pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --frozen --inexact --quiet --compile-bytecode
	@touch $@

install: $(VENV)/.installed messages

.env:
	cp .env.example .env

# Compile each .po catalogue newer than its .mo with Babel (pure Python, no gettext
# needed); an up-to-date .mo is left alone, so a running suite never reads one mid-write.
messages: $(VENV)/.installed
	@find . -path ./$(VENV) -prune -o -name '*.po' -print | while read po; do \
		mo="$${po%.po}.mo"; [ -e "$$mo" ] && [ ! "$$po" -nt "$$mo" ] && continue; \
		$(BIN)/pybabel -q compile -i "$$po" -o "$$mo" || exit 1; done

# Regenerate catalogues after changing strings (needs GNU gettext): one per app, and the
# project's own (templates/, config/) at the root.
APPS := accounts workspace mailings sending blog dashboard senders feedback api webhooks audience content tracking reports
makemessages: $(VENV)/.installed
	$(MANAGE) makemessages -l ru -l en --ignore '.venv/*' --ignore 'var/*' \
		$(foreach app,$(APPS) bench e2e loadtest,--ignore '$(app)/*') --ignore conftest.py
	for app in $(APPS); do \
		(cd $$app && ../$(BIN)/python ../manage.py makemessages -l ru -l en --ignore 'tests/*') || exit 1; done

run: install .env
	$(MANAGE) migrate --noinput
	@# The first seed prints the logins itself; later starts only repeat them.
	@if test -f var/.demo-seeded; then $(MANAGE) seed_demo --logins; \
		else $(MANAGE) seed_demo && touch var/.demo-seeded; fi
	@echo ""
	@echo "  Rassylka is starting at http://$(HOST):$(PORT)/  (Ctrl-C stops everything)"
	@echo "  The scheduler's first line says where emails go (var/outbox/ or EMAIL_URL's server)"
	@echo ""
	@scripts/run-dev $(HOST) $(PORT)

seed: install .env
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo

# pytest-xdist: one worker per core, each with a test database and var folder of its own
# (config/test_settings.py). `--dist load` hands the tests out in pytest-django's order,
# so each worker runs the transactional tests (whose flush drops the rows migrations
# made, such as the role groups) after the others, as one process would; worksteal
# does not. `make test TEST_WORKERS=0` runs the suite in one process.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist load

# The suite on the embedded defaults (SQLite, file cache). Tests that need PostgreSQL,
# Redis, RabbitMQ or Chromium skip with a reason when those are missing.
test: install
	$(PYTEST)

# The edit-test loop: no slow, services or browser tests, and a few generated examples
# each (conftest.py's Hypothesis profiles), under a minute.
test-fast: install
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-fast} $(PYTEST) -m "not slow and not services and not browser"

# Ruff, and the house's layers (pyproject.toml's import-linter contract: arrows point down).
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench

# One user with a million clients, on the PostgreSQL of DATABASE_URL (not run by CI).
bench-scale: install
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) var
