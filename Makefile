# `make run` and `make test` set everything up on a fresh machine (Python 3.11 + package registries).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test docs ui bench clean-data lock

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,spark]"
	touch $(STAMP)

# Runs the whole pipeline on the built-in synthetic data, then says where everything is.
run: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro
	$(BIN)/python -m pipeline.cli summary

# The report test opens the HTML in a real headless Chromium (Debian's package).
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	@command -v apt-get >/dev/null 2>&1 || { echo "Chromium is needed for the report test: install it so that $(CHROMIUM) exists"; exit 1; }
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

# The Spark tests run a local[2] session: Spark 4 needs Java 17 or 21 (Debian's headless JRE).
JAVA ?= /usr/bin/java
$(JAVA):
	@command -v apt-get >/dev/null 2>&1 || { echo "Java 17 is needed for the Spark tests: install it so that $(JAVA) exists"; exit 1; }
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null

# The documentation site (docs/, mkdocs.yml) into site/; --strict fails on a broken link, anchor or missing page.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

test: $(STAMP) $(CHROMIUM) $(JAVA)
	$(BIN)/ruff check .
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	PATH="$(abspath $(BIN)):$$PATH" CHROMIUM_PATH=$(CHROMIUM) $(BIN)/python -m pytest

# The MLflow UI on the repository's store; it prints the page that opens the runs as model training.
ui: $(STAMP)
	$(BIN)/python -m pipeline.cli ui

# Regenerates constraints.txt from a fresh resolve of pyproject.toml's ranges.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e ".[dev,spark]"
	.venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^churn-pipeline' > constraints.txt
	rm -rf .venv-lock
