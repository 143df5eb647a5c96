# Comptoir — the commands a teacher, an administrator or a contributor needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
WORKERS ?= 4
# make run: one class on SQLite. Two processes (the two cores of a small server) of
# THREADS threads each: pages are served while another trainee's password is hashed.
RUN_WORKERS ?= 2
THREADS ?= 8
# No control socket: its default path is shared by every gunicorn of the machine.
# Hooks (crm/serving.py): each worker freezes its warm heap, out of the garbage collector's way.
GUNICORN = $(BIN)/gunicorn --worker-class gthread --threads $(THREADS) --access-logfile - --no-control-socket \
	--graceful-timeout 10 --config python:crm.serving
FLASK  := $(BIN)/flask --app crm

.PHONY: run serve test test-tools lint bench install dev-install migrate demo clean check-pdf

## make run: environment, migrations, demo data, then serve a class on http://$(HOST):$(PORT)
run: install migrate demo
	@$(MAKE) --no-print-directory check-pdf || echo "Comptoir démarre quand même, mais sans les PDF."
	@echo "Comptoir : http://$(HOST):$(PORT) (Ctrl+C pour arrêter)"
	$(GUNICORN) --workers $(RUN_WORKERS) --bind $(HOST):$(PORT) "crm:create_app()"

## make serve: PostgreSQL (CRM_DATABASE_URL), several workers on 0.0.0.0 for a shared server
serve: install migrate
	@$(MAKE) --no-print-directory check-pdf || echo "Comptoir démarre quand même, mais sans les PDF."
	$(GUNICORN) --workers $(WORKERS) --bind 0.0.0.0:$(PORT) "crm:create_app()"

## make test: environment with test tools, then every test
test: dev-install check-pdf test-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make lint: ruff with the rules of pyproject.toml (CI runs it too)
lint: dev-install
	$(BIN)/ruff check .

## make test-tools: axe-core (accessibility checks of the browser tests), pinned in package-lock.json
test-tools: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --silent && touch $@; \
	else \
	  echo "npm absent : les contrôles d'accessibilité (axe-core) des tests navigateur seront ignorés."; \
	fi

## make bench: pages at a school's scale (SQLite, and PostgreSQL with CRM_BENCH_DATABASE_URL,
## a database it empties), then a class of 60 on make run (SQLite) and, with
## BENCH_POSTGRES_URL (a database it empties), on make serve (PostgreSQL)
## Every step runs and prints its figures even when an earlier one missed a target; the
## command then fails, naming the steps that did.
bench: dev-install
	@failed=""; \
	$(BIN)/python -m pytest benchmarks -q -s $(PYTEST_ARGS) || failed="$$failed pytest-benchmarks"; \
	$(BIN)/python -m benchmarks.pages --strict || failed="$$failed pages"; \
	$(BIN)/python -m benchmarks.load sqlite || failed="$$failed load-sqlite"; \
	$(BIN)/python -m benchmarks.load postgresql || failed="$$failed load-postgresql"; \
	if [ -n "$$failed" ]; then echo "make bench : étapes en échec :$$failed"; exit 1; fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the pinned requirements change.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev-install: $(VENV)/.dev-installed

## make check-pdf: can WeasyPrint (the PDF engine) load its system libraries?
check-pdf: install
	@$(BIN)/python -c "import weasyprint" 2>/dev/null || { \
	  echo ""; \
	  echo "*** WeasyPrint (création des PDF) ne peut pas se charger : il manque les bibliothèques Pango."; \
	  echo "*** Installez les paquets Debian : sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0"; \
	  echo ""; \
	  exit 1; }

migrate: install
	$(FLASK) db upgrade

demo: install
	$(FLASK) demo

clean:
	rm -rf $(VENV) .pytest_cache node_modules
