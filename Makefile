# One command to set up and run the archive, one to set up and test it.
# Both install what is missing: system packages (apt-get, when root), .venv, the project.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYSTEM := ffmpeg ffprobe espeak-ng venv
TEST_SYSTEM := $(SYSTEM) chromium redis-server npm
A11Y := tests/a11y

.PHONY: run test test-postgresql setup system test-system lint format eval bench clean translations

run: setup
	$(BIN)/archive init
	$(BIN)/archive demo
	$(BIN)/archive serve

test: setup test-system $(A11Y)/node_modules
	$(BIN)/ruff check archive media indexer tests benchmarks
	$(BIN)/pytest

# The same suite with every catalogue on PostgreSQL (a server that lets this user create
# databases; each test gets its own, made from one migrated template).
POSTGRESQL_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
test-postgresql: setup test-system $(A11Y)/node_modules
	ARCHIVE_TEST_DATABASE=$(POSTGRESQL_TEST_URL) $(BIN)/pytest

setup: system $(VENV)/.installed

system:
	@scripts/system-deps.sh $(SYSTEM)

test-system:
	@scripts/system-deps.sh $(TEST_SYSTEM)

# The browser tests' accessibility engines, axe-core and pa11y (HTML_CodeSniffer), from the npm
# registry at the locked versions; pa11y drives Debian's chromium, so no browser is downloaded.
$(A11Y)/node_modules: $(A11Y)/package.json $(A11Y)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  cd $(A11Y) && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
	    && touch node_modules; \
	else \
	  echo "node and npm are missing: the accessibility tests will be skipped (apt-get install nodejs npm)"; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

lint: setup
	$(BIN)/ruff check archive media indexer tests benchmarks
	$(BIN)/ruff format --check archive media indexer tests benchmarks

format: setup
	$(BIN)/ruff format archive media indexer tests benchmarks
	$(BIN)/ruff check --fix archive media indexer tests benchmarks

eval: setup
	$(BIN)/python -m indexer.evaluate

bench: setup
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/search.py
	benchmarks/http.sh

# Re-extract the interface strings and merge them into every catalog; compile them.
translations: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -o archive/translations/messages.pot .
	$(BIN)/pybabel update -i archive/translations/messages.pot -d archive/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d archive/translations

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
