# granskning — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test bench lint clean tools

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "granskning kräver Python 3.11 eller senare")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installerar granskning och dess beroenden i $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## make demo: kör huvudjobbet på medföljande exempeldata
demo: $(STAMP)
	$(BIN)/granskning demo --ut demo

## make test: hela testsviten, mot SQLite och en tillfällig PostgreSQL-server
test: $(STAMP) tools
	@scripts/pg.sh start >/dev/null
	@rc=0; GRANSKNING_TEST_PG="$$(scripts/pg.sh url)" GRANSKNING_REQUIRE_PG=1 GRANSKNING_REQUIRE_TOOLS=1 \
	    $(BIN)/python -m pytest -q $(PYTEST_ARGS) || rc=$$?; \
	    scripts/pg.sh stop >/dev/null || true; exit $$rc

# pdftoppm (poppler-utils) renders report pages in the tests; install it when missing.
tools:
	@command -v pdftoppm >/dev/null 2>&1 || { \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	        echo "Installerar poppler-utils (pdftoppm) ..."; \
	        (apt-get install -y -qq poppler-utils >/dev/null 2>&1 || \
	         (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq poppler-utils >/dev/null)); \
	    else \
	        echo "VARNING: pdftoppm saknas och kan inte installeras här (kräver root och apt-get)."; \
	    fi; }

## make bench: prestandamätningar (skriver data i bench-data/)
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check granskning tests benchmarks

clean:
	rm -rf $(VENV) demo bench-data .pg .pytest_cache .hypothesis
