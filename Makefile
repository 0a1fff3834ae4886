# The README's commands. Each target creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/vorlesen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.dev: $(BIN)/vorlesen
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

demo: $(BIN)/vorlesen
	@mkdir -p out
	$(BIN)/vorlesen read examples/artikel.html -o out/artikel.mp3 \
		--timings out/artikel.json --vtt out/artikel.vtt

test: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(VENV)/.dev
	$(BIN)/python bench/normalize.py
	$(BIN)/python bench/render.py

clean:
	rm -rf $(VENV) out
