# granskning — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
# The newest releases of every dependency, with pyarrow (pandas' fast string storage).
NYASTE := .venv-nyaste
PYTEST_ENV = GRANSKNING_REQUIRE_PG=1 GRANSKNING_REQUIRE_TOOLS=1

.PHONY: demo test test-nyaste test-hjul ci bench lint clean tools

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "granskning kräver Python 3.11 eller senare")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installerar granskning och dess beroenden i $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## make demo: kör huvudjobbet på medföljande exempeldata
demo: $(STAMP)
	$(BIN)/granskning demo --ut demo

## make test: ruff (make lint), sedan hela testsviten mot SQLite och en tillfällig PostgreSQL-server
test: lint tools
	@scripts/pg.sh start >/dev/null
	@rc=0; GRANSKNING_TEST_PG="$$(scripts/pg.sh url)" $(PYTEST_ENV) \
	    $(BIN)/python -m pytest -q $(PYTEST_ARGS) || rc=$$?; \
	    scripts/pg.sh stop >/dev/null || true; exit $$rc

## make test-nyaste: hela testsviten med de nyaste versionerna av alla beroenden och pyarrow
test-nyaste: tools
	@$(PYTHON) -m venv $(NYASTE)
	@echo "Installerar de nyaste versionerna av beroendena och pyarrow i $(NYASTE) ..."
	@$(NYASTE)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(NYASTE)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade --upgrade-strategy eager -e '.[dev]' pyarrow
	@$(NYASTE)/bin/python -m pip list --disable-pip-version-check 2>/dev/null | grep -iE '^(pandas|pyarrow|numpy|scipy|statsmodels|sqlalchemy|openpyxl|pyyaml|reportlab|matplotlib|click|questionary) '
	@scripts/pg.sh start >/dev/null
	@rc=0; GRANSKNING_TEST_PG="$$(scripts/pg.sh url)" $(PYTEST_ENV) GRANSKNING_REQUIRE_PYARROW=1 \
	    $(NYASTE)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) || rc=$$?; \
	    scripts/pg.sh stop >/dev/null || true; exit $$rc

## make test-hjul: bygg hjulet, installera det i en ny miljö och kör demo därifrån
test-hjul:
	scripts/wheel_check.sh $(PYTHON)

## make ci: det CI kör (.ci/run)
ci: test test-nyaste test-hjul

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
	rm -rf $(VENV) $(NYASTE) demo bench-data .pg .pytest_cache .hypothesis
