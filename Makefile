# Two entry points on a fresh machine: `make run` (web app on the seeds) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: setup lock chromium run index test test-fast lint bench eval

$(STAMP): pyproject.toml requirements.lock
	@echo "== First run: creating $(VENV) and installing the dependencies (about 2 to 3 minutes; later runs skip this)"
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	# Exact versions from requirements.lock (a known-good environment); pyproject keeps ranges.
	$(PY) -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)
	@echo "== Installed."

setup: $(STAMP)

# Refresh requirements.lock from the current .venv once `make test` passes in it.
# torch's local build tag (+cpu) is dropped so that the lock matches the pin above.
lock:
	{ echo "# Constraints for 'pip install -c requirements.lock ...': made by 'make lock' (pip freeze)."; \
	  $(PY) -m pip freeze --exclude-editable | grep -iv '^news-assistant' | sed -E 's/^(torch==[^+]+)\+.*/\1/'; \
	} > requirements.lock

# Headless Chromium for the browser tests (Debian packages; never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; }

run: setup
	@echo "== Indexing seeds/ (and library/, what you add) and starting the web app; the first time, the model is prepared too (about a minute)"
	$(VENV)/bin/assistant serve --docs seeds --index index

index: setup
	$(VENV)/bin/assistant index --docs seeds --index index

test: setup chromium
	$(PY) -m pytest -q

# The inner loop: everything not marked slow (no real server, no browser, no real-model end to end).
test-fast: setup
	$(PY) -m pytest -q -m "not slow"

lint: setup
	$(VENV)/bin/ruff check assistant tests benchmarks training
	$(VENV)/bin/ruff format --check assistant tests benchmarks training
	$(PY) -m mypy assistant

eval: setup
	$(VENV)/bin/assistant eval --docs seeds --index index --questions tests/data/gold_seeds.jsonl

bench: setup
	$(PY) benchmarks/bench.py
