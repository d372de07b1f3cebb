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
	$(BIN)/python -m moviemotion.samples.script $(DEMO)/screening
	$(BIN)/moviemotion audience $(DEMO)/screening/seats --manifest $(DEMO)/screening/manifest.csv \
		--movie $(DEMO)/screening/movie.mp4 -o $(DEMO)/out
	$(BIN)/moviemotion movie $(DEMO)/screening/movie.mp4 -o $(DEMO)/movie
	$(BIN)/moviemotion flashes $(DEMO)/screening/movie.mp4 -o $(DEMO)/flashes || test $$? -le 2
	$(BIN)/moviemotion report -o $(DEMO)/report --audience $(DEMO)/out --movie $(DEMO)/movie \
		--flashes $(DEMO)/flashes --subtitles $(DEMO)/screening/subtitles.srt \
		--screenplay $(DEMO)/screening/screenplay.fountain
	$(BIN)/moviemotion movie examples/bbb_first60s_640x360.mp4 --cam -o $(DEMO)/bbb
	@echo
	@echo "Open $(DEMO)/report/screening.html (the screening: audience, script, movie, flashes)"
	@echo "and $(DEMO)/bbb/movie.html (Big Buck Bunny's own timeline: shots, scenes, motion, sound)."

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check moviemotion tests benchmarks

bench: install
	$(BIN)/python benchmarks/decode.py
	$(BIN)/python benchmarks/flash.py
	$(BIN)/python benchmarks/emotion.py
	$(BIN)/python benchmarks/audience.py
	$(BIN)/python benchmarks/detector.py
	$(BIN)/python benchmarks/movie.py
	$(BIN)/python benchmarks/screening_report.py

clean:
	rm -rf $(DEMO) .pytest_cache
