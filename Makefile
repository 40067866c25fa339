# Tandem: `make run` starts the whole stack, `make test` runs every test tier. Both set up
# everything they need on a fresh Debian machine with Python 3.11.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTO_STAMP := protos/gen/.generated
SERVICES := identity profiles opportunities matching notifications referrals
PROTO_FILES := $(shell find protos/tandem -name '*.proto')
PYTEST_WORKERS ?= 2

.PHONY: chromium web-messages run test test-unit test-interface test-e2e lint proto rabbitmq promtool install clean bench

WEB_ASSETS := web/tandem_web/static/vendor/.built

install: $(STAMP) $(PROTO_STAMP) $(WEB_ASSETS)

# The GC Design System, its fonts and htmx, from npm at build time into the front-end's static
# files (CSS rewritten to local fonts). node_modules is never served.
$(WEB_ASSETS): web/package.json web/package-lock.json web/tandem_web/assets.py $(STAMP)
	cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(BIN)/python -m tandem_web.assets
	touch $@

$(STAMP): requirements/runtime.txt requirements/dev.txt requirements/constraints.txt $(wildcard services/*/pyproject.toml) gateway/pyproject.toml web/pyproject.toml tools/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/dev.txt -c requirements/constraints.txt
	$(BIN)/pip install -q --no-deps --no-build-isolation -e services/kit $(addprefix -e services/,$(SERVICES)) -e gateway -e web -e tools
	touch $@

# Generated code is not committed: CI always builds it from the protos.
$(PROTO_STAMP): $(STAMP) $(PROTO_FILES)
	rm -rf protos/gen && mkdir -p protos/gen
	$(BIN)/python -m grpc_tools.protoc -I protos \
		--python_out=protos/gen --grpc_python_out=protos/gen \
		--plugin=protoc-gen-mypy=$(BIN)/protoc-gen-mypy --mypy_out=quiet:protos/gen \
		--plugin=protoc-gen-mypy_grpc=$(BIN)/protoc-gen-mypy_grpc --mypy_grpc_out=quiet:protos/gen \
		$(PROTO_FILES)
	echo "$(CURDIR)/protos/gen" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/tandem-protos.pth"
	touch $@

proto: $(PROTO_STAMP)

# RabbitMQ: started if stopped, installed from Debian if missing, always bound to loopback.
rabbitmq: install
	$(BIN)/python -m tandem_dev.rabbitmq ensure

# promtool checks the alert rules (Debian package prometheus).
promtool:
	tools/ensure-promtool.sh

run: install rabbitmq
	$(BIN)/python -m tandem_dev.run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Debian's Chromium, for the browser tests (Playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver)

test: install rabbitmq promtool chromium lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

test-unit: install
	$(BIN)/python -m pytest -m "not interface and not e2e"

test-interface: install rabbitmq
	$(BIN)/python -m pytest -m interface -n $(PYTEST_WORKERS) --dist loadgroup

test-e2e: install rabbitmq
	$(BIN)/python -m pytest -m e2e

bench: install rabbitmq
	@for f in tests/benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) protos/gen var .pytest_cache .mypy_cache .ruff_cache web/node_modules web/tandem_web/static/vendor

# The web front-end's texts: extract them from the pages and templates, and merge them into the
# French catalogue (then translate what is new: a unit test refuses an untranslated text).
web-messages: install
	$(BIN)/pybabel -q extract -w 100 -F web/babel.cfg -k N_ --no-location --sort-output --omit-header -o web/tandem_web/locale/messages.pot web/tandem_web
	test -f web/tandem_web/locale/fr/LC_MESSAGES/messages.po || $(BIN)/pybabel -q init -w 100 -l fr -i web/tandem_web/locale/messages.pot -d web/tandem_web/locale
	$(BIN)/pybabel -q update -w 100 --no-fuzzy-matching --ignore-obsolete -l fr -i web/tandem_web/locale/messages.pot -d web/tandem_web/locale
