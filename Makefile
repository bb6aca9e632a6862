# One command to set up and run the archive, one to set up and test it.
# Both install what is missing: system packages (apt-get, when root), .venv, the project.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYSTEM := ffmpeg ffprobe espeak-ng venv
TEST_SYSTEM := $(SYSTEM) chromium redis-server

.PHONY: run test setup system test-system lint format eval bench clean translations

run: setup
	$(BIN)/archive init
	$(BIN)/archive demo
	$(BIN)/archive serve

test: setup test-system
	$(BIN)/ruff check archive media indexer tests benchmarks
	$(BIN)/pytest

setup: system $(VENV)/.installed

system:
	@scripts/system-deps.sh $(SYSTEM)

test-system:
	@scripts/system-deps.sh $(TEST_SYSTEM)

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
