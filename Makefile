# The README's commands. Each target creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench robustness clean

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
	$(BIN)/python examples/demo.py

test: $(VENV)/.dev
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy

bench: $(VENV)/.dev
	$(BIN)/python bench/normalize.py
	$(BIN)/python bench/render.py

# Hostile input, faults and load with the heavy profiles (nightly fuzzing, all 200 load
# articles rendered), then the 60-minute long-read memory bench, then ONE summary table.
# ROBUSTNESS_PROFILE=ci runs the smaller CI sizes instead.
ROBUSTNESS_PROFILE ?= full
robustness: $(VENV)/.dev
	@report=$$(mktemp /tmp/vorlesen-robustness.XXXXXX); \
	if [ "$(ROBUSTNESS_PROFILE)" = "full" ]; then \
		export VORLESEN_ROBUSTNESS_FULL=1 VORLESEN_FUZZ_PROFILE=nightly; fi; \
	VORLESEN_ROBUSTNESS_REPORT=$$report $(BIN)/pytest tests/robustness -q; tests=$$?; \
	$(BIN)/python bench/longread.py --minutes 60 --report $$report; bench=$$?; \
	echo; $(BIN)/python tests/robustness/summary.py $$report; summary=$$?; \
	rm -f $$report; \
	[ $$tests -eq 0 ] && [ $$bench -eq 0 ] && [ $$summary -eq 0 ]

clean:
	rm -rf $(VENV) out
