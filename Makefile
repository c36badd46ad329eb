# Broadsheet: `make run` serves the demo search, `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2
export BROADSHEET_INDEX_DIR ?= var/index
DEMO_CORPUS = corpus/demo/wikinews_en_tosca.jsonl.gz

.PHONY: run test lint format index demo-index bench bench-million eval clean axe
# axe-core (accessibility checks injected by tests/test_browser_pages.py), into var/npm (gitignored)
AXE_VERSION = 4.14.1
AXE = var/npm/node_modules/axe-core/axe.min.js

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The checkout itself, editable (pyproject.toml): the `broadsheet` command in $(BIN).
$(VENV)/.runtime: requirements.txt pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt requirements-typesense.txt requirements-opensearch.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## run: build the demo index if there is none, then serve it under gunicorn
run: $(VENV)/.runtime demo-index
	$(BIN)/broadsheet serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

demo-index: $(VENV)/.runtime
	@if [ -f "$(BROADSHEET_INDEX_DIR)/CURRENT" ]; then \
		echo "index found at $(BROADSHEET_INDEX_DIR) (make index rebuilds it)"; \
	else $(BIN)/broadsheet index build $(DEMO_CORPUS) --index $(BROADSHEET_INDEX_DIR); fi

## index: rebuild the demo index
index: $(VENV)/.runtime
	$(BIN)/broadsheet index build $(DEMO_CORPUS) --index $(BROADSHEET_INDEX_DIR)

## axe: install axe-core for the browser tests' accessibility checks
axe: $(AXE)
$(AXE):
	npm install --no-audit --no-fund --silent --prefix var/npm axe-core@$(AXE_VERSION)

## test: lint, format check, type check (mypy) and the whole pytest suite
test: $(VENV)/.dev $(AXE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: side-by-side benchmark of issue 7, then the latency tail per class of hard query on
## Reuters and 200k synthetic articles (not part of make test); BENCH_ARGS=--quick for a smoke run
TAIL_SIZE ?= 200000
bench: $(VENV)/.runtime
	$(BIN)/pip install --quiet -r bench/requirements.txt || echo "bench: tantivy did not install; the run records it as skipped"
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.tail_bench --corpus reuters || true
	$(BIN)/python -m bench.tail_bench --corpus synthetic --size $(TAIL_SIZE) || true

## bench-million: one million synthetic articles on this machine (about half an hour; 2 GB of files in var/)
bench-million: $(VENV)/.runtime
	$(BIN)/python -m bench.million

## eval: ranking quality on the five judged collections in ../shared (MAP, nDCG@10, P@10, R@100)
EVAL_SUITE ?= ../shared/data/ir-collections
eval: $(VENV)/.dev
	$(BIN)/python -m search evaluate --suite $(EVAL_SUITE)

## opensearch-up: assemble OpenSearch from Maven Central (once), start 3 nodes on 127.0.0.1, wait for green
.PHONY: opensearch-up opensearch-down
opensearch-up:
	ops/opensearch/assemble.sh
	$(PYTHON) ops/opensearch/cluster.py up $(OPENSEARCH_ARGS)

## opensearch-down: stop the nodes that opensearch-up started
opensearch-down:
	$(PYTHON) ops/opensearch/cluster.py down

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var .pytest_cache .ruff_cache broadsheet.egg-info
