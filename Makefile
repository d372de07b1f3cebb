# moviemotion: two commands for a fresh machine (see README.md)
#   make demo   install everything into .venv and run the main job on a generated screening
#   make test   install everything into .venv and run the test suite

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
DEMO := demo-output
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: install demo test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[train,dev,ray]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/moviemotion sample screening $(DEMO)/screening
	$(BIN)/moviemotion audience $(DEMO)/screening/seats --manifest $(DEMO)/screening/manifest.csv \
		--movie $(DEMO)/screening/movie.mp4 -o $(DEMO)/out
	$(BIN)/moviemotion flashes $(DEMO)/screening/movie.mp4 -o $(DEMO)/flashes || test $$? -le 2
	@echo
	@echo "Open $(DEMO)/out/report.html (audience) and $(DEMO)/flashes/ (flash check)."

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check moviemotion tests benchmarks

bench: install
	$(BIN)/python benchmarks/decode.py
	$(BIN)/python benchmarks/flash.py
	$(BIN)/python benchmarks/emotion.py
	$(BIN)/python benchmarks/audience.py

clean:
	rm -rf $(DEMO) .pytest_cache
